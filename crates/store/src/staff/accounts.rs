//! Staff accounts: argon2id password hashes, generated passwords, the language setting.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use domain::Reason;
use domain::roles::Role;
use rand::RngExt;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entities::staff;
use crate::error::{Conflict, Result, StoreError};

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `zh-CN` or `en`.
    pub locale: String,
}

pub(super) fn record(row: &staff::Model) -> StaffRecord {
    StaffRecord {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        locale: row.locale.clone(),
    }
}

pub(super) const PASSWORD_ALPHABET: &[u8] =
    b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new random password: 16 characters, about 93 bits.
pub fn generate_password() -> String {
    let mut rng = rand::rng();
    (0..16)
        .map(|_| PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())] as char)
        .collect()
}

pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 hashes any password")
        .to_string()
}

pub(super) fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A generated password and its argon2id hash. Hashing takes a while: make one
/// before a write transaction, not inside it.
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub plain: String,
    pub(super) hash: String,
}

impl NewPassword {
    pub fn generate() -> NewPassword {
        let plain = generate_password();
        let hash = hash_password(&plain);
        NewPassword { plain, hash }
    }
}

/// Creates a staff member in `shop` with a generated password, returned once.
pub async fn create_staff(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    role: Role,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<(StaffRecord, String)> {
    let email = domain::ids::email(email)?;
    let password = NewPassword::generate();
    let created = crate::db::write(db, async |tx| {
        create_staff_in(tx, &email, name, &password.hash, role, shop_id, now).await
    })
    .await?;
    Ok((created, password.plain))
}

/// [`create_staff`]'s rows, inside the caller's transaction: the account (an
/// email already known is a conflict; an empty name becomes the email's local
/// part) and its membership of `shop_id`.
pub(super) async fn create_staff_in(
    tx: &impl ConnectionTrait,
    email: &str,
    name: &str,
    hash: &str,
    role: Role,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<StaffRecord> {
    let name = match name.trim() {
        "" => email.split('@').next().unwrap_or(""),
        name => name,
    };
    let inserted = staff::Entity::insert(staff::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        password_hash: Set(hash.to_owned()),
        locale: Set("zh-CN".into()),
        failed_sign_ins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(staff::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    if inserted == 0 {
        return Err(Conflict::AccountExists(email.to_owned()).into());
    }
    let row = staff::Entity::find()
        .filter(staff::Column::Email.eq(email))
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound("staff"))?;
    set_role_in(tx, row.id, shop_id, role).await?;
    Ok(record(&row))
}

pub async fn set_locale(db: &impl ConnectionTrait, staff_id: i64, locale: &str) -> Result<()> {
    if !matches!(locale, "zh-CN" | "en") {
        return Err(StoreError::invalid("locale", Reason::Locale));
    }
    staff::Entity::update_many()
        .col_expr(staff::Column::Locale, Expr::value(locale))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(db)
        .await?;
    Ok(())
}
