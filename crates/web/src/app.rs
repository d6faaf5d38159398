//! The application factory: one place that wires routes and state, used by the
//! binary and by the tests alike.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, SubsecRound, Utc};
use store::DatabaseConnection;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api;
use crate::config::Config;

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

/// The whole application: API, health check, OpenAPI document.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut openapi) = App::new()
        .into_utoipa_app()
        .openapi(api::ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .service(api::scope())
        .split_for_parts();
    api::finish_document(&mut openapi);
    let document = web::Data::new(openapi);
    app.app_data(document)
        .route("/healthz", web::get().to(healthz))
        .configure(crate::admin::routes)
        .default_service(web::to(api::not_found))
        .wrap(actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms"))
}

/// 200 when the database answers and takes a write, 503 otherwise (a full disk,
/// a read-only file, a server out of reach): what a load balancer should watch.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let checked = async {
        store::ping(&state.db).await?;
        store::db::probe_write(&state.db, state.now()).await
    };
    match checked.await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(error) => {
            tracing::warn!(%error, "health check: the database cannot take writes");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

/// A running server and the port it listens on (0 in the config picks a free one).
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(config: &Config, state: AppState) -> std::io::Result<Application> {
        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let state = AppState {
            secure_cookies: config.secure_cookies,
            webhooks: config.webhooks,
            ..state
        };
        let server = HttpServer::new(move || build_app(state.clone()))
            .listen(listener)?
            .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn server(self) -> Server {
        self.server
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
