//! Spend and return (满返, SPEC §10) over the API: a reward is granted with the
//! order event that earns it, once per (order, coupon), and withdrawn — if
//! unused — when the order is refunded or cancelled.

use serde_json::{Value, json};

use crate::support::api::{self, post, put};
use crate::support::databases;

fn order(id: &str, customer: &str, price: &str, claims: Value) -> Value {
    json!({"external_id": id, "customer": customer, "claim_ids": claims,
           "lines": [{"sku": "A1", "unit_price": price, "quantity": 1}]})
}

#[tokio::test]
async fn a_reward_is_earned_once_per_order_and_withdrawn_on_refund() {
    for database in databases().await {
        let db = &database.db;
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let reward = |body: Value| {
            let mut patch = json!({"kind": "reward", "quantity": null, "per_customer_limit": null});
            for (k, v) in body.as_object().unwrap() {
                patch[k] = v.clone();
            }
            api::active_coupon(&app, key, patch)
        };
        let on_paid = reward(json!({"name": "满100返10",
            "reward": {"min_paid": "100.00", "trigger": "paid"}}))
        .await;
        let for_members = reward(json!({"name": "会员满50返5",
            "reward": {"min_paid": "50.00", "trigger": "delivered", "members_only": true},
            "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "5.00"}}))
        .await;
        // Customers cannot claim a reward.
        let (status, refused) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "c-1", "coupon_id": on_paid, "channel": "live_room"}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), refused["error"]["code"].as_str()),
            (409, Some("grant_only"))
        );

        let event = async |id: &str, kind: &str| {
            let (status, answer) = post(
                &format!("/api/v1/orders/{id}/events"),
                key,
                &json!({"type": kind}),
            )
            .send(&app)
            .await;
            assert!(status.is_success(), "{kind}: {answer}");
        };
        let held = async |customer: &str| {
            let found = store::customers::find_customer(db, shop.shop.id, customer)
                .await
                .unwrap()
                .unwrap();
            store::claims::of_customer(db, found.id, 50).await.unwrap()
        };
        // ¥120 paid: earned; paid again (a retried event): still one.
        post(
            "/api/v1/orders",
            key,
            &order("o-1", "c-1", "120.00", json!([])),
        )
        .send(&app)
        .await;
        event("o-1", "paid").await;
        event("o-1", "paid").await;
        let rewards: Vec<_> = held("c-1").await;
        assert_eq!(rewards.len(), 1, "{}: {rewards:?}", database.backend);
        assert_eq!(rewards[0].claim.coupon_id, on_paid);
        assert_eq!(rewards[0].source, "reward");
        // ¥80: not enough.
        post(
            "/api/v1/orders",
            key,
            &order("o-2", "c-1", "80.00", json!([])),
        )
        .send(&app)
        .await;
        event("o-2", "paid").await;
        assert_eq!(held("c-1").await.len(), 1, "below min_paid");
        // Members only: delivered to a customer who is not one — nothing; to a member, yes.
        event("o-1", "delivered").await;
        assert_eq!(held("c-1").await.len(), 1, "c-1 is no member");
        put("/api/v1/customers/c-2/membership", key, &json!({}))
            .send(&app)
            .await;
        post(
            "/api/v1/orders",
            key,
            &order("o-3", "c-2", "60.00", json!([])),
        )
        .send(&app)
        .await;
        event("o-3", "paid").await;
        event("o-3", "delivered").await;
        let member = held("c-2").await;
        assert_eq!(
            member.iter().map(|c| c.claim.coupon_id).collect::<Vec<_>>(),
            vec![for_members]
        );

        // Refunded: the unused reward is revoked, and its holder told.
        event("o-1", "refunded").await;
        let after = held("c-1").await;
        assert_eq!(after[0].claim.state, domain::ClaimState::Revoked);
        let outbox = store::notifications::outbox(db, shop.shop.id, None, Default::default())
            .await
            .unwrap();
        assert!(
            outbox.iter().any(|(n, _)| n.kind == "claim_revoked"),
            "{outbox:?}"
        );

        // Cancelled after payment: withdrawn the same way.
        post(
            "/api/v1/orders",
            key,
            &order("o-6", "c-4", "150.00", json!([])),
        )
        .send(&app)
        .await;
        event("o-6", "paid").await;
        event("o-6", "cancelled").await;
        let cancelled = held("c-4").await;
        assert_eq!(
            (cancelled.len(), cancelled[0].claim.state),
            (1, domain::ClaimState::Revoked)
        );

        // A reward already spent stays spent when its order is refunded.
        post(
            "/api/v1/orders",
            key,
            &order("o-4", "c-3", "120.00", json!([])),
        )
        .send(&app)
        .await;
        event("o-4", "paid").await;
        let earned = held("c-3").await[0].claim.id;
        let (status, used) = post(
            "/api/v1/orders",
            key,
            &order("o-5", "c-3", "120.00", json!([earned])),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201, "{used}");
        event("o-5", "paid").await;
        event("o-4", "refunded").await;
        let spent = held("c-3").await;
        let reward_claim = spent.iter().find(|c| c.claim.id == earned).unwrap();
        assert_eq!(reward_claim.claim.state, domain::ClaimState::Used);
    }
}
