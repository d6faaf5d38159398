//! The four jobs of SPEC §5, each one idempotent pass over database state at a
//! given `now`, in bounded batches, stopping between batches when asked to.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Duration, Utc};
use domain::reminders::QuietHours;
use serde::Serialize;
use store::StoreError;
use store::grants::{self, GrantOutcome};
use store::notifications::{self, Delivery};
use store::{claims, reminders, shops};

use crate::Context;
use crate::delivery;

/// The jobs by the names the command line and the configuration use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobName {
    ExpireClaims,
    ExpiryReminders,
    RepurchaseGrants,
    DeliverNotifications,
    CheckAlerts,
}

impl JobName {
    pub const ALL: [JobName; 5] = [
        JobName::ExpireClaims,
        JobName::ExpiryReminders,
        JobName::RepurchaseGrants,
        JobName::DeliverNotifications,
        JobName::CheckAlerts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobName::ExpireClaims => "expire-claims",
            JobName::ExpiryReminders => "expiry-reminders",
            JobName::RepurchaseGrants => "repurchase-grants",
            JobName::DeliverNotifications => "deliver-notifications",
            JobName::CheckAlerts => "check-alerts",
        }
    }

    pub fn parse(text: &str) -> Option<JobName> {
        JobName::ALL.into_iter().find(|j| j.as_str() == text)
    }
}

impl std::fmt::Display for JobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one pass did; printed as JSON by `merchant-ops jobs run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub job: &'static str,
    /// Rows created or changed: claims expired, reminders queued, claims
    /// granted, notifications sent, retried, dropped or failed.
    pub created: u64,
    /// Repurchase grants the rules refused (recorded, not retried).
    pub refused: u64,
    pub sent: u64,
    pub retried: u64,
    pub dropped: u64,
    pub failed: u64,
    /// Customers' messages held back until the shop's quiet hours end.
    pub deferred: u64,
    pub batches: u32,
    /// Rows retired: what `expire-claims` forgets after 24 hours, the alerts
    /// `check-alerts` clears.
    pub purged: u64,
    /// The pass stopped before it was done (shutdown, or its batch budget).
    pub stopped_early: bool,
}

/// Runs one pass of `job` as of `now`.
pub async fn run_pass(
    ctx: &Context,
    job: JobName,
    now: DateTime<Utc>,
) -> Result<PassReport, StoreError> {
    let mut report = PassReport {
        job: job.as_str(),
        ..PassReport::default()
    };
    let started = std::time::Instant::now();
    let ran = match job {
        JobName::ExpireClaims => expire_claims(ctx, now, &mut report).await,
        JobName::ExpiryReminders => expiry_reminders(ctx, now, &mut report).await,
        JobName::RepurchaseGrants => repurchase_grants(ctx, now, &mut report).await,
        JobName::DeliverNotifications => deliver_notifications(ctx, now, &mut report).await,
        JobName::CheckAlerts => check_alerts(ctx, now, &mut report).await,
    };
    // What `/metrics` shows of the pass, failed or not (SPEC §9).
    let name = job.as_str();
    let outcome = if ran.is_ok() { "ok" } else { "error" };
    metrics::counter!("merchant_ops_job_passes_total", "job" => name, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("merchant_ops_job_pass_duration_seconds", "job" => name)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("merchant_ops_job_rows_total", "job" => name).increment(report.created);
    for (delivery, n) in [
        ("sent", report.sent),
        ("retried", report.retried),
        ("failed", report.failed),
        ("dropped", report.dropped),
        ("deferred", report.deferred),
    ] {
        if n > 0 {
            metrics::counter!("merchant_ops_notifications_total", "outcome" => delivery)
                .increment(n);
        }
    }
    ran?;
    Ok(report)
}

/// Counts a batch; false when the pass must stop before the next one.
fn next_batch(ctx: &Context, report: &mut PassReport) -> bool {
    if ctx.stopping()
        || ctx
            .settings
            .max_batches_per_pass
            .is_some_and(|max| report.batches >= max)
    {
        report.stopped_early = true;
        return false;
    }
    report.batches += 1;
    true
}

async fn expire_claims(
    ctx: &Context,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), StoreError> {
    while next_batch(ctx, report) {
        let expired = claims::expire_batch(&ctx.db, now, ctx.settings.batch_size).await?;
        report.created += expired;
        if expired < ctx.settings.batch_size {
            break;
        }
    }
    // Housekeeping of the same kind (SPEC §9 retention): API idempotency keys
    // and the live drop console's tallies are kept 24 hours; sign-in delays a
    // day after their last failure; sessions and invitations until they expire.
    report.purged = store::idempotency::purge(&ctx.db, now).await?
        + store::claims::purge_tallies(&ctx.db, now).await?
        + store::staff::purge_sessions(&ctx.db, now).await?
        + store::staff::purge_delays(&ctx.db, now).await?
        + store::staff::purge_invitations(&ctx.db, now).await?;
    // Code batches a stopped process left part-written are finished here.
    for coupon in store::codes::unfinished_coupons(&ctx.db, 10).await? {
        store::codes::fill_batches(&ctx.db, coupon).await?;
    }
    Ok(())
}

/// SPEC §8's alerts, shop by shop: `created` counts alerts raised (each
/// queues one staff notification), `purged` those cleared.
async fn check_alerts(
    ctx: &Context,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), StoreError> {
    for shop in shops::all_shops(&ctx.db).await? {
        if !next_batch(ctx, report) {
            return Ok(());
        }
        let checked = store::alerts::check(&ctx.db, &shop, now).await?;
        report.created += checked.raised;
        report.purged += checked.cleared;
    }
    Ok(())
}

async fn expiry_reminders(
    ctx: &Context,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), StoreError> {
    for shop in shops::all_shops(&ctx.db).await? {
        let quiet = QuietHours {
            start_minute: shop.quiet_start_minute,
            end_minute: shop.quiet_end_minute,
        };
        let channel = store::notifications::settings(&ctx.db, shop.id)
            .await?
            .channel
            .as_str()
            .to_owned();
        for window in domain::reminders::lead_windows(&shop.reminder_lead_hours, now) {
            let (lead, from, until) = (window.lead_hours, window.from, window.until);
            let mut after = None;
            loop {
                if !next_batch(ctx, report) {
                    return Ok(());
                }
                let due = reminders::due_reminders(
                    &ctx.db,
                    shop.id,
                    lead,
                    from,
                    until,
                    after,
                    ctx.settings.batch_size,
                )
                .await?;
                let Some(last) = due.last() else { break };
                after = Some((last.valid_until, last.claim_id));
                let full = due.len() as u64 == ctx.settings.batch_size;
                let timed: Vec<_> = due
                    .into_iter()
                    .map(|claim| {
                        let send_at = quiet.send_at(now, claim.valid_until, shop.time_zone);
                        (claim, send_at)
                    })
                    .collect();
                report.created +=
                    reminders::queue_reminders(&ctx.db, &shop, &channel, lead, &timed, now).await?;
                if !full {
                    break;
                }
            }
        }
    }
    Ok(())
}

async fn repurchase_grants(
    ctx: &Context,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), StoreError> {
    let mut shops = HashMap::new();
    for coupon in grants::active_repurchase_coupons(&ctx.db).await? {
        if let Entry::Vacant(slot) = shops.entry(coupon.shop_id) {
            slot.insert(store::shops::get_shop(&ctx.db, coupon.shop_id).await?);
        }
        let shop = &shops[&coupon.shop_id];
        let mut after = 0;
        loop {
            if !next_batch(ctx, report) {
                return Ok(());
            }
            let orders = grants::repurchase_candidates(
                &ctx.db,
                &coupon,
                now,
                after,
                ctx.settings.batch_size,
            )
            .await?;
            let Some(last) = orders.last() else { break };
            after = last.id;
            let full = orders.len() as u64 == ctx.settings.batch_size;
            for order in &orders {
                match grants::grant_repurchase(&ctx.db, shop, &coupon, order, now).await? {
                    GrantOutcome::Granted(_) => {
                        report.created += 1;
                        metrics::counter!("merchant_ops_grants_total", "source" => "repurchase")
                            .increment(1);
                    }
                    GrantOutcome::Refused(_) => report.refused += 1,
                    GrantOutcome::AlreadyDecided => {}
                }
            }
            if !full {
                break;
            }
        }
    }
    // Follower grants that waited for their coupon to start, to current followers.
    while next_batch(ctx, report) {
        let (granted, refused) =
            store::follows::grant_waiting(&ctx.db, now, ctx.settings.batch_size).await?;
        report.created += granted;
        report.refused += refused;
        metrics::counter!("merchant_ops_grants_total", "source" => "follower_waiting")
            .increment(granted);
        if granted + refused < ctx.settings.batch_size {
            break;
        }
    }
    Ok(())
}

/// Wait before attempt `n + 1` after `n` failed attempts: base × 2^(n−1), at most an hour.
pub fn backoff(base: Duration, failed_attempts: u32) -> Duration {
    let exponent = (failed_attempts.max(1) - 1).min(16);
    (base * 2i32.pow(exponent)).min(Duration::hours(1))
}

async fn deliver_notifications(
    ctx: &Context,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), StoreError> {
    let clock = crate::PassClock::starting_at(now);
    let mut settings = HashMap::new();
    let mut shops = HashMap::new();
    while next_batch(ctx, report) {
        let due =
            notifications::due_notifications(&ctx.db, clock.now(), ctx.settings.batch_size).await?;
        if due.is_empty() {
            break;
        }
        let full = due.len() as u64 == ctx.settings.batch_size;
        for notification in due {
            // Every item on its own clock: a long pass must not lease later items
            // already expired, back off into the past or sign a stale timestamp.
            let now = clock.now();
            if !notifications::lease(&ctx.db, &notification, now + ctx.settings.lease).await? {
                continue; // another sender has it
            }
            let attempts = notification.attempts + 1;
            let open_until = notifications::send_until(&ctx.db, &notification, now).await?;
            if let Entry::Vacant(slot) = shops.entry(notification.shop_id) {
                slot.insert(store::shops::get_shop(&ctx.db, notification.shop_id).await?);
            }
            let shop = &shops[&notification.shop_id];
            let quiet = QuietHours {
                start_minute: shop.quiet_start_minute,
                end_minute: shop.quiet_end_minute,
            };
            let outcome = match open_until {
                None => Delivery::Dropped,
                // A customer's message waits out the quiet hours, retries included,
                // unless the claim would expire first.
                Some(expires)
                    if notification.claim_id.is_some()
                        && quiet.send_at(now, expires, shop.time_zone) > now =>
                {
                    Delivery::Deferred {
                        at: quiet.send_at(now, expires, shop.time_zone),
                    }
                }
                Some(_) => {
                    if let Entry::Vacant(slot) = settings.entry(notification.shop_id) {
                        slot.insert(
                            store::notifications::settings(&ctx.db, notification.shop_id).await?,
                        );
                    }
                    let sent =
                        delivery::send(ctx, &settings[&notification.shop_id], &notification, now)
                            .await;
                    // The attempt ends when the answer comes: back off from then.
                    let now = clock.now();
                    match sent {
                        Ok(()) => Delivery::Sent { at: now },
                        Err(error) if attempts >= ctx.settings.max_attempts => {
                            Delivery::Failed { error }
                        }
                        Err(error) => Delivery::Retry {
                            at: now + backoff(ctx.settings.backoff_base, attempts),
                            error,
                        },
                    }
                }
            };
            match &outcome {
                Delivery::Sent { .. } => report.sent += 1,
                Delivery::Dropped => report.dropped += 1,
                Delivery::Retry { .. } => report.retried += 1,
                Delivery::Failed { .. } => report.failed += 1,
                Delivery::Deferred { .. } => report.deferred += 1,
            }
            if !matches!(outcome, Delivery::Deferred { .. }) {
                report.created += 1;
            }
            notifications::record_delivery(&ctx.db, notification.id, attempts, &outcome).await?;
        }
        if !full {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(base, 1), Duration::seconds(30));
        assert_eq!(backoff(base, 2), Duration::seconds(60));
        assert_eq!(backoff(base, 3), Duration::seconds(120));
        assert_eq!(backoff(base, 20), Duration::hours(1));
    }

    #[test]
    fn job_names_round_trip() {
        for job in JobName::ALL {
            assert_eq!(JobName::parse(job.as_str()), Some(job));
        }
        assert_eq!(JobName::parse("send-spam"), None);
    }
}
