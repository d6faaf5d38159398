//! Following the shop, and the follower coupons it grants: once per customer and
//! coupon, ever — unfollowing and following again grants nothing new. A refusal
//! is recorded and final, except one time can cure: a coupon that had not started
//! is granted once it has, while the customer still follows (the grants pass and
//! any later follow try again; the decision row keeps it to one claim).

use chrono::{DateTime, Utc};
use domain::{Channel, Refusal};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::claims::{self, ClaimRecord, ClaimSource, ClaimTarget};
use crate::decisions::{Decision, decide_once};
use crate::entities::{coupon, customer, follower_grant};
use crate::error::Result;
use crate::shops::ShopRecord;
use crate::{customers, shops};

/// Marks the customer a follower and grants every active auto-grant follower
/// coupon not granted to them before. Returns the claims granted now.
pub async fn follow(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<Vec<ClaimRecord>> {
    let shop = shops::get_shop(db, shop_id).await?;
    crate::db::write(db, async |tx| {
        let row = customers::find_or_create_locked(tx, shop.id, external_id, now).await?;
        let row = if row.is_follower {
            row
        } else {
            let mut active: customer::ActiveModel = row.into();
            active.is_follower = Set(true);
            active.followed_at = Set(Some(now));
            active.updated_at = Set(now);
            active.update(tx).await?
        };
        let coupons = coupon::Entity::find()
            .filter(coupon::Column::ShopId.eq(shop.id))
            .filter(coupon::Column::Kind.eq("follower"))
            .filter(coupon::Column::Status.eq("active"))
            .filter(coupon::Column::FollowerAutoGrant.eq(true))
            .order_by_asc(coupon::Column::Id)
            .all(tx)
            .await?;
        let mut granted = Vec::new();
        for coupon in coupons {
            let how = (channel, ClaimSource::Follow);
            if let Some(claim) = decide(tx, &shop, &row, coupon.id, how, now).await? {
                granted.push(claim);
            }
        }
        Ok(granted)
    })
    .await
}

/// Decides the grant of `coupon_id` to the (locked) customer `row` — a
/// follower's coupon, or a new member's join gift (`source`): the first
/// decision inserts the row (unique per customer and coupon); a later one only
/// takes back a decision time may cure. `Some` when a claim is granted now.
pub(crate) async fn decide(
    tx: &impl ConnectionTrait,
    shop: &ShopRecord,
    row: &customer::Model,
    coupon_id: i64,
    (channel, source): (Channel, ClaimSource),
    now: DateTime<Utc>,
) -> Result<Option<ClaimRecord>> {
    let decision = Decision::PerCustomer {
        shop_id: shop.id,
        customer_id: row.id,
        coupon_id,
        channel,
    };
    let decided = decide_once(tx, &decision, Some(Refusal::NotStarted), now, async |tx| {
        let claimed = claims::claim_in(
            tx,
            shop,
            row,
            claims::Ask {
                target: &ClaimTarget::Coupon(coupon_id),
                channel,
                source,
                skus: None,
            },
            now,
        )
        .await?;
        Ok(claimed.map_err(|refusal| refusal.code().to_owned()))
    })
    .await?;
    match decided {
        Some(Ok(claim)) => Ok(Some(claims::from_row(&claim)?)),
        _ => Ok(None),
    }
}

/// Grants that waited for their coupon to start, to customers who still follow:
/// up to `limit` of them as of `now`. Returns (granted, refused again).
pub async fn grant_waiting(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<(u64, u64)> {
    let waiting = follower_grant::Entity::find()
        .filter(follower_grant::Column::Outcome.eq(Refusal::NotStarted.code()))
        .filter(
            follower_grant::Column::CouponId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(coupon::Column::Id)
                    .from(coupon::Entity)
                    .and_where(coupon::Column::Kind.eq("follower"))
                    .and_where(coupon::Column::Status.eq("active"))
                    .and_where(coupon::Column::ClaimFrom.lte(now))
                    .to_owned(),
            ),
        )
        .filter(
            follower_grant::Column::CustomerId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::IsFollower.eq(true))
                    .to_owned(),
            ),
        )
        .order_by_asc(follower_grant::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let (mut granted, mut refused) = (0, 0);
    for grant in waiting {
        let shop = shops::get_shop(db, grant.shop_id).await?;
        let channel = grant
            .channel
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(Channel::LiveRoom);
        let outcome = crate::db::write(db, async |tx| {
            let row = customer::Entity::find_by_id(grant.customer_id)
                .lock_exclusive()
                .one(tx)
                .await?;
            match row {
                Some(row) if row.is_follower => {
                    decide(
                        tx,
                        &shop,
                        &row,
                        grant.coupon_id,
                        (channel, ClaimSource::Follow),
                        now,
                    )
                    .await
                }
                _ => Ok(None),
            }
        })
        .await?;
        match outcome {
            Some(_) => granted += 1,
            None => refused += 1,
        }
    }
    Ok((granted, refused))
}

/// The customer no longer follows the shop; the coupons they hold stay theirs.
pub async fn unfollow(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::db::write(db, async |tx| {
        let row = customers::find_or_create_locked(tx, shop_id, external_id, now).await?;
        if row.is_follower {
            let mut active: customer::ActiveModel = row.into();
            active.is_follower = Set(false);
            active.updated_at = Set(now);
            active.update(tx).await?;
        }
        Ok(())
    })
    .await
}

/// How a customer's follower grants went: (coupon id, outcome).
pub async fn grants_of(db: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(follower_grant::Entity::find()
        .filter(follower_grant::Column::CustomerId.eq(customer_id))
        .order_by_asc(follower_grant::Column::CouponId)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.coupon_id, g.outcome))
        .collect())
}
