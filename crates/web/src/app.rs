//! The application factory: one place that wires routes and state, used by the
//! binary and by the tests alike.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;

use crate::config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
}

/// Registers every route; `App::new().configure(|c| routes(c, state))`.
pub fn routes(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.app_data(web::Data::new(state))
        .route("/healthz", web::get().to(healthz));
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match store::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(error) => {
            tracing::warn!(%error, "health check: database does not answer");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

/// A running server and the port it listens on (0 in the config picks a free one).
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(config: &Config, db: DatabaseConnection) -> std::io::Result<Application> {
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = AppState { db };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(tracing_actix())
                .configure(|cfg| routes(cfg, state.clone()))
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Request logging in the access-log format operators expect.
fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms")
}
