//! Repurchase grants (SPEC §5): orders due a repurchase coupon, each decided
//! exactly once — the decision row first (unique per order and coupon), then the
//! claim under the same rules as any claim, all in one transaction.

use chrono::{DateTime, Duration, Utc};
use domain::Channel;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::claims::{self, ClaimSource, ClaimTarget};
use crate::coupons::CouponRecord;
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
    crate::db::write(db, async |tx| {
        let fresh = repurchase_grant::Entity::insert(repurchase_grant::ActiveModel {
            shop_id: Set(shop.id),
            order_id: Set(order.id),
            coupon_id: Set(coupon.id),
            customer_id: Set(order.customer_id),
            claim_id: Set(None),
            outcome: Set("pending".into()),
            decided_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                repurchase_grant::Column::OrderId,
                repurchase_grant::Column::CouponId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
        if fresh == 0 {
            return Ok(GrantOutcome::AlreadyDecided);
        }
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
        let outcome = if let Some(scope) = scope {
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
            match claims::claim_in(
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
            .await?
            {
                Ok(claim) => GrantOutcome::Granted(claim.id),
                Err(refusal) => GrantOutcome::Refused(refusal.code().to_owned()),
            }
        } else {
            GrantOutcome::Refused("not_purchased".into())
        };
        let (claim_id, text) = match &outcome {
            GrantOutcome::Granted(id) => (Some(*id), "granted".to_owned()),
            GrantOutcome::Refused(code) => (None, code.clone()),
            GrantOutcome::AlreadyDecided => unreachable!("decided above"),
        };
        repurchase_grant::Entity::update_many()
            .col_expr(repurchase_grant::Column::ClaimId, Expr::value(claim_id))
            .col_expr(repurchase_grant::Column::Outcome, Expr::value(text))
            .filter(repurchase_grant::Column::OrderId.eq(order.id))
            .filter(repurchase_grant::Column::CouponId.eq(coupon.id))
            .exec(tx)
            .await?;
        Ok(outcome)
    })
    .await
}
