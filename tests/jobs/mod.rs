//! The scheduled jobs against real databases, with time driven by `now`.

mod delivery;
mod expiry;
mod reminders;
mod repurchase;

use chrono::{DateTime, Utc};
use domain::Channel;
use sea_orm::DatabaseConnection;
use store::claims::ClaimRecord;

pub fn context(db: &DatabaseConnection, settings: scheduler::JobSettings) -> scheduler::Context {
    scheduler::Context::new(db.clone(), settings).0
}

/// Webhooks to the tests' own receivers: plain http on loopback.
pub fn test_rig() -> domain::shop::WebhookPolicy {
    domain::shop::WebhookPolicy {
        allow_http: true,
        allow_private: true,
    }
}

pub fn small_batches(size: u64) -> scheduler::JobSettings {
    scheduler::JobSettings {
        batch_size: size,
        webhooks: test_rig(),
        ..Default::default()
    }
}

pub async fn claim_at(
    db: &DatabaseConnection,
    shop_id: i64,
    customer: &str,
    coupon_id: i64,
    at: DateTime<Utc>,
) -> ClaimRecord {
    crate::support::fixtures::claim(db, shop_id, coupon_id, customer, Channel::LiveRoom, at).await
}

/// Runs passes of `job` at once on separate pools; the sum of what they did.
pub async fn concurrent_passes(
    url: &str,
    job: scheduler::JobName,
    now: DateTime<Utc>,
    settings: scheduler::JobSettings,
) -> u64 {
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let db = store::connect(url, &store::PoolSettings { max_connections: 3 })
            .await
            .unwrap();
        let ctx = context(&db, settings.clone());
        tasks.push(tokio::spawn(async move {
            scheduler::run_pass(&ctx, job, now).await.unwrap().created
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}
