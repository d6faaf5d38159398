//! `GET /healthz` through the real application factory.

use actix_web::test;

use crate::support::databases;

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    for database in databases().await {
        let app = test::init_service(web::build_app(web::AppState::new(database.db.clone()))).await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(response.status(), 200, "{}", database.backend);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["status"], "ok");

        // The URL reaches the same database from another pool (as another process would).
        let other = store::connect(&database.url, &crate::support::db::pool())
            .await
            .unwrap();
        store::ping(&other).await.unwrap();
        other.close().await.unwrap();

        // With the pool closed, the database no longer answers: 503.
        database.db.clone().close().await.unwrap();
        let app = test::init_service(web::build_app(web::AppState::new(database.db.clone()))).await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(response.status(), 503, "{}", database.backend);
    }
}

/// The log lines the tests look for (JSON, one per line): those of requests
/// whose id starts `log-test-`, and any naming the customers those requests
/// were about — everything else the suite logs is let go.
#[derive(Clone, Copy)]
struct Captured;

static CAPTURED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        if ["log-test-", "13700001357", "13900002468"]
            .iter()
            .any(|needle| line.contains(needle))
        {
            CAPTURED.lock().unwrap().push(line.into_owned());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs as `MERCHANT_OPS_LOG_FORMAT=json` writes them, into [`CAPTURED`].
fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(|| Captured)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    });
}

/// SPEC §9 and §11: one JSON object per log line; the access line names the
/// route, never a customer's id or phone number; every line of a request
/// carries its id, a trusted proxy's or one made here, and the answer says it.
#[tokio::test]
async fn log_lines_carry_the_request_id_and_name_routes_not_customers() {
    capture_logs();
    let database = databases().await.remove(0);
    let proxy: std::net::SocketAddr = "10.0.0.7:40000".parse().unwrap();
    let state = web::AppState {
        trusted_proxies: std::sync::Arc::new([proxy.ip()]),
        ..web::AppState::new(database.db.clone())
    };
    let app = test::init_service(web::build_app(state)).await;
    for (n, uri) in [
        "/shops/demo/customers?q=13700001357",
        "/api/v1/customers/buyer-13900002468/coupons?channel=live_room",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("log-test-{n}");
        let response = test::call_service(
            &app,
            test::TestRequest::get()
                .uri(uri)
                .peer_addr(proxy)
                .insert_header(("X-Request-Id", id.as_str()))
                .insert_header(("X-Forwarded-For", "203.0.113.9"))
                .to_request(),
        )
        .await;
        assert_eq!(
            response.headers().get("x-request-id").unwrap(),
            id.as_str(),
            "echoed"
        );
    }
    // From anyone else the header is not believed: an id of our own.
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/healthz")
            .peer_addr("198.51.100.4:5000".parse().unwrap())
            .insert_header(("X-Request-Id", "log-test-forged"))
            .to_request(),
    )
    .await;
    let own = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(!own.is_empty() && own != "log-test-forged", "{own}");

    let lines = CAPTURED.lock().unwrap().clone();
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let access = |id: &str| {
        parsed
            .iter()
            .find(|l| l["span"]["id"] == id && l["target"] == "access")
            .unwrap_or_else(|| panic!("{id}: {lines:?}"))
            .clone()
    };
    let first = access("log-test-0");
    assert_eq!(first["fields"]["route"], "/shops/{slug}/customers");
    assert_eq!(
        first["fields"]["client"], "203.0.113.9",
        "the proxy's client"
    );
    assert_eq!(
        access("log-test-1")["fields"]["route"],
        "/api/v1/customers/{external_id}/coupons"
    );
    for line in &lines {
        assert!(
            !line.contains("13700001357") && !line.contains("13900002468"),
            "{line}"
        );
    }
}

/// The value of one series in a Prometheus text page (0 when absent).
fn series(page: &str, name_and_labels: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// SPEC §9: `/metrics` in Prometheus text — claims by result and reason move
/// as a drop goes on, with requests by route, job passes, the outbox and the
/// pool.
#[tokio::test]
async fn metrics_show_claims_moving_requests_jobs_outbox_and_pool() {
    let database = databases().await.remove(0);
    let shop = crate::support::api::shop_with_key(&database, "demo").await;
    let app = crate::support::api::app(&database).await;
    let key = shop.key.as_str();
    let coupon =
        crate::support::api::active_coupon(&app, key, serde_json::json!({"per_customer_limit": 1}))
            .await;
    let scrape = async || {
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
        assert_eq!(response.status(), 200);
        String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
    };
    let claimed = r#"merchant_ops_claims_total{result="claimed",reason=""}"#;
    let refused = r#"merchant_ops_claims_total{result="refused",reason="customer_limit"}"#;
    let before = scrape().await;
    for customer in ["scraped-1", "scraped-2", "scraped-3", "scraped-1"] {
        crate::support::api::post(
            "/api/v1/claims",
            key,
            &serde_json::json!({"customer": customer, "coupon_id": coupon, "channel": "live_room"}),
        )
        .send(&app)
        .await;
    }
    let (context, _stop) =
        scheduler::Context::new(database.db.clone(), scheduler::JobSettings::default());
    scheduler::run_pass(
        &context,
        scheduler::JobName::ExpireClaims,
        crate::support::now(),
    )
    .await
    .unwrap();
    let after = scrape().await;
    // Other tests share the process's counters: at least ours were added.
    assert!(
        series(&after, claimed) >= series(&before, claimed) + 3.0,
        "{after}"
    );
    assert!(
        series(&after, refused) >= series(&before, refused) + 1.0,
        "{after}"
    );
    for present in [
        r#"merchant_ops_http_requests_total{method="POST",route="/api/v1/claims",status="201"}"#,
        r#"merchant_ops_http_request_duration_seconds_count{method="POST",route="/api/v1/claims"}"#,
        r#"merchant_ops_job_passes_total{job="expire-claims",outcome="ok"}"#,
        r#"merchant_ops_job_pass_duration_seconds_count{job="expire-claims"}"#,
        r#"merchant_ops_db_connections{state="idle"}"#,
        "merchant_ops_outbox_waiting",
        "merchant_ops_outbox_oldest_due_seconds",
        "merchant_ops_build_info{version=",
    ] {
        assert!(after.contains(present), "{present}: {after}");
    }
    assert!(!after.contains("scraped-"), "no customer in a label");
    // Methods a client makes up do not make series of their own.
    let invented = actix_web::http::Method::from_bytes(b"BREWCOFFEE").unwrap();
    test::call_service(
        &app,
        test::TestRequest::default()
            .method(invented)
            .uri("/healthz")
            .to_request(),
    )
    .await;
    let later = scrape().await;
    assert!(!later.contains("BREWCOFFEE"), "{later}");
    assert!(later.contains(r#"method="other""#), "{later}");
}
