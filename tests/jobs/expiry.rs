use chrono::Duration;
use scheduler::{JobName, run_pass};
use serde_json::json;
use store::claims::{ClaimState, get_claim};

use super::{claim_at, concurrent_passes, context, small_batches};
use crate::support::{databases, fixtures, now};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_claims_are_marked_once_in_bounded_batches() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        store::shops::set_monthly_cap(&database.db, shop.id, None)
            .await
            .unwrap();
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"validity": {"type": "relative", "days": 1}}),
        )
        .await;
        let mut claims = Vec::new();
        for i in 0..7 {
            claims.push(claim_at(&database.db, shop.id, &format!("c-{i}"), coupon.id, now()).await);
        }
        let later = now() + Duration::days(2);
        // A pass cut short after one batch of 3 ...
        let mut settings = small_batches(3);
        settings.max_batches_per_pass = Some(1);
        let cut = run_pass(
            &context(&database.db, settings),
            JobName::ExpireClaims,
            later,
        )
        .await
        .unwrap();
        assert_eq!(
            (cut.created, cut.stopped_early),
            (3, true),
            "{}",
            database.backend
        );
        // ... then whole passes finish the rest, and again change nothing.
        let rest = run_pass(
            &context(&database.db, small_batches(3)),
            JobName::ExpireClaims,
            later,
        )
        .await
        .unwrap();
        assert_eq!(rest.created, 4);
        let again = run_pass(
            &context(&database.db, small_batches(3)),
            JobName::ExpireClaims,
            later,
        )
        .await
        .unwrap();
        assert_eq!(again.created, 0);
        for claim in &claims {
            assert_eq!(
                get_claim(&database.db, shop.id, claim.id)
                    .await
                    .unwrap()
                    .state,
                ClaimState::Expired
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_expiry_passes_expire_each_claim_once() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        store::shops::set_monthly_cap(&database.db, shop.id, None)
            .await
            .unwrap();
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"validity": {"type": "relative", "days": 1}}),
        )
        .await;
        for i in 0..40 {
            claim_at(&database.db, shop.id, &format!("c-{i}"), coupon.id, now()).await;
        }
        let total = concurrent_passes(
            &database.url,
            JobName::ExpireClaims,
            now() + Duration::days(2),
            small_batches(5),
        )
        .await;
        assert_eq!(total, 40, "{}", database.backend);
        let (unused, used, expired) = store::coupons::claim_states(&database.db, coupon.id)
            .await
            .unwrap();
        assert_eq!((unused, used, expired), (0, 0, 40));
    }
}

#[tokio::test]
async fn a_pass_asked_to_stop_starts_no_further_batch() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"validity": {"type": "relative", "days": 1}}),
        )
        .await;
        claim_at(&database.db, shop.id, "c-1", coupon.id, now()).await;
        let (ctx, stop) = scheduler::Context::new(database.db.clone(), small_batches(10));
        stop.send(true).unwrap();
        let stopped = run_pass(&ctx, JobName::ExpireClaims, now() + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(
            (stopped.created, stopped.batches, stopped.stopped_early),
            (0, 0, true)
        );
        let (ctx, _stop) = scheduler::Context::new(database.db.clone(), small_batches(10));
        let done = run_pass(&ctx, JobName::ExpireClaims, now() + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(
            done.created, 1,
            "{}: the next pass does the work",
            database.backend
        );
    }
}

#[tokio::test]
async fn the_expiry_pass_forgets_idempotency_keys_after_a_day() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        store::idempotency::begin(db, shop.id, "old", "h", now())
            .await
            .unwrap();
        let later = now() + store::idempotency::KEEP_FOR - Duration::minutes(1);
        store::idempotency::begin(db, shop.id, "recent", "h", later)
            .await
            .unwrap();
        let ctx = context(db, small_batches(10));
        let report = run_pass(
            &ctx,
            JobName::ExpireClaims,
            now() + store::idempotency::KEEP_FOR + Duration::minutes(1),
        )
        .await
        .unwrap();
        assert_eq!(report.purged, 1, "{}", database.backend);
        // The recent key is still there: a retry with another body is refused.
        assert_ne!(
            store::idempotency::begin(db, shop.id, "recent", "other", later)
                .await
                .unwrap(),
            store::idempotency::Attempt::Fresh
        );
        // The old one is gone: the key may be used afresh.
        assert_eq!(
            store::idempotency::begin(db, shop.id, "old", "other", later)
                .await
                .unwrap(),
            store::idempotency::Attempt::Fresh
        );
    }
}

/// SPEC §9 retention: a session past its expiry is purged by the expire pass;
/// a live one is kept.
#[tokio::test]
async fn the_expiry_pass_purges_expired_sessions() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (_, password) = fixtures::staff(
            db,
            "owner@example.com",
            "店主",
            domain::roles::Role::Owner,
            shop.id,
        )
        .await;
        let sign_in = async |at| {
            store::staff::sign_in(db, "owner@example.com", &password, "127.0.0.1", at)
                .await
                .unwrap()
                .unwrap()
                .1
                .token
        };
        let old = sign_in(now()).await;
        let later = now() + store::staff::SESSION_LASTS;
        let live = sign_in(later).await;
        let ctx = context(db, small_batches(10));
        let report = run_pass(&ctx, JobName::ExpireClaims, later + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(report.purged, 1, "{}: the old session", database.backend);
        let at = later + Duration::minutes(2);
        assert!(
            store::staff::session(db, &live, at)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store::staff::session(db, &old, now())
                .await
                .unwrap()
                .is_none(),
            "gone"
        );
    }
}

#[tokio::test]
async fn a_code_batch_is_written_in_chunks_and_a_stopped_one_is_finished() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let size = store::codes::FILL_CHUNK * 2 + 7;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"kind": "private", "private": {"unique_codes": size}}),
        )
        .await;
        assert_eq!(
            store::codes::batch_progress(db, coupon.id).await.unwrap(),
            (u64::from(size), u64::from(size))
        );
        assert_eq!(
            store::codes::code_counts(db, coupon.id).await.unwrap().0,
            u64::from(size),
            "{}",
            database.backend
        );
        // A batch asked for whose process stopped before writing it ...
        store::db::write(db, async |tx| {
            store::codes::open_batch(tx, coupon.id, 10, now()).await
        })
        .await
        .unwrap();
        assert_eq!(
            store::codes::unfinished_coupons(db, 10).await.unwrap(),
            [coupon.id]
        );
        // ... is finished by the next expire pass.
        run_pass(
            &context(db, small_batches(100)),
            JobName::ExpireClaims,
            now(),
        )
        .await
        .unwrap();
        assert!(
            store::codes::unfinished_coupons(db, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store::codes::code_counts(db, coupon.id).await.unwrap().0,
            u64::from(size) + 10
        );
    }
}
