//! Staff accounts: argon2id password hashes (computed on the blocking pool, a
//! bounded number at once, never on the request threads), generated passwords
//! their owners must replace, changing one's own password, the language setting.

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
    /// A generated password: they choose their own before anything else.
    pub must_change_password: bool,
}

pub(super) fn record(row: &staff::Model) -> StaffRecord {
    StaffRecord {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        locale: row.locale.clone(),
        must_change_password: row.must_change_password,
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

/// Hashes at once: argon2id takes tens of milliseconds of one core and 19 MiB,
/// so a burst of sign-ins queues here rather than taking every core and the
/// storefront's requests with them.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::sync::Semaphore::new(cores.div_ceil(2).max(1))
});

/// Runs argon2 work on the blocking pool, at most [`HASHING`] at once.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("argon2 does not panic")
}

/// The argon2id hash of `password`.
pub async fn hash_password(password: &str) -> String {
    let password = password.to_owned();
    hashing(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .expect("argon2 hashes any password")
            .to_string()
    })
    .await
}

/// Whether `password` is the one `hash` was made from.
pub(super) async fn password_matches(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    hashing(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

/// A generated password and its argon2id hash. Hashing takes a while: make one
/// before a write transaction, not inside it.
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub plain: String,
    pub(super) hash: String,
}

impl NewPassword {
    pub async fn generate() -> NewPassword {
        let plain = generate_password();
        let hash = hash_password(&plain).await;
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
    let password = NewPassword::generate().await;
    let created = crate::db::write(db, async |tx| {
        create_staff_in(tx, &email, name, &password.hash, role, shop_id, now).await
    })
    .await?;
    Ok((created, password.plain))
}

/// [`create_staff`]'s rows, inside the caller's transaction: the account and
/// its membership of `shop_id`.
pub(super) async fn create_staff_in(
    tx: &impl ConnectionTrait,
    email: &str,
    name: &str,
    hash: &str,
    role: Role,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<StaffRecord> {
    let created = create_account_in(tx, email, name, hash, true, now).await?;
    set_role_in(tx, created.id, shop_id, role).await?;
    Ok(created)
}

/// An account (an email already known is a conflict; a name longer than 100
/// characters is refused; an empty one becomes the email's local part).
pub(super) async fn create_account_in(
    tx: &impl ConnectionTrait,
    email: &str,
    name: &str,
    hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<StaffRecord> {
    let name = match name.trim() {
        "" => email.split('@').next().unwrap_or(""),
        name => name,
    };
    if name.chars().count() > 100 {
        return Err(StoreError::invalid(
            "name",
            domain::vocab::TextError::TooLong(100),
        ));
    }
    let inserted = staff::Entity::insert(staff::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        password_hash: Set(hash.to_owned()),
        locale: Set("zh-CN".into()),
        must_change_password: Set(must_change_password),
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

/// Why a password change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRefused {
    /// The current password given is not theirs.
    WrongCurrent,
    /// The new one breaks the rule (`domain::ids::new_password`) or is the old one.
    Invalid(domain::FieldError),
}

/// A staff member chooses their own password: the current one first, then a new
/// one of 10 to 128 characters that differs from it. Their other sessions end
/// (`keep_session` — a session token — stays signed in).
pub async fn change_password(
    db: &DatabaseConnection,
    staff_id: i64,
    current: &str,
    new: &str,
    keep_session: &str,
) -> Result<std::result::Result<(), PasswordRefused>> {
    if let Err(error) = domain::ids::new_password(new) {
        return Ok(Err(PasswordRefused::Invalid(error)));
    }
    let row = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("staff"))?;
    if !password_matches(current, &row.password_hash).await {
        return Ok(Err(PasswordRefused::WrongCurrent));
    }
    if current == new {
        return Ok(Err(PasswordRefused::Invalid(domain::FieldError::new(
            "new_password",
            Reason::SamePassword,
        ))));
    }
    let hash = hash_password(new).await;
    crate::db::write(db, async |tx| {
        set_hash_in(tx, staff_id, &hash, false).await?;
        super::sessions::end_sessions_in(tx, staff_id, Some(keep_session)).await
    })
    .await?;
    Ok(Ok(()))
}

/// The owner's way back in (`merchant-ops staff password`): a new generated
/// password, returned once, that must be replaced at the next sign-in; every
/// session of the account ends and its sign-in delays are lifted.
pub async fn reset_password(db: &DatabaseConnection, email: &str) -> Result<String> {
    let email = domain::ids::email(email)?;
    let password = NewPassword::generate().await;
    crate::db::write(db, async |tx| {
        let row = staff::Entity::find()
            .filter(staff::Column::Email.eq(&email))
            .one(tx)
            .await?
            .ok_or(StoreError::NotFound("staff"))?;
        set_hash_in(tx, row.id, &password.hash, true).await?;
        super::sessions::end_sessions_in(tx, row.id, None).await?;
        super::sessions::lift_delays_in(tx, &email)
            .await
            .map(|_| ())
    })
    .await?;
    Ok(password.plain)
}

async fn set_hash_in(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    staff::Entity::update_many()
        .col_expr(staff::Column::PasswordHash, Expr::value(hash))
        .col_expr(staff::Column::MustChangePassword, Expr::value(must_change))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(tx)
        .await?;
    Ok(())
}
