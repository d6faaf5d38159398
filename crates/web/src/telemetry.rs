//! What an operator watches (SPEC §9): `GET /metrics` in Prometheus text, kept
//! by the `metrics` facade and rendered by `metrics-exporter-prometheus`.
//!
//! Every series, with its labels:
//!
//! | series | kind | labels | what |
//! |---|---|---|---|
//! | `merchant_ops_http_requests_total` | counter | `method`, `route`, `status` | requests answered, by route pattern (never a path's ids) |
//! | `merchant_ops_http_request_duration_seconds` | histogram | `method`, `route` | time to answer |
//! | `merchant_ops_claims_total` | counter | `result` (`claimed`, `refused`, `no_coupon`), `reason` (§3 code, or empty) | storefront claims decided |
//! | `merchant_ops_grants_total` | counter | `source` (`follow`, `customer_service`, `repurchase`, `follower_waiting`) | coupons granted rather than claimed |
//! | `merchant_ops_job_passes_total` | counter | `job`, `outcome` (`ok`, `error`) | scheduler passes run |
//! | `merchant_ops_job_pass_duration_seconds` | histogram | `job` | how long a pass took |
//! | `merchant_ops_job_rows_total` | counter | `job` | rows a pass created or changed |
//! | `merchant_ops_notifications_total` | counter | `outcome` (`sent`, `retried`, `failed`, `dropped`, `deferred`) | delivery attempts |
//! | `merchant_ops_outbox_waiting` | gauge | — | notifications queued or being sent (counted up to 100,000) |
//! | `merchant_ops_outbox_oldest_due_seconds` | gauge | — | how long the longest-waiting one has been due (0 when none) |
//! | `merchant_ops_db_connections` | gauge | `state` (`in_use`, `idle`) | this process's pool |
//! | `merchant_ops_build_info` | gauge | `version` | 1 |
//!
//! Counters and histograms are per process (sum them across instances); the
//! outbox gauges read the shared database through one index, two small queries
//! per scrape, whatever the table's size.
//!
//! Logs: every request runs in a `request` span carrying its id — the
//! `X-Request-Id` a trusted proxy sent, else one made here — so every line the
//! request causes carries it (with `MERCHANT_OPS_LOG_FORMAT=json`, as the
//! span's `id` field); the response echoes it. The access line names the route
//! pattern, never the path: paths carry customers' ids and queries their phone
//! numbers (SPEC §11).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing::Instrument;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Counted up to this many, the outbox's backlog; more reads as this.
const BACKLOG_CAP: u64 = 100_000;

/// The process's recorder, installed on first use (the server's start).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0,
                ],
            )
            .expect("buckets are given")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder (a test harness's) may already be installed: then
        // this one only renders what it was given.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        metrics::gauge!("merchant_ops_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// The `# HELP` lines: the table above, for whoever reads the scrape.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "merchant_ops_http_requests_total",
        "Requests answered, by route pattern and status"
    );
    describe_histogram!(
        "merchant_ops_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request"
    );
    describe_counter!(
        "merchant_ops_claims_total",
        "Storefront claims decided, by result and refusal reason"
    );
    describe_counter!(
        "merchant_ops_grants_total",
        "Coupons granted rather than claimed, by source"
    );
    describe_counter!(
        "merchant_ops_job_passes_total",
        "Scheduler passes run, by job and outcome"
    );
    describe_histogram!(
        "merchant_ops_job_pass_duration_seconds",
        Unit::Seconds,
        "How long a scheduler pass took"
    );
    describe_counter!(
        "merchant_ops_job_rows_total",
        "Rows scheduler passes created or changed"
    );
    describe_counter!(
        "merchant_ops_notifications_total",
        "Delivery attempts, by outcome"
    );
    describe_gauge!(
        "merchant_ops_outbox_waiting",
        "Notifications queued or being sent (counted up to 100,000)"
    );
    describe_gauge!(
        "merchant_ops_outbox_oldest_due_seconds",
        Unit::Seconds,
        "How long the longest-waiting notification has been due"
    );
    describe_gauge!(
        "merchant_ops_db_connections",
        "This process's database pool, by state"
    );
    describe_gauge!("merchant_ops_build_info", "The running version");
}

/// The request's id: a trusted proxy's `X-Request-Id` when it is a plain token
/// of at most 64 characters, else this process's prefix and a sequence number.
fn request_id(req: &ServiceRequest, state: Option<&AppState>) -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let from_proxy = state
        .zip(req.peer_addr())
        .filter(|(state, peer)| state.trusted_proxies.contains(&peer.ip()))
        .and_then(|_| req.headers().get("x-request-id"))
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    match from_proxy {
        Some(id) => id.to_owned(),
        None => {
            let prefix = PREFIX.get_or_init(|| format!("{:08x}", rand::random::<u32>()));
            format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
        }
    }
}

/// Every request: its id and span, the access line, the metrics by route
/// pattern, and `X-Request-Id` on the answer.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let id = request_id(&req, state.as_ref().map(|s| s.get_ref()));
    let client = match (&state, req.peer_addr()) {
        (Some(state), Some(_)) => state.client_address(req.request()),
        _ => "unknown".to_owned(),
    };
    // A label from a known set: a client inventing methods must not invent series.
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.call(req).instrument(span.clone()).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(no route)".into());
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            %client,
            %method,
            %route,
            status = response.status().as_u16(),
            ms = elapsed.as_secs_f64() * 1000.0,
            "{method} {route} {}",
            response.status().as_u16()
        );
    });
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    let status = response.status().as_u16().to_string();
    metrics::counter!("merchant_ops_http_requests_total",
        "method" => method, "route" => route.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("merchant_ops_http_request_duration_seconds",
        "method" => method, "route" => route)
    .record(elapsed.as_secs_f64());
    Ok(response)
}

/// A storefront claim's outcome.
pub fn claim_decided(result: &'static str, reason: &'static str) {
    metrics::counter!("merchant_ops_claims_total", "result" => result, "reason" => reason)
        .increment(1);
}

/// Coupons granted by a follow or by staff.
pub fn granted(source: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!("merchant_ops_grants_total", "source" => source).increment(n);
    }
}

/// `GET /metrics`: what this process counted, and the shared outbox and this
/// process's pool as they are now.
pub async fn metrics_page(state: web::Data<AppState>) -> HttpResponse {
    let handle = recorder();
    let (size, idle) = store::db::pool_status(&state.db);
    metrics::gauge!("merchant_ops_db_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("merchant_ops_db_connections", "state" => "idle").set(f64::from(idle));
    match store::notifications::backlog(&state.db, BACKLOG_CAP).await {
        Ok((waiting, oldest)) => {
            metrics::gauge!("merchant_ops_outbox_waiting").set(waiting as f64);
            let overdue = oldest
                .map(|due| (state.now() - due).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0);
            metrics::gauge!("merchant_ops_outbox_oldest_due_seconds").set(overdue);
        }
        Err(error) => tracing::warn!(%error, "metrics: the outbox could not be read"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
