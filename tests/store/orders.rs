//! Redeeming: an order uses its claims atomically, once; cancelling before payment
//! gives them back.

use chrono::Duration;
use domain::OrderEvent;
use domain::{Channel, Money, QuoteLine, Refusal, Sku};
use serde_json::json;
use store::StoreError;
use store::claims::{ClaimRecord, ClaimRequest, ClaimSource, ClaimState, ClaimTarget, get_claim};
use store::orders::{ClaimChoice, NewOrder, find_order, place_order, record_event};

use crate::support::{databases, fixtures, now};

fn line(sku: &str, price: &str) -> QuoteLine {
    QuoteLine {
        sku: Sku::parse(sku).unwrap(),
        unit_price: Money::parse(price).unwrap(),
        activity_price: None,
        quantity: 1,
    }
}

fn order(shop_id: i64, external_id: &str, claims: ClaimChoice) -> NewOrder {
    NewOrder {
        shop_id,
        external_id: external_id.into(),
        customer: "c-1".into(),
        lines: vec![line("A1", "99.00")],
        claims,
        platform_discount: Money::ZERO,
        now: now(),
    }
}

async fn claim_for(db: &sea_orm::DatabaseConnection, shop_id: i64, coupon_id: i64) -> ClaimRecord {
    store::claims::claim(
        db,
        &ClaimRequest {
            device: None,
            shop_id,
            customer: "c-1".into(),
            target: ClaimTarget::Coupon(coupon_id),
            channel: Channel::LiveRoom,
            source: ClaimSource::Claim,
            now: now(),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_order_without_named_claims_gets_the_best_quote() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        // SPEC §4 example 3: shop 满50减5 and item coupon 10 on a 99 item → item wins.
        let shop_coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"benefit": {"type": "amount_off", "threshold": "50.00", "amount": "5.00"}}),
        )
        .await;
        let item_coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"scope": {"type": "items", "skus": ["A1"]},
            "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "10.00"}}),
        )
        .await;
        let shop_claim = claim_for(&database.db, shop.id, shop_coupon.id).await;
        let item_claim = claim_for(&database.db, shop.id, item_coupon.id).await;
        let placed = place_order(&database.db, &order(shop.id, "o-1", ClaimChoice::Best))
            .await
            .unwrap();
        assert_eq!(
            placed.quote.payable.to_string(),
            "89.00",
            "{}",
            database.backend
        );
        assert_eq!(placed.quote.claims_used, vec![item_claim.id]);
        assert_eq!(
            get_claim(&database.db, shop.id, item_claim.id)
                .await
                .unwrap()
                .state,
            ClaimState::Used
        );
        assert_eq!(
            get_claim(&database.db, shop.id, shop_claim.id)
                .await
                .unwrap()
                .state,
            ClaimState::Unused
        );
        let lines = store::orders::order_lines(&database.db, placed.id)
            .await
            .unwrap();
        assert_eq!(
            (lines[0].discount, lines[0].claim_id),
            (domain::Money::yuan(10), Some(item_claim.id))
        );

        // The same order again is refused; nothing changes.
        let again = place_order(&database.db, &order(shop.id, "o-1", ClaimChoice::Best)).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // `[]`: no coupon at all.
        let plain = place_order(
            &database.db,
            &order(shop.id, "o-2", ClaimChoice::Exactly(vec![])),
        )
        .await
        .unwrap();
        assert_eq!(plain.quote.payable.to_string(), "99.00");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_orders_racing_for_one_claim_one_wins_the_other_writes_nothing() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({})).await;
        let held = claim_for(&database.db, shop.id, coupon.id).await;
        let mut tasks = Vec::new();
        for n in 0..2 {
            let db = store::connect(&database.url, &store::PoolSettings { max_connections: 2 })
                .await
                .unwrap();
            let new = order(
                shop.id,
                &format!("race-{n}"),
                ClaimChoice::Exactly(vec![held.id]),
            );
            tasks.push(tokio::spawn(async move { place_order(&db, &new).await }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(placed) => {
                    won += 1;
                    assert_eq!(placed.quote.claims_used, vec![held.id]);
                }
                Err(StoreError::Conflict(conflict)) => {
                    assert_eq!(conflict, store::Conflict::ClaimUsed(held.id))
                }
                Err(other) => panic!("{}: {other}", database.backend),
            }
        }
        assert_eq!(won, 1, "{}", database.backend);
        let recorded = ["race-0", "race-1"];
        let mut found = 0;
        for id in recorded {
            if find_order(&database.db, shop.id, id).await.is_ok() {
                found += 1;
            }
        }
        assert_eq!(found, 1, "the losing order was not written");
    }
}

#[tokio::test]
async fn cancelling_before_payment_returns_claims_after_payment_does_not() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({"per_customer_limit": 3})).await;
        let first = claim_for(&database.db, shop.id, coupon.id).await;
        place_order(
            &database.db,
            &order(shop.id, "o-1", ClaimChoice::Exactly(vec![first.id])),
        )
        .await
        .unwrap();
        let cancelled = record_event(
            &database.db,
            shop.id,
            "o-1",
            OrderEvent::Cancelled,
            now(),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(cancelled.status, domain::OrderStatus::Cancelled);
        let back = get_claim(&database.db, shop.id, first.id).await.unwrap();
        assert_eq!(
            (back.state, back.order_id),
            (ClaimState::Unused, None),
            "{}",
            database.backend
        );
        // The returned claim is usable again.
        place_order(
            &database.db,
            &order(shop.id, "o-2", ClaimChoice::Exactly(vec![first.id])),
        )
        .await
        .unwrap();

        // Paid, then cancelled: the claim stays used.
        record_event(&database.db, shop.id, "o-2", OrderEvent::Paid, now(), now())
            .await
            .unwrap();
        record_event(
            &database.db,
            shop.id,
            "o-2",
            OrderEvent::Cancelled,
            now(),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(
            get_claim(&database.db, shop.id, first.id)
                .await
                .unwrap()
                .state,
            ClaimState::Used
        );

        // Cancelled after the claim's validity ended: it comes back expired.
        let second = claim_for(&database.db, shop.id, coupon.id).await;
        place_order(
            &database.db,
            &order(shop.id, "o-3", ClaimChoice::Exactly(vec![second.id])),
        )
        .await
        .unwrap();
        let late = second.valid_until + Duration::seconds(1);
        record_event(
            &database.db,
            shop.id,
            "o-3",
            OrderEvent::Cancelled,
            late,
            late,
        )
        .await
        .unwrap();
        assert_eq!(
            get_claim(&database.db, shop.id, second.id)
                .await
                .unwrap()
                .state,
            ClaimState::Expired
        );
    }
}

#[tokio::test]
async fn events_replay_harmlessly_and_refuse_impossible_steps() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        place_order(&database.db, &order(shop.id, "o-1", ClaimChoice::Best))
            .await
            .unwrap();
        let shipped = record_event(
            &database.db,
            shop.id,
            "o-1",
            OrderEvent::Shipped,
            now(),
            now(),
        )
        .await;
        assert!(
            matches!(shipped, Err(StoreError::Conflict(_))),
            "shipping an unpaid order"
        );
        let paid = record_event(&database.db, shop.id, "o-1", OrderEvent::Paid, now(), now())
            .await
            .unwrap();
        let later = now() + Duration::hours(1);
        let replay = record_event(&database.db, shop.id, "o-1", OrderEvent::Paid, later, later)
            .await
            .unwrap();
        assert_eq!(
            replay.paid_at, paid.paid_at,
            "a retried event changes nothing"
        );
        let delivered = record_event(
            &database.db,
            shop.id,
            "o-1",
            OrderEvent::Delivered,
            later,
            later,
        )
        .await
        .unwrap();
        assert_eq!(delivered.delivered_at, Some(later));
        let missing = record_event(
            &database.db,
            shop.id,
            "nope",
            OrderEvent::Paid,
            now(),
            now(),
        )
        .await;
        assert!(matches!(missing, Err(StoreError::NotFound("order"))));
    }
}

#[tokio::test]
async fn a_paid_order_ends_new_customer_status_a_cancelled_one_does_not() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let welcome = fixtures::coupon(
            &database.db,
            &shop,
            json!({"kind": "new_customer", "audience": "new_customers", "per_customer_limit": 5}),
        )
        .await;
        let request = ClaimRequest {
            device: None,
            shop_id: shop.id,
            customer: "c-1".into(),
            target: ClaimTarget::Coupon(welcome.id),
            channel: Channel::ShopPage,
            source: ClaimSource::Claim,
            now: now(),
        };
        let try_claim = || store::claims::claim(&database.db, &request);
        place_order(
            &database.db,
            &order(shop.id, "o-1", ClaimChoice::Exactly(vec![])),
        )
        .await
        .unwrap();
        record_event(
            &database.db,
            shop.id,
            "o-1",
            OrderEvent::Cancelled,
            now(),
            now(),
        )
        .await
        .unwrap();
        try_claim().await.expect("a cancelled order does not count");
        place_order(
            &database.db,
            &order(shop.id, "o-2", ClaimChoice::Exactly(vec![])),
        )
        .await
        .unwrap();
        record_event(&database.db, shop.id, "o-2", OrderEvent::Paid, now(), now())
            .await
            .unwrap();
        let refused = try_claim().await;
        assert!(
            matches!(refused, Err(StoreError::Refused(Refusal::NotNewCustomer))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn naming_a_claim_that_does_not_apply_is_refused() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let big = fixtures::coupon(
            &database.db,
            &shop,
            json!({"benefit": {"type": "amount_off", "threshold": "199.00", "amount": "30.00"}}),
        )
        .await;
        let held = claim_for(&database.db, shop.id, big.id).await;
        let refused = place_order(
            &database.db,
            &order(shop.id, "o-1", ClaimChoice::Exactly(vec![held.id])),
        )
        .await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(e)) if e.first().field == "claim_ids"),
            "{refused:?}"
        );
        let foreign = place_order(
            &database.db,
            &order(shop.id, "o-1", ClaimChoice::Exactly(vec![987_654])),
        )
        .await;
        assert!(
            matches!(&foreign, Err(StoreError::Invalid(_))),
            "{foreign:?}"
        );
        assert!(
            find_order(&database.db, shop.id, "o-1").await.is_err(),
            "nothing written"
        );
        assert_eq!(
            get_claim(&database.db, shop.id, held.id)
                .await
                .unwrap()
                .state,
            ClaimState::Unused
        );
    }
}

/// Two storefront retries of one order, by different customer ids at once: one
/// order is recorded, the others are told it exists (409), never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_with_one_external_id_record_one() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let db = database.db.clone();
            tasks.push(tokio::spawn(async move {
                store::orders::place_order(
                    &db,
                    &NewOrder {
                        shop_id: shop.id,
                        external_id: "o-same".into(),
                        customer: format!("c-{i}"),
                        lines: vec![fixtures::line("A1", "10.00")],
                        claims: ClaimChoice::Exactly(vec![]),
                        platform_discount: Money::ZERO,
                        now: now(),
                    },
                )
                .await
            }));
        }
        let mut placed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => placed += 1,
                Err(StoreError::Conflict(conflict)) => {
                    assert!(
                        matches!(conflict, store::Conflict::OrderExists(_)),
                        "{conflict}"
                    )
                }
                Err(other) => panic!("{}: {other}", database.backend),
            }
        }
        assert_eq!(placed, 1, "{}", database.backend);
    }
}
