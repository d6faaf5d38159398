//! The shop's membership (SPEC §10, 商家会员): customers join and leave through
//! the storefront. Joining grants every active member coupon with a join gift
//! (入会有礼) — once per customer and coupon, ever, decided as follower coupons
//! are: leaving and joining again grants nothing new.

use chrono::{DateTime, Utc};
use domain::{Channel, CouponKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::claims::{ClaimRecord, ClaimSource};
use crate::customers::{self, CustomerRecord};
use crate::entities::{coupon, customer};
use crate::error::Result;

/// The customer joins (or changes level: `level` given replaces it; `None`
/// keeps the one they have). Returns them and the join gifts granted now.
pub async fn join(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    level: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(CustomerRecord, Vec<ClaimRecord>)> {
    let level = level.map(domain::ids::member_level).transpose()?.flatten();
    let shop = crate::shops::get_shop(db, shop_id).await?;
    crate::db::write(db, async |tx| {
        let row = customers::find_or_create_locked(tx, shop.id, external_id, now).await?;
        let joining = !row.is_member;
        let mut active: customer::ActiveModel = row.into();
        if joining {
            active.is_member = Set(true);
            active.member_since = Set(Some(now));
        }
        if let Some(level) = &level {
            active.member_level = Set(Some(level.clone()));
        }
        active.updated_at = Set(now);
        let row = active.update(tx).await?;
        let mut granted = Vec::new();
        if joining {
            let gifts = coupon::Entity::find()
                .filter(coupon::Column::ShopId.eq(shop.id))
                .filter(coupon::Column::Kind.eq(CouponKind::Member.as_str()))
                .filter(coupon::Column::Status.eq("active"))
                .filter(coupon::Column::MemberJoinGift.eq(true))
                .order_by_asc(coupon::Column::Id)
                .all(tx)
                .await?;
            for gift in gifts {
                let how = (Channel::ShopPage, ClaimSource::JoinGift);
                if let Some(claim) =
                    crate::follows::decide(tx, &shop, &row, gift.id, how, now).await?
                {
                    granted.push(claim);
                }
            }
        }
        Ok((customers::from_row(row)?, granted))
    })
    .await
}

/// The customer leaves the membership (their level is forgotten); joining
/// again later grants no gift already decided.
pub async fn leave(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<CustomerRecord> {
    crate::db::write(db, async |tx| {
        let row = customers::find_or_create_locked(tx, shop_id, external_id, now).await?;
        let mut active: customer::ActiveModel = row.into();
        active.is_member = Set(false);
        active.member_since = Set(None);
        active.member_level = Set(None);
        active.updated_at = Set(now);
        customers::from_row(active.update(tx).await?)
    })
    .await
}

/// How many join gifts of the coupon were granted.
pub async fn gifts_granted(db: &DatabaseConnection, coupon_id: i64) -> Result<u64> {
    use crate::entities::follower_grant;
    Ok(follower_grant::Entity::find()
        .filter(follower_grant::Column::CouponId.eq(coupon_id))
        .filter(follower_grant::Column::ClaimId.is_not_null())
        .count(db)
        .await?)
}

/// How many members the shop has now (an index count).
pub async fn count(db: &DatabaseConnection, shop_id: i64) -> Result<u64> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    // `is_member = TRUE` word for word: the partial index of members (migration
    // 000013) serves exactly this predicate, on both databases.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT COUNT(*) AS n FROM customers WHERE shop_id = {} AND is_member = TRUE",
                crate::db::placeholder(backend, 1)
            ),
            [shop_id.into()],
        ))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(n.unsigned_abs())
}

/// Coupon GMV (orders paid since `since` that used a shop coupon, not
/// cancelled or refunded): (all of it, the part paid by current members).
pub async fn coupon_gmv_share(
    db: &DatabaseConnection,
    shop_id: i64,
    since: DateTime<Utc>,
) -> Result<(domain::Money, domain::Money)> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let p = |n| crate::db::placeholder(backend, n);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT CAST(COALESCE(SUM(o.payable_fen), 0) AS BIGINT) AS total, \
                 CAST(COALESCE(SUM(CASE WHEN c.is_member THEN o.payable_fen ELSE 0 END), 0) AS BIGINT) \
                 AS members FROM orders o JOIN customers c ON c.id = o.customer_id \
                 WHERE o.shop_id = {} AND o.paid_at >= {} AND o.merchant_discount_fen > 0 \
                 AND o.status NOT IN ('cancelled', 'refunded')",
                p(1),
                p(2)
            ),
            [shop_id.into(), since.into()],
        ))
        .await?;
    let fen = |column: &str| -> Result<i64> {
        Ok(match &row {
            Some(row) => row.try_get::<Option<i64>>("", column)?.unwrap_or(0),
            None => 0,
        })
    };
    Ok((
        crate::convert::money(fen("total")?, "coupon gmv")?,
        crate::convert::money(fen("members")?, "members' coupon gmv")?,
    ))
}
