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
