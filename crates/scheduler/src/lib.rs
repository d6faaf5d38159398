//! merchant-ops' scheduled jobs (SPEC §5). Each job is an idempotent pass over
//! database state ([`jobs::run_pass`]); the cron runner ([`runner`]) only calls
//! passes, never two of one job at once, and logs failures without stopping.

pub mod delivery;
pub mod jobs;
pub mod runner;

use std::time::Duration as StdDuration;

use chrono::Duration;
use store::DatabaseConnection;
use tokio::sync::watch;

pub use jobs::{JobName, PassReport, run_pass};
pub use runner::{RunningScheduler, Schedules, start};

/// How passes work.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Rows per batch: what a pass holds in memory at once.
    pub batch_size: u64,
    /// Attempts before a notification is `failed`.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub backoff_base: Duration,
    /// How long a sender holds a notification before others may take it.
    pub lease: Duration,
    pub webhook_timeout: StdDuration,
    /// What webhook targets may be; checked again at every send.
    pub webhooks: domain::shop::WebhookPolicy,
    /// Stop a pass after this many batches (the rest waits for the next pass).
    pub max_batches_per_pass: Option<u32>,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            batch_size: 1000,
            max_attempts: 5,
            backoff_base: Duration::seconds(30),
            lease: Duration::seconds(60),
            webhook_timeout: StdDuration::from_secs(10),
            webhooks: domain::shop::WebhookPolicy::default(),
            max_batches_per_pass: None,
        }
    }
}

/// The clock of one pass: the pass's `now` at its start, advancing with real time,
/// so that what is decided item by item in a long pass (a lease, a backoff, a
/// signature's timestamp, quiet hours) is taken at that item, not at the start.
/// `jobs run --now T` still runs "as of T".
#[derive(Debug, Clone, Copy)]
pub struct PassClock {
    start: chrono::DateTime<chrono::Utc>,
    started: std::time::Instant,
}

impl PassClock {
    pub fn starting_at(start: chrono::DateTime<chrono::Utc>) -> PassClock {
        PassClock {
            start,
            started: std::time::Instant::now(),
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.start + Duration::from_std(self.started.elapsed()).unwrap_or(Duration::zero())
    }
}

/// What every pass can reach.
#[derive(Clone)]
pub struct Context {
    pub db: DatabaseConnection,
    pub settings: JobSettings,
    pub http: reqwest::Client,
    stop: watch::Receiver<bool>,
}

impl Context {
    /// A context and the switch that asks its passes to stop after their batch.
    pub fn new(db: DatabaseConnection, settings: JobSettings) -> (Context, watch::Sender<bool>) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(settings.webhook_timeout)
            .connect_timeout(settings.webhook_timeout)
            .user_agent("merchant-ops")
            // A redirect could lead anywhere, the operator's own network included.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(delivery::GuardedResolver(
                settings.webhooks,
            )))
            .build()
            .expect("the HTTP client builds");
        let (stop_tx, stop) = watch::channel(false);
        (
            Context {
                db,
                settings,
                http,
                stop,
            },
            stop_tx,
        )
    }

    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}
