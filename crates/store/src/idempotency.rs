//! Idempotency keys (SPEC §7): a write retried with the same key and body gets
//! the first answer again; the same key with another body is refused. A key is
//! claimed before the work starts, so two concurrent retries cannot both run.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::idempotency_key;
use crate::error::Result;

/// How long a key is remembered.
pub const KEEP_FOR: Duration = Duration::hours(24);
/// A first request still unanswered after this long is taken to have died.
pub const ABANDONED_AFTER: Duration = Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// First use of the key: do the work, then [`finish`] (or [`abandon`]).
    Fresh,
    /// Seen with this very request: answer as before.
    Replay { status: u16, body: String },
    /// Seen with another request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

pub async fn begin(
    db: &impl ConnectionTrait,
    shop_id: i64,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    // A key older than KEEP_FOR is forgotten, and may start afresh.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ShopId.eq(shop_id))
        .filter(idempotency_key::Column::IdemKey.eq(key))
        .filter(idempotency_key::Column::CreatedAt.lt(now - KEEP_FOR))
        .exec(db)
        .await?;
    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        shop_id: Set(shop_id),
        idem_key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status_code: Set(0),
        response_body: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            idempotency_key::Column::ShopId,
            idempotency_key::Column::IdemKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return Ok(Attempt::Fresh);
    }
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::ShopId.eq(shop_id))
        .filter(idempotency_key::Column::IdemKey.eq(key))
        .one(db)
        .await?
    else {
        // Forgotten between the two statements: the caller may retry.
        return Ok(Attempt::InProgress);
    };
    if row.request_hash != request_hash {
        return Ok(Attempt::Mismatch);
    }
    if row.status_code == 0 && row.created_at < now - ABANDONED_AFTER {
        // The first request died with its process: one retry takes the key over.
        let taken = idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now))
            .filter(idempotency_key::Column::Id.eq(row.id))
            .filter(idempotency_key::Column::StatusCode.eq(0))
            .filter(idempotency_key::Column::CreatedAt.eq(row.created_at))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Attempt::Fresh);
        }
    }
    Ok(if row.status_code == 0 {
        Attempt::InProgress
    } else {
        Attempt::Replay {
            status: row.status_code as u16,
            body: row.response_body,
        }
    })
}

/// Remembers the answer given to the key's first request.
pub async fn finish(
    db: &impl ConnectionTrait,
    shop_id: i64,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::StatusCode,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_key::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_key::Column::ShopId.eq(shop_id))
        .filter(idempotency_key::Column::IdemKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a key whose request failed on our side, so a retry may run.
pub async fn abandon(db: &impl ConnectionTrait, shop_id: i64, key: &str) -> Result<()> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ShopId.eq(shop_id))
        .filter(idempotency_key::Column::IdemKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops keys older than [`KEEP_FOR`]; returns how many.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - KEEP_FOR))
        .exec(db)
        .await?
        .rows_affected)
}
