//! Share to unlock (分享N人领券, SPEC §10): a customer starts a share of a share
//! coupon and passes its code to friends; each friend who joins counts once
//! per share coupon (never the sharer, nor the sharer's phone; with
//! `new_customers_only`, only customers without a paid order) and is granted
//! the friend coupon, if the coupon names one. When enough friends have joined,
//! the sharer is granted the share coupon — once: a join locks its share's row
//! (on SQLite, writes are serial anyway), so the last friends joining at the
//! same moment complete it exactly once.

use chrono::{DateTime, Utc};
use domain::coupon::NotCounted;
use domain::{Channel, CouponKind, KindRules};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::claims::{self, ClaimRecord, ClaimSource, ClaimTarget};
use crate::entities::{coupon, customer, share, share_friend};
use crate::error::{Result, StoreError};

/// A share's progress, as the storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub code: String,
    pub coupon_id: i64,
    /// The sharer's storefront id.
    pub customer: String,
    pub needed: u32,
    pub joined: u32,
    pub completed: bool,
    /// The sharer's claim of the coupon, once completed (none if the grant was refused).
    pub claim_id: Option<i64>,
}

/// What a friend's join did.
#[derive(Debug, Clone)]
pub struct Joined {
    /// `None` when the friend counted; else why not.
    pub not_counted: Option<NotCounted>,
    /// The friend coupon granted to the friend now.
    pub friend_claims: Vec<ClaimRecord>,
    /// The share coupon granted to the sharer now (the join that completed it).
    pub sharer_claim: Option<ClaimRecord>,
    pub share: ShareRecord,
}

/// Starts (or finds) the customer's share of the share coupon.
pub async fn start(
    db: &DatabaseConnection,
    shop_id: i64,
    sharer: &str,
    coupon_id: i64,
    now: DateTime<Utc>,
) -> Result<ShareRecord> {
    crate::db::write(db, async |tx| {
        let coupon = share_coupon(tx, shop_id, coupon_id).await?;
        let row = crate::customers::find_or_create_locked(tx, shop_id, sharer, now).await?;
        let existing = || {
            share::Entity::find()
                .filter(share::Column::CouponId.eq(coupon.id))
                .filter(share::Column::SharerId.eq(row.id))
        };
        if existing().one(tx).await?.is_none() {
            let code = crate::codes::random_code(&mut rand::rng());
            share::Entity::insert(share::ActiveModel {
                shop_id: Set(shop_id),
                coupon_id: Set(coupon.id),
                sharer_id: Set(row.id),
                code: Set(code),
                joined: Set(0),
                new_customers: Set(0),
                completed_at: Set(None),
                claim_id: Set(None),
                outcome: Set(None),
                created_at: Set(now),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([share::Column::CouponId, share::Column::SharerId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
        }
        let found = existing()
            .one(tx)
            .await?
            .ok_or(StoreError::NotFound("share"))?;
        record(&found, &row.external_id, &coupon)
    })
    .await
}

/// A share of this shop by its code.
pub async fn find(db: &impl ConnectionTrait, shop_id: i64, code: &str) -> Result<ShareRecord> {
    let found = by_code(db, shop_id, code, false).await?;
    let coupon = share_coupon(db, shop_id, found.coupon_id).await?;
    let sharer = sharer_id(db, found.sharer_id).await?;
    record(&found, &sharer, &coupon)
}

/// A friend joins the share with `code`.
pub async fn join(
    db: &DatabaseConnection,
    shop_id: i64,
    code: &str,
    friend: &str,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<Joined> {
    let shop = crate::shops::get_shop(db, shop_id).await?;
    crate::db::write(db, async |tx| {
        // The share's row, locked: joins of one share happen one after another.
        let found = by_code(tx, shop_id, code, true).await?;
        let coupon = share_coupon(tx, shop_id, found.coupon_id).await?;
        let KindRules::Share(rules) = *coupon.coupon.rules() else {
            return Err(StoreError::NotFound("share"));
        };
        let friend_row = crate::customers::find_or_create_locked(tx, shop_id, friend, now).await?;
        let sharer_row = customer::Entity::find_by_id(found.sharer_id)
            .one(tx)
            .await?
            .ok_or(StoreError::NotFound("customer"))?;
        let paid = crate::customers::paid_orders(tx, friend_row.id).await?;
        let mut verdict = rules.counts(
            (sharer_row.id, sharer_row.phone.as_deref()),
            (friend_row.id, friend_row.phone.as_deref()),
            paid,
        );
        if verdict.is_ok() {
            // Once per share coupon: the unique key decides.
            let inserted = share_friend::Entity::insert(share_friend::ActiveModel {
                share_id: Set(found.id),
                coupon_id: Set(coupon.id),
                friend_id: Set(friend_row.id),
                new_customer: Set(paid == 0),
                joined_at: Set(now),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([
                    share_friend::Column::CouponId,
                    share_friend::Column::FriendId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
            if inserted == 0 {
                verdict = Err(NotCounted::AlreadyCounted);
            }
        }
        let mut friend_claims = Vec::new();
        let mut sharer_claim = None;
        let mut row: share::ActiveModel = found.clone().into();
        if verdict.is_ok() {
            let joined = found.joined + 1;
            row.joined = Set(joined);
            row.new_customers = Set(found.new_customers + i32::from(paid == 0));
            if let Some(friend_coupon) = rules.friend_coupon_id {
                let ask = claims::Ask {
                    target: &ClaimTarget::Coupon(friend_coupon),
                    channel,
                    source: ClaimSource::ShareFriend,
                    skus: None,
                };
                if let Ok(claim) = claims::claim_in(tx, &shop, &friend_row, ask, now).await? {
                    friend_claims.push(claims::from_row(&claim)?);
                }
            }
            if found.completed_at.is_none() && joined.unsigned_abs() >= rules.friends {
                let ask = claims::Ask {
                    target: &ClaimTarget::Coupon(coupon.id),
                    channel,
                    source: ClaimSource::Share,
                    skus: None,
                };
                let granted = claims::claim_in(tx, &shop, &sharer_row, ask, now).await?;
                row.completed_at = Set(Some(now));
                match granted {
                    Ok(claim) => {
                        row.claim_id = Set(Some(claim.id));
                        row.outcome = Set(Some("granted".into()));
                        sharer_claim = Some(claims::from_row(&claim)?);
                    }
                    Err(refusal) => row.outcome = Set(Some(refusal.code().into())),
                }
            }
        }
        let saved = row.update(tx).await?;
        Ok(Joined {
            not_counted: verdict.err(),
            friend_claims,
            sharer_claim,
            share: record(&saved, &sharer_row.external_id, &coupon)?,
        })
    })
    .await
}

async fn by_code(
    db: &impl ConnectionTrait,
    shop_id: i64,
    code: &str,
    lock: bool,
) -> Result<share::Model> {
    let mut query = share::Entity::find()
        .filter(share::Column::ShopId.eq(shop_id))
        .filter(share::Column::Code.eq(code));
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or(StoreError::NotFound("share"))
}

/// The shop's active share coupon `coupon_id`.
async fn share_coupon(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
) -> Result<crate::coupons::CouponRecord> {
    let row = coupon::Entity::find_by_id(coupon_id)
        .filter(coupon::Column::ShopId.eq(shop_id))
        .filter(coupon::Column::Kind.eq(CouponKind::Share.as_str()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("coupon"))?;
    crate::coupons::from_row(row)
}

async fn sharer_id(db: &impl ConnectionTrait, id: i64) -> Result<String> {
    customer::Entity::find_by_id(id)
        .select_only()
        .column(customer::Column::ExternalId)
        .into_tuple::<String>()
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("customer"))
}

fn record(
    row: &share::Model,
    sharer: &str,
    coupon: &crate::coupons::CouponRecord,
) -> Result<ShareRecord> {
    let needed = match coupon.coupon.rules() {
        KindRules::Share(rules) => rules.friends,
        _ => {
            return Err(StoreError::Corrupt(format!(
                "share {}: not a share coupon",
                row.id
            )));
        }
    };
    Ok(ShareRecord {
        code: row.code.clone(),
        coupon_id: row.coupon_id,
        customer: sharer.to_owned(),
        needed,
        joined: row.joined.unsigned_abs(),
        completed: row.completed_at.is_some(),
        claim_id: row.claim_id,
    })
}

/// A share coupon's figures for its page: shares started and completed,
/// friends joined, of whom new customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShareFigures {
    pub started: u64,
    pub completed: u64,
    pub friends: u64,
    pub new_customers: u64,
}

pub async fn figures(db: &impl ConnectionTrait, coupon_id: i64) -> Result<ShareFigures> {
    use sea_orm::sea_query::{Expr, Func};
    let (started, completed, friends, new_customers) = share::Entity::find()
        .select_only()
        .expr_as(Func::count(Expr::col(share::Column::Id)), "started")
        .expr_as(
            Func::count(Expr::col(share::Column::CompletedAt)),
            "completed",
        )
        .expr_as(Func::sum(Expr::col(share::Column::Joined)), "friends")
        .expr_as(
            Func::sum(Expr::col(share::Column::NewCustomers)),
            "new_customers",
        )
        .filter(share::Column::CouponId.eq(coupon_id))
        .into_tuple::<(i64, i64, Option<i64>, Option<i64>)>()
        .one(db)
        .await?
        .unwrap_or((0, 0, None, None));
    Ok(ShareFigures {
        started: started.unsigned_abs(),
        completed: completed.unsigned_abs(),
        friends: friends.unwrap_or(0).unsigned_abs(),
        new_customers: new_customers.unwrap_or(0).unsigned_abs(),
    })
}
