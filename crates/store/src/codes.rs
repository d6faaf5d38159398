//! Private coupon codes: one shared code, or batches of unique one-time codes.
//! Codes are unique within a shop, whichever coupon they open.

use chrono::{DateTime, Utc};
use domain::PrivateCode;
use domain::Reason;
use rand::RngExt;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::{code_batch, private_code};
use crate::error::{Result, StoreError};

/// No 0/O, 1/I/L: codes are read aloud in live rooms and typed from chat.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 10;
/// Rows per INSERT: big batches stay within statement limits and memory.
const CHUNK: usize = 500;

pub(crate) async fn add_shared_code(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
    code: &PrivateCode,
) -> Result<()> {
    let inserted = private_code::Entity::insert(private_code::ActiveModel {
        shop_id: Set(shop_id),
        coupon_id: Set(coupon_id),
        batch_id: Set(None),
        code: Set(code.to_string()),
        one_time: Set(false),
        used_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([private_code::Column::ShopId, private_code::Column::Code])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Err(StoreError::invalid("private.code", Reason::CodeTaken));
    }
    Ok(())
}

pub(crate) fn random_code(rng: &mut impl RngExt) -> String {
    (0..CODE_LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Codes per write transaction when a batch is filled: a chunk commits in a
/// few milliseconds, so claims queued behind it never wait longer.
pub const FILL_CHUNK: u32 = 200;

/// Opens a batch of `count` one-time codes for the coupon, inside the caller's
/// transaction; its codes are written afterwards by [`fill_batches`], a chunk
/// per transaction. Returns the batch id.
pub async fn open_batch(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    count: u32,
    now: DateTime<Utc>,
) -> Result<i64> {
    let batch = code_batch::ActiveModel {
        coupon_id: Set(coupon_id),
        size: Set(count as i32),
        generated: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(batch.id)
}

/// Writes the codes the coupon's open batches still lack, [`FILL_CHUNK`] per
/// transaction (a code that happens to exist in the shop already is drawn
/// again). Safe to run twice or beside itself: each chunk re-reads what is
/// left under the batch's row. Returns the codes written.
pub async fn fill_batches(db: &DatabaseConnection, coupon_id: i64) -> Result<u64> {
    let open = code_batch::Entity::find()
        .filter(code_batch::Column::CouponId.eq(coupon_id))
        .filter(sea_orm::sea_query::ExprTrait::lt(
            Expr::col(code_batch::Column::Generated),
            Expr::col(code_batch::Column::Size),
        ))
        .all(db)
        .await?;
    let mut written = 0;
    for batch in open {
        loop {
            let wrote = crate::db::paced(crate::db::write(db, async |tx| {
                fill_chunk(tx, batch.id).await
            }))
            .await?;
            if wrote == 0 {
                break;
            }
            written += wrote;
        }
    }
    Ok(written)
}

/// One chunk of a batch, in the caller's transaction: how many were written
/// (0 when the batch is full).
async fn fill_chunk(tx: &impl ConnectionTrait, batch_id: i64) -> Result<u64> {
    let Some(batch) = code_batch::Entity::find_by_id(batch_id)
        .lock_exclusive()
        .one(tx)
        .await?
    else {
        return Ok(0);
    };
    let left = (batch.size - batch.generated).max(0) as u32;
    if left == 0 {
        return Ok(0);
    }
    let coupon = crate::entities::coupon::Entity::find_by_id(batch.coupon_id)
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound("coupon"))?;
    let rows: Vec<private_code::ActiveModel> = {
        let mut rng = rand::rng();
        (0..left.min(FILL_CHUNK))
            .map(|_| private_code::ActiveModel {
                shop_id: Set(coupon.shop_id),
                coupon_id: Set(coupon.id),
                batch_id: Set(Some(batch.id)),
                code: Set(random_code(&mut rng)),
                one_time: Set(true),
                used_at: Set(None),
                ..Default::default()
            })
            .collect()
    };
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        inserted += private_code::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([private_code::Column::ShopId, private_code::Column::Code])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
    }
    code_batch::Entity::update_many()
        .col_expr(
            code_batch::Column::Generated,
            sea_orm::sea_query::ExprTrait::add(
                Expr::col(code_batch::Column::Generated),
                inserted as i32,
            ),
        )
        .filter(code_batch::Column::Id.eq(batch.id))
        .exec(tx)
        .await?;
    // A chunk whose every code was taken already still made progress: draw again.
    Ok(inserted.max(1))
}

/// Batches left part-written (a process stopped while filling one): the
/// coupons whose codes the expire pass finishes, up to `limit`.
pub async fn unfinished_coupons(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<i64>> {
    let mut coupons: Vec<i64> = code_batch::Entity::find()
        .filter(sea_orm::sea_query::ExprTrait::lt(
            Expr::col(code_batch::Column::Generated),
            Expr::col(code_batch::Column::Size),
        ))
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.coupon_id)
        .collect();
    coupons.dedup();
    Ok(coupons)
}

/// A coupon's one-time codes: (asked for, written so far).
pub async fn batch_progress(db: &impl ConnectionTrait, coupon_id: i64) -> Result<(u64, u64)> {
    let batches = code_batch::Entity::find()
        .filter(code_batch::Column::CouponId.eq(coupon_id))
        .all(db)
        .await?;
    Ok(batches.iter().fold((0, 0), |(size, done), b| {
        (
            size + b.size.max(0) as u64,
            done + b.generated.max(0) as u64,
        )
    }))
}

pub(crate) async fn delete_codes(db: &impl ConnectionTrait, coupon_id: i64) -> Result<()> {
    private_code::Entity::delete_many()
        .filter(private_code::Column::CouponId.eq(coupon_id))
        .exec(db)
        .await?;
    code_batch::Entity::delete_many()
        .filter(code_batch::Column::CouponId.eq(coupon_id))
        .exec(db)
        .await?;
    Ok(())
}

/// One private code of a coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub id: i64,
    pub code: String,
    pub one_time: bool,
    pub used_at: Option<DateTime<Utc>>,
}

/// One page of a coupon's codes, in id order, after `after_id`: for streaming exports.
pub async fn codes_page(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    after_id: i64,
    limit: u64,
) -> Result<Vec<CodeRecord>> {
    Ok(private_code::Entity::find()
        .filter(private_code::Column::CouponId.eq(coupon_id))
        .filter(private_code::Column::Id.gt(after_id))
        .order_by_asc(private_code::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| CodeRecord {
            id: row.id,
            code: row.code,
            one_time: row.one_time,
            used_at: row.used_at,
        })
        .collect())
}

/// A coupon's codes: (all, used).
pub async fn code_counts(db: &impl ConnectionTrait, coupon_id: i64) -> Result<(u64, u64)> {
    use sea_orm::PaginatorTrait;
    let all = private_code::Entity::find()
        .filter(private_code::Column::CouponId.eq(coupon_id))
        .count(db)
        .await?;
    let used = private_code::Entity::find()
        .filter(private_code::Column::CouponId.eq(coupon_id))
        .filter(private_code::Column::UsedAt.is_not_null())
        .count(db)
        .await?;
    Ok((all, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_look_alike_characters() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let code = random_code(&mut rng);
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
            assert!(PrivateCode::parse(&code).is_ok());
        }
    }
}
