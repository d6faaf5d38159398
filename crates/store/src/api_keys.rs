//! API keys: `mo_<prefix>_<secret>`, shown once. Only the prefix (to find the key)
//! and a SHA-256 of the secret are stored; keys are long random strings, so a
//! fast hash is enough (passwords get argon2).

use chrono::{DateTime, Utc};
use rand::RngExt;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::entities::api_key;
use crate::error::{Result, StoreError};

const ALPHANUMERIC: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub(crate) fn random_text(length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())] as char)
        .collect()
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new key for the shop. The returned text is the only copy of the secret.
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    shop_id: i64,
    label: &str,
    now: DateTime<Utc>,
) -> Result<(i64, String)> {
    let prefix = random_text(10);
    let secret = random_text(32);
    let saved = api_key::ActiveModel {
        shop_id: Set(shop_id),
        prefix: Set(prefix.clone()),
        secret_hash: Set(digest(&secret)),
        label: Set(label.trim().chars().take(100).collect()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((saved.id, format!("mo_{prefix}_{secret}")))
}

/// The shop a presented key belongs to, if the key is genuine and not revoked.
pub async fn shop_for_key(db: &impl ConnectionTrait, presented: &str) -> Result<Option<i64>> {
    let Some((prefix, secret)) = presented
        .strip_prefix("mo_")
        .and_then(|rest| rest.split_once('_'))
    else {
        return Ok(None);
    };
    let Some(row) = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Compare digests without an early exit, so timing tells nothing.
    let expected = row.secret_hash.as_bytes();
    let actual = digest(secret);
    let same = expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    Ok((same && row.revoked_at.is_none()).then_some(row.shop_id))
}

pub async fn revoke_api_key(
    db: &impl ConnectionTrait,
    shop_id: i64,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(key_id))
        .filter(api_key::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound("API key"));
    }
    Ok(())
}

/// An API key as its shop's owners see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// The key's public start, to tell keys apart.
    pub prefix: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The shop's keys, newest first (revoked ones too, marked).
pub async fn list_api_keys(db: &impl ConnectionTrait, shop_id: i64) -> Result<Vec<ApiKeyRecord>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(api_key::Entity::find()
        .filter(api_key::Column::ShopId.eq(shop_id))
        .order_by_desc(api_key::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|row| ApiKeyRecord {
            id: row.id,
            prefix: row.prefix,
            label: row.label,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
        .collect())
}
