//! Spend and return (满返, SPEC §10): when an order event arrives — in its
//! transaction — every active reward coupon of that trigger is granted to the
//! order's customer if the order paid enough (and, if the coupon says so, the
//! customer is a member), once per (order, coupon): decided in
//! `repurchase_grants` as repurchase grants are. When the order is cancelled
//! or refunded, the rewards it earned are withdrawn: revoked if still unused.

use chrono::{DateTime, Utc};
use domain::{Channel, CouponKind, KindRules, OrderEvent};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::claims::{self, ClaimRecord, ClaimSource, ClaimTarget};
use crate::decisions::{Decision, decide_once};
use crate::entities::{claim, coupon, customer, order, repurchase_grant};
use crate::error::{Result, StoreError};

/// What the event does to rewards: the claims granted now (none for other
/// events), after withdrawing what a cancelled or refunded order had earned.
pub(crate) async fn on_event(
    tx: &impl ConnectionTrait,
    order: &order::Model,
    event: OrderEvent,
    now: DateTime<Utc>,
) -> Result<Vec<ClaimRecord>> {
    let trigger = match event {
        OrderEvent::Paid => domain::RewardTrigger::Paid,
        OrderEvent::Delivered => domain::RewardTrigger::Delivered,
        OrderEvent::Cancelled | OrderEvent::Refunded => {
            withdraw(tx, order, now).await?;
            return Ok(Vec::new());
        }
        OrderEvent::Shipped => return Ok(Vec::new()),
    };
    let rewards = coupon::Entity::find()
        .filter(coupon::Column::ShopId.eq(order.shop_id))
        .filter(coupon::Column::Kind.eq(CouponKind::Reward.as_str()))
        .filter(coupon::Column::Status.eq("active"))
        .filter(coupon::Column::RewardTrigger.eq(trigger.as_str()))
        .order_by_asc(coupon::Column::Id)
        .all(tx)
        .await?;
    if rewards.is_empty() {
        return Ok(Vec::new());
    }
    let shop = crate::shops::get_shop(tx, order.shop_id).await?;
    let buyer = customer::Entity::find_by_id(order.customer_id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound("customer"))?;
    let paid = crate::convert::money(order.payable_fen, "orders.payable_fen")?;
    let mut granted = Vec::new();
    for row in rewards {
        let reward = crate::coupons::from_row(row)?;
        let KindRules::Reward(rules) = reward.coupon.rules() else {
            continue;
        };
        if !rules.earned_by(paid, buyer.is_member) {
            continue;
        }
        let decision = Decision::PerOrder {
            shop_id: shop.id,
            order_id: order.id,
            coupon_id: reward.id,
            customer_id: buyer.id,
        };
        let decided = decide_once(tx, &decision, None, now, async |tx| {
            let claimed = claims::claim_in(
                tx,
                &shop,
                &buyer,
                claims::Ask {
                    target: &ClaimTarget::Coupon(reward.id),
                    channel: Channel::ShopPage,
                    source: ClaimSource::Reward,
                    skus: None,
                },
                now,
            )
            .await?;
            Ok(claimed.map_err(|refusal| refusal.code().to_owned()))
        })
        .await?;
        if let Some(Ok(claim)) = decided {
            granted.push(claims::from_row(&claim)?);
        }
    }
    Ok(granted)
}

/// Revokes (if still unused) the reward claims `order` earned, with a notice
/// to the customer.
async fn withdraw(
    tx: &impl ConnectionTrait,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let earned: Vec<i64> = repurchase_grant::Entity::find()
        .select_only()
        .column(repurchase_grant::Column::ClaimId)
        .filter(repurchase_grant::Column::OrderId.eq(order.id))
        .filter(repurchase_grant::Column::ClaimId.is_not_null())
        .filter(
            repurchase_grant::Column::CouponId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(coupon::Column::Id)
                    .from(coupon::Entity)
                    .and_where(coupon::Column::ShopId.eq(order.shop_id))
                    .and_where(coupon::Column::Kind.eq(CouponKind::Reward.as_str()))
                    .to_owned(),
            ),
        )
        .into_tuple::<Option<i64>>()
        .all(tx)
        .await?
        .into_iter()
        .flatten()
        .collect();
    if earned.is_empty() {
        return Ok(());
    }
    let claims = claim::Entity::find()
        .filter(claim::Column::Id.is_in(earned))
        .all(tx)
        .await?;
    let shop = crate::shops::get_shop(tx, order.shop_id).await?;
    let names = crate::lists::coupon_names(tx, claims.iter().map(|c| c.coupon_id)).await?;
    let channel = crate::notifications::settings(tx, order.shop_id)
        .await?
        .channel;
    let name = |coupon_id: i64| names.get(&coupon_id).cloned().unwrap_or_default();
    claims::revoke_in(tx, &shop, &claims, &name, channel, now).await?;
    Ok(())
}
