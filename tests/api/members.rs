//! The shop's membership over the API (SPEC §10): join gifts once per customer
//! and coupon, ever; the `members` audience.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::support::api::{self, Call, post, put};
use crate::support::databases;

fn claim_body(customer: &str, coupon_id: i64) -> Value {
    json!({"customer": customer, "coupon_id": coupon_id, "channel": "live_room"})
}

#[tokio::test]
async fn joining_grants_the_join_gift_once_and_opens_members_coupons() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let gift = api::active_coupon(
            &app,
            key,
            json!({"name": "入会有礼", "kind": "member", "audience": "members",
                   "member": {"join_gift": true}}),
        )
        .await;
        let members_only = api::active_coupon(
            &app,
            key,
            json!({"name": "会员专享", "kind": "member", "audience": "members"}),
        )
        .await;
        // A member coupon is for members: the kind decides.
        let mut wrong = crate::support::fixtures::coupon_body(json!({"kind": "member"}));
        wrong["audience"] = json!("all");
        let (status, refused) = post("/api/v1/coupons", key, &wrong).send(&app).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["field"], "audience");

        let (status, refused) = post("/api/v1/claims", key, &claim_body("c-1", members_only))
            .send(&app)
            .await;
        assert_eq!(
            (status.as_u16(), refused["error"]["code"].as_str()),
            (409, Some("not_member"))
        );

        let path = "/api/v1/customers/c-1/membership";
        let (status, joined) = put(path, key, &json!({"level": "金卡"})).send(&app).await;
        assert_eq!(status, 200, "{}: {joined}", database.backend);
        assert_eq!(joined["member"], true);
        assert_eq!(joined["level"], "金卡");
        let granted = joined["granted"].as_array().unwrap();
        assert_eq!(granted.len(), 1, "the join gift: {joined}");
        assert_eq!(granted[0]["coupon_id"], gift);
        let (status, _) = post("/api/v1/claims", key, &claim_body("c-1", members_only))
            .send(&app)
            .await;
        assert_eq!(status, 201, "a member claims a members' coupon");

        // Joining again, or leaving and coming back, grants nothing new.
        let (_, again) = Call::new(Method::PUT, path, key).send(&app).await;
        assert_eq!(again["granted"], json!([]));
        assert_eq!(again["level"], "金卡", "the level is kept");
        let (status, left) = Call::new(Method::DELETE, path, key).send(&app).await;
        assert_eq!(status, 200);
        assert_eq!(
            (left["member"].clone(), left["level"].clone()),
            (json!(false), Value::Null)
        );
        let other = api::active_coupon(
            &app,
            key,
            json!({"name": "会员第二张", "kind": "member", "audience": "members"}),
        )
        .await;
        let (_, refused) = post("/api/v1/claims", key, &claim_body("c-1", other))
            .send(&app)
            .await;
        assert_eq!(refused["error"]["code"], "not_member", "no longer a member");
        let (_, back) = put(path, key, &json!({})).send(&app).await;
        assert_eq!(back["member"], true);
        assert_eq!(back["granted"], json!([]), "the gift was decided before");

        // The level is bounded.
        let (status, refused) = put(path, key, &json!({"level": "级".repeat(33)}))
            .send(&app)
            .await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["field"], "level");

        // Two joins of a new customer at the same moment: one gift.
        let (first, second) = futures::join!(
            put("/api/v1/customers/c-2/membership", key, &json!({})).send(&app),
            put("/api/v1/customers/c-2/membership", key, &json!({})).send(&app),
        );
        let gifts = first.1["granted"].as_array().unwrap().len()
            + second.1["granted"].as_array().unwrap().len();
        assert_eq!(gifts, 1, "{}: {first:?} {second:?}", database.backend);
    }
}
