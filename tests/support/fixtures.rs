//! Typed helpers for the things most tests need: a shop, a coupon, a clock.

use chrono::{DateTime, Utc};
use domain::{CouponDraft, CouponStatus};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use store::coupons::CouponRecord;
use store::shops::ShopRecord;

/// Tests run at a fixed moment: Monday 2026-11-23, 16:00 in Shanghai.
pub fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

pub async fn shop(db: &DatabaseConnection, slug: &str) -> ShopRecord {
    store::shops::create_shop(db, slug, "演示店铺", chrono_tz::Asia::Shanghai, now())
        .await
        .expect("shop created")
}

/// SPEC §7's coupon body (满99减10, active through November), with `patch` applied
/// (a `null` removes a key).
pub fn coupon_body(patch: Value) -> Value {
    let mut body = json!({"name": "满99减10", "kind": "shop",
     "scope": {"type": "shop"},
     "benefit": {"type": "amount_off", "threshold": "99.00", "amount": "10.00"},
     "validity": {"type": "fixed", "from": "2026-11-01T00:00:00+08:00", "until": "2026-11-30T23:59:59+08:00"},
     "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-11-30T23:59:59+08:00",
     "quantity": 1000, "per_customer_limit": 1, "per_customer_daily_limit": null,
     "audience": "all", "channels": [], "regions": []});
    for (key, value) in patch.as_object().expect("patch is an object") {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

pub fn coupon_design(patch: Value) -> domain::Coupon {
    serde_json::from_value::<CouponDraft>(coupon_body(patch))
        .expect("draft parses")
        .validate()
        .expect("coupon is valid")
}

/// An active coupon of `shop`.
pub async fn coupon(db: &DatabaseConnection, shop: &ShopRecord, patch: Value) -> CouponRecord {
    store::coupons::create_coupon(
        db,
        shop.id,
        &coupon_design(patch),
        CouponStatus::Active,
        now(),
    )
    .await
    .expect("coupon created")
}

/// `customer` claims `coupon_id` in `channel` at `at` (it must be allowed).
pub async fn claim(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    customer: &str,
    channel: domain::Channel,
    at: DateTime<Utc>,
) -> store::claims::ClaimRecord {
    store::claims::claim(
        db,
        &store::claims::ClaimRequest {
            device: None,
            shop_id,
            customer: customer.into(),
            target: store::claims::ClaimTarget::Coupon(coupon_id),
            channel,
            source: store::claims::ClaimSource::Claim,
            now: at,
        },
    )
    .await
    .expect("the claim is allowed")
}

/// A cart line of one item at `price` (yuan, e.g. "99.00").
pub fn line(sku: &str, price: &str) -> domain::QuoteLine {
    domain::QuoteLine {
        sku: domain::Sku::parse(sku).unwrap(),
        unit_price: domain::Money::parse(price).unwrap(),
        activity_price: None,
        quantity: 1,
    }
}

/// An order of `lines` by `customer` with the best quote, placed and paid now; its id.
pub async fn paid_order(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    customer: &str,
    lines: Vec<domain::QuoteLine>,
    claims: store::orders::ClaimChoice,
) -> i64 {
    let placed = store::orders::place_order(
        db,
        &store::orders::NewOrder {
            shop_id,
            external_id: external_id.into(),
            customer: customer.into(),
            lines,
            claims,
            platform_discount: domain::Money::ZERO,
            now: now(),
        },
    )
    .await
    .expect("the order is placed");
    store::orders::record_event(
        db,
        shop_id,
        external_id,
        domain::OrderEvent::Paid,
        now(),
        now(),
    )
    .await
    .expect("the order is paid");
    placed.id
}

/// A staff member of `shop_id` who has already replaced the generated password
/// with their own (which is returned): signing in goes straight to the shop.
pub async fn staff(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    role: domain::roles::Role,
    shop_id: i64,
) -> (store::staff::StaffRecord, String) {
    let (staff, generated) = store::staff::create_staff(db, email, name, role, shop_id, now())
        .await
        .unwrap();
    let own = format!("{generated}-own");
    store::staff::change_password(db, staff.id, &generated, &own, "")
        .await
        .unwrap()
        .unwrap();
    (staff, own)
}
