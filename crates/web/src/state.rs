//! What every handler can reach: the database, the clock and two settings. Its
//! own module, so that the handlers and the application factory that wires
//! them both depend on it and not on each other.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use store::DatabaseConnection;

/// The time, as the application sees it: the system clock, or a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Clock,
    /// Mark session cookies Secure (serve behind HTTPS).
    pub secure_cookies: bool,
    /// What the shops' webhook URLs may be.
    pub webhooks: domain::shop::WebhookPolicy,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> AppState {
        AppState {
            db,
            // Microseconds: what PostgreSQL keeps, so an answer matches a later read.
            clock: Arc::new(|| Utc::now().trunc_subsecs(6)),
            secure_cookies: false,
            webhooks: Default::default(),
        }
    }

    /// With time standing still at `at` (tests).
    pub fn at(db: DatabaseConnection, at: DateTime<Utc>) -> AppState {
        AppState {
            db,
            clock: Arc::new(move || at),
            secure_cookies: false,
            webhooks: Default::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}
