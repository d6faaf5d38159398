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
