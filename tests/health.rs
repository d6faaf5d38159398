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

/// Every line the access log writes, kept for the test that reads them.
struct Captured(std::sync::Mutex<Vec<String>>);

impl log::Log for Captured {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

static CAPTURED: Captured = Captured(std::sync::Mutex::new(Vec::new()));

#[tokio::test]
async fn the_access_log_names_routes_not_customers_or_phone_numbers() {
    if log::set_logger(&CAPTURED).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
    let database = databases().await.remove(0);
    let app = test::init_service(web::build_app(web::AppState::new(database.db.clone()))).await;
    for uri in [
        "/shops/demo/customers?q=13700001357",
        "/api/v1/customers/buyer-13900002468/coupons?channel=live_room",
    ] {
        test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
    }
    let lines = CAPTURED.0.lock().unwrap().clone();
    let access: Vec<&String> = lines.iter().filter(|l| l.contains("\"GET ")).collect();
    assert!(
        access
            .iter()
            .any(|l| l.contains("GET /api/v1/customers/{external_id}/coupons")),
        "{lines:?}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("GET /shops/{slug}/customers"))
    );
    for line in &lines {
        assert!(
            !line.contains("13700001357") && !line.contains("13900002468"),
            "{line}"
        );
    }
}
