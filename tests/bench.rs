//! The benchmark commands run end to end (with small numbers) and write what
//! they say they write.

use store::coupons::get_coupon;

use crate::support::databases;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claims_benchmark_claims_through_both_paths() {
    for database in databases().await {
        let (rules, bare) = tools::bench::claims(&database.db, &database.url, 3, 30)
            .await
            .unwrap();
        assert_eq!(
            (rules.claims, bare.claims),
            (30, 30),
            "{}",
            database.backend
        );
        assert_eq!(rules.latencies.len(), 30);
        assert!(rules.per_second() > 0.0 && bare.per_second() > 0.0);
        // Both coupons were claimed to the last one, through their own path.
        let shop = store::shops::shop_by_slug(&database.db, &bench_slug(&database.db).await)
            .await
            .unwrap();
        let coupons = store::coupons::list_coupons(
            &database.db,
            shop.id,
            &store::coupons::CouponFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        for coupon in coupons {
            let stored = get_coupon(&database.db, shop.id, coupon.id).await.unwrap();
            // The HTTP benchmark's coupon is not claimed by this one.
            let expected = if stored.coupon.name() == "http" {
                0
            } else {
                30
            };
            assert_eq!(
                stored.claimed,
                expected,
                "{}: {}",
                database.backend,
                stored.coupon.name()
            );
        }
    }
}

async fn bench_slug(db: &sea_orm::DatabaseConnection) -> String {
    let sql = "SELECT slug FROM shops WHERE slug LIKE 'bench-%'";
    crate::support::db::select(db, sql, vec![])
        .await
        .first()
        .expect("the benchmark made its shop")
        .try_get("", "slug")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_claims_benchmark_claims_over_a_real_server() {
    for database in databases().await {
        let (http, store_level) = tools::bench::http_claims(&database.db, 3, 20)
            .await
            .unwrap();
        assert_eq!(
            (http.claims, store_level.claims),
            (20, 20),
            "{}",
            database.backend
        );
        assert!(http.per_second() > 0.0);
    }
}

#[tokio::test]
async fn the_reminders_benchmark_reminds_and_expires_a_tenth_each() {
    for database in databases().await {
        // 3 000 reminders in one batch: more rows than one INSERT may bind on SQLite.
        let (_, reminders, expiry) = tools::bench::reminders(&database.db, 30_000, 5_000)
            .await
            .unwrap();
        assert_eq!(reminders.report.created, 3_000, "{}", database.backend);
        assert_eq!(expiry.report.created, 3_000, "{}", database.backend);
        assert!(reminders.peak_kb.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_benchmark_builds_its_shop_and_every_page_answers() {
    for database in databases().await {
        let scale = store::bench_admin::AdminScale {
            coupons: 40,
            claims: 400,
            orders: 80,
            customers: 50,
            notifications: 20,
            audit_entries: 10,
        };
        // `admin` fails if any page answers anything but 200.
        let (_, pages) = tools::bench::admin(&database.db, scale, 2).await.unwrap();
        assert_eq!(pages.len(), 21, "{}", database.backend);
        assert!(pages.iter().all(|p| p.latencies.len() == 2));
        assert!(
            pages.iter().filter(|p| p.bytes > 0).count() == 19,
            "every page answers"
        );
        // A pool of its own: connections the stopped server's workers opened
        // belonged to their runtimes.
        let db = &store::connect(&database.url, &crate::support::db::pool())
            .await
            .unwrap();
        let shop = store::shops::shop_by_slug(db, &bench_slug(db).await)
            .await
            .unwrap();
        let coupons = store::coupons::list_coupons(
            db,
            shop.id,
            &store::coupons::CouponFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            coupons.len(),
            40,
            "every generated coupon reads back as valid"
        );
        let overview =
            store::stats::shop_overview(db, shop.id, shop.time_zone, chrono::Utc::now(), 365)
                .await
                .unwrap();
        let claims: u64 = overview.days.iter().map(|d| d.claims).sum();
        assert_eq!(
            claims, 400,
            "{}: all within the past year",
            database.backend
        );
    }
}
