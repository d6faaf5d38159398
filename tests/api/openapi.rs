//! The OpenAPI document lists every route of SPEC §7.

use actix_web::test;

use crate::support::{api, databases};

const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/coupons"),
    ("post", "/api/v1/coupons"),
    ("get", "/api/v1/coupons/{id}"),
    ("patch", "/api/v1/coupons/{id}"),
    ("post", "/api/v1/coupons/{id}/activate"),
    ("post", "/api/v1/coupons/{id}/pause"),
    ("post", "/api/v1/coupons/{id}/resume"),
    ("post", "/api/v1/coupons/{id}/end"),
    ("get", "/api/v1/coupons/{id}/metrics"),
    ("put", "/api/v1/products/{sku}"),
    ("get", "/api/v1/products"),
    ("put", "/api/v1/customers/{external_id}"),
    ("put", "/api/v1/customers/{external_id}/follow"),
    ("delete", "/api/v1/customers/{external_id}/follow"),
    ("get", "/api/v1/customers/{external_id}/coupons"),
    ("post", "/api/v1/claims"),
    ("post", "/api/v1/quotes"),
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/orders/{external_id}/events"),
    ("get", "/api/v1/shop/notifications"),
    ("put", "/api/v1/shop/notifications"),
    ("post", "/api/v1/shop/notifications/rotate-secret"),
];

#[tokio::test]
async fn every_route_is_in_the_document() {
    let database = databases().await.remove(0);
    let app = api::app(&database).await;
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/openapi.json")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = test::read_body_json(response).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is missing"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "no route is documented that the SPEC does not name"
    );
    assert!(document["components"]["securitySchemes"]["api_key"].is_object());
}
