use chrono::{DateTime, Duration, Utc};
use domain::OrderEvent;
use domain::{Money, QuoteLine, Sku};
use sea_orm::DatabaseConnection;
use serde_json::json;
use store::orders::{ClaimChoice, NewOrder, place_order, record_event};

use super::{concurrent_passes, context, small_batches};
use crate::support::{databases, db, fixtures, now};

/// An order by `customer` for `sku`, paid and delivered at `delivered`.
async fn delivered_order(
    db: &DatabaseConnection,
    shop_id: i64,
    id: &str,
    customer: &str,
    sku: &str,
    delivered: DateTime<Utc>,
) {
    place_order(
        db,
        &NewOrder {
            shop_id,
            external_id: id.into(),
            customer: customer.into(),
            lines: vec![QuoteLine {
                sku: Sku::parse(sku).unwrap(),
                unit_price: Money::yuan(100),
                activity_price: None,
                quantity: 1,
            }],
            claims: ClaimChoice::Exactly(vec![]),
            platform_discount: Money::ZERO,
            now: delivered - Duration::days(2),
        },
    )
    .await
    .unwrap();
    record_event(
        db,
        shop_id,
        id,
        OrderEvent::Paid,
        delivered - Duration::days(2),
        delivered,
    )
    .await
    .unwrap();
    record_event(db, shop_id, id, OrderEvent::Delivered, delivered, delivered)
        .await
        .unwrap();
}

async fn outcomes(db: &DatabaseConnection) -> Vec<(i64, String)> {
    let sql = "SELECT order_id, outcome FROM repurchase_grants ORDER BY order_id";
    db::select(db, sql, vec![])
        .await
        .into_iter()
        .map(|g| {
            (
                g.try_get("", "order_id").unwrap(),
                g.try_get("", "outcome").unwrap(),
            )
        })
        .collect()
}

fn repurchase(extra: serde_json::Value) -> serde_json::Value {
    let mut body = json!({"kind": "repurchase", "name": "复购券",
        "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": false},
        "validity": {"type": "relative", "days": 14},
        "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-12-31T00:00:00+08:00",
        "quantity": null, "per_customer_limit": null});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn each_delivered_order_gets_one_grant_after_the_wait() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        store::shops::set_monthly_cap(db, shop.id, None)
            .await
            .unwrap();
        let coupon = fixtures::coupon(db, &shop, repurchase(json!({}))).await;
        delivered_order(db, shop.id, "due", "c-1", "A1", now() - Duration::days(8)).await;
        delivered_order(db, shop.id, "early", "c-2", "A1", now() - Duration::days(3)).await;
        delivered_order(
            db,
            shop.id,
            "refunded",
            "c-3",
            "A1",
            now() - Duration::days(9),
        )
        .await;
        record_event(
            db,
            shop.id,
            "refunded",
            OrderEvent::Refunded,
            now() - Duration::days(8),
            now(),
        )
        .await
        .unwrap();

        let ctx = context(db, small_batches(1));
        let first = scheduler::run_pass(&ctx, scheduler::JobName::RepurchaseGrants, now())
            .await
            .unwrap();
        assert_eq!(
            (first.created, first.refused),
            (1, 0),
            "{}",
            database.backend
        );
        let again = scheduler::run_pass(&ctx, scheduler::JobName::RepurchaseGrants, now())
            .await
            .unwrap();
        assert_eq!(again.created, 0, "a second pass grants nothing new");
        let held = store::claims::unused_claims(
            db,
            shop.id,
            store::customers::find_customer(db, shop.id, "c-1")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].0.coupon_id, coupon.id);
        assert_eq!(
            held[0].0.valid_until,
            now() + Duration::days(14),
            "relative validity from the grant"
        );

        // Five days of downtime later, the early order's wait is over: one pass catches up.
        let later = now() + Duration::days(5);
        let caught_up = scheduler::run_pass(&ctx, scheduler::JobName::RepurchaseGrants, later)
            .await
            .unwrap();
        assert_eq!(caught_up.created, 1);
        assert_eq!(
            outcomes(db).await.len(),
            2,
            "the refunded order is never decided"
        );
    }
}

#[tokio::test]
async fn a_refused_grant_is_recorded_once_and_not_retried() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(db, &shop, repurchase(json!({"quantity": 1}))).await;
        delivered_order(db, shop.id, "o-1", "c-1", "A1", now() - Duration::days(10)).await;
        delivered_order(db, shop.id, "o-2", "c-2", "A1", now() - Duration::days(9)).await;
        let ctx = context(db, small_batches(10));
        let report = scheduler::run_pass(&ctx, scheduler::JobName::RepurchaseGrants, now())
            .await
            .unwrap();
        assert_eq!(
            (report.created, report.refused),
            (1, 1),
            "{}",
            database.backend
        );
        let decided = outcomes(db).await;
        assert_eq!(
            decided.iter().map(|(_, o)| o.as_str()).collect::<Vec<_>>(),
            ["granted", "sold_out"]
        );
        let again = scheduler::run_pass(
            &ctx,
            scheduler::JobName::RepurchaseGrants,
            now() + Duration::days(1),
        )
        .await
        .unwrap();
        assert_eq!((again.created, again.refused), (0, 0));
    }
}

#[tokio::test]
async fn only_purchased_items_grants_to_orders_that_bought_them() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(db, &shop, repurchase(json!({
            "scope": {"type": "items", "skus": ["A1"]},
            "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": true}}))).await;
        delivered_order(
            db,
            shop.id,
            "bought",
            "c-1",
            "A1",
            now() - Duration::days(8),
        )
        .await;
        delivered_order(db, shop.id, "other", "c-2", "B2", now() - Duration::days(8)).await;
        let report = scheduler::run_pass(
            &context(db, small_batches(10)),
            scheduler::JobName::RepurchaseGrants,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(
            (report.created, report.refused),
            (1, 1),
            "{}",
            database.backend
        );
        let decided = outcomes(db).await;
        assert_eq!(decided[1].1, "not_purchased");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_grant_passes_grant_each_order_once() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        store::shops::set_monthly_cap(db, shop.id, None)
            .await
            .unwrap();
        let coupon = fixtures::coupon(db, &shop, repurchase(json!({}))).await;
        for i in 0..12 {
            delivered_order(
                db,
                shop.id,
                &format!("o-{i}"),
                &format!("c-{i}"),
                "A1",
                now() - Duration::days(8),
            )
            .await;
        }
        let total = concurrent_passes(
            &database.url,
            scheduler::JobName::RepurchaseGrants,
            now(),
            small_batches(3),
        )
        .await;
        assert_eq!(total, 12, "{}", database.backend);
        let granted = db::number(
            db,
            "SELECT COUNT(*) AS n FROM claims WHERE coupon_id = $1",
            vec![coupon.id.into()],
        )
        .await;
        assert_eq!(granted, 12);
    }
}

/// `only_purchased_items` decides what the granted claim discounts: an item
/// coupon over A1 and B2, granted for an order that bought A1, discounts A1 only.
#[tokio::test]
async fn a_claim_granted_for_purchased_items_discounts_only_those() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(db, &shop, repurchase(json!({
            "scope": {"type": "items", "skus": ["A1", "B2"]},
            "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "10.00"},
            "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": true}}))).await;
        delivered_order(
            db,
            shop.id,
            "bought",
            "c-1",
            "A1",
            now() - Duration::days(8),
        )
        .await;
        let report = scheduler::run_pass(
            &context(db, small_batches(10)),
            scheduler::JobName::RepurchaseGrants,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(report.created, 1, "{}", database.backend);
        let quote = store::orders::quote_for(
            db,
            shop.id,
            "c-1",
            vec![fixtures::line("B2", "50.00")],
            Money::ZERO,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(quote.merchant_discount, Money::ZERO, "B2 was not bought");
        let quote = store::orders::quote_for(
            db,
            shop.id,
            "c-1",
            vec![fixtures::line("B2", "50.00"), fixtures::line("A1", "50.00")],
            Money::ZERO,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(quote.merchant_discount, Money::yuan(10));
        assert_eq!(quote.lines[1].discount, Money::yuan(10), "on A1");
    }
}

/// A storefront that reports `delivered` without `shipped` still starts the
/// clock of a shipped-trigger repurchase coupon.
#[tokio::test]
async fn delivered_without_shipped_fires_a_shipped_trigger() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(
            db,
            &shop,
            repurchase(json!({
                "repurchase": {"trigger": "shipped", "days_after": 7, "only_purchased_items": false}})),
        )
        .await;
        delivered_order(db, shop.id, "o-1", "c-1", "A1", now() - Duration::days(8)).await;
        let report = scheduler::run_pass(
            &context(db, small_batches(10)),
            scheduler::JobName::RepurchaseGrants,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(report.created, 1, "{}", database.backend);
    }
}
