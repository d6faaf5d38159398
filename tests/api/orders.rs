//! Quotes and orders over HTTP: SPEC §4's worked examples, best quotes applied.

use serde_json::{Value, json};

use crate::support::api::{self, get, post};
use crate::support::databases;

fn amount_off(threshold: &str, amount: &str) -> Value {
    json!({"type": "amount_off", "threshold": threshold, "amount": amount})
}

fn item_scope() -> Value {
    json!({"type": "items", "skus": ["A1"]})
}

fn line(unit: &str, activity: Option<&str>) -> Value {
    json!([{"sku": "A1", "unit_price": unit, "activity_price": activity, "quantity": 1}])
}

/// The four worked examples of SPEC §4, each for a customer of its own.
#[tokio::test]
async fn the_worked_examples_of_spec_section_4() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let shop_99_10 =
            api::active_coupon(&app, key, json!({"benefit": amount_off("99.00", "10.00")})).await;
        let shop_50_5 =
            api::active_coupon(&app, key, json!({"benefit": amount_off("50.00", "5.00")})).await;
        let shop_300_20 =
            api::active_coupon(&app, key, json!({"benefit": amount_off("300.00", "20.00")})).await;
        let item_5 = api::active_coupon(
            &app,
            key,
            json!({"scope": item_scope(), "benefit": amount_off("0.00", "5.00")}),
        )
        .await;
        let item_10 = api::active_coupon(
            &app,
            key,
            json!({"scope": item_scope(), "benefit": amount_off("0.00", "10.00")}),
        )
        .await;
        let hold = async |customer: &str, coupons: &[i64]| {
            for id in coupons {
                let (status, answer) = post(
                    "/api/v1/claims",
                    key,
                    &json!({"customer": customer, "coupon_id": id, "channel": "live_room"}),
                )
                .send(&app)
                .await;
                assert_eq!(status, 201, "{answer}");
            }
        };
        let quote = async |customer: &str, lines: Value, platform: &str| {
            let (status, answer) = post(
                "/api/v1/quotes",
                key,
                &json!({"customer": customer, "lines": lines, "platform_discount": platform}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 200, "{answer}");
            answer
        };

        // 1. activity price 99, platform coupon 10 → 89
        let q = quote("e1", line("129.00", Some("99.00")), "10.00").await;
        assert_eq!(q["payable"], "89.00", "{}", database.backend);
        // 2. activity price 99, shop 满99减10 and item coupon 5 → 89, the shop coupon wins
        hold("e2", &[shop_99_10, item_5]).await;
        let q = quote("e2", line("129.00", Some("99.00")), "0.00").await;
        assert_eq!(q["payable"], "89.00");
        assert_eq!(q["lines"][0]["discount"], "10.00");
        // 3. price 99, shop 满50减5 and item coupon 10 → 89, the item coupon wins
        hold("e3", &[shop_50_5, item_10]).await;
        let q = quote("e3", line("99.00", None), "0.00").await;
        assert_eq!(q["payable"], "89.00");
        assert_eq!(q["merchant_discount"], "10.00");
        // 4. price 400, shop coupon 20 (the best merchant coupon), platform 30 → 350
        hold("e4", &[shop_300_20, shop_50_5]).await;
        let q = quote("e4", line("400.00", None), "30.00").await;
        assert_eq!(q["payable"], "350.00");
        assert_eq!(q["platform_discount"], "30.00");
        assert_eq!(q["claims_used"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_order_without_claim_ids_applies_the_best_quote() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let shop_50_5 =
            api::active_coupon(&app, key, json!({"benefit": amount_off("50.00", "5.00")})).await;
        let item_10 = api::active_coupon(
            &app,
            key,
            json!({"scope": item_scope(), "benefit": amount_off("0.00", "10.00")}),
        )
        .await;
        for id in [shop_50_5, item_10] {
            post(
                "/api/v1/claims",
                key,
                &json!({"customer": "c-1", "coupon_id": id, "channel": "shop_page"}),
            )
            .send(&app)
            .await;
        }
        let (_, quote) = post(
            "/api/v1/quotes",
            key,
            &json!({"customer": "c-1", "lines": line("99.00", None)}),
        )
        .send(&app)
        .await;
        let (status, order) = post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "o-1", "customer": "c-1", "lines": line("99.00", None)}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201, "{}: {order}", database.backend);
        assert_eq!(order["payable"], quote["payable"]);
        assert_eq!(order["claims_used"], quote["claims_used"]);
        assert!(order["order_id"].as_i64().is_some());
        // The item claim is used now; what is left is the shop claim.
        let (_, held) = get("/api/v1/customers/c-1/coupons", key).send(&app).await;
        assert_eq!(held["held"].as_array().unwrap().len(), 1);
        assert_eq!(held["held"][0]["coupon_id"], shop_50_5);

        let (status, paid) = post("/api/v1/orders/o-1/events", key, &json!({"type": "paid"}))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), paid["status"].as_str()),
            (200, Some("paid")),
            "{paid}"
        );
        let (_, metrics) = get(&format!("/api/v1/coupons/{item_10}/metrics"), key)
            .send(&app)
            .await;
        assert_eq!(metrics["metrics"]["used"], 1, "{metrics}");
        assert_eq!(metrics["metrics"]["actual_cost"], "10.00");
        assert_eq!(metrics["metrics"]["coupon_gmv"], "89.00");
        assert_eq!(metrics["metrics"]["roi"], "8.90");
        assert_eq!(metrics["metrics"]["use_rate"], "100.00");
        assert_eq!(metrics["by_channel"]["shop_page"]["used"], 1);
        let (status, wrong) = post(
            "/api/v1/orders/o-1/events",
            key,
            &json!({"type": "teleported"}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), wrong["error"]["field"].as_str()),
            (400, Some("type"))
        );
    }
}

/// The cart that once took the server down: 20 claims of one item coupon and 20
/// lines (1.6 GB, then an abort). Now every claim is weighed and used, and carts
/// outside SPEC §4's bounds are refused naming the field.
#[tokio::test]
async fn a_crafted_cart_is_priced_in_bounds_or_refused() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        store::shops::set_monthly_cap(&database.db, shop.shop.id, None)
            .await
            .unwrap();
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let skus: Vec<String> = (0..20).map(|i| format!("P{i:02}")).collect();
        let coupon = api::active_coupon(
            &app,
            key,
            json!({"scope": {"type": "items", "skus": skus}, "benefit": amount_off("0.00", "1.00"),
                   "per_customer_limit": null}),
        )
        .await;
        for _ in 0..20 {
            let (status, answer) = post(
                "/api/v1/claims",
                key,
                &json!({"customer": "c-1", "coupon_id": coupon, "channel": "live_room"}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 201, "{answer}");
        }
        let lines: Vec<Value> = skus
            .iter()
            .map(|sku| json!({"sku": sku, "unit_price": "10.00", "quantity": 1}))
            .collect();
        let (status, quote) = post(
            "/api/v1/quotes",
            key,
            &json!({"customer": "c-1", "lines": lines}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 200, "{quote}");
        assert_eq!(quote["merchant_discount"], "20.00");
        assert_eq!(quote["claims_used"].as_array().unwrap().len(), 20);

        let refused = async |lines: Value| {
            let (status, answer) = post(
                "/api/v1/quotes",
                key,
                &json!({"customer": "c-1", "lines": lines}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 422, "{answer}");
            answer["error"]["field"].as_str().unwrap().to_owned()
        };
        let many: Vec<Value> = (0..201)
            .map(|_| json!({"sku": "P00", "unit_price": "1.00", "quantity": 1}))
            .collect();
        assert_eq!(refused(json!(many)).await, "lines");
        assert_eq!(
            refused(json!([{"sku": "P00", "unit_price": "1.00", "quantity": 10000}])).await,
            "lines[0].quantity"
        );
        assert_eq!(
            refused(
                json!([{"sku": "P00", "unit_price": "600000000.00", "quantity": 1},
                           {"sku": "P01", "unit_price": "600000000.00", "quantity": 1}])
            )
            .await,
            "lines[0].unit_price"
        );
        let dear: Vec<Value> = (0..101)
            .map(|_| json!({"sku": "P00", "unit_price": "1000000.00", "quantity": 1}))
            .collect();
        assert_eq!(refused(json!(dear)).await, "lines");
        // The order path refuses the same carts and writes nothing.
        let (status, answer) = post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "big", "customer": "c-1",
                    "lines": [{"sku": "P00", "unit_price": "1.00", "quantity": 10000}]}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "lines[0].quantity");
    }
}

/// Ending a coupon may revoke what customers hold unused (SPEC §2): the claims
/// become `revoked`, no order can use them, their holders are notified, the
/// metrics count them; a used claim is left alone.
#[tokio::test]
async fn ending_a_coupon_can_revoke_its_unused_claims() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let id = api::active_coupon(&app, key, json!({})).await;
        let mut claims = Vec::new();
        for customer in ["c-1", "c-2", "c-3"] {
            let (status, claim) = post(
                "/api/v1/claims",
                key,
                &json!({"customer": customer, "coupon_id": id, "channel": "live_room"}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 201, "{claim}");
            claims.push(claim["id"].as_i64().unwrap());
        }
        // c-1 uses hers before the coupon ends.
        let (status, _) = post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "o-1", "customer": "c-1", "lines": line("120.00", None)}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201);
        // Only ending revokes.
        let (status, refused) = post(
            &format!("/api/v1/coupons/{id}/pause"),
            key,
            &json!({"revoke_unused": true}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 422, "{refused}");
        let (status, ended) = post(
            &format!("/api/v1/coupons/{id}/end"),
            key,
            &json!({"revoke_unused": true}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), ended["status"].as_str()),
            (200, Some("ended"))
        );
        let db = &database.db;
        let states: Vec<String> = crate::support::db::select(
            db,
            "SELECT state FROM claims WHERE coupon_id = $1 ORDER BY id",
            vec![id.into()],
        )
        .await
        .iter()
        .map(|row| row.try_get::<String>("", "state").unwrap())
        .collect();
        assert_eq!(
            states,
            ["used", "revoked", "revoked"],
            "{}",
            database.backend
        );
        let notices = crate::support::db::number(
            db,
            "SELECT COUNT(*) AS n FROM notifications \
             WHERE kind = 'claim_revoked' AND claim_id IN ($1, $2)",
            vec![claims[1].into(), claims[2].into()],
        )
        .await;
        assert_eq!(notices, 2);
        // A revoked claim buys nothing: not offered, and refused when named.
        let (_, held) = get("/api/v1/customers/c-2/coupons", key).send(&app).await;
        assert_eq!(held["held"], json!([]));
        let (status, answer) = post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "o-2", "customer": "c-2", "lines": line("120.00", None),
                    "claim_ids": [claims[1]]}),
        )
        .send(&app)
        .await;
        assert!(status.is_client_error(), "{status}: {answer}");
        let (_, metrics) = get(&format!("/api/v1/coupons/{id}/metrics"), key)
            .send(&app)
            .await;
        assert_eq!(metrics["metrics"]["revoked"], 2, "{metrics}");
        assert_eq!(metrics["metrics"]["claimed"], 3);
        // Again, on the ended coupon: nothing left to revoke, no error.
        let (status, _) = post(
            &format!("/api/v1/coupons/{id}/end"),
            key,
            &json!({"revoke_unused": true}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            crate::support::db::number(
                db,
                "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'claim_revoked'",
                vec![],
            )
            .await,
            2
        );
    }
}

/// SPEC §8 (the handbook's monitoring): units per coupon order and claim cost
/// per claimer, by hand — an order with claims from two channels counts once
/// in all and once in each channel.
#[tokio::test]
async fn units_per_order_and_cost_per_claimer_count_each_order_once() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let id = api::active_coupon(
            &app,
            key,
            json!({"scope": {"type": "items", "skus": ["A1", "B2"]}, "per_customer_limit": 2,
                   "quantity": null}),
        )
        .await;
        let claim = async |customer: &str, channel: &str| {
            let (status, answer) = post(
                "/api/v1/claims",
                key,
                &json!({"customer": customer, "coupon_id": id, "channel": channel}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 201, "{answer}");
        };
        claim("a", "live_room").await;
        claim("a", "short_video").await;
        claim("b", "live_room").await;
        claim("c", "short_video").await;
        let paid = async |order: Value| {
            let external = order["external_id"].as_str().unwrap().to_owned();
            let (status, answer) = post("/api/v1/orders", key, &order).send(&app).await;
            assert_eq!(status, 201, "{answer}");
            post(
                &format!("/api/v1/orders/{external}/events"),
                key,
                &json!({"type": "paid"}),
            )
            .send(&app)
            .await;
            answer
        };
        // a: 3 units, each line with a claim of its own (one per channel): ¥20 off.
        let first = paid(json!({"external_id": "o-1", "customer": "a", "lines": [
            {"sku": "A1", "unit_price": "120.00", "quantity": 2},
            {"sku": "B2", "unit_price": "150.00", "quantity": 1}]}))
        .await;
        assert_eq!(first["merchant_discount"], "20.00", "{first}");
        // b: 1 unit, ¥10 off. c never buys.
        paid(json!({"external_id": "o-2", "customer": "b", "lines": line("120.00", None)})).await;
        let (_, metrics) = get(&format!("/api/v1/coupons/{id}/metrics"), key)
            .send(&app)
            .await;
        // In all: 4 units over 2 orders; ¥30 over 3 claimers.
        assert_eq!(metrics["metrics"]["units_per_order"], "2.00", "{metrics}");
        assert_eq!(metrics["metrics"]["cost_per_claimer"], "10.00");
        // Live room: a and b claimed there; both orders used a live-room claim
        // (4 units), ¥20. Short video: a and c; o-1 only (3 units), ¥10.
        let live = &metrics["by_channel"]["live_room"];
        assert_eq!(
            (
                live["units_per_order"].as_str(),
                live["cost_per_claimer"].as_str()
            ),
            (Some("2.00"), Some("10.00")),
            "{metrics}"
        );
        let video = &metrics["by_channel"]["short_video"];
        assert_eq!(
            (
                video["units_per_order"].as_str(),
                video["cost_per_claimer"].as_str()
            ),
            (Some("3.00"), Some("5.00")),
            "{metrics}"
        );
    }
}
