//! Repurchase grants (SPEC §5): orders due a repurchase coupon, each decided
//! exactly once — the decision row first (unique per order and coupon), then the
//! claim under the same rules as any claim, all in one transaction.

use chrono::{DateTime, Duration, Utc};
use domain::Channel;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::claims::{self, ClaimSource, ClaimTarget};
use crate::coupons::CouponRecord;
use crate::decisions::{Decision, decide_once};
use crate::entities::{coupon, customer, order, order_line, repurchase_grant};
use crate::error::{Result, StoreError};
use crate::shops::ShopRecord;

/// Active repurchase coupons of every shop.
pub async fn active_repurchase_coupons(db: &impl ConnectionTrait) -> Result<Vec<CouponRecord>> {
    coupon::Entity::find()
        .filter(coupon::Column::Kind.eq("repurchase"))
        .filter(coupon::Column::Status.eq("active"))
        .order_by_asc(coupon::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(crate::coupons::from_row)
        .collect()
}

/// Orders due a grant of `coupon` at `now`: delivered (or shipped) at least
/// `days_after` days ago, not cancelled or refunded, not decided yet, and due
/// no earlier than the coupon's claim window opens (a new repurchase coupon does
/// not reach back over the shop's whole history).
pub async fn repurchase_candidates(
    db: &impl ConnectionTrait,
    coupon: &CouponRecord,
    now: DateTime<Utc>,
    after_order_id: i64,
    limit: u64,
) -> Result<Vec<crate::orders::OrderRecord>> {
    let domain::KindRules::Repurchase(rules) = coupon.coupon.rules() else {
        return Ok(Vec::new());
    };
    let wait = Duration::days(i64::from(rules.days_after));
    // A delivered order was shipped, even if the storefront never said so.
    let trigger: Expr = match rules.trigger {
        domain::RepurchaseTrigger::Delivered => Expr::col(order::Column::DeliveredAt),
        domain::RepurchaseTrigger::Shipped => sea_orm::sea_query::Func::coalesce([
            Expr::col(order::Column::ShippedAt),
            Expr::col(order::Column::DeliveredAt),
        ])
        .into(),
    };
    let decided = sea_orm::sea_query::Query::select()
        .column(repurchase_grant::Column::OrderId)
        .from(repurchase_grant::Entity)
        .and_where(repurchase_grant::Column::CouponId.eq(coupon.id))
        .to_owned();
    order::Entity::find()
        .filter(order::Column::ShopId.eq(coupon.shop_id))
        .filter(trigger.clone().lte(now - wait))
        .filter(trigger.gte(coupon.coupon.claim_from() - wait))
        .filter(order::Column::CancelledAt.is_null())
        .filter(order::Column::RefundedAt.is_null())
        .filter(order::Column::Id.gt(after_order_id))
        .filter(order::Column::Id.not_in_subquery(decided))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(crate::orders::order_from_row)
        .collect()
}

/// Why an order bought nothing a repurchase coupon of its products could discount.
const NOT_PURCHASED: &str = "not_purchased";

/// How a repurchase grant went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    Granted(i64),
    /// Refused by the claiming rules (the reason's code), or `not_purchased`.
    Refused(String),
    /// Another pass decided it first.
    AlreadyDecided,
}

/// Decides the grant of `coupon` for `order`, exactly once: the decision row is
/// written first (unique per order and coupon), then the claim under the same
/// rules as any claim, and the outcome recorded — all in one transaction.
pub async fn grant_repurchase(
    db: &DatabaseConnection,
    shop: &ShopRecord,
    coupon: &CouponRecord,
    order: &crate::orders::OrderRecord,
    now: DateTime<Utc>,
) -> Result<GrantOutcome> {
    let decision = Decision::PerOrder {
        shop_id: shop.id,
        order_id: order.id,
        coupon_id: coupon.id,
        customer_id: order.customer_id,
    };
    let decided = crate::db::write(db, async |tx| {
        decide_once(tx, &decision, None, now, async |tx| {
            let bought: Vec<domain::Sku> = order_line::Entity::find()
                .filter(order_line::Column::OrderId.eq(order.id))
                .all(tx)
                .await?
                .iter()
                .map(|line| crate::convert::word(&line.sku, "order_lines.sku"))
                .collect::<Result<_>>()?;
            let scope = match coupon.coupon.rules() {
                domain::KindRules::Repurchase(rules) => {
                    rules.claim_scope(coupon.coupon.scope(), &bought)
                }
                _ => Some(coupon.coupon.scope().clone()),
            };
            let Some(scope) = scope else {
                return Ok(Err(NOT_PURCHASED.to_owned()));
            };
            let buyer = customer::Entity::find_by_id(order.customer_id)
                .lock_exclusive()
                .one(tx)
                .await?
                .ok_or(StoreError::NotFound("customer"))?;
            // Repurchase coupons reach customers by message: SMS unless the
            // coupon names its channels.
            let channel = coupon
                .coupon
                .channels()
                .first()
                .copied()
                .unwrap_or(Channel::Sms);
            // A claim narrower than its coupon records the products it discounts.
            let narrowed = match &scope {
                domain::Scope::Items { skus } if &scope != coupon.coupon.scope() => {
                    Some(skus.as_slice())
                }
                _ => None,
            };
            let decided = claims::claim_in(
                tx,
                shop,
                &buyer,
                claims::Ask {
                    target: &ClaimTarget::Coupon(coupon.id),
                    channel,
                    source: ClaimSource::Repurchase,
                    skus: narrowed,
                },
                now,
            )
            .await?;
            Ok(decided.map_err(|refusal| refusal.code().to_owned()))
        })
        .await
    })
    .await?;
    Ok(match decided {
        None => GrantOutcome::AlreadyDecided,
        Some(Ok(claim)) => GrantOutcome::Granted(claim.id),
        Some(Err(code)) => GrantOutcome::Refused(code),
    })
}
