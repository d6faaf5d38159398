//! Sign-in and sessions: only a hash of a session token is stored, and the
//! brakes on guessing — after repeated failures an account or an address is
//! locked for a while.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{session, sign_in_throttle, staff};
use crate::error::{Result, StoreError};

use super::*;

/// Failures before an account is locked, and for how long.
pub const ACCOUNT_FAILURES: i32 = 5;
/// Failures from one address within the window before it is locked.
pub const ADDRESS_FAILURES: i32 = 20;
pub const LOCK_FOR: Duration = Duration::minutes(15);
pub const SESSION_LASTS: Duration = Duration::hours(12);

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
