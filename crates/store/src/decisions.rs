//! Grants decided exactly once (SPEC §5), however many passes, processes or
//! follows race for them: the decision row — unique per what is decided — is
//! written first, then the claim under the same rules as any claim, then the
//! outcome is recorded on the row, all in the caller's transaction. Whoever
//! does not write the row decides nothing. Repurchase grants (one per order and
//! coupon), reward grants (the same), follower grants and membership join gifts
//! (one per customer and coupon) all go through [`decide_once`].

use chrono::{DateTime, Utc};
use domain::{Channel, Refusal};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::{claim, follower_grant, repurchase_grant};
use crate::error::Result;

/// What one decision is about; its key is the decision row's unique key.
pub(crate) enum Decision {
    /// A repurchase or reward coupon for one order (the `repurchase_grants`
    /// table holds both: its key is the order and coupon).
    PerOrder {
        shop_id: i64,
        order_id: i64,
        coupon_id: i64,
        customer_id: i64,
    },
    /// A follower or join-gift coupon for one customer, ever (the
    /// `follower_grants` table holds both: its key is the customer and coupon).
    PerCustomer {
        shop_id: i64,
        customer_id: i64,
        coupon_id: i64,
        channel: Channel,
    },
}

/// How a decision went: the claim granted, or the code of why not.
pub(crate) type Decided = std::result::Result<claim::Model, String>;

/// The outcome a decision row holds while its transaction runs.
const PENDING: &str = "pending";
const GRANTED: &str = "granted";

/// Decides `decision` once: `grant` runs only for the transaction that writes
/// the decision row (or, when `curable` is given, takes back a decision that
/// ended in that refusal — time cures "not started yet"). `None` when another
/// decided first.
pub(crate) async fn decide_once<C: ConnectionTrait>(
    tx: &C,
    decision: &Decision,
    curable: Option<Refusal>,
    now: DateTime<Utc>,
    grant: impl AsyncFnOnce(&C) -> Result<Decided>,
) -> Result<Option<Decided>> {
    if !decision.open(tx, curable, now).await? {
        return Ok(None);
    }
    let decided = grant(tx).await?;
    let (claim_id, outcome) = match &decided {
        Ok(claim) => (Some(claim.id), GRANTED),
        Err(code) => (None, code.as_str()),
    };
    decision.record(tx, claim_id, outcome, now).await?;
    Ok(Some(decided))
}

impl Decision {
    /// Writes the pending decision row; false when the decision was taken
    /// before (and is not the `curable` refusal, which is reopened instead).
    async fn open(
        &self,
        tx: &impl ConnectionTrait,
        curable: Option<Refusal>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let fresh = match *self {
            Decision::PerOrder {
                shop_id,
                order_id,
                coupon_id,
                customer_id,
            } => {
                repurchase_grant::Entity::insert(repurchase_grant::ActiveModel {
                    shop_id: Set(shop_id),
                    order_id: Set(order_id),
                    coupon_id: Set(coupon_id),
                    customer_id: Set(customer_id),
                    claim_id: Set(None),
                    outcome: Set(PENDING.into()),
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
                .await?
            }
            Decision::PerCustomer {
                shop_id,
                customer_id,
                coupon_id,
                channel,
            } => {
                follower_grant::Entity::insert(follower_grant::ActiveModel {
                    shop_id: Set(shop_id),
                    customer_id: Set(customer_id),
                    coupon_id: Set(coupon_id),
                    claim_id: Set(None),
                    outcome: Set(PENDING.into()),
                    decided_at: Set(now),
                    channel: Set(Some(channel.as_str().to_owned())),
                    ..Default::default()
                })
                .on_conflict(
                    OnConflict::columns([
                        follower_grant::Column::CustomerId,
                        follower_grant::Column::CouponId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(tx)
                .await?
            }
        };
        if fresh == 1 {
            return Ok(true);
        }
        let Some(curable) = curable else {
            return Ok(false);
        };
        let reopened = match *self {
            Decision::PerOrder {
                order_id,
                coupon_id,
                ..
            } => {
                repurchase_grant::Entity::update_many()
                    .col_expr(repurchase_grant::Column::Outcome, Expr::value(PENDING))
                    .filter(repurchase_grant::Column::OrderId.eq(order_id))
                    .filter(repurchase_grant::Column::CouponId.eq(coupon_id))
                    .filter(repurchase_grant::Column::Outcome.eq(curable.code()))
                    .exec(tx)
                    .await?
            }
            Decision::PerCustomer {
                customer_id,
                coupon_id,
                ..
            } => {
                follower_grant::Entity::update_many()
                    .col_expr(follower_grant::Column::Outcome, Expr::value(PENDING))
                    .filter(follower_grant::Column::CustomerId.eq(customer_id))
                    .filter(follower_grant::Column::CouponId.eq(coupon_id))
                    .filter(follower_grant::Column::Outcome.eq(curable.code()))
                    .exec(tx)
                    .await?
            }
        };
        Ok(reopened.rows_affected == 1)
    }

    /// Records the outcome on the decision row.
    async fn record(
        &self,
        tx: &impl ConnectionTrait,
        claim_id: Option<i64>,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        match *self {
            Decision::PerOrder {
                order_id,
                coupon_id,
                ..
            } => {
                repurchase_grant::Entity::update_many()
                    .col_expr(repurchase_grant::Column::ClaimId, Expr::value(claim_id))
                    .col_expr(repurchase_grant::Column::Outcome, Expr::value(outcome))
                    .col_expr(repurchase_grant::Column::DecidedAt, Expr::value(now))
                    .filter(repurchase_grant::Column::OrderId.eq(order_id))
                    .filter(repurchase_grant::Column::CouponId.eq(coupon_id))
                    .exec(tx)
                    .await?;
            }
            Decision::PerCustomer {
                customer_id,
                coupon_id,
                ..
            } => {
                follower_grant::Entity::update_many()
                    .col_expr(follower_grant::Column::ClaimId, Expr::value(claim_id))
                    .col_expr(follower_grant::Column::Outcome, Expr::value(outcome))
                    .col_expr(follower_grant::Column::DecidedAt, Expr::value(now))
                    .filter(follower_grant::Column::CustomerId.eq(customer_id))
                    .filter(follower_grant::Column::CouponId.eq(coupon_id))
                    .exec(tx)
                    .await?;
            }
        }
        Ok(())
    }
}
