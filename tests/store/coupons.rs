//! Coupons survive the database exactly, and the frozen-once-claimed rule holds.

use domain::{Channel, CouponKind, CouponStatus, LifecycleAction};
use serde_json::json;
use store::StoreError;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};
use store::coupons::{CouponFilter, get_coupon, list_coupons, update_coupon};

use crate::support::{databases, fixtures, now};

#[tokio::test]
async fn every_kind_round_trips_exactly() {
    let designs = [
        json!({}),
        json!({"benefit": {"type": "amount_off", "threshold": "0.00", "amount": "0.01"}}),
        json!({"scope": {"type": "items", "skus": ["B2", "A1"]},
               "benefit": {"type": "percent_off", "percent": "87", "min_quantity": 2, "max_discount": "33.33"}}),
        json!({"benefit": {"type": "tiered_percent", "tiers": [{"min_quantity": 2, "percent": "90"}, {"min_quantity": 3, "percent": "81"}]},
               "validity": {"type": "relative", "days": 7}, "quantity": null, "per_customer_limit": null}),
        json!({"kind": "new_customer", "audience": "new_customers", "channels": ["live_room", "sms"], "regions": ["44", "31"]}),
        json!({"kind": "follower", "audience": "followers", "follower": {"auto_grant": true}}),
        json!({"kind": "repurchase", "audience": "tag:VIP", "repurchase": {"trigger": "shipped", "days_after": 10, "only_purchased_items": true}}),
        json!({"kind": "private", "private": {"code": "LIVE-888"}}),
        json!({"kind": "private", "private": {"unique_codes": 25}, "per_customer_daily_limit": 1}),
    ];
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        for design in &designs {
            let created = fixtures::coupon(&database.db, &shop, design.clone()).await;
            let read = get_coupon(&database.db, shop.id, created.id).await.unwrap();
            assert_eq!(
                read.coupon,
                fixtures::coupon_design(design.clone()),
                "{}: {design}",
                database.backend
            );
            assert_eq!(read, created);
        }
        let batch = list_coupons(
            &database.db,
            shop.id,
            &CouponFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(batch.len(), designs.len());
        let codes = store::codes::codes_page(&database.db, batch[0].id, 0, 100)
            .await
            .unwrap();
        assert_eq!(codes.len(), 25, "unique codes generated");
    }
}

#[tokio::test]
async fn the_list_filters_and_pages_newest_first() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        for i in 0..5 {
            fixtures::coupon(
                &database.db,
                &shop,
                json!({"name": format!("满99减10 第{i}场")}),
            )
            .await;
        }
        fixtures::coupon(&database.db, &shop, json!({"name": "粉丝券", "kind": "follower", "audience": "followers", "follower": {"auto_grant": false}})).await;
        let page = |before, name: Option<&str>, kind| CouponFilter {
            before,
            name: name.map(Into::into),
            kind,
            limit: 2,
            ..Default::default()
        };
        let first = list_coupons(&database.db, shop.id, &page(None, Some("满99"), None))
            .await
            .unwrap();
        assert_eq!(
            first.iter().map(|c| c.coupon.name()).collect::<Vec<_>>(),
            ["满99减10 第4场", "满99减10 第3场"]
        );
        let second = list_coupons(
            &database.db,
            shop.id,
            &page(Some(first[1].id), Some("满99"), None),
        )
        .await
        .unwrap();
        assert_eq!(second[0].coupon.name(), "满99减10 第2场");
        let followers = list_coupons(
            &database.db,
            shop.id,
            &page(None, None, Some(CouponKind::Follower)),
        )
        .await
        .unwrap();
        assert_eq!(followers.len(), 1);
        let other = fixtures::shop(&database.db, "other").await;
        assert!(
            list_coupons(&database.db, other.id, &page(None, None, None))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_held_coupon_keeps_its_benefit_but_may_grow() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({})).await;
        let cheaper = fixtures::coupon_design(
            json!({"benefit": {"type": "amount_off", "threshold": "99.00", "amount": "5.00"}}),
        );
        // No claims yet: anything goes.
        update_coupon(&database.db, shop.id, coupon.id, &cheaper, now())
            .await
            .unwrap();
        store::claims::claim(
            &database.db,
            &ClaimRequest {
                device: None,
                shop_id: shop.id,
                customer: "c-1".into(),
                target: ClaimTarget::Coupon(coupon.id),
                channel: Channel::ShopPage,
                source: ClaimSource::Claim,
                now: now(),
            },
        )
        .await
        .unwrap();
        let back = fixtures::coupon_design(json!({}));
        let refused = update_coupon(&database.db, shop.id, coupon.id, &back, now()).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(e)) if e.first().field == "benefit"),
            "{refused:?}"
        );
        let more = fixtures::coupon_design(json!({"quantity": 5000, "name": "满99减5 加量",
            "benefit": {"type": "amount_off", "threshold": "99.00", "amount": "5.00"}}));
        let grown = update_coupon(&database.db, shop.id, coupon.id, &more, now())
            .await
            .unwrap();
        assert_eq!(grown.coupon.limits().quantity, Some(5000));
        assert_eq!(grown.claimed, 1);
    }
}

#[tokio::test]
async fn lifecycle_actions_follow_the_transitions() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let draft = store::coupons::create_coupon(
            &database.db,
            shop.id,
            &fixtures::coupon_design(json!({})),
            CouponStatus::Draft,
            now(),
        )
        .await
        .unwrap();
        let act =
            |action| store::coupons::apply_action(&database.db, shop.id, draft.id, action, now());
        assert!(matches!(
            act(LifecycleAction::Pause).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            act(LifecycleAction::Activate).await.unwrap().status,
            CouponStatus::Active
        );
        assert_eq!(
            act(LifecycleAction::Pause).await.unwrap().status,
            CouponStatus::Paused
        );
        assert_eq!(
            act(LifecycleAction::Resume).await.unwrap().status,
            CouponStatus::Active
        );
        assert_eq!(
            act(LifecycleAction::End).await.unwrap().status,
            CouponStatus::Ended
        );
        let ended = act(LifecycleAction::Resume).await;
        assert!(
            matches!(
                &ended,
                Err(StoreError::Conflict(store::Conflict::CouponStatus(e)))
                    if e.from == CouponStatus::Ended
            ),
            "{ended:?}"
        );
        let edit = update_coupon(
            &database.db,
            shop.id,
            draft.id,
            &fixtures::coupon_design(json!({})),
            now(),
        )
        .await;
        assert!(matches!(edit, Err(StoreError::Conflict(_))));
        let other = fixtures::shop(&database.db, "other").await;
        let foreign = store::coupons::apply_action(
            &database.db,
            other.id,
            draft.id,
            LifecycleAction::End,
            now(),
        )
        .await;
        assert!(matches!(foreign, Err(StoreError::NotFound("coupon"))));
    }
}
