//! Runs the passes on cron schedules (UTC). tokio-cron-scheduler does not stop a
//! job from overlapping its previous run, so each job has a guard: a tick that
//! finds the previous pass still running is skipped. Shutting down asks running
//! passes to stop after their current batch and waits for them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;
use tracing::Instrument;

use chrono::Utc;
use tokio::sync::{Mutex, watch};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::{Context, JobName, run_pass};

/// Cron expressions (with seconds, in UTC) for each job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedules {
    pub expire_claims: String,
    pub expiry_reminders: String,
    pub repurchase_grants: String,
    pub deliver_notifications: String,
    pub check_alerts: String,
}

impl Default for Schedules {
    /// SPEC §5: every 5 minutes, and every minute for delivery and alerts.
    fn default() -> Self {
        Schedules {
            expire_claims: "0 */5 * * * *".into(),
            expiry_reminders: "0 */5 * * * *".into(),
            repurchase_grants: "0 */5 * * * *".into(),
            deliver_notifications: "0 * * * * *".into(),
            check_alerts: "30 * * * * *".into(),
        }
    }
}

impl Schedules {
    pub fn of(&self, job: JobName) -> &str {
        match job {
            JobName::ExpireClaims => &self.expire_claims,
            JobName::ExpiryReminders => &self.expiry_reminders,
            JobName::RepurchaseGrants => &self.repurchase_grants,
            JobName::DeliverNotifications => &self.deliver_notifications,
            JobName::CheckAlerts => &self.check_alerts,
        }
    }

    /// Every expression parses, or the error names the job.
    pub fn check(&self) -> Result<(), String> {
        for job in JobName::ALL {
            Job::new_async(self.of(job), |_, _| Box::pin(async {}))
                .map_err(|e| format!("schedule of {job} ({:?}): {e}", self.of(job)))?;
        }
        Ok(())
    }
}

pub struct RunningScheduler {
    scheduler: JobScheduler,
    guards: HashMap<JobName, Arc<Mutex<()>>>,
    stop: watch::Sender<bool>,
}

/// A pass's id for the logs: this process and a sequence number.
fn pass_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "pass-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts every job on its schedule.
pub async fn start(
    ctx: Context,
    stop: watch::Sender<bool>,
    schedules: &Schedules,
) -> Result<RunningScheduler, String> {
    schedules.check()?;
    let scheduler = JobScheduler::new().await.map_err(|e| e.to_string())?;
    let mut guards = HashMap::new();
    for job in JobName::ALL {
        let guard = Arc::new(Mutex::new(()));
        guards.insert(job, guard.clone());
        let ctx = ctx.clone();
        let cron = Job::new_async(schedules.of(job), move |_, _| {
            let (ctx, guard) = (ctx.clone(), guard.clone());
            Box::pin(async move {
                let Ok(_running) = guard.try_lock() else {
                    tracing::warn!(%job, "previous pass still running; this tick is skipped");
                    return;
                };
                if ctx.stopping() {
                    return;
                }
                // Every line the pass writes carries its id, as a request's do.
                let span = tracing::info_span!("pass", id = %pass_id(), %job);
                let ran = run_pass(&ctx, job, Utc::now())
                    .instrument(span.clone())
                    .await;
                let _entered = span.enter();
                match ran {
                    Ok(report) if report.created > 0 || report.refused > 0 => {
                        tracing::info!(?report, "pass done")
                    }
                    Ok(_) => tracing::debug!("pass done, nothing to do"),
                    Err(error) => tracing::error!(%error, "pass failed"),
                }
            })
        })
        .map_err(|e| e.to_string())?;
        scheduler.add(cron).await.map_err(|e| e.to_string())?;
    }
    scheduler.start().await.map_err(|e| e.to_string())?;
    tracing::info!(?schedules, "scheduler started");
    Ok(RunningScheduler {
        scheduler,
        guards,
        stop,
    })
}

impl RunningScheduler {
    /// Stops ticking, asks running passes to stop after their current batch,
    /// and waits until they have.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.scheduler.shutdown().await {
            tracing::warn!(%error, "scheduler shutdown");
        }
        for (job, guard) in &self.guards {
            let _finished = guard.lock().await;
            tracing::debug!(%job, "stopped");
        }
        tracing::info!("scheduler stopped");
    }
}
