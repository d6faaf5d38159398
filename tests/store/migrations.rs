use migration::{Migrator, MigratorTrait};

use crate::support::{databases, fixtures};

#[tokio::test]
async fn migrating_again_or_an_existing_database_changes_nothing() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, serde_json::json!({})).await;
        // Migrated once by the fixture; again twice, from this pool and another.
        store::migrate(&database.db).await.unwrap();
        let other = store::open(&database.url, &crate::support::db::pool())
            .await
            .unwrap();
        store::migrate(&other).await.unwrap();
        let pending = Migrator::get_pending_migrations(&other).await.unwrap();
        assert!(pending.is_empty(), "{}", database.backend);
        let again = store::coupons::get_coupon(&other, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(again, coupon, "{}: data survives", database.backend);
        assert!(store::shops::has_shops(&other).await.unwrap());
    }
}

/// Upgrading a database that holds claims and orders from before the daily
/// roll-ups: migrating builds them from the rows (once), and the figures are
/// those the writes would have kept.
#[tokio::test]
async fn upgrading_builds_the_daily_roll_ups_from_the_rows() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, serde_json::json!({})).await;
        for customer in ["a", "b"] {
            fixtures::claim(
                db,
                shop.id,
                coupon.id,
                customer,
                domain::Channel::LiveRoom,
                fixtures::now(),
            )
            .await;
        }
        fixtures::paid_order(
            db,
            shop.id,
            "o-a",
            "a",
            vec![fixtures::line("A1", "99.00")],
            store::orders::ClaimChoice::Best,
        )
        .await;
        let kept = store::rollups::snapshot(db, shop.id).await.unwrap();
        assert!(!kept.is_empty());
        // As a database from before migration 000013 would be: no roll-ups.
        for sql in [
            "DELETE FROM day_figures",
            "DELETE FROM order_days",
            "DELETE FROM coupon_waits",
            "DELETE FROM shop_waits",
            "DELETE FROM claimer_days",
            "UPDATE shops SET rollups_ready = FALSE",
        ] {
            store::db::execute_raw(db, sql).await.unwrap();
        }
        assert!(
            store::rollups::snapshot(db, shop.id)
                .await
                .unwrap()
                .is_empty()
        );
        store::migrate(db).await.unwrap();
        assert_eq!(
            store::rollups::snapshot(db, shop.id).await.unwrap(),
            kept,
            "{}",
            database.backend
        );
        let (tally, _) = store::metrics::coupon_tally(db, coupon.id, None)
            .await
            .unwrap();
        assert_eq!((tally.claimed, tally.used, tally.unused), (2, 1, 1));
    }
}
