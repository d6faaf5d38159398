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
