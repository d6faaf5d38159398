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
    ("put", "/api/v1/customers/{external_id}/membership"),
    ("delete", "/api/v1/customers/{external_id}/membership"),
    ("post", "/api/v1/shares"),
    ("get", "/api/v1/shares/{code}"),
    ("post", "/api/v1/shares/{code}/join"),
    ("get", "/api/v1/customers/{external_id}/coupons"),
    ("post", "/api/v1/claims"),
    ("post", "/api/v1/quotes"),
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/orders/{external_id}/events"),
    ("get", "/api/v1/shop/notifications"),
    ("put", "/api/v1/shop/notifications"),
    ("post", "/api/v1/shop/notifications/rotate-secret"),
    // SPEC §8: a coupon's optional budget, and the alerts in force.
    ("put", "/api/v1/coupons/{id}/budget"),
    ("get", "/api/v1/alerts"),
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

/// The check every API test's answers go through can fail: an undeclared field,
/// a wrong type, a missing required field and an undeclared status are caught.
#[tokio::test]
async fn the_document_check_catches_what_the_document_does_not_say() {
    let database = databases().await.remove(0);
    let app = api::app(&database).await;
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/openapi.json")
            .to_request(),
    )
    .await;
    let document: serde_json::Value = test::read_body_json(response).await;
    let quote = &document["components"]["schemas"]["QuoteAnswer"];
    let good = serde_json::json!({"subtotal": "1.00", "merchant_discount": "0.00",
        "platform_discount": "0.00", "payable": "1.00",
        "lines": [{"sku": "A", "amount": "1.00", "discount": "0.00", "claim_id": null}],
        "claims_used": []});
    let check =
        |value: &serde_json::Value| crate::support::openapi::validate(&document, quote, value, "$");
    assert_eq!(check(&good), Ok(()));
    let mut extra = good.clone();
    extra["secret"] = serde_json::json!(1);
    assert!(check(&extra).is_err(), "an undeclared field");
    let mut wrong = good.clone();
    wrong["lines"][0]["claim_id"] = serde_json::json!("7");
    assert!(check(&wrong).is_err(), "a wrong type");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("payable");
    assert!(check(&missing).is_err(), "a missing field");
    let order = &document["components"]["schemas"]["OrderAnswer"];
    let mut placed = good.clone();
    placed["order_id"] = serde_json::json!(1);
    placed["external_id"] = serde_json::json!("o-1");
    placed["status"] = serde_json::json!("created");
    assert_eq!(
        crate::support::openapi::validate(&document, order, &placed, "$"),
        Ok(())
    );
    placed["stray"] = serde_json::json!(true);
    assert!(crate::support::openapi::validate(&document, order, &placed, "$").is_err());
}
