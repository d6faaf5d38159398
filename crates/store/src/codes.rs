//! Private coupon codes: one shared code, or batches of unique one-time codes.
//! Codes are unique within a shop, whichever coupon they open.

use chrono::{DateTime, Utc};
use domain::PrivateCode;
use domain::Reason;
use rand::RngExt;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

fn random_code(rng: &mut impl RngExt) -> String {
    (0..CODE_LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Generates `count` new one-time codes for the coupon, in chunks; a code that
/// happens to exist already in the shop is drawn again. Returns the batch id.
pub async fn generate_batch(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
    count: u32,
    now: DateTime<Utc>,
) -> Result<i64> {
    let batch = code_batch::ActiveModel {
        coupon_id: Set(coupon_id),
        size: Set(count as i32),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut left = count as usize;
    while left > 0 {
        let rows: Vec<private_code::ActiveModel> = {
            let mut rng = rand::rng();
            (0..left.min(CHUNK))
                .map(|_| private_code::ActiveModel {
                    shop_id: Set(shop_id),
                    coupon_id: Set(coupon_id),
                    batch_id: Set(Some(batch.id)),
                    code: Set(random_code(&mut rng)),
                    one_time: Set(true),
                    used_at: Set(None),
                    ..Default::default()
                })
                .collect()
        };
        let inserted = private_code::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([private_code::Column::ShopId, private_code::Column::Code])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        left -= inserted as usize;
    }
    Ok(batch.id)
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
