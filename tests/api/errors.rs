//! Bad input gets a clear error naming the field, and changes nothing.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::support::api::{self, Call, get, post};
use crate::support::{databases, fixtures};

#[tokio::test]
async fn bad_coupon_bodies_name_the_field_and_write_nothing() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let with = |patch: Value| fixtures::coupon_body(patch).to_string();
        let cases: Vec<(String, u16, Option<&str>)> = vec![
            ("{\"name\": ".into(), 400, Some("name")),
            ("[1, 2]".into(), 400, None),
            (with(json!({"quantity": "many"})), 400, Some("quantity")),
            (with(json!({"discount": 5})), 400, Some("discount")),
            (
                with(
                    json!({"benefit": {"type": "amount_off", "threshold": "99.00", "amount": "-1.00"}}),
                ),
                400,
                Some("benefit.amount"),
            ),
            (
                with(
                    json!({"benefit": {"type": "amount_off", "threshold": "99.001", "amount": "1.00"}}),
                ),
                400,
                Some("benefit.threshold"),
            ),
            (
                with(json!({"benefit": {"type": "amount_off", "threshold": 99, "amount": "1.00"}})),
                400,
                Some("benefit.threshold"),
            ),
            (with(json!({"kind": "lottery"})), 400, Some("kind")),
            (with(json!({"channels": ["tv"]})), 400, Some("channels[0]")),
            (with(json!({"status": "archived"})), 400, Some("status")),
            (
                with(
                    json!({"benefit": {"type": "amount_off", "threshold": "10.00", "amount": "10.00"}}),
                ),
                422,
                Some("benefit.amount"),
            ),
            (
                with(json!({"claim_until": "2026-10-01T00:00:00Z"})),
                422,
                Some("claim_until"),
            ),
            (
                with(json!({"scope": {"type": "items", "skus": []}})),
                422,
                Some("scope.skus"),
            ),
        ];
        for (body, expected, field) in cases {
            let (status, answer) = Call::new(Method::POST, "/api/v1/coupons", key)
                .raw(&body)
                .send(&app)
                .await;
            assert_eq!(
                status.as_u16(),
                expected,
                "{}: {body}: {answer}",
                database.backend
            );
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
            assert_eq!(answer["error"]["field"].as_str(), field, "{body}: {answer}");
        }
        let (_, list) = get("/api/v1/coupons", key).send(&app).await;
        assert_eq!(list["coupons"], json!([]), "nothing was written");
    }
}

#[tokio::test]
async fn other_bad_requests() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let huge = format!(
            "{{\"name\": \"{}\", \"price\": \"1.00\"}}",
            "x".repeat(300 * 1024)
        );
        let (status, answer) = Call::new(Method::PUT, "/api/v1/products/A1", key)
            .raw(&huge)
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), answer["error"]["code"].as_str()),
            (413, Some("payload_too_large"))
        );
        let (status, answer) = post(
            "/api/v1/quotes",
            key,
            &json!({"customer": "c", "lines": [
            {"sku": "A1", "unit_price": "1.00", "quantity": 0}]}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), answer["error"]["field"].as_str()),
            (422, Some("lines[0].quantity"))
        );
        let (status, answer) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "c", "coupon_id": 1, "channel": "tv"}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), answer["error"]["field"].as_str()),
            (400, Some("channel"))
        );
        let (status, answer) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "c", "channel": "sms"}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), answer["error"]["field"].as_str()),
            (422, Some("coupon_id"))
        );
        let (status, _) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "c", "coupon_id": 424242, "channel": "sms"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 404);
        let (status, _) = get("/api/v1/nothing-here", key).send(&app).await;
        assert_eq!(status, 404);
        assert!(
            store::customers::find_customer(&database.db, shop.shop.id, "c")
                .await
                .unwrap()
                .is_none(),
            "no customer was created"
        );
    }
}

/// SPEC §7: `PUT /customers/{id}` changes only the fields it is given; `null`
/// clears one.
#[tokio::test]
async fn a_customer_update_changes_only_what_it_is_given() {
    for database in databases().await {
        let shop = crate::support::api::shop_with_key(&database, "demo").await;
        let app = crate::support::api::app(&database).await;
        let key = shop.key.as_str();
        let put =
            |body: serde_json::Value| crate::support::api::put("/api/v1/customers/c-1", key, &body);
        let (status, first) = put(json!({"region": "44", "tags": ["VIP"], "phone": "13800000000"}))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{first}");
        let (_, changed) = put(json!({"region": "31"})).send(&app).await;
        assert_eq!(changed["region"], "31", "{}", database.backend);
        assert_eq!(changed["tags"], json!(["VIP"]), "tags kept");
        assert_eq!(changed["phone"], "13800000000", "phone kept");
        let (_, cleared) = put(json!({"phone": null, "tags": null})).send(&app).await;
        assert_eq!(cleared["region"], "31");
        assert_eq!(cleared["tags"], json!([]));
        assert_eq!(cleared["phone"], serde_json::Value::Null);
        // A name, trimmed; bounded; cleared with null.
        let (_, named) = put(json!({"name": "  小美 "})).send(&app).await;
        assert_eq!(named["name"], "小美");
        assert_eq!(named["region"], "31", "the rest kept");
        for bad in [json!(""), json!("名".repeat(41)), json!("a\u{0}b")] {
            let (status, refused) = put(json!({ "name": bad })).send(&app).await;
            assert_eq!(status, 422, "{bad}: {refused}");
            assert_eq!(refused["error"]["field"], "name");
        }
        let (_, unnamed) = put(json!({"name": null})).send(&app).await;
        assert_eq!(unnamed["name"], serde_json::Value::Null);
    }
}

/// SPEC §5/§7: the shop's notification channel over the API — https and public
/// targets only, the secret shown once on rotation and never again.
#[tokio::test]
async fn the_webhook_is_configured_and_its_secret_rotated() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let (status, first) = get("/api/v1/shop/notifications", key).send(&app).await;
        assert_eq!(status, 200);
        assert_eq!(
            first,
            json!({"channel": "log", "webhook_url": null, "has_secret": false})
        );
        let put = |body: Value| crate::support::api::put("/api/v1/shop/notifications", key, &body);
        for (url, why) in [
            ("http://hooks.example.com/mo", "not https"),
            ("https://127.0.0.1/hook", "loopback"),
            ("https://169.254.169.254/latest", "metadata"),
            ("https://192.168.1.10/hook", "private"),
        ] {
            let (status, refused) = put(json!({"channel": "webhook", "webhook_url": url}))
                .send(&app)
                .await;
            assert_eq!(status, 422, "{why}: {refused}");
            assert_eq!(refused["error"]["field"], "webhook_url");
        }
        let (status, _) = put(json!({"channel": "webhook"})).send(&app).await;
        assert_eq!(status, 422, "a webhook needs its URL");
        let (status, set) = put(json!({"channel": "webhook",
                                       "webhook_url": "https://hooks.example.com/mo"}))
        .send(&app)
        .await;
        assert_eq!(status, 200, "{set}");
        assert_eq!(set["channel"], "webhook");
        assert_eq!(set["has_secret"], false);
        assert!(set.get("secret").is_none());

        let rotate = Call::new(
            Method::POST,
            "/api/v1/shop/notifications/rotate-secret",
            key,
        );
        let (status, secret) = rotate.send(&app).await;
        assert_eq!(status, 200, "{}: {secret}", database.backend);
        let first_secret = secret["secret"].as_str().unwrap().to_owned();
        assert_eq!(first_secret.len(), 32);
        let (_, again) = Call::new(
            Method::POST,
            "/api/v1/shop/notifications/rotate-secret",
            key,
        )
        .send(&app)
        .await;
        assert_ne!(again["secret"].as_str().unwrap(), first_secret, "a new one");
        let (_, now_set) = get("/api/v1/shop/notifications", key).send(&app).await;
        assert_eq!(now_set["has_secret"], true);
        assert!(
            !now_set
                .to_string()
                .contains(again["secret"].as_str().unwrap()),
            "never shown again"
        );
    }
}

/// Edges of the JSON API: trailing garbage is not JSON (400), a body of another
/// type is 415, a bad query string or path answers the JSON error shape, and a
/// time past year 9999 is refused naming its field.
#[tokio::test]
async fn bodies_queries_and_times_at_the_edge() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let body = fixtures::coupon_body(json!({})).to_string();
        let (status, answer) = Call::new(Method::POST, "/api/v1/coupons", key)
            .raw(&format!("{body}xyz"))
            .send(&app)
            .await;
        assert_eq!(status, 400, "{}: {answer}", database.backend);
        assert_eq!(answer["error"]["code"], "bad_request");

        let request = actix_web::test::TestRequest::post()
            .uri("/api/v1/coupons")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .insert_header(("Content-Type", "text/plain"))
            .set_payload(body.clone())
            .to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status(), 415);
        let answer: Value = actix_web::test::read_body_json(response).await;
        assert_eq!(answer["error"]["code"], "unsupported_media_type");

        let (status, answer) = get("/api/v1/coupons?limit=many", key).send(&app).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "the JSON shape");
        let (status, answer) = get("/api/v1/coupons/not-a-number", key).send(&app).await;
        assert_eq!(status, 404, "{answer}");
        assert_eq!(answer["error"]["code"], "not_found");

        let far = fixtures::coupon_body(json!({"claim_until": "+10000-01-01T00:00:00Z"}));
        let (status, answer) = post("/api/v1/coupons", key, &far).send(&app).await;
        assert!(
            status == 422 || status == 400,
            "year 10000 is refused: {status} {answer}"
        );
        assert_eq!(answer["error"]["field"], "claim_until", "{answer}");
    }
}
