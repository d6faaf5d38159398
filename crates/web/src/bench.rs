//! `merchant-ops bench …`: measurements the issues ask for, run against a real
//! database. Each writes a shop of its own; point it at a scratch database.

use std::time::{Duration, Instant};

use chrono::Utc;
use domain::Channel;
use sea_orm::DatabaseConnection;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub claims: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl RunStats {
    pub fn per_second(&self) -> f64 {
        self.claims as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }

    pub fn line(&self, label: &str) -> String {
        format!(
            "{label:<34} {:>6} claims in {:>7.2} s = {:>8.0} claims/s  (p50 {:.1} ms, p99 {:.1} ms)",
            self.claims,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.percentile(0.5).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
        )
    }
}

/// Runs `work` for every item, spread over `clients` concurrent tasks.
pub async fn run_clients<T, F, Fut>(
    items: Vec<T>,
    clients: usize,
    work: F,
) -> anyhow::Result<RunStats>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let total = items.len();
    let clients = clients.max(1);
    let mut slices: Vec<Vec<T>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        slices[i % clients].push(item);
    }
    let started = Instant::now();
    let tasks: Vec<_> = slices
        .into_iter()
        .map(|slice| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(slice.len());
                for item in slice {
                    let t = Instant::now();
                    work(item).await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(RunStats {
        claims: total,
        elapsed: started.elapsed(),
        latencies,
    })
}

/// Claims per second through `store::claims::claim` and through plain inserts,
/// each run on its own coupon of a fresh shop.
pub async fn claims(
    db: &DatabaseConnection,
    clients: usize,
    claims: u32,
) -> anyhow::Result<(RunStats, RunStats)> {
    let now = Utc::now();
    let setup = store::bench::prepare_claims_bench(db, claims, now).await?;
    let shop_id = setup.shop_id;

    let baseline_coupon = setup.baseline_coupon;
    let db_baseline = db.clone();
    let baseline = run_clients(setup.customers.clone(), clients, move |(customer_id, _)| {
        let db = db_baseline.clone();
        async move {
            store::bench::baseline_claim(&db, shop_id, baseline_coupon, customer_id, now).await?;
            Ok(())
        }
    })
    .await?;

    let rules_coupon = setup.rules_coupon;
    let db_rules = db.clone();
    let rules = run_clients(setup.customers, clients, move |(_, external_id)| {
        let db = db_rules.clone();
        async move {
            store::claims::claim(
                &db,
                &ClaimRequest {
                    shop_id,
                    customer: external_id,
                    target: ClaimTarget::Coupon(rules_coupon),
                    channel: Channel::LiveRoom,
                    source: ClaimSource::Claim,
                    now,
                },
            )
            .await?;
            Ok(())
        }
    })
    .await?;
    Ok((rules, baseline))
}
