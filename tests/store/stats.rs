//! The dashboard's figures are counted by the shop's local day, in the database.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Channel;
use domain::OrderEvent;
use serde_json::json;
use store::orders::{ClaimChoice, record_event};
use store::stats::{DayFigures, coupon_days, shop_overview};

use crate::support::{databases, fixtures, now};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn claim(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    customer: &str,
    channel: Channel,
    when: DateTime<Utc>,
) -> i64 {
    fixtures::claim(db, shop_id, coupon_id, customer, channel, when)
        .await
        .id
}

async fn paid_order(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    id: &str,
    customer: &str,
    claims: ClaimChoice,
) {
    fixtures::paid_order(
        db,
        shop_id,
        id,
        customer,
        vec![fixtures::line("A1", "99.00")],
        claims,
    )
    .await;
}

#[tokio::test]
async fn the_dashboard_counts_by_the_shops_day_and_channel() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        // One minute before and at Shanghai midnight (16:00 UTC), then today.
        claim(
            db,
            shop.id,
            coupon.id,
            "a",
            Channel::LiveRoom,
            at("2026-11-22T15:59:00Z"),
        )
        .await;
        claim(
            db,
            shop.id,
            coupon.id,
            "b",
            Channel::LiveRoom,
            at("2026-11-22T16:00:00Z"),
        )
        .await;
        claim(db, shop.id, coupon.id, "c", Channel::ShortVideo, now()).await;
        paid_order(db, shop.id, "o-1", "b", ClaimChoice::Best).await;
        paid_order(db, shop.id, "o-2", "d", ClaimChoice::Exactly(vec![])).await;
        // A paid order cancelled later counts for nothing.
        paid_order(db, shop.id, "o-3", "c", ClaimChoice::Best).await;
        record_event(db, shop.id, "o-3", OrderEvent::Refunded, now(), now())
            .await
            .unwrap();

        let overview = shop_overview(db, shop.id, shop.time_zone, now(), 30)
            .await
            .unwrap();
        let name = &database.backend;
        assert_eq!(overview.active_coupons, 1, "{name}");
        assert_eq!(overview.days.len(), 30);
        assert_eq!(overview.days[29].day, date("2026-11-23"));
        let day = |d: &str| *overview.days.iter().find(|f| f.day == date(d)).unwrap();
        assert_eq!(
            day("2026-11-22").claims,
            1,
            "{name}: 23:59 local is the 22nd"
        );
        let today = day("2026-11-23");
        let busy: Vec<_> = overview
            .days
            .iter()
            .filter(|d| d.claims > 0)
            .map(|d| (d.day, d.claims))
            .collect();
        assert_eq!(
            today.claims, 2,
            "{name}: midnight local is the 23rd {busy:?}"
        );
        assert_eq!(
            today.redemptions, 1,
            "{name}: o-1 redeemed its claim; o-3's was refunded"
        );
        assert_eq!(today.cost.to_string(), "10.00", "{name}: o-3 was refunded");
        assert_eq!(
            (today.coupon_orders, today.coupon_gmv.to_string()),
            (1, "89.00".into())
        );
        assert_eq!(
            (today.plain_orders, today.plain_gmv.to_string()),
            (1, "99.00".into())
        );
        let total = DayFigures::total(&overview.days);
        assert_eq!(total.claims, 3);

        let live = overview
            .channels
            .iter()
            .find(|c| c.channel == Channel::LiveRoom)
            .unwrap();
        assert_eq!((live.claimed, live.used), (2, 1), "{name}");
        let video = overview
            .channels
            .iter()
            .find(|c| c.channel == Channel::ShortVideo)
            .unwrap();
        assert_eq!(
            (video.claimed, video.used),
            (1, 0),
            "{name}: refunded is not redeemed"
        );

        let days = coupon_days(db, coupon.id, shop.time_zone, now(), 30)
            .await
            .unwrap();
        assert_eq!(days.len(), 30);
        assert_eq!(days[28], (date("2026-11-22"), 1, 0), "{name}");
        assert_eq!(days[29], (date("2026-11-23"), 2, 1), "{name}");
    }
}

#[tokio::test]
async fn days_stay_right_across_a_clock_change() {
    for database in databases().await {
        let db = &database.db;
        let shop =
            store::shops::create_shop(db, "ny", "New York", chrono_tz::America::New_York, now())
                .await
                .unwrap();
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"claim_from": "2026-10-01T00:00:00-04:00",
                   "validity": {"type": "fixed", "from": "2026-10-01T00:00:00-04:00",
                                "until": "2026-11-30T23:59:59-05:00"}}),
        )
        .await;
        // 00:30 on 31 October (EDT, UTC−4) and 23:30 on 1 November (EST, UTC−5):
        // a single offset for the month would put each on the wrong day.
        claim(
            db,
            shop.id,
            coupon.id,
            "a",
            Channel::LiveRoom,
            at("2026-10-31T04:30:00Z"),
        )
        .await;
        claim(
            db,
            shop.id,
            coupon.id,
            "b",
            Channel::LiveRoom,
            at("2026-11-02T04:30:00Z"),
        )
        .await;
        let overview = shop_overview(db, shop.id, shop.time_zone, at("2026-11-05T12:00:00Z"), 30)
            .await
            .unwrap();
        let claimed: Vec<(NaiveDate, u64)> = overview
            .days
            .iter()
            .filter(|d| d.claims > 0)
            .map(|d| (d.day, d.claims))
            .collect();
        assert_eq!(
            claimed,
            vec![(date("2026-10-31"), 1), (date("2026-11-01"), 1)],
            "{}",
            database.backend
        );
    }
}

/// SPEC §8: an order counts once however many of its claims came from different
/// channels; "used" means redeemed on a paid order that was not cancelled or
/// refunded — the same orders the cost counts.
#[tokio::test]
async fn a_coupons_metrics_count_an_order_once_and_only_redeemed_claims() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"scope": {"type": "items", "skus": ["A1", "B1"]},
                   "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "5.00"},
                   "per_customer_limit": 2}),
        )
        .await;
        let lines = || vec![fixtures::line("A1", "50.00"), fixtures::line("B1", "50.00")];
        // Two claims from two channels, one paid order using both: GMV 90 once.
        claim(db, shop.id, coupon.id, "two", Channel::LiveRoom, now()).await;
        claim(db, shop.id, coupon.id, "two", Channel::Sms, now()).await;
        fixtures::paid_order(db, shop.id, "o-two", "two", lines(), ClaimChoice::Best).await;
        // A claim on an order never paid, and one on an order refunded after payment.
        claim(db, shop.id, coupon.id, "unpaid", Channel::LiveRoom, now()).await;
        store::orders::place_order(
            db,
            &store::orders::NewOrder {
                shop_id: shop.id,
                external_id: "o-unpaid".into(),
                customer: "unpaid".into(),
                lines: lines(),
                claims: ClaimChoice::Best,
                platform_discount: domain::Money::ZERO,
                now: now(),
            },
        )
        .await
        .unwrap();
        claim(db, shop.id, coupon.id, "refunded", Channel::LiveRoom, now()).await;
        fixtures::paid_order(db, shop.id, "o-ref", "refunded", lines(), ClaimChoice::Best).await;
        record_event(db, shop.id, "o-ref", OrderEvent::Refunded, now(), now())
            .await
            .unwrap();

        let (total, by_channel) = store::metrics::coupon_tally(db, coupon.id, Some(1000))
            .await
            .unwrap();
        assert_eq!(total.claimed, 4, "{}", database.backend);
        assert_eq!(total.used, 2, "only the paid, kept order's claims are used");
        assert_eq!(total.actual_cost.to_string(), "10.00");
        assert_eq!(
            total.coupon_gmv.to_string(),
            "90.00",
            "the order counts once"
        );
        let live = &by_channel[&Channel::LiveRoom];
        assert_eq!((live.claimed, live.used), (3, 1));
        assert_eq!(live.coupon_gmv.to_string(), "90.00");
        let sms = &by_channel[&Channel::Sms];
        assert_eq!((sms.claimed, sms.used), (1, 1));

        let overview = shop_overview(db, shop.id, chrono_tz::Asia::Shanghai, now(), 30)
            .await
            .unwrap();
        let today = overview.days.last().unwrap();
        assert_eq!(today.redemptions, 2, "redeemed means on a paid, kept order");
        let live = overview
            .channels
            .iter()
            .find(|c| c.channel == Channel::LiveRoom)
            .unwrap();
        assert_eq!((live.claimed, live.used), (3, 1));
    }
}

/// SPEC §8 (核销等待时长, 次日核销率), by hand: claims used 2 h, 5 h and 30 h
/// after being claimed on paid orders, one on an order cancelled unpaid, one
/// never used; by channel and in all.
#[tokio::test]
async fn median_wait_and_next_day_use_rate_by_hand() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"quantity": null})).await;
        let start = now() - chrono::Duration::days(3);
        let hours = |h: i64| start + chrono::Duration::hours(h);
        // (customer, channel, used after hours, paid)
        let cases = [
            ("a", Channel::LiveRoom, Some(2), true),
            ("b", Channel::LiveRoom, Some(30), true),
            ("c", Channel::ShortVideo, Some(5), true),
            ("d", Channel::ShortVideo, None, false),
            ("e", Channel::LiveRoom, Some(1), false),
        ];
        for (customer, channel, used_after, paid) in cases {
            claim(db, shop.id, coupon.id, customer, channel, start).await;
            let Some(after) = used_after else { continue };
            let order = format!("o-{customer}");
            store::orders::place_order(
                db,
                &store::orders::NewOrder {
                    shop_id: shop.id,
                    external_id: order.clone(),
                    customer: customer.into(),
                    lines: vec![domain::QuoteLine {
                        sku: domain::Sku::parse("A1").unwrap(),
                        unit_price: domain::Money::yuan(120),
                        activity_price: None,
                        quantity: 1,
                    }],
                    claims: ClaimChoice::Best,
                    platform_discount: domain::Money::ZERO,
                    now: hours(after),
                },
            )
            .await
            .unwrap();
            let event = if paid {
                OrderEvent::Paid
            } else {
                OrderEvent::Cancelled
            };
            record_event(db, shop.id, &order, event, hours(after), hours(after))
                .await
                .unwrap();
        }
        let (total, by_channel) = store::metrics::coupon_tally(db, coupon.id, None)
            .await
            .unwrap();
        let figures = |tally| {
            let m = domain::Metrics::from_tally(tally);
            (
                m.median_hours_to_use.map(|h| h.to_string()),
                m.next_day_use_rate.map(|r| r.to_string()),
            )
        };
        let some = |h: &str, r: &str| (Some(h.to_owned()), Some(r.to_owned()));
        // In all: 2, 5, 30 h → 5 h; 2 of 5 claims within a day.
        assert_eq!(figures(total), some("5.0", "40.00"), "{}", database.backend);
        // Live room: 2 and 30 h → 16 h; 1 of 3.
        assert_eq!(
            figures(by_channel[&Channel::LiveRoom]),
            some("16.0", "33.33")
        );
        // Short video: 5 h; 1 of 2.
        assert_eq!(
            figures(by_channel[&Channel::ShortVideo]),
            some("5.0", "50.00")
        );
    }
}

/// SPEC §8's roll-ups: the figures the writes keep day by day are exactly the
/// figures computed again from the raw rows — claims over three days in several
/// channels (a customer in two), grants by hand, an order using claims of two
/// channels and two coupons, orders paid then refunded or cancelled, one
/// cancelled unpaid, a plain order, claims expired and revoked.
#[tokio::test]
async fn kept_roll_ups_equal_the_roll_ups_rebuilt_from_raw_rows() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let item = fixtures::coupon(
            db,
            &shop,
            json!({"scope": {"type": "items", "skus": ["A1", "B1"]},
                   "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "6.00"},
                   "per_customer_limit": 3}),
        )
        .await;
        let whole = fixtures::coupon(db, &shop, json!({"per_customer_limit": 2})).await;
        let short = fixtures::coupon(
            db,
            &shop,
            json!({"validity": {"type": "relative", "days": 1}, "name": "一日券"}),
        )
        .await;
        let ended = fixtures::coupon(db, &shop, json!({"name": "下架券"})).await;
        let day = |d: i64| now() - chrono::Duration::days(d);

        for (customer, coupon, channel, at) in [
            ("a", item.id, Channel::LiveRoom, day(3)),
            ("a", item.id, Channel::Sms, day(3)),
            ("b", item.id, Channel::LiveRoom, day(3)),
            ("c", whole.id, Channel::ShortVideo, day(3)),
            ("e", short.id, Channel::LiveRoom, day(3)),
            ("a", whole.id, Channel::LiveRoom, day(2)),
            ("d", item.id, Channel::ShopPage, day(2)),
            ("f", ended.id, Channel::FanGroup, day(2)),
            ("g", ended.id, Channel::FanGroup, day(1)),
            ("c", item.id, Channel::ShortVideo, day(1)),
        ] {
            claim(db, shop.id, coupon, customer, channel, at).await;
        }
        store::db::write(db, async |tx| {
            store::claims::grant_by_hand(tx, shop.id, "h", item.id, now()).await
        })
        .await
        .unwrap();

        let two_lines = || vec![fixtures::line("A1", "60.00"), fixtures::line("B1", "60.00")];
        fixtures::paid_order(db, shop.id, "o-a", "a", two_lines(), ClaimChoice::Best).await;
        fixtures::paid_order(db, shop.id, "o-b", "b", two_lines(), ClaimChoice::Best).await;
        record_event(db, shop.id, "o-b", OrderEvent::Refunded, now(), now())
            .await
            .unwrap();
        fixtures::paid_order(db, shop.id, "o-d", "d", two_lines(), ClaimChoice::Best).await;
        record_event(db, shop.id, "o-d", OrderEvent::Cancelled, now(), now())
            .await
            .unwrap();
        store::orders::place_order(
            db,
            &store::orders::NewOrder {
                shop_id: shop.id,
                external_id: "o-c".into(),
                customer: "c".into(),
                lines: two_lines(),
                claims: ClaimChoice::Best,
                platform_discount: domain::Money::ZERO,
                now: now(),
            },
        )
        .await
        .unwrap();
        record_event(db, shop.id, "o-c", OrderEvent::Cancelled, now(), now())
            .await
            .unwrap();
        fixtures::paid_order(
            db,
            shop.id,
            "o-plain",
            "p",
            vec![fixtures::line("Z9", "30.00")],
            ClaimChoice::Exactly(vec![]),
        )
        .await;
        assert_eq!(
            store::claims::expire_batch(db, now(), 100).await.unwrap(),
            1,
            "the one-day claim expires"
        );
        store::coupons::apply_action(db, shop.id, ended.id, domain::LifecycleAction::End, now())
            .await
            .unwrap();
        assert_eq!(
            store::claims::revoke_unused(db, shop.id, ended.id, now())
                .await
                .unwrap(),
            2
        );

        let kept = store::rollups::snapshot(db, shop.id).await.unwrap();
        let kept_overview = shop_overview(db, shop.id, shop.time_zone, now(), 30)
            .await
            .unwrap();
        let kept_tally = store::metrics::coupon_tally(db, item.id, None)
            .await
            .unwrap();
        assert!(
            kept.iter().any(|row| row.contains("lead_orders=1")),
            "{kept:#?}"
        );
        store::db::write(db, async |tx| {
            store::rollups::rebuild(tx, shop.id, now()).await
        })
        .await
        .unwrap();
        let rebuilt = store::rollups::snapshot(db, shop.id).await.unwrap();
        assert_eq!(kept, rebuilt, "{}", database.backend);
        assert_eq!(
            kept_overview,
            shop_overview(db, shop.id, shop.time_zone, now(), 30)
                .await
                .unwrap()
        );
        assert_eq!(
            kept_tally,
            store::metrics::coupon_tally(db, item.id, None)
                .await
                .unwrap()
        );

        // And by hand: the item coupon was claimed 6 times by 5 customers (a
        // twice), used on o-a only (o-b refunded, o-d cancelled after payment,
        // o-c never paid); the shop's window saw 11 claims by 8 customers.
        let (total, _) = kept_tally;
        assert_eq!((total.claimed, total.claimers, total.used), (6, 5, 2));
        assert_eq!(total.coupon_orders, 1);
        assert_eq!(total.units, 2);
        assert_eq!(kept_overview.tally.claimed, 11);
        assert_eq!(kept_overview.tally.claimers, 8);
        let today = kept_overview.days.last().unwrap();
        assert_eq!((today.coupon_orders, today.plain_orders), (1, 1));
        assert_eq!(today.plain_gmv.to_string(), "30.00");
    }
}
