//! Sign-in and sessions: only a hash of a session token is stored, and the
//! brakes on guessing — after repeated failures an account or an address is
//! locked for a while.

use chrono::{DateTime, Duration, Utc};
use domain::throttle::{self, Scope};
use rand::RngExt;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{invitation, session, sign_in_delay, staff};
use crate::error::{Result, StoreError};
use crate::shops::ShopRecord;
use domain::roles::Role;

use super::*;

pub const SESSION_LASTS: Duration = Duration::hours(12);

/// Why a sign-in did not work. The messages shown never say which part was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    WrongCredentials,
    /// Too many failures from this address: the next try waits until then.
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

/// The delay counts a sign-in from `address` for `email` is held to: the pair's
/// and the address's (`domain::throttle`).
fn throttle_keys(email: &str, address: &str) -> [(String, Scope); 2] {
    [
        (format!("pair:{email} {address}"), Scope::Pair),
        (format!("address:{address}"), Scope::Address),
    ]
}

/// An email as typed, for looking it up and counting failures: trimmed,
/// lower-cased and cut to the longest an address can be, so that a 16 KiB
/// "email" still lands in the delay counts (and no account matches it).
fn typed_email(text: &str) -> String {
    text.trim().to_lowercase().chars().take(254).collect()
}

/// A hash no password matches, checked for an unknown email so that a wrong
/// email takes as long as a wrong password.
static UNKNOWN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// Checks the password and opens a session, unless this address must wait
/// after failing (for this email, or for many). A wait holds back only the
/// address that failed; the password is not even checked while it lasts.
pub async fn sign_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(StaffRecord, NewSession), SignInError>> {
    let email = typed_email(email);
    let keys = throttle_keys(&email, address);
    if let Some(until) = waiting_until(db, &keys, now).await? {
        return Ok(Err(SignInError::Locked(until)));
    }
    let row = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(db)
        .await?;
    let hash = match &row {
        Some(row) => row.password_hash.clone(),
        None => UNKNOWN
            .get_or_init(async || hash_password(&generate_password()).await)
            .await
            .clone(),
    };
    let matches = password_matches(password, &hash).await;
    let Some(row) = row.filter(|_| matches) else {
        record_failure(db, &keys, now).await?;
        return Ok(Err(SignInError::WrongCredentials));
    };
    let session = crate::db::write(db, async |tx| {
        // The right password clears this address's count for the account.
        clear_pair_in(tx, &keys).await?;
        open_session_in(tx, row.id, now).await
    })
    .await?;
    Ok(Ok((record(&row), session)))
}

async fn clear_pair_in(tx: &impl ConnectionTrait, keys: &[(String, Scope); 2]) -> Result<()> {
    sign_in_delay::Entity::delete_many()
        .filter(sign_in_delay::Column::ThrottleKey.eq(&keys[0].0))
        .exec(tx)
        .await?;
    Ok(())
}

async fn open_session_in(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<NewSession> {
    let session = NewSession {
        token: random_token(),
        csrf_token: random_token(),
        expires_at: now + SESSION_LASTS,
    };
    session::ActiveModel {
        token_hash: Set(digest(&session.token)),
        staff_id: Set(staff_id),
        csrf_token: Set(session.csrf_token.clone()),
        created_at: Set(now),
        expires_at: Set(session.expires_at),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(session)
}

/// Why joining a shop with an invitation did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinRefused {
    /// The email, the code or the password is not right (never which).
    WrongDetails,
    /// Too many failures from this address: the next try waits until then.
    Locked(DateTime<Utc>),
    /// A new account's password breaks the rule.
    Password(domain::FieldError),
}

/// What someone brings to `/join`: the invited email, the code, and their
/// password — the one they have, or a new one for a new account.
#[derive(Debug, Clone, Copy)]
pub struct JoinRequest<'a> {
    pub email: &'a str,
    pub code: &'a str,
    pub password: &'a str,
    /// A new account's name (default: the email's first part).
    pub name: &'a str,
}

/// Joins the shop an invitation is for and signs in (SPEC §11): an existing
/// account proves itself with its password; an email without one gets an
/// account with the password chosen here. The invitation is used up. Failures
/// count towards the same waits as signing in.
pub async fn join(
    db: &DatabaseConnection,
    ask: JoinRequest<'_>,
    address: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(StaffRecord, NewSession, ShopRecord), JoinRefused>> {
    let email = typed_email(ask.email);
    let keys = throttle_keys(&email, address);
    if let Some(until) = waiting_until(db, &keys, now).await? {
        return Ok(Err(JoinRefused::Locked(until)));
    }
    let invitation = invitation::Entity::find()
        .filter(invitation::Column::CodeHash.eq(super::memberships::code_digest(ask.code)))
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    let account = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(db)
        .await?;
    // The password is checked (or hashed) whatever was wrong, so the time taken
    // tells nothing.
    let (proven, new_hash) = match &account {
        Some(row) => (
            password_matches(ask.password, &row.password_hash).await,
            None,
        ),
        None => {
            if let Err(error) = domain::ids::new_password(ask.password) {
                return Ok(Err(JoinRefused::Password(error)));
            }
            (true, Some(hash_password(ask.password).await))
        }
    };
    let Some(invitation) = invitation.filter(|_| proven) else {
        record_failure(db, &keys, now).await?;
        return Ok(Err(JoinRefused::WrongDetails));
    };
    let role: Role = invitation
        .role
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("invitation role {}", invitation.role)))?;
    let joined = crate::db::write(db, async |tx| {
        // Used once: whoever deletes it joins.
        let used = invitation::Entity::delete_by_id(invitation.id)
            .exec(tx)
            .await?;
        if used.rows_affected == 0 {
            return Ok(None);
        }
        let person = match (&account, &new_hash) {
            (Some(row), _) => record(row),
            (None, Some(hash)) => create_account_in(tx, &email, ask.name, hash, false, now).await?,
            (None, None) => unreachable!("a new account's password was hashed"),
        };
        super::memberships::set_role_in(tx, person.id, invitation.shop_id, role).await?;
        clear_pair_in(tx, &keys).await?;
        let session = open_session_in(tx, person.id, now).await?;
        let shop = crate::shops::get_shop(tx, invitation.shop_id).await?;
        Ok(Some((person, session, shop)))
    })
    .await?;
    Ok(joined.ok_or(JoinRefused::WrongDetails))
}

async fn waiting_until(
    db: &impl ConnectionTrait,
    keys: &[(String, Scope); 2],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    Ok(sign_in_delay::Entity::find()
        .filter(sign_in_delay::Column::ThrottleKey.is_in(keys.iter().map(|(k, _)| k.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|delay| delay.wait_until)
        .filter(|until| *until > now)
        .max())
}

/// One more failure on each count; the next try from there waits longer.
async fn record_failure(
    db: &DatabaseConnection,
    keys: &[(String, Scope)],
    now: DateTime<Utc>,
) -> Result<()> {
    crate::db::write(db, async |tx| {
        for (key, scope) in keys {
            let found = sign_in_delay::Entity::find()
                .filter(sign_in_delay::Column::ThrottleKey.eq(key))
                .one(tx)
                .await?;
            let failures = throttle::count_failure(
                found.as_ref().map_or(0, |d| d.failures.max(0) as u32),
                found.as_ref().map(|d| d.last_failed_at),
                now,
            );
            let wait_until = now + scope.wait_after(failures);
            sign_in_delay::Entity::insert(sign_in_delay::ActiveModel {
                throttle_key: Set(key.clone()),
                failures: Set(failures.min(i32::MAX as u32) as i32),
                last_failed_at: Set(now),
                wait_until: Set(wait_until),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::column(sign_in_delay::Column::ThrottleKey)
                    .update_columns([
                        sign_in_delay::Column::Failures,
                        sign_in_delay::Column::LastFailedAt,
                        sign_in_delay::Column::WaitUntil,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
        }
        Ok(())
    })
    .await
}

/// `merchant-ops staff unlock`: lifts every delay on `email`, and on the
/// addresses it failed from; how many addresses that was.
pub async fn unlock(db: &DatabaseConnection, email: &str) -> Result<u64> {
    let email = domain::ids::email(email)?;
    crate::db::write(db, async |tx| lift_delays_in(tx, &email).await).await
}

pub(super) async fn lift_delays_in(tx: &impl ConnectionTrait, email: &str) -> Result<u64> {
    let prefix = format!("pair:{email} ");
    let pairs = sign_in_delay::Entity::find()
        .filter(sign_in_delay::Column::ThrottleKey.starts_with(&prefix))
        .all(tx)
        .await?;
    // The addresses this account failed from are let through again too.
    let mut keys: Vec<String> = pairs.iter().map(|p| p.throttle_key.clone()).collect();
    keys.extend(pairs.iter().filter_map(|p| {
        p.throttle_key
            .strip_prefix(&prefix)
            .map(|address| format!("address:{address}"))
    }));
    sign_in_delay::Entity::delete_many()
        .filter(sign_in_delay::Column::ThrottleKey.is_in(keys))
        .exec(tx)
        .await?;
    Ok(pairs.len() as u64)
}

/// Ends the account's sessions, except `keep` (a session token).
pub(super) async fn end_sessions_in(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    keep: Option<&str>,
) -> Result<()> {
    let mut ended = session::Entity::delete_many().filter(session::Column::StaffId.eq(staff_id));
    if let Some(keep) = keep {
        ended = ended.filter(session::Column::TokenHash.ne(digest(keep)));
    }
    ended.exec(tx).await?;
    Ok(())
}

/// Retention: sessions past their expiry (they no longer sign anyone in).
pub async fn purge_sessions(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let gone = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}

/// Retention: delay counts no failure has touched for [`throttle::FORGET_AFTER`].
pub async fn purge_delays(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let gone = sign_in_delay::Entity::delete_many()
        .filter(sign_in_delay::Column::LastFailedAt.lt(now - throttle::FORGET_AFTER))
        .filter(sign_in_delay::Column::WaitUntil.lt(now))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
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
