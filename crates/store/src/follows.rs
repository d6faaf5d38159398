//! Following the shop, and the follower coupons it grants: once per customer and
//! coupon, ever — unfollowing and following again grants nothing new. A refused
//! grant is recorded too and not tried again.

use chrono::{DateTime, Utc};
use domain::Channel;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::claims::{self, ClaimRecord, ClaimSource, ClaimTarget};
use crate::entities::{coupon, customer, follower_grant};
use crate::error::Result;
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
            // Claim the grant first: the unique key makes it once, ever.
            let fresh = follower_grant::Entity::insert(follower_grant::ActiveModel {
                shop_id: Set(shop.id),
                customer_id: Set(row.id),
                coupon_id: Set(coupon.id),
                claim_id: Set(None),
                outcome: Set("pending".into()),
                decided_at: Set(now),
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
            .await?;
            if fresh == 0 {
                continue;
            }
            let outcome = claims::claim_in(
                tx,
                &shop,
                &row,
                claims::Ask {
                    target: &ClaimTarget::Coupon(coupon.id),
                    channel,
                    source: ClaimSource::Follow,
                    skus: None,
                },
                now,
            )
            .await?;
            let (claim_id, outcome) = match outcome {
                Ok(claim) => {
                    granted.push(claims::from_row(&claim)?);
                    (Some(claim.id), "granted".to_owned())
                }
                Err(refusal) => (None, refusal.code().to_owned()),
            };
            follower_grant::Entity::update_many()
                .col_expr(
                    follower_grant::Column::ClaimId,
                    sea_orm::sea_query::Expr::value(claim_id),
                )
                .col_expr(
                    follower_grant::Column::Outcome,
                    sea_orm::sea_query::Expr::value(outcome),
                )
                .filter(follower_grant::Column::CustomerId.eq(row.id))
                .filter(follower_grant::Column::CouponId.eq(coupon.id))
                .exec(tx)
                .await?;
        }
        Ok(granted)
    })
    .await
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
