//! The demo shop (SPEC §9): what a fresh database gets on first run, and what
//! `merchant-ops demo` loads — products, coupons of every kind in every state,
//! customers, claims and orders, dated around `now` so it always looks current.

use chrono::{DateTime, Duration, Utc};
use domain::roles::Role;
use domain::{
    Channel, CouponDraft, CouponStatus, LifecycleAction, Money, QuoteLine, Region, Sku, Tag,
};
use serde_json::{Value, json};
use store::DatabaseConnection;

use domain::OrderEvent;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};
use store::customers::CustomerProfile;
use store::orders::{ClaimChoice, NewOrder};
use store::{Result, StoreError};
use store::{claims, coupons, customers, follows, orders, products, shops, staff};

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_OWNER: &str = "owner@demo.merchant-ops.test";

/// What the first run prints once.
#[derive(Debug, Clone)]
pub struct DemoShop {
    pub shop_id: i64,
    pub owner_email: String,
    pub owner_password: String,
}

const PRODUCTS: &[(&str, &str, u32)] = &[
    ("DRESS-01", "碎花连衣裙", 199),
    ("TEE-02", "纯棉T恤", 69),
    ("LIP-03", "丝绒口红", 129),
    ("MASK-04", "补水面膜(10片)", 89),
    ("TEA-05", "明前龙井 250g", 258),
    ("SOCK-06", "棉袜(5双)", 39),
];

pub(crate) fn coupon(now: DateTime<Utc>, body: Value) -> Result<domain::Coupon> {
    let mut base = json!({
        "kind": "shop", "scope": {"type": "shop"},
        "validity": {"type": "relative", "days": 7},
        "claim_from": now - Duration::days(30), "claim_until": now + Duration::days(30),
        "quantity": 1000, "per_customer_limit": 1, "audience": "all", "channels": [], "regions": []
    });
    for (key, value) in body.as_object().expect("an object") {
        base[key] = value.clone();
    }
    let draft: CouponDraft = serde_json::from_value(base)
        .map_err(|e| StoreError::Corrupt(format!("demo coupon: {e}")))?;
    Ok(draft.validate()?)
}

pub(crate) fn amount_off(threshold: &str, amount: &str) -> Value {
    json!({"type": "amount_off", "threshold": threshold, "amount": amount})
}

/// First run: loads the demo into a database that holds no shop yet; a database
/// that holds any shop is left as it is (`None`).
pub async fn load_on_first_run(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Option<DemoShop>> {
    if shops::has_shops(db).await? {
        return Ok(None);
    }
    load(db, now).await.map(Some)
}

/// Loads the demo shop; refused if a shop with the demo's slug exists.
pub async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<DemoShop> {
    let shop = shops::create_shop(
        db,
        DEMO_SLUG,
        "演示店铺 · 小鹿严选",
        chrono_tz::Asia::Shanghai,
        now,
    )
    .await?;
    shops::update_settings(
        db,
        shop.id,
        &domain::shop::ShopSettings {
            time_zone: shop.time_zone,
            reminder_lead_hours: vec![72, 24],
            quiet_start_minute: 22 * 60,
            quiet_end_minute: 8 * 60,
            monthly_cap: Some(5),
            profit_floor: Some(rust_decimal::Decimal::new(15, 0)),
        },
    )
    .await?;
    for (sku, name, price) in PRODUCTS {
        let sku = Sku::parse(sku).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        products::upsert_product(db, shop.id, &sku, name, Money::yuan(*price), now).await?;
    }

    let designs = [
        (
            CouponStatus::Active,
            json!({"name": "直播间满99减10", "benefit": amount_off("99.00", "10.00"),
            "channels": ["live_room", "short_video"]}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "店铺满199减30", "benefit": amount_off("199.00", "30.00"),
            "quantity": 500}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "口红立减20", "scope": {"type": "items", "skus": ["LIP-03"]},
            "benefit": amount_off("0.00", "20.00")}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "T恤多件多折", "scope": {"type": "items", "skus": ["TEE-02"]},
            "benefit": {"type": "tiered_percent", "tiers": [{"min_quantity": 2, "percent": "90"}, {"min_quantity": 3, "percent": "80"}]}}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "新人无门槛5元", "kind": "new_customer", "audience": "new_customers",
            "benefit": amount_off("0.00", "5.00")}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "粉丝专享满50减8", "kind": "follower", "audience": "followers",
            "follower": {"auto_grant": true}, "benefit": amount_off("50.00", "8.00")}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "复购券满100减15", "kind": "repurchase",
            "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": false},
            "benefit": amount_off("100.00", "15.00"), "validity": {"type": "relative", "days": 14}}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "VIP私密券满300减50", "kind": "private",
            "private": {"code": "VIP2026"}, "benefit": amount_off("300.00", "50.00"), "quantity": 100}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "茶叶85折", "scope": {"type": "items", "skus": ["TEA-05"]},
            "benefit": {"type": "percent_off", "percent": "85", "min_quantity": 1, "max_discount": "50.00"},
            "regions": ["31", "33", "32"]}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "双12预热满299减40", "benefit": amount_off("299.00", "40.00")}),
        ),
        (
            CouponStatus::Draft,
            json!({"name": "年货节满399减60(草稿)", "benefit": amount_off("399.00", "60.00")}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "入会有礼 无门槛10元", "kind": "member", "audience": "members",
            "member": {"join_gift": true}, "benefit": amount_off("0.00", "10.00")}),
        ),
        (
            CouponStatus::Active,
            json!({"name": "满300返20", "kind": "reward",
            "reward": {"min_paid": "300.00", "trigger": "paid", "members_only": false},
            "benefit": amount_off("100.00", "20.00"), "quantity": null, "per_customer_limit": null}),
        ),
    ];
    let mut ids = Vec::new();
    for (status, body) in designs {
        ids.push(
            coupons::create_coupon(
                db,
                shop.id,
                &coupon(now, body)?,
                status,
                now - Duration::days(30),
            )
            .await?
            .id,
        );
    }
    let paused = ids[9];
    coupons::apply_action(db, shop.id, paused, LifecycleAction::Pause, now).await?;
    let ended = coupons::create_coupon(
        db,
        shop.id,
        &coupon(
            now,
            json!({"name": "国庆满199减25(已结束)", "benefit": amount_off("199.00", "25.00"),
            "claim_from": now - Duration::days(60), "claim_until": now - Duration::days(45)}),
        )?,
        CouponStatus::Active,
        now - Duration::days(60),
    )
    .await?;
    coupons::apply_action(db, shop.id, ended.id, LifecycleAction::End, now).await?;

    // (storefront id, name, phone, province, tags); some customers never told
    // the storefront their name, one not even a phone.
    type Person<'a> = (&'a str, Option<&'a str>, Option<&'a str>, u8, &'a [&'a str]);
    let people: [Person; 8] = [
        ("dy-10001", Some("小美"), Some("13800135678"), 31, &["VIP"]),
        ("dy-10002", Some("阿杰"), Some("13900021234"), 44, &[]),
        ("ks-20001", None, Some("13700138888"), 33, &[]),
        ("ks-20002", Some("王姐"), Some("13600130426"), 11, &["VIP"]),
        ("tb-30001", Some("Lily"), Some("13500139001"), 32, &[]),
        ("tb-30002", None, Some("18800187766"), 51, &[]),
        ("dy-10003", Some("大熊"), None, 44, &[]),
        ("ks-20003", None, None, 31, &[]),
    ];
    for (id, name, phone, region, tags) in people {
        let profile = CustomerProfile {
            region: Some(Region::new(region).ok()),
            tags: Some(tags.iter().filter_map(|t| Tag::parse(t).ok()).collect()),
            phone: Some(phone.map(str::to_owned)),
            name: Some(name.map(str::to_owned)),
        };
        customers::upsert_customer(db, shop.id, id, &profile, now - Duration::days(10)).await?;
    }
    for id in ["dy-10001", "ks-20001", "tb-30001"] {
        follows::follow(db, shop.id, id, Channel::LiveRoom, now - Duration::days(5)).await?;
    }
    // Members of the shop, each given the join gift.
    for (id, level) in [
        ("dy-10001", "金卡"),
        ("ks-20002", "银卡"),
        ("tb-30001", "银卡"),
    ] {
        store::members::join(db, shop.id, id, Some(level), now - Duration::days(4)).await?;
    }
    // Share to unlock: 3 new friends unlock ¥20; each friend gets the new-customer coupon.
    let share = coupons::create_coupon(
        db,
        shop.id,
        &coupon(
            now,
            json!({"name": "3人助力得20元", "kind": "share", "quantity": null, "per_customer_limit": null,
            "share": {"friends": 3, "new_customers_only": true, "friend_coupon_id": ids[4]},
            "benefit": amount_off("0.00", "20.00")}),
        )?,
        CouponStatus::Active,
        now - Duration::days(20),
    )
    .await?;
    for (sharer, friends) in [("dy-10002", 3), ("ks-20001", 1)] {
        let at = now - Duration::days(2);
        let started = store::shares::start(db, shop.id, sharer, share.id, at).await?;
        for n in 0..friends {
            let friend = format!("{sharer}-friend-{n}");
            store::shares::join(db, shop.id, &started.code, &friend, Channel::ShortVideo, at)
                .await?;
        }
    }
    let channels = [
        Channel::LiveRoom,
        Channel::ShortVideo,
        Channel::ShopPage,
        Channel::LiveRoom,
    ];
    for (i, (customer, ..)) in people.iter().enumerate() {
        for (j, coupon_id) in [ids[0], ids[1], ids[2], ids[3]].iter().enumerate() {
            if (i + j) % 3 == 2 {
                continue;
            }
            let request = ClaimRequest {
                device: None,
                shop_id: shop.id,
                customer: (*customer).to_owned(),
                target: ClaimTarget::Coupon(*coupon_id),
                channel: channels[(i + j) % channels.len()],
                source: ClaimSource::Claim,
                now: now - Duration::days(3) + Duration::hours((i * 3 + j) as i64),
            };
            // Demo customers in other regions or channels are refused like anyone.
            match claims::claim(db, &request).await {
                Ok(_) | Err(StoreError::Refused(_)) => {}
                Err(other) => return Err(other),
            }
        }
    }
    let line = |sku: &str, quantity: u32| -> Result<QuoteLine> {
        let (_, _, price) = PRODUCTS
            .iter()
            .find(|(s, _, _)| *s == sku)
            .expect("a demo product");
        Ok(QuoteLine {
            sku: Sku::parse(sku).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            unit_price: Money::yuan(*price),
            activity_price: None,
            quantity,
        })
    };
    let carts: [(&str, &str, Vec<QuoteLine>, &[OrderEvent]); 5] = [
        (
            "DY202611200001",
            "dy-10001",
            vec![line("DRESS-01", 1)?, line("LIP-03", 1)?],
            &[OrderEvent::Paid, OrderEvent::Shipped, OrderEvent::Delivered],
        ),
        (
            "DY202611200002",
            "dy-10002",
            vec![line("TEE-02", 3)?],
            &[OrderEvent::Paid, OrderEvent::Delivered],
        ),
        (
            "KS202611210001",
            "ks-20001",
            vec![line("MASK-04", 2)?, line("SOCK-06", 1)?],
            &[OrderEvent::Paid],
        ),
        (
            "TB202611220001",
            "tb-30001",
            vec![line("TEA-05", 1)?],
            &[OrderEvent::Paid, OrderEvent::Shipped],
        ),
        (
            "KS202611220002",
            "ks-20002",
            vec![line("DRESS-01", 2)?],
            &[OrderEvent::Cancelled],
        ),
    ];
    for (i, (external_id, customer, lines, events)) in carts.into_iter().enumerate() {
        let placed_at = now - Duration::days(2) + Duration::hours(i as i64 * 5);
        orders::place_order(
            db,
            &NewOrder {
                shop_id: shop.id,
                external_id: external_id.into(),
                customer: customer.into(),
                lines,
                claims: ClaimChoice::Best,
                platform_discount: Money::ZERO,
                now: placed_at,
            },
        )
        .await?;
        for (k, event) in events.iter().enumerate() {
            let at = placed_at + Duration::hours(k as i64 * 6 + 1);
            orders::record_event(db, shop.id, external_id, *event, at, at).await?;
        }
    }

    everyday_trade(db, shop.id, ids[0], ids[1], now).await?;
    outbox(db, shop.id, now).await?;
    alerts(db, shop.id, ids[0], now).await?;

    let (_, password) =
        staff::create_staff(db, DEMO_OWNER, "小鹿", Role::Owner, shop.id, now).await?;
    Ok(DemoShop {
        shop_id: shop.id,
        owner_email: DEMO_OWNER.into(),
        owner_password: password,
    })
}

/// A month of ordinary days, so the dashboard has something to draw: every day
/// a few live-room and shop-page shoppers claim a coupon (through the real
/// claiming path) and most of them use it on a paid order; someone else buys
/// without one.
async fn everyday_trade(
    db: &DatabaseConnection,
    shop_id: i64,
    live_coupon: i64,
    shop_coupon: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let dress = |quantity: u32| QuoteLine {
        sku: Sku::parse("DRESS-01").expect("a demo SKU"),
        unit_price: Money::yuan(199),
        activity_price: None,
        quantity,
    };
    // Names and phones as a storefront passes them on; some never gave a name.
    const NAMES: [Option<&str>; 7] = [
        Some("小雨"),
        Some("阿宁"),
        None,
        Some("可可"),
        Some("晓晨"),
        None,
        Some("乐乐"),
    ];
    // Oldest first, so that the newest orders are the newest rows.
    for day in (1..=28i64).rev() {
        let shoppers = 2 + day % 4;
        for k in 0..shoppers {
            let customer = format!("fan-{day:02}-{k}");
            let at = now - Duration::days(day) + Duration::hours(k);
            let profile = CustomerProfile {
                name: Some(NAMES[((day + k) % 7) as usize].map(str::to_owned)),
                phone: Some(Some(format!("1380013{day:02}{k:02}"))),
                ..CustomerProfile::default()
            };
            customers::upsert_customer(db, shop_id, &customer, &profile, at).await?;
            let (coupon, channel) = match k % 3 {
                0 => (live_coupon, Channel::LiveRoom),
                1 => (live_coupon, Channel::ShortVideo),
                _ => (shop_coupon, Channel::ShopPage),
            };
            let request = ClaimRequest {
                device: None,
                shop_id,
                customer: customer.clone(),
                target: ClaimTarget::Coupon(coupon),
                channel,
                source: ClaimSource::Claim,
                now: at,
            };
            claims::claim(db, &request).await?;
            // Three in four shoppers use their coupon a couple of hours later.
            if (day + k) % 4 == 0 {
                continue;
            }
            let external_id = format!("DY2026{day:02}{k:04}");
            let placed_at = at + Duration::hours(2);
            orders::place_order(
                db,
                &NewOrder {
                    shop_id,
                    external_id: external_id.clone(),
                    customer,
                    lines: vec![dress(1 + (k as u32 % 2))],
                    claims: ClaimChoice::Best,
                    platform_discount: Money::ZERO,
                    now: placed_at,
                },
            )
            .await?;
            let paid = placed_at + Duration::minutes(5);
            orders::record_event(db, shop_id, &external_id, OrderEvent::Paid, paid, paid).await?;
        }
        // A shopper without a coupon buys a T-shirt.
        let external_id = format!("TB2026{day:02}9999");
        let placed_at = now - Duration::days(day) + Duration::hours(6);
        let walk_in = format!("walk-in-{day:02}");
        let profile = CustomerProfile {
            phone: Some(Some(format!("1390021{day:02}00"))),
            ..CustomerProfile::default()
        };
        customers::upsert_customer(db, shop_id, &walk_in, &profile, placed_at).await?;
        orders::place_order(
            db,
            &NewOrder {
                shop_id,
                external_id: external_id.clone(),
                customer: walk_in,
                lines: vec![QuoteLine {
                    sku: Sku::parse("TEE-02").expect("a demo SKU"),
                    unit_price: Money::yuan(69),
                    activity_price: None,
                    quantity: 1,
                }],
                claims: ClaimChoice::Exactly(vec![]),
                platform_discount: Money::ZERO,
                now: placed_at,
            },
        )
        .await?;
        orders::record_event(
            db,
            shop_id,
            &external_id,
            OrderEvent::Paid,
            placed_at,
            placed_at,
        )
        .await?;
    }
    Ok(())
}

/// Something for each of SPEC §8's alerts, then one check, so the dashboard
/// opens with them (they clear as they stop being true: the flash sale's pace
/// after ten minutes): the live-room coupon past a ¥50 budget; a flash coupon
/// with 52 of 60 claimed in the last ten minutes; five of its claimers sharing
/// one phone and six claiming from one device; an order unpaid for 3 hours.
async fn alerts(
    db: &DatabaseConnection,
    shop_id: i64,
    live_room_coupon: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    store::alerts::set_budget(db, shop_id, live_room_coupon, Some(Money::yuan(50))).await?;
    let flash = coupons::create_coupon(
        db,
        shop_id,
        &coupon(
            now,
            json!({"name": "整点秒杀满59减20", "benefit": amount_off("59.00", "20.00"),
            "quantity": 60, "channels": ["live_room"]}),
        )?,
        CouponStatus::Active,
        now,
    )
    .await?;
    for k in 0..52_i64 {
        let customer = format!("ks-flash-{k:02}");
        let phone = if k < 5 {
            "13700137000".to_owned()
        } else {
            format!("137001{k:05}")
        };
        customers::upsert_customer(
            db,
            shop_id,
            &customer,
            &CustomerProfile {
                phone: Some(Some(phone)),
                ..Default::default()
            },
            now - Duration::minutes(20),
        )
        .await?;
        claims::claim(
            db,
            &ClaimRequest {
                shop_id,
                customer,
                target: ClaimTarget::Coupon(flash.id),
                channel: Channel::LiveRoom,
                source: ClaimSource::Claim,
                device: (40..46).contains(&k).then(|| "android-7f3a9c".to_owned()),
                now: now - Duration::seconds(540 - k * 10),
            },
        )
        .await?;
    }
    orders::place_order(
        db,
        &NewOrder {
            shop_id,
            external_id: "KS202611230003".into(),
            customer: "ks-20003".into(),
            lines: vec![QuoteLine {
                sku: Sku::parse("TEA-05").map_err(|e| StoreError::Corrupt(e.to_string()))?,
                unit_price: Money::yuan(258),
                activity_price: None,
                quantity: 1,
            }],
            claims: ClaimChoice::Exactly(vec![]),
            platform_discount: Money::ZERO,
            now: now - Duration::hours(3),
        },
    )
    .await?;
    let shop = shops::get_shop(db, shop_id).await?;
    store::alerts::check(db, &shop, now).await?;
    Ok(())
}

/// Two reminders in the outbox: one sent, one that failed (staff can retry it),
/// queued and delivered the way the scheduler does.
async fn outbox(db: &DatabaseConnection, shop_id: i64, now: DateTime<Utc>) -> Result<()> {
    use store::notifications::{self, Delivery};
    use store::reminders::{self, DueClaim};
    let customer = customers::find_customer(db, shop_id, "dy-10002")
        .await?
        .ok_or(StoreError::NotFound("customer"))?;
    let held = claims::unused_claims(db, shop_id, customer.id).await?;
    let due: Vec<(DueClaim, DateTime<Utc>)> = held
        .iter()
        .take(2)
        .map(|(claim, coupon)| {
            let due = DueClaim {
                claim_id: claim.id,
                customer_id: claim.customer_id,
                customer: customer.external_id.clone(),
                coupon_id: coupon.id,
                coupon_name: coupon.coupon.name().to_owned(),
                valid_until: claim.valid_until,
            };
            (due, now - Duration::hours(3))
        })
        .collect();
    let shop = shops::get_shop(db, shop_id).await?;
    reminders::queue_reminders(db, &shop, "webhook", 72, &due, now - Duration::hours(4)).await?;
    let queued = notifications::due_notifications(db, now, 10).await?;
    let outcomes = [
        (
            1,
            Delivery::Sent {
                at: now - Duration::hours(3),
            },
        ),
        (
            5,
            Delivery::Failed {
                error: "webhook answered HTTP 502 Bad Gateway".into(),
            },
        ),
    ];
    for (notification, (attempts, outcome)) in queued.iter().zip(outcomes) {
        notifications::record_delivery(db, notification.id, attempts, &outcome).await?;
    }
    Ok(())
}
