//! Claiming over HTTP: 201 or 409 with exactly one reason code.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::support::api::{self, get, post, put};
use crate::support::databases;

fn claim_body(customer: &str, coupon_id: i64, channel: &str) -> Value {
    json!({"customer": customer, "coupon_id": coupon_id, "channel": channel})
}

#[tokio::test]
async fn a_claim_answers_201_with_the_claim() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let id = api::active_coupon(
            &app,
            &shop.key,
            json!({"validity": {"type": "relative", "days": 7}}),
        )
        .await;
        let (status, claim) = post(
            "/api/v1/claims",
            &shop.key,
            &claim_body("c-1", id, "live_room"),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201, "{}: {claim}", database.backend);
        assert_eq!(claim["coupon_id"], id);
        assert_eq!(claim["customer"], "c-1");
        assert_eq!(claim["state"], "unused");
        assert_eq!(claim["valid_from"], "2026-11-23T08:00:00Z");
        assert_eq!(claim["valid_until"], "2026-11-30T08:00:00Z");
        let (_, mine) = get("/api/v1/customers/c-1/coupons", &shop.key)
            .send(&app)
            .await;
        assert_eq!(mine["held"][0]["id"], claim["id"]);
        assert_eq!(
            mine["claimable"],
            json!([]),
            "per-customer limit 1 is reached"
        );
    }
}

#[tokio::test]
async fn every_reason_code_is_reachable_over_http() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let mut seen: HashMap<String, Value> = HashMap::new();
        let mut refuse = async |body: Value, expected: &str| {
            let (status, answer) = post("/api/v1/claims", key, &body).send(&app).await;
            assert_eq!(status, 409, "{expected}: {answer}");
            assert_eq!(answer["error"]["code"], expected, "{answer}");
            seen.insert(expected.to_owned(), answer);
        };

        let future = api::active_coupon(
            &app,
            key,
            json!({"claim_from": "2026-11-25T00:00:00+08:00"}),
        )
        .await;
        refuse(claim_body("a", future, "live_room"), "not_started").await;
        let past = api::active_coupon(&app, key, json!({"claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-11-20T00:00:00+08:00"})).await;
        refuse(claim_body("a", past, "live_room"), "ended").await;
        let paused = api::active_coupon(&app, key, json!({})).await;
        post(&format!("/api/v1/coupons/{paused}/pause"), key, &json!({}))
            .send(&app)
            .await;
        refuse(claim_body("a", paused, "live_room"), "paused").await;
        let scarce = api::active_coupon(&app, key, json!({"quantity": 1})).await;
        post("/api/v1/claims", key, &claim_body("b", scarce, "live_room"))
            .send(&app)
            .await;
        refuse(claim_body("a", scarce, "live_room"), "sold_out").await;
        let once = api::active_coupon(&app, key, json!({"per_customer_limit": 1})).await;
        post("/api/v1/claims", key, &claim_body("c", once, "live_room"))
            .send(&app)
            .await;
        refuse(claim_body("c", once, "live_room"), "customer_limit").await;
        let daily = api::active_coupon(
            &app,
            key,
            json!({"per_customer_limit": 3, "per_customer_daily_limit": 1}),
        )
        .await;
        post("/api/v1/claims", key, &claim_body("d", daily, "live_room"))
            .send(&app)
            .await;
        refuse(claim_body("d", daily, "live_room"), "daily_limit").await;
        // The shop's monthly cap is 5: customer "m" claims five coupons, the sixth is refused.
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(api::active_coupon(&app, key, json!({"name": format!("月券{i}")})).await);
        }
        for id in &ids[..5] {
            let (status, _) = post("/api/v1/claims", key, &claim_body("m", *id, "live_room"))
                .send(&app)
                .await;
            assert_eq!(status, 201);
        }
        refuse(claim_body("m", ids[5], "live_room"), "monthly_cap").await;
        let welcome = api::active_coupon(
            &app,
            key,
            json!({"kind": "new_customer", "audience": "new_customers"}),
        )
        .await;
        post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "o-1", "customer": "old", "claim_ids": [],
            "lines": [{"sku": "A1", "unit_price": "10.00", "quantity": 1}]}),
        )
        .send(&app)
        .await;
        post("/api/v1/orders/o-1/events", key, &json!({"type": "paid"}))
            .send(&app)
            .await;
        refuse(claim_body("old", welcome, "live_room"), "not_new_customer").await;
        let returning =
            api::active_coupon(&app, key, json!({"audience": "returning_customers"})).await;
        refuse(
            claim_body("new", returning, "live_room"),
            "not_returning_customer",
        )
        .await;
        let fans = api::active_coupon(&app, key, json!({"audience": "followers"})).await;
        refuse(claim_body("new", fans, "live_room"), "not_follower").await;
        let members = api::active_coupon(
            &app,
            key,
            json!({"kind": "member", "audience": "members", "member": {"join_gift": false}}),
        )
        .await;
        refuse(claim_body("new", members, "live_room"), "not_member").await;
        let vip = api::active_coupon(&app, key, json!({"audience": "tag:VIP"})).await;
        refuse(claim_body("new", vip, "live_room"), "not_in_audience").await;
        let sms_only = api::active_coupon(&app, key, json!({"channels": ["sms"]})).await;
        refuse(
            claim_body("new", sms_only, "live_room"),
            "channel_not_allowed",
        )
        .await;
        let shanghai = api::active_coupon(&app, key, json!({"regions": ["31"]})).await;
        put("/api/v1/customers/gz", key, &json!({"region": "44"}))
            .send(&app)
            .await;
        refuse(
            claim_body("gz", shanghai, "live_room"),
            "region_not_allowed",
        )
        .await;
        refuse(
            json!({"customer": "new", "code": "NO-SUCH-CODE", "channel": "sms"}),
            "invalid_code",
        )
        .await;
        let private = api::active_coupon(
            &app,
            key,
            json!({"kind": "private", "private": {"unique_codes": 1}}),
        )
        .await;
        let code = store::codes::codes_page(&database.db, private, 0, 1)
            .await
            .unwrap()[0]
            .code
            .clone();
        let (status, _) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "x", "code": code, "channel": "sms"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201);
        refuse(
            json!({"customer": "y", "code": code, "channel": "sms"}),
            "code_used",
        )
        .await;
        let repurchase = api::active_coupon(
            &app,
            key,
            json!({"kind": "repurchase",
                   "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": false}}),
        )
        .await;
        refuse(claim_body("new", repurchase, "live_room"), "grant_only").await;

        for reason in domain::Refusal::ALL {
            assert!(
                seen.contains_key(reason.code()),
                "{}: {} never answered",
                database.backend,
                reason.code()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_http_claims_on_fifty_left() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let id = api::active_coupon(&app, &shop.key, json!({"quantity": 50})).await;
        let bodies: Vec<Value> = (0..200)
            .map(|i| claim_body(&format!("c-{i}"), id, "live_room"))
            .collect();
        let calls = bodies
            .iter()
            .map(|body| post("/api/v1/claims", &shop.key, body).send(&app));
        let answers = futures::future::join_all(calls).await;
        let created = answers.iter().filter(|(s, _)| *s == 201).count();
        let sold_out = answers
            .iter()
            .filter(|(s, b)| *s == 409 && b["error"]["code"] == "sold_out")
            .count();
        assert_eq!((created, sold_out), (50, 150), "{}", database.backend);
        let (_, coupon) = get(&format!("/api/v1/coupons/{id}"), &shop.key)
            .send(&app)
            .await;
        assert_eq!(coupon["claimed"], 50);
    }
}

#[tokio::test]
async fn following_grants_follower_coupons_once_ever() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let id = api::active_coupon(
            &app,
            &shop.key,
            json!({"kind": "follower", "audience": "followers",
            "follower": {"auto_grant": true}}),
        )
        .await;
        api::active_coupon(
            &app,
            &shop.key,
            json!({"kind": "follower", "audience": "followers", "name": "手动领",
            "follower": {"auto_grant": false}}),
        )
        .await;
        let (status, first) = put("/api/v1/customers/fan/follow", &shop.key, &json!({}))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["granted"].as_array().unwrap().len(), 1, "{first}");
        assert_eq!(first["granted"][0]["coupon_id"], id);
        let (status, _) = api::Call::new(
            actix_web::http::Method::DELETE,
            "/api/v1/customers/fan/follow",
            &shop.key,
        )
        .send(&app)
        .await;
        assert_eq!(status, 200);
        let (_, again) = put("/api/v1/customers/fan/follow", &shop.key, &json!({}))
            .send(&app)
            .await;
        assert_eq!(
            again["granted"],
            json!([]),
            "unfollow and follow again grants nothing new"
        );
        let (_, coupons) = get("/api/v1/customers/fan/coupons?channel=live_room", &shop.key)
            .send(&app)
            .await;
        assert_eq!(coupons["held"].as_array().unwrap().len(), 1);
        // The manual follower coupon is claimable by the follower.
        assert_eq!(
            coupons["claimable"].as_array().unwrap().len(),
            1,
            "{coupons}"
        );
    }
}

/// Repurchase coupons are only granted (SPEC §3 `grant_only`), and never listed
/// as claimable.
#[tokio::test]
async fn a_repurchase_coupon_cannot_be_claimed() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let id = api::active_coupon(
            &app,
            &shop.key,
            json!({"kind": "repurchase", "validity": {"type": "relative", "days": 7},
                   "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": false}}),
        )
        .await;
        let (status, answer) = post(
            "/api/v1/claims",
            &shop.key,
            &claim_body("c-1", id, "live_room"),
        )
        .send(&app)
        .await;
        assert_eq!(status, 409, "{}: {answer}", database.backend);
        assert_eq!(answer["error"]["code"], "grant_only");
        let (_, mine) = get("/api/v1/customers/c-1/coupons", &shop.key)
            .send(&app)
            .await;
        assert_eq!(mine["claimable"], json!([]), "{mine}");
    }
}

/// A 7-day coupon claimed a minute before its claim window closes lasts 7 days.
#[tokio::test]
async fn a_relative_claim_outlasts_the_claim_window() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let id = api::active_coupon(
            &app,
            &shop.key,
            json!({"validity": {"type": "relative", "days": 7},
                   "claim_until": "2026-11-23T16:01:00+08:00"}),
        )
        .await;
        let (status, claim) = post(
            "/api/v1/claims",
            &shop.key,
            &claim_body("c-1", id, "live_room"),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201, "{}: {claim}", database.backend);
        assert_eq!(claim["valid_until"], "2026-11-30T08:00:00Z");
    }
}

/// Fifty retries of one claim with one Idempotency-Key, all at once: one claim,
/// one answer for all. And 200 claimers of whom half hang up mid-request: every
/// 201 is a claim, nothing is claimed twice, the counter equals the rows.
#[tokio::test]
async fn retries_and_hang_ups_in_a_crowd() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let id = api::active_coupon(&app, key, json!({"quantity": 120})).await;
        let body = claim_body("retrier", id, "live_room");
        let retries = (0..50).map(|_| {
            post("/api/v1/claims", key, &body)
                .idempotency_key("claim-once")
                .send(&app)
        });
        let answers = futures::future::join_all(retries).await;
        assert!(
            answers.iter().all(|(s, b)| *s == 201 && *b == answers[0].1),
            "{}: {:?}",
            database.backend,
            answers.iter().map(|a| a.0).collect::<Vec<_>>()
        );

        let crowd: Vec<Value> = (0..200)
            .map(|i| claim_body(&format!("c-{i}"), id, "live_room"))
            .collect();
        let calls = crowd.iter().enumerate().map(|(i, body)| {
            let call = post("/api/v1/claims", key, body).send(&app);
            async move {
                if i % 2 == 0 {
                    // A client that hangs up at once.
                    tokio::time::timeout(std::time::Duration::from_micros(1), call)
                        .await
                        .ok()
                } else {
                    Some(call.await)
                }
            }
        });
        let answers = futures::future::join_all(calls).await;
        let acknowledged: Vec<i64> = answers
            .iter()
            .flatten()
            .filter(|(s, _)| *s == 201)
            .map(|(_, b)| b["id"].as_i64().unwrap())
            .collect();
        let rows = store::claims::unused_claims_of_coupon(&database.db, id)
            .await
            .unwrap();
        for claim_id in &acknowledged {
            assert!(
                rows.contains(claim_id),
                "claim {claim_id} answered 201 is kept"
            );
        }
        let (_, coupon) = get(&format!("/api/v1/coupons/{id}"), key).send(&app).await;
        assert_eq!(
            coupon["claimed"].as_u64().unwrap() as usize,
            rows.len(),
            "the counter equals the rows"
        );
        assert!(rows.len() <= 120, "never past the stock");
    }
}
