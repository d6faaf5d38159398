//! Coupon management over HTTP: create, read, list, patch, lifecycle; keys and shops.

use actix_web::http::Method;
use serde_json::json;

use crate::support::api::{self, Call, get, post};
use crate::support::{databases, fixtures};

#[tokio::test]
async fn create_read_list_and_patch_a_coupon() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let mut body = fixtures::coupon_body(json!({}));
        body["status"] = json!("active");
        let (status, created) = post("/api/v1/coupons", key, &body).send(&app).await;
        assert_eq!(status, 201, "{}: {created}", database.backend);
        let id = created["id"].as_i64().unwrap();
        assert_eq!(
            (
                created["status"].as_str(),
                created["claimed"].as_i64(),
                created["used"].as_i64()
            ),
            (Some("active"), Some(0), Some(0))
        );
        assert_eq!(created["benefit"], body["benefit"]);
        let (_, read) = get(&format!("/api/v1/coupons/{id}"), key).send(&app).await;
        assert_eq!(read, created);

        // Patch before any claim: anything §2 allows.
        let patch =
            json!({"benefit": {"type": "amount_off", "threshold": "99.00", "amount": "8.00"}});
        let (status, patched) = Call::new(Method::PATCH, &format!("/api/v1/coupons/{id}"), key)
            .json(&patch)
            .send(&app)
            .await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["benefit"]["amount"], "8.00");
        // Once claimed, the benefit is frozen; the quantity may rise.
        post(
            "/api/v1/claims",
            key,
            &json!({"customer": "c-1", "coupon_id": id, "channel": "live_room"}),
        )
        .send(&app)
        .await;
        let (status, refused) = Call::new(Method::PATCH, &format!("/api/v1/coupons/{id}"), key)
            .json(&json!({"benefit": body["benefit"]}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), refused["error"]["field"].as_str()),
            (422, Some("benefit")),
            "{refused}"
        );
        let (status, grown) = Call::new(Method::PATCH, &format!("/api/v1/coupons/{id}"), key)
            .json(&json!({"quantity": 5000}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), grown["quantity"].as_i64()),
            (200, Some(5000))
        );

        // A claim used on an order counts in the list, for its coupon only.
        let other = fixtures::coupon(&database.db, &shop.shop, json!({"name": "另一张"})).await;
        fixtures::claim(
            &database.db,
            shop.shop.id,
            id,
            "list-1",
            domain::Channel::LiveRoom,
            fixtures::now(),
        )
        .await;
        fixtures::claim(
            &database.db,
            shop.shop.id,
            other.id,
            "list-2",
            domain::Channel::LiveRoom,
            fixtures::now(),
        )
        .await;
        fixtures::paid_order(
            &database.db,
            shop.shop.id,
            "o-1",
            "list-1",
            vec![fixtures::line("A1", "120.00")],
            store::orders::ClaimChoice::Best,
        )
        .await;
        let (_, all) = get("/api/v1/coupons", key).send(&app).await;
        let used: Vec<(i64, i64)> = all["coupons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_i64().unwrap(), c["used"].as_i64().unwrap()))
            .collect();
        assert_eq!(used, vec![(other.id, 0), (id, 1)], "{}", database.backend);

        let (_, list) = get("/api/v1/coupons?status=active&q=%E6%BB%A1", key)
            .send(&app)
            .await;
        assert_eq!(list["coupons"].as_array().unwrap().len(), 1, "{list}");
        let (_, none) = get("/api/v1/coupons?kind=private", key).send(&app).await;
        assert_eq!(none["coupons"], json!([]));
        let (status, end) = post(&format!("/api/v1/coupons/{id}/end"), key, &json!({}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), end["status"].as_str()),
            (200, Some("ended"))
        );
        let (status, again) = post(&format!("/api/v1/coupons/{id}/resume"), key, &json!({}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), again["error"]["code"].as_str()),
            (409, Some("conflict"))
        );
    }
}

#[tokio::test]
async fn another_shops_things_are_not_found() {
    for database in databases().await {
        let mine = api::shop_with_key(&database, "mine").await;
        let theirs = api::shop_with_key(&database, "theirs").await;
        let app = api::app(&database).await;
        let mut body = fixtures::coupon_body(json!({}));
        body["status"] = json!("active");
        let (_, created) = post("/api/v1/coupons", &theirs.key, &body).send(&app).await;
        let id = created["id"].as_i64().unwrap();
        post(
            "/api/v1/orders",
            &theirs.key,
            &json!({"external_id": "o-9", "customer": "c", "claim_ids": [],
            "lines": [{"sku": "A1", "unit_price": "10.00", "quantity": 1}]}),
        )
        .send(&app)
        .await;
        for (method, path) in [
            (Method::GET, format!("/api/v1/coupons/{id}")),
            (Method::GET, format!("/api/v1/coupons/{id}/metrics")),
            (Method::POST, format!("/api/v1/coupons/{id}/pause")),
            (Method::PATCH, format!("/api/v1/coupons/{id}")),
        ] {
            let (status, answer) = Call::new(method, &path, &mine.key)
                .json(&json!({}))
                .send(&app)
                .await;
            assert_eq!(status, 404, "{}: {path}: {answer}", database.backend);
        }
        let (status, _) = post(
            "/api/v1/claims",
            &mine.key,
            &json!({"customer": "c", "coupon_id": id, "channel": "live_room"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 404);
        let (status, _) = post(
            "/api/v1/orders/o-9/events",
            &mine.key,
            &json!({"type": "paid"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 404);
        let (_, list) = get("/api/v1/coupons", &mine.key).send(&app).await;
        assert_eq!(list["coupons"], json!([]));
        // Their coupon is untouched.
        let (_, still) = get(&format!("/api/v1/coupons/{id}"), &theirs.key)
            .send(&app)
            .await;
        assert_eq!(still["status"], "active");
    }
}

#[tokio::test]
async fn a_retried_write_with_the_same_key_replays_the_first_answer() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let mut body = fixtures::coupon_body(json!({}));
        body["status"] = json!("active");
        let (_, created) = post("/api/v1/coupons", key, &body).send(&app).await;
        let claim = json!({"customer": "c-1", "coupon_id": created["id"], "channel": "live_room"});
        let (first_status, first) = post("/api/v1/claims", key, &claim)
            .idempotency_key("k-1")
            .send(&app)
            .await;
        let (again_status, again) = post("/api/v1/claims", key, &claim)
            .idempotency_key("k-1")
            .send(&app)
            .await;
        assert_eq!(
            (first_status.as_u16(), again_status.as_u16()),
            (201, 201),
            "{}: {again}",
            database.backend
        );
        assert_eq!(first, again, "the same claim, not a second one");
        let (_, coupon) = get(&format!("/api/v1/coupons/{}", created["id"]), key)
            .send(&app)
            .await;
        assert_eq!(coupon["claimed"], 1);
        // Same key, another body: 422, nothing done.
        let other = json!({"customer": "c-2", "coupon_id": created["id"], "channel": "live_room"});
        let (status, refused) = post("/api/v1/claims", key, &other)
            .idempotency_key("k-1")
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), refused["error"]["code"].as_str()),
            (422, Some("idempotency_key_reused"))
        );
        // Refusals are replayed too; another shop may use the same key freely.
        let (s1, r1) = post("/api/v1/claims", key, &claim)
            .idempotency_key("k-2")
            .send(&app)
            .await;
        let (s2, r2) = post("/api/v1/claims", key, &claim)
            .idempotency_key("k-2")
            .send(&app)
            .await;
        assert_eq!((s1.as_u16(), s2.as_u16(), &r1), (409, 409, &r2));
        let other_shop = api::shop_with_key(&database, "other").await;
        let (status, _) = Call::new(Method::PUT, "/api/v1/products/A1", &other_shop.key)
            .json(&json!({"name": "连衣裙", "price": "1.00"}))
            .idempotency_key("k-1")
            .send(&app)
            .await;
        assert_eq!(status, 201, "keys are per shop");
    }
}

#[tokio::test]
async fn keys_and_products() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let (status, _) = Call {
            key: None,
            ..get("/api/v1/coupons", "")
        }
        .send(&app)
        .await;
        assert_eq!(status, 401);
        let (status, answer) = get("/api/v1/coupons", "mo_forged_key").send(&app).await;
        assert_eq!(
            (status.as_u16(), answer["error"]["code"].as_str()),
            (401, Some("unauthorized"))
        );
        let (status, created) = Call::new(Method::PUT, "/api/v1/products/A1", &shop.key)
            .json(&json!({"name": "连衣裙", "price": "129.00"}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), created["price"].as_str()),
            (201, Some("129.00")),
            "{created}"
        );
        let (status, _) = Call::new(Method::PUT, "/api/v1/products/A1", &shop.key)
            .json(&json!({"name": "连衣裙", "price": "99.00"}))
            .send(&app)
            .await;
        assert_eq!(status, 200);
        let (_, list) = get("/api/v1/products", &shop.key).send(&app).await;
        assert_eq!(list["products"][0]["price"], "99.00", "{list}");
    }
}

/// SPEC §2: `percent` is what the customer pays, a whole number from 10 (1折) to
/// 99 (9.9折); the typos that give a shop away are refused while the body is
/// read (400, like every malformed value), naming the field.
#[tokio::test]
async fn a_percent_outside_10_to_99_is_refused_not_sold() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let body = |percent: &str| {
            fixtures::coupon_body(json!({"benefit": {
                "type": "percent_off", "percent": percent, "min_quantity": 1, "max_discount": null
            }}))
        };
        for typo in ["0.5", "8.5", "9", "100", "85.5"] {
            let (status, refused) = post("/api/v1/coupons", key, &body(typo)).send(&app).await;
            assert_eq!(
                (status.as_u16(), refused["error"]["field"].as_str()),
                (400, Some("benefit.percent")),
                "{typo}: {refused}"
            );
        }
        for fine in ["10", "85", "99"] {
            let (status, created) = post("/api/v1/coupons", key, &body(fine)).send(&app).await;
            assert_eq!(status, 201, "{fine}: {created}");
            assert_eq!(created["benefit"]["percent"], fine);
        }
    }
}

#[tokio::test]
async fn a_code_batch_has_at_most_a_hundred_thousand_codes() {
    let database = databases().await.remove(0);
    let shop = api::shop_with_key(&database, "demo").await;
    let app = api::app(&database).await;
    let body =
        fixtures::coupon_body(json!({"kind": "private", "private": {"unique_codes": 100_001}}));
    let (status, answer) = post("/api/v1/coupons", &shop.key, &body).send(&app).await;
    assert_eq!(status.as_u16(), 422, "{answer}");
    assert_eq!(answer["error"]["field"], "private.unique_codes");
}
