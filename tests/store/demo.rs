//! The demo shop of the first run.

use domain::{CouponKind, CouponStatus};
use store::coupons::{CouponFilter, list_coupons};

use crate::support::{databases, fixtures, now};

#[tokio::test]
async fn the_first_run_loads_a_demo_of_every_kind_and_signs_the_owner_in() {
    for database in databases().await {
        let db = &database.db;
        let demo = tools::demo::load_on_first_run(db, now())
            .await
            .unwrap()
            .expect("an empty database gets the demo");
        let coupons = list_coupons(
            db,
            demo.shop_id,
            &CouponFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        for kind in CouponKind::ALL {
            assert!(
                coupons.iter().any(|c| c.coupon.kind() == *kind),
                "{}: no {kind} coupon",
                database.backend
            );
        }
        for status in [
            CouponStatus::Draft,
            CouponStatus::Active,
            CouponStatus::Paused,
            CouponStatus::Ended,
        ] {
            assert!(
                coupons.iter().any(|c| c.status == status),
                "no {status} coupon"
            );
        }
        assert!(
            coupons.iter().map(|c| c.claimed).sum::<u64>() >= 10,
            "customers hold claims"
        );
        let paid = store::orders::find_order(db, demo.shop_id, "DY202611200001")
            .await
            .unwrap();
        assert!(paid.delivered_at.is_some());
        // It opens with each of SPEC §8's alerts.
        let mut alerts: Vec<&str> = store::alerts::open_alerts(db, demo.shop_id)
            .await
            .unwrap()
            .iter()
            .map(|a| a.kind.as_str())
            .collect();
        alerts.sort_unstable();
        assert_eq!(
            alerts,
            [
                "over_budget",
                "shared_device",
                "shared_phone",
                "stock_out",
                "unpaid_orders"
            ],
            "{}",
            database.backend
        );
        let signed_in = store::staff::sign_in(
            db,
            &demo.owner_email,
            &demo.owner_password,
            "127.0.0.1",
            now(),
        )
        .await
        .unwrap();
        assert!(signed_in.is_ok());
        // Never again: a database that holds a shop is not touched.
        assert!(
            tools::demo::load_on_first_run(db, now())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_database_with_a_shop_gets_no_demo() {
    for database in databases().await {
        fixtures::shop(&database.db, "mine").await;
        assert!(
            tools::demo::load_on_first_run(&database.db, now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store::shops::shop_by_slug(&database.db, "demo")
                .await
                .is_err(),
            "{}",
            database.backend
        );
    }
}
