//! Atomic claiming: the rules of SPEC §3 hold under concurrency, on every backend.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::{Channel, Refusal};
use sea_orm::DatabaseConnection;
use serde_json::json;
use store::StoreError;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget, claim};

use crate::support::{databases, db, fixtures, now};

fn request(shop_id: i64, customer: &str, target: ClaimTarget) -> ClaimRequest {
    ClaimRequest {
        device: None,
        shop_id,
        customer: customer.to_owned(),
        target,
        channel: Channel::LiveRoom,
        source: ClaimSource::Claim,
        now: now(),
    }
}

/// Separate pools, as separate server processes would have.
async fn pools(url: &str, count: usize) -> Vec<DatabaseConnection> {
    let mut pools = Vec::new();
    for _ in 0..count {
        let settings = store::PoolSettings { max_connections: 5 };
        pools.push(store::connect(url, &settings).await.unwrap());
    }
    pools
}

/// Fires every request at once, round-robin over the pools; tallies the outcomes.
async fn fire(pools: &[DatabaseConnection], requests: Vec<ClaimRequest>) -> HashMap<String, usize> {
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| {
            let db = pools[i % pools.len()].clone();
            tokio::spawn(async move { claim(&db, &request).await })
        })
        .collect();
    let mut outcomes = HashMap::new();
    for task in tasks {
        let key = match task.await.unwrap() {
            Ok(_) => "ok".to_owned(),
            Err(StoreError::Refused(refusal)) => refusal.code().to_owned(),
            Err(other) => panic!("unexpected error: {other}"),
        };
        *outcomes.entry(key).or_insert(0) += 1;
    }
    outcomes
}

async fn claims_of(db: &DatabaseConnection, coupon_id: i64) -> u64 {
    let sql = "SELECT COUNT(*) AS n FROM claims WHERE coupon_id = $1";
    db::number(db, sql, vec![coupon_id.into()]).await as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_claimers_on_fifty_left_get_exactly_fifty() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({"quantity": 50})).await;
        let pools = pools(&database.url, 4).await;
        let requests = (0..200)
            .map(|i| request(shop.id, &format!("c-{i}"), ClaimTarget::Coupon(coupon.id)))
            .collect();
        let outcomes = fire(&pools, requests).await;
        assert_eq!(
            outcomes.get("ok"),
            Some(&50),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(
            outcomes.get("sold_out"),
            Some(&150),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(claims_of(&database.db, coupon.id).await, 50);
        let stored = store::coupons::get_coupon(&database.db, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(stored.claimed, 50, "{}", database.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_customer_firing_twenty_claims_gets_the_limit_of_two() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({"per_customer_limit": 2})).await;
        let pools = pools(&database.url, 4).await;
        let requests = (0..20)
            .map(|_| request(shop.id, "c-1", ClaimTarget::Coupon(coupon.id)))
            .collect();
        let outcomes = fire(&pools, requests).await;
        assert_eq!(
            outcomes.get("ok"),
            Some(&2),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(
            outcomes.get("customer_limit"),
            Some(&18),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(claims_of(&database.db, coupon.id).await, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_monthly_cap_holds_across_coupons_claimed_at_once() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await; // cap 5
        let mut requests = Vec::new();
        for i in 0..8 {
            let coupon =
                fixtures::coupon(&database.db, &shop, json!({"name": format!("券{i}")})).await;
            requests.push(request(shop.id, "c-1", ClaimTarget::Coupon(coupon.id)));
        }
        let pools = pools(&database.url, 4).await;
        let outcomes = fire(&pools, requests).await;
        assert_eq!(
            outcomes.get("ok"),
            Some(&5),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(
            outcomes.get("monthly_cap"),
            Some(&3),
            "{}: {outcomes:?}",
            database.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_one_time_code_is_used_once() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"kind": "private", "private": {"unique_codes": 3}}),
        )
        .await;
        let codes = store::codes::codes_page(&database.db, coupon.id, 0, 10)
            .await
            .unwrap();
        assert_eq!(codes.len(), 3);
        let code = codes[0].code.clone();
        let pools = pools(&database.url, 4).await;
        let requests = (0..10)
            .map(|i| {
                request(
                    shop.id,
                    &format!("c-{i}"),
                    ClaimTarget::Code(code.to_lowercase()),
                )
            })
            .collect();
        let outcomes = fire(&pools, requests).await;
        assert_eq!(
            outcomes.get("ok"),
            Some(&1),
            "{}: {outcomes:?}",
            database.backend
        );
        assert_eq!(
            outcomes.get("code_used"),
            Some(&9),
            "{}: {outcomes:?}",
            database.backend
        );

        // The other codes still work; an unknown one does not.
        let ok = claim(
            &database.db,
            &request(shop.id, "c-x", ClaimTarget::Code(codes[1].code.clone())),
        )
        .await;
        assert!(ok.is_ok(), "{ok:?}");
        let unknown = claim(
            &database.db,
            &request(shop.id, "c-y", ClaimTarget::Code("NOPE-0000".into())),
        )
        .await;
        assert!(
            matches!(unknown, Err(StoreError::Refused(Refusal::InvalidCode))),
            "{unknown:?}"
        );
        // A private coupon cannot be claimed by id without its code.
        let by_id = claim(
            &database.db,
            &request(shop.id, "c-z", ClaimTarget::Coupon(coupon.id)),
        )
        .await;
        assert!(
            matches!(by_id, Err(StoreError::Refused(Refusal::InvalidCode))),
            "{by_id:?}"
        );
    }
}

#[tokio::test]
async fn a_shared_code_serves_many_customers() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        fixtures::coupon(
            &database.db,
            &shop,
            json!({"kind": "private", "private": {"code": "VIP2026"}}),
        )
        .await;
        for customer in ["a", "b", "c"] {
            claim(
                &database.db,
                &request(shop.id, customer, ClaimTarget::Code("vip2026".into())),
            )
            .await
            .unwrap();
        }
        let again = claim(
            &database.db,
            &request(shop.id, "a", ClaimTarget::Code("VIP2026".into())),
        )
        .await;
        assert!(
            matches!(again, Err(StoreError::Refused(Refusal::CustomerLimit))),
            "{again:?}"
        );
        // A second coupon may not reuse the code.
        let taken = store::coupons::create_coupon(
            &database.db,
            shop.id,
            &fixtures::coupon_design(json!({"kind": "private", "private": {"code": "VIP2026"}})),
            domain::CouponStatus::Active,
            now(),
        )
        .await;
        assert!(matches!(taken, Err(StoreError::Invalid(_))), "{taken:?}");
    }
}

#[tokio::test]
async fn a_refused_claim_writes_nothing_not_even_the_customer() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(&database.db, &shop, json!({})).await;
        store::coupons::apply_action(
            &database.db,
            shop.id,
            coupon.id,
            domain::LifecycleAction::Pause,
            now(),
        )
        .await
        .unwrap();
        let refused = claim(
            &database.db,
            &request(shop.id, "newcomer", ClaimTarget::Coupon(coupon.id)),
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Refused(Refusal::Paused))),
            "{refused:?}"
        );
        assert!(
            store::customers::find_customer(&database.db, shop.id, "newcomer")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(claims_of(&database.db, coupon.id).await, 0);

        let missing = claim(
            &database.db,
            &request(shop.id, "newcomer", ClaimTarget::Coupon(999_999)),
        )
        .await;
        assert!(
            matches!(missing, Err(StoreError::NotFound("coupon"))),
            "{missing:?}"
        );
        let bad_id = claim(
            &database.db,
            &request(shop.id, "has space", ClaimTarget::Coupon(coupon.id)),
        )
        .await;
        assert!(matches!(bad_id, Err(StoreError::Invalid(_))), "{bad_id:?}");

        // Another shop's coupon is not found, whatever its state.
        let other = fixtures::shop(&database.db, "other").await;
        let elsewhere = claim(
            &database.db,
            &request(other.id, "c-1", ClaimTarget::Coupon(coupon.id)),
        )
        .await;
        assert!(
            matches!(elsewhere, Err(StoreError::NotFound("coupon"))),
            "{elsewhere:?}"
        );
    }
}

#[tokio::test]
async fn the_daily_limit_follows_the_shops_midnight() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await; // Asia/Shanghai
        store::shops::set_monthly_cap(&database.db, shop.id, None)
            .await
            .unwrap();
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"per_customer_limit": 5, "per_customer_daily_limit": 1}),
        )
        .await;
        let at = |text: &str| -> DateTime<Utc> { text.parse().unwrap() };
        let mut req = request(shop.id, "c-1", ClaimTarget::Coupon(coupon.id));
        req.now = at("2026-11-23T15:59:00Z"); // 23:59 local
        claim(&database.db, &req).await.unwrap();
        req.now = at("2026-11-23T15:59:59Z");
        let same_day = claim(&database.db, &req).await;
        assert!(
            matches!(same_day, Err(StoreError::Refused(Refusal::DailyLimit))),
            "{same_day:?}"
        );
        req.now = at("2026-11-23T16:00:00Z"); // 00:00 local, still the 23rd in UTC
        claim(&database.db, &req).await.expect("a new local day");
    }
}

#[tokio::test]
async fn relative_validity_is_resolved_at_claim_time() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let coupon = fixtures::coupon(
            &database.db,
            &shop,
            json!({"validity": {"type": "relative", "days": 3}}),
        )
        .await;
        let record = claim(
            &database.db,
            &request(shop.id, "c-1", ClaimTarget::Coupon(coupon.id)),
        )
        .await
        .unwrap();
        assert_eq!(record.valid_from, now());
        assert_eq!(record.valid_until, now() + Duration::days(3));
        assert_eq!(record.state, store::claims::ClaimState::Unused);
    }
}

/// A follower auto-grant refused because its coupon had not started is granted
/// once it has, to a customer who still follows — exactly once, however often the
/// grants pass runs or the customer follows again; not to one who unfollowed.
#[tokio::test]
async fn a_follower_grant_waits_for_its_coupon_to_start() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let starts = now() + Duration::days(1);
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"kind": "follower", "audience": "followers", "follower": {"auto_grant": true},
                   "claim_from": "2026-11-24T16:00:00+08:00"}),
        )
        .await;
        for who in ["stays", "leaves"] {
            let granted = store::follows::follow(db, shop.id, who, Channel::LiveRoom, now())
                .await
                .unwrap();
            assert!(granted.is_empty(), "{}: not started yet", database.backend);
        }
        store::follows::unfollow(db, shop.id, "leaves", now())
            .await
            .unwrap();
        // Before the start nothing changes; after it, the one who stays gets it.
        assert_eq!(
            store::follows::grant_waiting(db, now(), 100).await.unwrap(),
            (0, 0)
        );
        assert_eq!(
            store::follows::grant_waiting(db, starts, 100)
                .await
                .unwrap(),
            (1, 0),
            "{}",
            database.backend
        );
        assert_eq!(
            store::follows::grant_waiting(db, starts, 100)
                .await
                .unwrap(),
            (0, 0),
            "never twice"
        );
        let again = store::follows::follow(db, shop.id, "stays", Channel::LiveRoom, starts)
            .await
            .unwrap();
        assert!(again.is_empty(), "following again grants nothing new");
        // The one who left gets it by following again, once.
        let back = store::follows::follow(db, shop.id, "leaves", Channel::LiveRoom, starts)
            .await
            .unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(claims_of(db, coupon.id).await, 2);
    }
}

/// Through the batching writer, 250 concurrent claimers of one coupon and 240 of
/// four coupons under the shop's monthly cap: stock, per-customer, daily and
/// monthly limits hold exactly, and every refusal names its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_pass_a_limit_through_the_batches() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        store::shops::set_monthly_cap(db, shop.id, Some(3))
            .await
            .unwrap();
        let drop = fixtures::coupon(
            db,
            &shop,
            json!({"quantity": 100, "per_customer_limit": 2, "per_customer_daily_limit": 1}),
        )
        .await;
        let mut monthly = Vec::new();
        for i in 0..4 {
            monthly.push(
                fixtures::coupon(
                    db,
                    &shop,
                    json!({"name": format!("月券{i}"), "quantity": null, "per_customer_limit": null}),
                )
                .await
                .id,
            );
        }
        let mut tasks = Vec::new();
        // 125 customers try the drop twice each, at once.
        for i in 0..250 {
            let db = db.clone();
            let coupon = drop.id;
            tasks.push(tokio::spawn(async move {
                let customer = format!("d-{}", i % 125);
                (
                    customer.clone(),
                    coupon,
                    attempt(&db, shop.id, coupon, &customer).await,
                )
            }));
        }
        // 60 customers try all four coupons at once: the cap lets three through.
        for i in 0..240 {
            let db = db.clone();
            let coupon = monthly[i % 4];
            tasks.push(tokio::spawn(async move {
                let customer = format!("m-{}", i / 4);
                (
                    customer.clone(),
                    coupon,
                    attempt(&db, shop.id, coupon, &customer).await,
                )
            }));
        }
        let mut granted: HashMap<(String, i64), u32> = HashMap::new();
        let mut reasons: HashMap<&'static str, u32> = HashMap::new();
        for task in tasks {
            let (customer, coupon, outcome) = task.await.unwrap();
            match outcome {
                Ok(()) => *granted.entry((customer, coupon)).or_default() += 1,
                Err(reason) => *reasons.entry(reason.code()).or_default() += 1,
            }
        }
        let on_drop: u32 = granted
            .iter()
            .filter(|((_, c), _)| *c == drop.id)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(on_drop, 100, "{}: exactly the stock", database.backend);
        assert!(
            granted.iter().all(|((_, c), n)| *c != drop.id || *n == 1),
            "the daily limit of one holds"
        );
        for customer in 0..60 {
            let name = format!("m-{customer}");
            let theirs: u32 = granted
                .iter()
                .filter(|((c, _), _)| *c == name)
                .map(|(_, n)| n)
                .sum();
            assert_eq!(theirs, 3, "{name}: the monthly cap of three holds");
        }
        assert_eq!(reasons.get("monthly_cap"), Some(&60));
        assert_eq!(
            reasons.get("sold_out").unwrap_or(&0) + reasons.get("daily_limit").unwrap_or(&0),
            150
        );
        for coupon in std::iter::once(drop.id).chain(monthly) {
            let rows = claims_of(db, coupon).await;
            let counter = store::coupons::get_coupon(db, shop.id, coupon)
                .await
                .unwrap()
                .claimed;
            assert_eq!(
                rows, counter,
                "coupon {coupon}: the counter equals its rows"
            );
        }
    }
}

async fn attempt(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon: i64,
    customer: &str,
) -> Result<(), Refusal> {
    match claim(
        db,
        &ClaimRequest {
            device: None,
            shop_id,
            customer: customer.into(),
            target: ClaimTarget::Coupon(coupon),
            channel: Channel::LiveRoom,
            source: ClaimSource::Claim,
            now: now(),
        },
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(reason)) => Err(reason),
        Err(other) => panic!("{other}"),
    }
}

/// The live drop console's figures come from per-second tallies the claim
/// batches keep: every claim and every refusal of a coupon counted once, in the
/// second it was decided, purged after a day.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_live_console_counts_every_claim_and_refusal_in_its_second() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"quantity": 5})).await;
        let at = |seconds_ago: i64, customer: &str| ClaimRequest {
            device: None,
            now: now() - Duration::seconds(seconds_ago),
            ..request(shop.id, customer, ClaimTarget::Coupon(coupon.id))
        };
        for (ago, customer, ok) in [
            (3, "c-1", true),
            (3, "c-2", true),
            (3, "c-1", false), // customer_limit
            (1, "c-3", true),
            (1, "c-4", true),
            (1, "c-5", true),
            (1, "c-6", false), // sold_out
            (1, "c-7", false), // sold_out
        ] {
            assert_eq!(
                claim(db, &at(ago, customer)).await.is_ok(),
                ok,
                "{customer}"
            );
        }
        // A burst on a second coupon, decided in batches.
        let burst = fixtures::coupon(db, &shop, json!({"quantity": 8, "name": "秒杀"})).await;
        let pools = pools(&database.url, 2).await;
        let requests = (0..40)
            .map(|i| ClaimRequest {
                device: None,
                now: now() - Duration::seconds(2),
                ..request(shop.id, &format!("b-{i}"), ClaimTarget::Coupon(burst.id))
            })
            .collect();
        let outcomes = fire(&pools, requests).await;
        assert_eq!(outcomes.get("ok"), Some(&8), "{outcomes:?}");

        let live = store::claims::live_drop(db, coupon.id, Some(0), now())
            .await
            .unwrap();
        let seconds = &live.pace.per_second;
        assert_eq!(seconds.len(), 60);
        assert_eq!(
            (seconds[57], seconds[58], seconds[59]),
            (2, 0, 3),
            "{}",
            database.backend
        );
        assert_eq!(live.pace.last_minute(), 5);
        assert_eq!(live.claimed_last_hour, 5);
        assert_eq!(live.pace.seconds_to_sell_out(), Some(0));
        assert_eq!(
            live.refusals,
            vec![(Refusal::SoldOut, 2, 2), (Refusal::CustomerLimit, 1, 1)],
            "{}",
            database.backend
        );
        let live = store::claims::live_drop(db, burst.id, Some(0), now())
            .await
            .unwrap();
        assert_eq!(live.pace.per_second[58], 8);
        assert_eq!(live.refusals, vec![(Refusal::SoldOut, 32, 32)]);
        // The second not yet over is left for the next look.
        let early = store::claims::live_drop(db, coupon.id, Some(0), now() - Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(early.pace.last_minute(), 2);
        // A minute later the minute is quiet and the hour remembers.
        let later = now() + Duration::seconds(70);
        let live = store::claims::live_drop(db, coupon.id, Some(0), later)
            .await
            .unwrap();
        assert_eq!((live.pace.last_minute(), live.claimed_last_hour), (0, 5));
        assert_eq!(
            live.refusals,
            vec![(Refusal::SoldOut, 0, 2), (Refusal::CustomerLimit, 0, 1)]
        );
        // Kept a day.
        let kept = now() + Duration::hours(store::claims::KEEP_HOURS) - Duration::seconds(5);
        assert_eq!(store::claims::purge_tallies(db, kept).await.unwrap(), 0);
        let gone = now() + Duration::hours(store::claims::KEEP_HOURS);
        // coupon: seconds -3 (claimed, customer_limit) and -1 (claimed, sold_out);
        // burst: second -2 (claimed, sold_out).
        assert_eq!(store::claims::purge_tallies(db, gone).await.unwrap(), 6);
    }
}
