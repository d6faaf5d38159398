//! Staff: accounts (argon2id password hashes), shop memberships with roles,
//! sessions (only a hash of the token is stored), and the brakes on guessing:
//! after repeated failures an account or an address is locked for a while.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use domain::Reason;
use domain::roles::Role;
use domain::vocab::TextError;
use rand::RngExt;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{membership, session, sign_in_throttle, staff};
use crate::error::{Conflict, Result, StoreError};
use crate::shops::{self, ShopRecord};

/// Failures before an account is locked, and for how long.
pub const ACCOUNT_FAILURES: i32 = 5;
/// Failures from one address within the window before it is locked.
pub const ADDRESS_FAILURES: i32 = 20;
pub const LOCK_FOR: Duration = Duration::minutes(15);
pub const SESSION_LASTS: Duration = Duration::hours(12);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `zh-CN` or `en`.
    pub locale: String,
}

fn record(row: &staff::Model) -> StaffRecord {
    StaffRecord {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        locale: row.locale.clone(),
    }
}

const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

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

fn password_matches(password: &str, hash: &str) -> bool {
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
    hash: String,
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
async fn create_staff_in(
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

async fn set_role_in(
    db: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    role: Role,
) -> Result<()> {
    membership::Entity::insert(membership::ActiveModel {
        staff_id: Set(staff_id),
        shop_id: Set(shop_id),
        role: Set(role.as_str().into()),
    })
    .on_conflict(
        OnConflict::columns([membership::Column::StaffId, membership::Column::ShopId])
            .update_column(membership::Column::Role)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// What adding someone to a shop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new account, with its generated password (shown once).
    NewAccount(StaffRecord, String),
    /// Someone who already had an account (in another shop) now works here too.
    ExistingAccount(StaffRecord),
}

/// Adds a staff member to a shop with a role, inside the caller's transaction:
/// a new email gets an account with `password`; an existing account gets the
/// membership; someone already in this shop is a conflict.
pub async fn add_to_shop(
    tx: &impl ConnectionTrait,
    email: &str,
    name: &str,
    role: Role,
    shop_id: i64,
    password: NewPassword,
    now: DateTime<Utc>,
) -> Result<Added> {
    let email = domain::ids::email(email)?;
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(StoreError::invalid("name", TextError::TooLong(100)));
    }
    let existing = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(tx)
        .await?;
    if let Some(row) = existing {
        let member = membership::Entity::find_by_id((row.id, shop_id))
            .one(tx)
            .await?;
        if member.is_some() {
            return Err(Conflict::AlreadyInShop(email.clone()).into());
        }
        set_role_in(tx, row.id, shop_id, role).await?;
        return Ok(Added::ExistingAccount(record(&row)));
    }
    let created = create_staff_in(tx, &email, name, &password.hash, role, shop_id, now).await?;
    Ok(Added::NewAccount(created, password.plain))
}

/// A shop's staff with their roles, by name.
pub async fn shop_staff(
    db: &impl ConnectionTrait,
    shop_id: i64,
) -> Result<Vec<(StaffRecord, Role)>> {
    let members = membership::Entity::find()
        .filter(membership::Column::ShopId.eq(shop_id))
        .all(db)
        .await?;
    let people = staff::Entity::find()
        .filter(staff::Column::Id.is_in(members.iter().map(|m| m.staff_id)))
        .order_by_asc(staff::Column::Name)
        .all(db)
        .await?;
    people
        .iter()
        .map(|person| {
            let role = members
                .iter()
                .find(|m| m.staff_id == person.id)
                .map(|m| m.role.as_str())
                .unwrap_or_default();
            let role = role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("membership role {role}")))?;
            Ok((record(person), role))
        })
        .collect()
}

/// A membership as the audit log keeps it: who (email, name) and their role.
pub async fn membership_row(
    db: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
) -> Result<Option<serde_json::Value>> {
    let Some(member) = membership::Entity::find_by_id((staff_id, shop_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let person = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("staff member"))?;
    Ok(Some(serde_json::json!({
        "email": person.email, "name": person.name, "role": member.role,
    })))
}

/// Owners of the shop other than `staff_id`.
async fn other_owners(db: &impl ConnectionTrait, shop_id: i64, staff_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(membership::Entity::find()
        .filter(membership::Column::ShopId.eq(shop_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .filter(membership::Column::StaffId.ne(staff_id))
        .count(db)
        .await?)
}

/// A change to someone's membership may go ahead: they work here, and the shop
/// keeps an owner when they are no longer one (`stays_owner` false).
async fn may_change(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    stays_owner: bool,
) -> Result<()> {
    if membership::Entity::find_by_id((staff_id, shop_id))
        .one(tx)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound("staff member"));
    }
    if !stays_owner && other_owners(tx, shop_id, staff_id).await? == 0 {
        return Err(Conflict::LastOwner.into());
    }
    Ok(())
}

/// Changes a member's role; a shop always keeps at least one owner.
pub async fn change_role(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    role: Role,
) -> Result<()> {
    may_change(tx, staff_id, shop_id, role == Role::Owner).await?;
    set_role_in(tx, staff_id, shop_id, role).await
}

/// Takes someone off the shop (their account stays, for other shops); a shop
/// always keeps at least one owner.
pub async fn remove_from_shop(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
) -> Result<()> {
    may_change(tx, staff_id, shop_id, false).await?;
    membership::Entity::delete_by_id((staff_id, shop_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// The shops a staff member works for, with their role, oldest shop first; two
/// queries however many shops (this runs on every admin request).
pub async fn memberships(
    db: &impl ConnectionTrait,
    staff_id: i64,
) -> Result<Vec<(ShopRecord, Role)>> {
    use crate::entities::shop;
    let rows = membership::Entity::find()
        .filter(membership::Column::StaffId.eq(staff_id))
        .all(db)
        .await?;
    let found = shop::Entity::find()
        .filter(shop::Column::Id.is_in(rows.iter().map(|m| m.shop_id)))
        .order_by_asc(shop::Column::Id)
        .all(db)
        .await?;
    found
        .into_iter()
        .map(|row| {
            let member = rows
                .iter()
                .find(|m| m.shop_id == row.id)
                .expect("shops were read by membership");
            let role = member
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("membership role {}", member.role)))?;
            Ok((shops::from_row(row)?, role))
        })
        .collect()
}

/// Why a sign-in did not work. The messages shown never say which part was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    WrongCredentials,
    /// Too many failures: try again after this moment.
    Locked(DateTime<Utc>),
}

/// A new session: the token goes in the cookie, the CSRF token in forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut rng = rand::rng();
    (0..40)
        .map(|_| PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())] as char)
        .collect()
}

/// Checks the password and opens a session, unless the account or the address
/// is locked; failures count towards both locks.
pub async fn sign_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(StaffRecord, NewSession), SignInError>> {
    let email = email.trim().to_lowercase();
    if let Some(until) = address_locked_until(db, address, now).await? {
        return Ok(Err(SignInError::Locked(until)));
    }
    let row = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(db)
        .await?;
    if let Some(until) = row
        .as_ref()
        .and_then(|r| r.locked_until)
        .filter(|u| *u > now)
    {
        return Ok(Err(SignInError::Locked(until)));
    }
    // Hash even for an unknown email, so timing does not tell accounts apart.
    let known_hash = row.as_ref().map(|r| r.password_hash.clone());
    let fallback = hash_password("not a real password");
    let matches = password_matches(password, known_hash.as_deref().unwrap_or(&fallback));
    let Some(row) = row.filter(|_| matches) else {
        record_failure(db, &email, address, now).await?;
        return Ok(Err(SignInError::WrongCredentials));
    };
    let session = NewSession {
        token: random_token(),
        csrf_token: random_token(),
        expires_at: now + SESSION_LASTS,
    };
    crate::db::write(db, async |tx| {
        staff::Entity::update_many()
            .col_expr(staff::Column::FailedSignIns, Expr::value(0))
            .col_expr(
                staff::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(staff::Column::Id.eq(row.id))
            .exec(tx)
            .await?;
        session::ActiveModel {
            token_hash: Set(digest(&session.token)),
            staff_id: Set(row.id),
            csrf_token: Set(session.csrf_token.clone()),
            created_at: Set(now),
            expires_at: Set(session.expires_at),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        Ok(())
    })
    .await?;
    Ok(Ok((record(&row), session)))
}

async fn address_locked_until(
    db: &impl ConnectionTrait,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    Ok(sign_in_throttle::Entity::find()
        .filter(sign_in_throttle::Column::Address.eq(address))
        .one(db)
        .await?
        .and_then(|t| t.locked_until)
        .filter(|until| *until > now))
}

async fn record_failure(
    db: &DatabaseConnection,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::db::write(db, async |tx| {
        if let Some(row) = staff::Entity::find()
            .filter(staff::Column::Email.eq(email))
            .one(tx)
            .await?
        {
            let failures = row.failed_sign_ins + 1;
            let mut active: staff::ActiveModel = row.into();
            active.failed_sign_ins = Set(if failures >= ACCOUNT_FAILURES {
                0
            } else {
                failures
            });
            if failures >= ACCOUNT_FAILURES {
                active.locked_until = Set(Some(now + LOCK_FOR));
            }
            active.update(tx).await?;
        }
        let throttle = sign_in_throttle::Entity::find()
            .filter(sign_in_throttle::Column::Address.eq(address))
            .one(tx)
            .await?;
        match throttle {
            None => {
                sign_in_throttle::ActiveModel {
                    address: Set(address.to_owned()),
                    failures: Set(1),
                    window_start: Set(now),
                    locked_until: Set(None),
                    ..Default::default()
                }
                .insert(tx)
                .await?;
            }
            Some(row) => {
                let fresh_window = row.window_start + LOCK_FOR < now;
                let failures = if fresh_window { 1 } else { row.failures + 1 };
                let window_start = if fresh_window { now } else { row.window_start };
                let mut active: sign_in_throttle::ActiveModel = row.into();
                active.failures = Set(if failures >= ADDRESS_FAILURES {
                    0
                } else {
                    failures
                });
                active.window_start = Set(window_start);
                if failures >= ADDRESS_FAILURES {
                    active.locked_until = Set(Some(now + LOCK_FOR));
                }
                active.update(tx).await?;
            }
        }
        Ok(())
    })
    .await
}

/// The signed-in staff member and their CSRF token, if the session is live.
pub async fn session(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(StaffRecord, String)>> {
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.expires_at <= now {
        return Ok(None);
    }
    let row = staff::Entity::find_by_id(found.staff_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("staff"))?;
    Ok(Some((record(&row), found.csrf_token)))
}

pub async fn sign_out(db: &impl ConnectionTrait, token: &str) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(digest(token)))
        .exec(db)
        .await?;
    Ok(())
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
