use chrono::{DateTime, Duration, Utc};
use domain::reminders::QuietHours;
use sea_orm::DatabaseConnection;
use serde_json::json;
use store::orders::{ClaimChoice, NewOrder, place_order};

use super::{claim_at, concurrent_passes, context, small_batches};
use crate::support::{databases, db, fixtures, now};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// An active coupon whose claims all expire at `until`.
async fn expiring(
    db: &DatabaseConnection,
    shop: &store::shops::ShopRecord,
    until: DateTime<Utc>,
) -> i64 {
    fixtures::coupon(
        db,
        shop,
        json!({
            "name": format!("券 {until}"),
            "validity": {"type": "fixed", "from": "2026-11-01T00:00:00Z", "until": until},
            "claim_until": until, "per_customer_limit": null,
        }),
    )
    .await
    .id
}

/// (claim id, lead hours, next attempt) of every reminder, in claim order.
async fn reminders(db: &DatabaseConnection) -> Vec<(i64, i32, DateTime<Utc>)> {
    let sql = "SELECT claim_id, lead_hours, next_attempt_at FROM notifications \
               WHERE kind = 'expiry_reminder' ORDER BY claim_id, lead_hours";
    db::select(db, sql, vec![])
        .await
        .into_iter()
        .map(|n| {
            (
                n.try_get("", "claim_id").unwrap(),
                n.try_get("", "lead_hours").unwrap(),
                n.try_get("", "next_attempt_at").unwrap(),
            )
        })
        .collect()
}

async fn pass(db: &DatabaseConnection, at: DateTime<Utc>) -> u64 {
    scheduler::run_pass(
        &context(db, small_batches(2)),
        scheduler::JobName::ExpiryReminders,
        at,
    )
    .await
    .unwrap()
    .created
}

#[tokio::test]
async fn one_reminder_per_claim_and_lead_time_in_the_shortest_window() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        store::reminders::set_reminder_settings(db, shop.id, &[72, 24], QuietHours::DEFAULT)
            .await
            .unwrap();
        // now: 16:00 in Shanghai, outside quiet hours.
        let a = claim_at(
            db,
            shop.id,
            "a",
            expiring(db, &shop, now() + Duration::hours(10)).await,
            now(),
        )
        .await;
        let b = claim_at(
            db,
            shop.id,
            "b",
            expiring(db, &shop, now() + Duration::hours(50)).await,
            now(),
        )
        .await;
        claim_at(
            db,
            shop.id,
            "c",
            expiring(db, &shop, now() + Duration::hours(100)).await,
            now(),
        )
        .await;

        assert_eq!(pass(db, now()).await, 2, "{}", database.backend);
        assert_eq!(
            reminders(db).await,
            vec![(a.id, 24, now()), (b.id, 72, now())]
        );
        assert_eq!(pass(db, now()).await, 0, "a second pass changes nothing");

        // The scheduler was down for 26 hours: one pass catches up. B is now within
        // 24 hours (its 24 h reminder is due); A has expired and is left alone.
        let later = now() + Duration::hours(26); // 18:00 local
        assert_eq!(pass(db, later).await, 1);
        assert_eq!(
            reminders(db).await,
            vec![(a.id, 24, now()), (b.id, 24, later), (b.id, 72, now())]
        );
    }
}

#[tokio::test]
async fn quiet_hours_hold_reminders_until_morning_unless_the_claim_expires_first() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await; // quiet 22:00–08:00, 24 h lead
        let evening = at("2026-11-23T15:00:00Z"); // 23:00 local
        let d = claim_at(
            db,
            shop.id,
            "d",
            expiring(db, &shop, at("2026-11-24T11:00:00Z")).await,
            now(),
        )
        .await;
        let e = claim_at(
            db,
            shop.id,
            "e",
            expiring(db, &shop, at("2026-11-23T22:00:00Z")).await,
            now(),
        )
        .await;
        assert_eq!(pass(db, evening).await, 2, "{}", database.backend);
        let morning = at("2026-11-24T00:00:00Z"); // 08:00 local, quiet hours end
        assert_eq!(
            reminders(db).await,
            vec![(d.id, 24, morning), (e.id, 24, evening)]
        );

        // Delivery sends E at once; D waits for the morning.
        let deliver = |t| async move {
            scheduler::run_pass(
                &context(db, small_batches(10)),
                scheduler::JobName::DeliverNotifications,
                t,
            )
            .await
            .unwrap()
        };
        let first = deliver(evening).await;
        assert_eq!(first.sent, 1);
        assert_eq!(
            deliver(evening + Duration::hours(8) - Duration::seconds(1))
                .await
                .sent,
            0
        );
        assert_eq!(deliver(morning).await.sent, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reminder_passes_queue_each_reminder_once() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = expiring(db, &shop, now() + Duration::hours(5)).await;
        store::shops::set_monthly_cap(db, shop.id, None)
            .await
            .unwrap();
        for i in 0..30 {
            claim_at(db, shop.id, &format!("c-{i}"), coupon, now()).await;
        }
        let total = concurrent_passes(
            &database.url,
            scheduler::JobName::ExpiryReminders,
            now(),
            small_batches(4),
        )
        .await;
        assert_eq!(total, 30, "{}", database.backend);
        assert_eq!(reminders(db).await.len(), 30);
    }
}

#[tokio::test]
async fn a_reminder_for_a_claim_used_meanwhile_is_dropped() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({
            "validity": {"type": "relative", "days": 1}, "per_customer_limit": null,
            "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "5.00"}}),
        )
        .await;
        claim_at(db, shop.id, "c-1", coupon.id, now()).await;
        claim_at(db, shop.id, "c-2", coupon.id, now()).await;
        let reminded = now() + Duration::hours(1); // 17:00 local: relative validity leaves 23 h
        assert_eq!(pass(db, reminded).await, 2);
        place_order(
            db,
            &NewOrder {
                shop_id: shop.id,
                external_id: "o-1".into(),
                customer: "c-1".into(),
                lines: vec![domain::QuoteLine {
                    sku: domain::Sku::parse("A1").unwrap(),
                    unit_price: domain::Money::yuan(20),
                    activity_price: None,
                    quantity: 1,
                }],
                claims: ClaimChoice::Best,
                platform_discount: domain::Money::ZERO,
                now: reminded,
            },
        )
        .await
        .unwrap();
        let report = scheduler::run_pass(
            &context(db, small_batches(10)),
            scheduler::JobName::DeliverNotifications,
            reminded,
        )
        .await
        .unwrap();
        assert_eq!(
            (report.sent, report.dropped),
            (1, 1),
            "{}",
            database.backend
        );
    }
}
