//! `merchant-ops bench …`: measurements the issues ask for, run against a real
//! database. Each writes a shop of its own; point it at a scratch database.

use std::time::{Duration, Instant};

use chrono::Utc;
use domain::Channel;
use store::DatabaseConnection;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};

/// The `p` quantile (0.5, 0.95…) of some latencies, nearest rank.
pub fn percentile(latencies: &[Duration], p: f64) -> Duration {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

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
        percentile(&self.latencies, p)
    }

    pub fn line(&self, label: &str) -> String {
        let latency = if self.latencies.is_empty() {
            String::new()
        } else {
            format!(
                "  (p50 {:.1} ms, p99 {:.1} ms)",
                self.percentile(0.5).as_secs_f64() * 1000.0,
                self.percentile(0.99).as_secs_f64() * 1000.0,
            )
        };
        format!(
            "{label:<40} {:>6} claims in {:>7.2} s = {:>8.0} claims/s{latency}",
            self.claims,
            self.elapsed.as_secs_f64(),
            self.per_second(),
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

/// Claims per second through `store::claims::claim` (every rule, the batching
/// writer, `clients` concurrent claimers) and through the bare claim transaction
/// on the driver (see `store::bench::bare_claims`), each on its own coupon of a
/// fresh shop: `(store, bare)`.
pub async fn claims(
    db: &DatabaseConnection,
    url: &str,
    clients: usize,
    claims: u32,
) -> anyhow::Result<(RunStats, RunStats)> {
    let now = Utc::now();
    let setup = store::bench::prepare_claims_bench(db, claims, now).await?;
    let bare_elapsed = store::bench::bare_claims(
        url,
        setup.shop_id,
        setup.bare_coupon,
        &setup.customers,
        clients,
        now,
    )
    .await?;
    let bare = RunStats {
        claims: setup.customers.len(),
        elapsed: bare_elapsed,
        latencies: Vec::new(),
    };
    let rules = store_run(db, &setup, clients, now).await?;
    Ok((rules, bare))
}

async fn store_run(
    db: &DatabaseConnection,
    setup: &store::bench::ClaimsBench,
    clients: usize,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<RunStats> {
    let shop_id = setup.shop_id;
    let rules_coupon = setup.rules_coupon;
    let db_rules = db.clone();
    run_clients(setup.customers.clone(), clients, move |(_, external_id)| {
        let db = db_rules.clone();
        async move {
            store::claims::claim(
                &db,
                &ClaimRequest {
                    device: None,
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
    .await
}

/// Claims per second through the real HTTP server on loopback (`POST
/// /api/v1/claims` with an API key, JSON in and out), next to the store-level
/// figure measured in the same run: `(http, store)`.
pub async fn http_claims(
    db: &DatabaseConnection,
    clients: usize,
    claims: u32,
) -> anyhow::Result<(RunStats, RunStats)> {
    let now = Utc::now();
    let setup = store::bench::prepare_claims_bench(db, claims, now).await?;
    let (_, key) = store::api_keys::create_api_key(db, setup.shop_id, "bench", now).await?;
    let app = web::spawn_app(web::AppState::new(db.clone())).await?;
    let url = format!("{}/api/v1/claims", app.base);
    let handle = app.handle;

    let store = store_run(db, &setup, clients, now).await?;
    web::install_crypto();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let coupon_id = setup.http_coupon;
    let http = run_clients(setup.customers.clone(), clients, move |(_, external_id)| {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        async move {
            let response = client
                .post(&url)
                .bearer_auth(&key)
                .json(&serde_json::json!({
                    "customer": external_id, "coupon_id": coupon_id, "channel": "live_room"
                }))
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == reqwest::StatusCode::CREATED,
                "claim answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
            Ok(())
        }
    })
    .await;
    handle.stop(true).await;
    Ok((http?, store))
}

/// Peak resident memory (kB) since the last [`reset_peak_memory`]; Linux only.
pub fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts measuring peak memory afresh (writes 5 to /proc/self/clear_refs).
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One timed pass and the peak memory it reached.
#[derive(Debug, Clone)]
pub struct PassStats {
    pub report: scheduler::PassReport,
    pub elapsed: Duration,
    pub peak_kb: Option<u64>,
}

impl PassStats {
    pub fn line(&self) -> String {
        format!(
            "{:<18} {:>8} rows in {:>6.2} s, {} batches, peak memory {}",
            self.report.job,
            self.report.created,
            self.elapsed.as_secs_f64(),
            self.report.batches,
            self.peak_kb
                .map(|kb| format!("{:.1} MiB", kb as f64 / 1024.0))
                .unwrap_or_else(|| "unknown".into())
        )
    }
}

async fn timed_pass(
    ctx: &scheduler::Context,
    job: scheduler::JobName,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<PassStats> {
    reset_peak_memory();
    let started = Instant::now();
    let report = scheduler::run_pass(ctx, job, now).await?;
    Ok(PassStats {
        report,
        elapsed: started.elapsed(),
        peak_kb: peak_memory_kb(),
    })
}

/// Builds `claims` claims (one in ten due for a reminder, one in ten expired)
/// and times one reminder pass and one expiry pass.
pub async fn reminders(
    db: &DatabaseConnection,
    claims: u64,
    batch_size: u64,
) -> anyhow::Result<(Duration, PassStats, PassStats)> {
    let now = Utc::now();
    let started = Instant::now();
    let customers = (claims / 10).clamp(1, 100_000);
    store::bench::prepare_reminders_bench(db, claims, customers, now).await?;
    let built = started.elapsed();
    let settings = scheduler::JobSettings {
        batch_size,
        ..scheduler::JobSettings::default()
    };
    let (ctx, _stop) = scheduler::Context::new(db.clone(), settings);
    let reminders = timed_pass(&ctx, scheduler::JobName::ExpiryReminders, now).await?;
    let expiry = timed_pass(&ctx, scheduler::JobName::ExpireClaims, now).await?;
    Ok((built, reminders, expiry))
}

/// One admin page's response times over `requests` sequential GETs.
pub struct PageTimes {
    pub label: String,
    pub path: String,
    pub bytes: usize,
    pub latencies: Vec<Duration>,
}

impl PageTimes {
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    pub fn line(&self) -> String {
        format!(
            "{:<28} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms  ({} KiB)  {}",
            self.label,
            self.percentile(0.5).as_secs_f64() * 1000.0,
            self.percentile(0.95).as_secs_f64() * 1000.0,
            self.latencies
                .iter()
                .max()
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0,
            self.bytes / 1024,
            self.path,
        )
    }
}

/// Builds the admin benchmark's shop and times every admin page over HTTP on
/// loopback, signed in as its owner: `(seconds to build, times per page)`.
pub async fn admin(
    db: &DatabaseConnection,
    scale: store::bench_admin::AdminScale,
    requests: usize,
) -> anyhow::Result<(Duration, Vec<PageTimes>)> {
    let now = Utc::now();
    let started = Instant::now();
    let setup = store::bench_admin::prepare_admin_bench(db, scale, now).await?;
    let built = started.elapsed();
    let (_, session) = store::staff::sign_in(
        db,
        &setup.owner_email,
        &setup.owner_password,
        "127.0.0.1",
        now,
    )
    .await?
    .map_err(|e| anyhow::anyhow!("the benchmark owner cannot sign in: {e:?}"))?;

    // The same figures without HTTP or templates: the roll-up reads alone, one
    // after another on the pool, as the two pages make them (before the server
    // starts: the connections its workers open belong to their runtimes).
    let shop_row = store::shops::shop_by_slug(db, &setup.shop_slug).await?;
    let bare = |label: &str, path: &str| PageTimes {
        label: label.to_owned(),
        path: path.to_owned(),
        bytes: 0,
        latencies: Vec::with_capacity(requests),
    };
    let mut dashboard_sql = bare("SQL alone: dashboard", "store::stats::shop_overview");
    let mut coupon_sql = bare(
        "SQL alone: coupon page",
        "store::metrics::coupon_tally + stats::coupon_days",
    );
    for i in 0..requests + 2 {
        let started = Instant::now();
        store::stats::shop_overview(db, shop_row.id, shop_row.time_zone, Utc::now(), 30).await?;
        let dashboard = started.elapsed();
        let started = Instant::now();
        store::metrics::coupon_tally(db, setup.busy_coupon, None).await?;
        store::stats::coupon_days(db, setup.busy_coupon, shop_row.time_zone, Utc::now(), 30)
            .await?;
        let coupon = started.elapsed();
        if i >= 2 {
            dashboard_sql.latencies.push(dashboard);
            coupon_sql.latencies.push(coupon);
        }
    }
    let app = web::spawn_app(web::AppState::new(db.clone())).await?;
    let (base, handle) = (app.base, app.handle);
    web::install_crypto();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = format!("mo_session={}", session.token);

    let shop = format!("/shops/{}", setup.shop_slug);
    // The second page of each list starts below an id from the middle.
    let pages: Vec<(&str, String)> = vec![
        ("dashboard", format!("{shop}/dashboard")),
        ("coupons", format!("{shop}/coupons")),
        ("coupons: active", format!("{shop}/coupons?status=active")),
        (
            "coupons: name search",
            format!("{shop}/coupons?q=%E7%AC%AC4242%E6%9C%9F"),
        ),
        (
            "coupons: kind + page",
            format!(
                "{shop}/coupons?kind=shop&before={}",
                setup.busy_coupon + 50_000
            ),
        ),
        (
            "coupon page",
            format!("{shop}/coupons/{}", setup.busy_coupon),
        ),
        ("customers", format!("{shop}/customers")),
        ("customers: search", format!("{shop}/customers?q=cust-4242")),
        (
            "customer page",
            format!("{shop}/customers/{}", setup.busy_customer),
        ),
        ("orders", format!("{shop}/orders")),
        (
            "orders: paid + page",
            format!("{shop}/orders?status=paid&before={}", setup.some_order),
        ),
        ("order page", format!("{shop}/orders/{}", setup.some_order)),
        ("notifications", format!("{shop}/notifications")),
        (
            "notifications: failed",
            format!("{shop}/notifications?status=failed"),
        ),
        ("products", format!("{shop}/products")),
        ("audit log", format!("{shop}/audit")),
        ("audit log: coupons", format!("{shop}/audit?entity=coupon")),
        ("staff and keys", format!("{shop}/team")),
        // The floor: a signed-in page that reads nothing (session, template, HTTP).
        ("floor: estimate form", format!("{shop}/estimate")),
    ];
    let mut results = Vec::with_capacity(pages.len());
    for (label, path) in pages {
        let url = format!("{base}{path}");
        let mut latencies = Vec::with_capacity(requests);
        let mut bytes = 0;
        // Two warm-up requests (connection, page cache), then the measured ones.
        for i in 0..requests + 2 {
            let started = Instant::now();
            let response = client.get(&url).header("Cookie", &cookie).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let elapsed = started.elapsed();
            anyhow::ensure!(
                status == reqwest::StatusCode::OK,
                "{path} answered {status}"
            );
            bytes = body.len();
            if i >= 2 {
                latencies.push(elapsed);
            }
        }
        results.push(PageTimes {
            label: label.to_owned(),
            path,
            bytes,
            latencies,
        });
    }
    handle.stop(true).await;

    results.push(dashboard_sql);
    results.push(coupon_sql);
    Ok((built, results))
}

/// What `bench long-writes` measured: claims alone, then claims while a
/// 100,000-code batch and a 300,000-line product import are written.
pub struct LongWrites {
    pub quiet: RunStats,
    pub beside: RunStats,
    /// How long the batch and the import took beside the claims.
    pub writes: Duration,
}

/// Claim latency on a quiet database next to claim latency beside the two long
/// writes SPEC §11 names (they commit in chunks, so claims interleave).
pub async fn long_writes(
    db: &DatabaseConnection,
    clients: usize,
    claims: u32,
) -> anyhow::Result<LongWrites> {
    let now = Utc::now();
    let quiet_setup = store::bench::prepare_claims_bench(db, claims, now).await?;
    let quiet = store_run(db, &quiet_setup, clients, now).await?;
    // A second shop (its slug is the time's microseconds).
    let busy_setup =
        store::bench::prepare_claims_bench(db, claims, now + chrono::Duration::microseconds(1))
            .await?;
    let writer = {
        let db = db.clone();
        let shop_id = busy_setup.shop_id;
        tokio::spawn(async move {
            let started = Instant::now();
            let design =
                store::bench::bench_private_coupon("codes", domain::coupon::MAX_UNIQUE_CODES, now);
            store::coupons::create_coupon(&db, shop_id, &design, domain::CouponStatus::Draft, now)
                .await?;
            let rows: Vec<(domain::Sku, String, domain::Money)> = (0..300_000)
                .map(|i| {
                    (
                        domain::Sku::parse(&format!("IMPORT-{i:06}")).expect("a SKU"),
                        format!("导入商品 {i}"),
                        domain::Money::yuan(99),
                    )
                })
                .collect();
            store::products::import(&db, shop_id, &rows, now).await?;
            anyhow::Ok(started.elapsed())
        })
    };
    // Let the long writes start first.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let beside = store_run(db, &busy_setup, clients, now).await?;
    let writes = writer.await??;
    Ok(LongWrites {
        quiet,
        beside,
        writes,
    })
}
