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
    /// Proxies whose forwarding headers name the client (none by default).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> AppState {
        AppState {
            db,
            // Microseconds: what PostgreSQL keeps, so an answer matches a later read.
            clock: Arc::new(|| Utc::now().trunc_subsecs(6)),
            secure_cookies: false,
            webhooks: Default::default(),
            trusted_proxies: Arc::new([]),
        }
    }

    /// With time standing still at `at` (tests).
    pub fn at(db: DatabaseConnection, at: DateTime<Utc>) -> AppState {
        AppState {
            db,
            clock: Arc::new(move || at),
            secure_cookies: false,
            webhooks: Default::default(),
            trusted_proxies: Arc::new([]),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Who sent the request (SPEC §11): the socket's peer, unless the peer is a
    /// trusted proxy — then the nearest address its forwarding headers name that
    /// is not a trusted proxy itself (the rightmost: the leftmost is whatever the
    /// client wrote).
    pub fn client_address(&self, req: &actix_web::HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return "unknown".into();
        };
        if !self.trusted_proxies.contains(&peer) {
            return peer.to_string();
        }
        let headers = req.headers();
        let mut hops: Vec<std::net::IpAddr> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let text = value.to_str().unwrap_or_default();
            hops.extend(
                text.split(',')
                    .filter_map(|hop| hop.trim().parse::<std::net::IpAddr>().ok()),
            );
        }
        for value in headers.get_all("forwarded") {
            let text = value.to_str().unwrap_or_default();
            hops.extend(text.split([',', ';']).filter_map(|part| {
                let (name, value) = part.trim().split_once('=')?;
                let value = value.trim_matches('"');
                let value = value
                    .strip_prefix('[')
                    .map_or(value, |v| v.split_once(']').map_or(v, |(ip, _)| ip));
                name.eq_ignore_ascii_case("for")
                    .then(|| value.parse::<std::net::IpAddr>().ok())
                    .flatten()
            }));
        }
        hops.iter()
            .rev()
            .find(|hop| !self.trusted_proxies.contains(hop))
            .unwrap_or(&peer)
            .to_string()
    }
}
