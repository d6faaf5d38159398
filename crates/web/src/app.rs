//! The application factory: one place that wires routes and state, used by the
//! binary and by the tests alike.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api;
use crate::config::Config;
use crate::state::AppState;

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
    let secure = state.secure_cookies;
    crate::telemetry::recorder();
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
        .route("/metrics", web::get().to(crate::telemetry::metrics_page))
        .configure(crate::admin::routes)
        .default_service(web::to(api::not_found))
        .wrap(security_headers(secure))
        .wrap(actix_web::middleware::from_fn(crate::telemetry::observe))
}

/// What every response says about itself (SPEC §11): no inline script and no
/// framing (CSP), no content sniffing, no referrer to other sites, nothing kept
/// in caches (a page may show a new password or key) unless the response says
/// otherwise (the stylesheet); over HTTPS, HSTS.
fn security_headers(secure: bool) -> actix_web::middleware::DefaultHeaders {
    let headers = actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
             object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"));
    if secure {
        headers.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        headers
    }
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

/// A scheduler process's own `/metrics` and `/healthz`: it serves nothing else.
pub fn metrics_server(bind: std::net::SocketAddr, state: AppState) -> std::io::Result<Server> {
    crate::telemetry::recorder();
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/metrics", web::get().to(crate::telemetry::metrics_page))
            .route("/healthz", web::get().to(healthz))
    })
    .workers(1)
    .shutdown_timeout(5)
    .disable_signals()
    .bind(bind)?
    .run())
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
            trusted_proxies: config.trusted_proxies.clone().into(),
            ..state
        };
        // On SIGTERM or SIGINT: no new connections; requests under way get up
        // to 30 s to finish, then the workers stop.
        let server = HttpServer::new(move || build_app(state.clone()))
            .shutdown_timeout(30)
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

/// A server running on this runtime on a free loopback port, with the default
/// configuration: what the tests, the benchmarks and the browser test start.
pub struct Spawned {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    pub handle: actix_web::dev::ServerHandle,
}

pub async fn spawn_app(state: AppState) -> std::io::Result<Spawned> {
    let config = Config {
        bind: "127.0.0.1:0".parse().expect("a loopback address"),
        ..Config::load(None, |_| None).map_err(std::io::Error::other)?
    };
    let app = Application::build(&config, state).await?;
    let port = app.port();
    let server = app.server();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Spawned {
        base: format!("http://127.0.0.1:{port}"),
        port,
        handle,
    })
}
