//! merchant-ops on the web: the admin UI and the JSON API. Handlers are thin: they turn input into `domain`
//! values, call `store`, and render the answer.

pub mod admin;
pub mod api;
pub mod app;
pub mod config;
pub mod state;
pub mod telemetry;

pub use app::{Application, Spawned, build_app, metrics_server, spawn_app};
pub use state::AppState;

/// Outgoing TLS (webhooks) uses rustls with ring; call before making HTTP clients.
/// Installing again is harmless.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use config::Config;
