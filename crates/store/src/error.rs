//! The store's one error type: callers map it once, to HTTP or to the command line.

use domain::{Refusal, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(sea_orm::DbErr),
    /// The database cannot take the request now — disk full, read-only, out of
    /// reach — and nothing was written; the same request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// No such thing in this shop (another shop's things are not found either).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The input breaks a rule; nothing was written.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// A claim refused by the rules of SPEC §3; nothing was written.
    #[error("claim refused: {0}")]
    Refused(Refusal),
    /// The request clashes with the current state (a used claim, a taken slug, an
    /// ended coupon); nothing was written.
    #[error("{0}")]
    Conflict(Conflict),
    /// What a write was prepared from changed before it ran; the caller prepares
    /// it again (never reaches a client).
    #[error("the data changed while the write was prepared")]
    Stale,
    /// A stored row that no longer reads as a valid value: a bug or a hand edit.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// What a request clashed with, by kind, so callers tell conflicts apart by
/// their variant (and say them in their own words) rather than by text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("a shop named {0} exists")]
    ShopExists(String),
    #[error("{0} already has an account")]
    AccountExists(String),
    #[error("{0} already works in this shop")]
    AlreadyInShop(String),
    #[error("a shop needs at least one owner")]
    LastOwner,
    #[error("an ended coupon cannot be edited")]
    CouponEnded,
    #[error(transparent)]
    CouponStatus(#[from] domain::coupon::TransitionError),
    #[error(transparent)]
    OrderStatus(#[from] domain::order::NotAllowed),
    #[error("order {0} has already been recorded")]
    OrderExists(String),
    #[error("claim {0} has already been used")]
    ClaimUsed(i64),
    #[error("claim {0} has expired")]
    ClaimExpired(i64),
    #[error("a claim of this order was used by another order")]
    ClaimTaken,
    #[error("only a failed notification can be retried")]
    NotFailed,
}

impl From<Conflict> for StoreError {
    fn from(conflict: Conflict) -> Self {
        StoreError::Conflict(conflict)
    }
}

impl StoreError {
    pub fn invalid(field: &str, reason: impl Into<domain::Reason>) -> StoreError {
        StoreError::Invalid(domain::FieldError::new(field, reason).into())
    }
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(error: sea_orm::DbErr) -> Self {
        if storage_fault(&error) {
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error)
        }
    }
}

/// Whether `error` says the storage itself failed (rather than the request):
/// no connection, a full disk, a read-only or unreadable file, a server going away.
fn storage_fault(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx_error = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Exec(RuntimeErr::Internal(text)) | DbErr::Query(RuntimeErr::Internal(text)) => {
            return text.contains("Disconnected") || text.contains("closed");
        }
        _ => return false,
    };
    use sea_orm::sqlx::Error;
    match &**sqlx_error {
        Error::Io(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Tls(_)
        | Error::Protocol(_) => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>() {
                // SQLite primary result codes: BUSY 5, LOCKED 6, NOMEM 7, READONLY 8,
                // IOERR 10, CORRUPT 11, FULL 13, CANTOPEN 14, NOTADB 26.
                Some(_) => code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 7 | 8 | 10 | 11 | 13 | 14 | 26)),
                // PostgreSQL SQLSTATE classes: 08 connection, 53 resources (disk
                // full), 57 operator intervention (shutdown), 58 system (I/O);
                // 25006 read-only transaction.
                None => {
                    ["08", "53", "57", "58"].iter().any(|c| code.starts_with(c)) || code == "25006"
                }
            }
        }
        _ => false,
    }
}

impl From<domain::FieldError> for StoreError {
    fn from(error: domain::FieldError) -> Self {
        StoreError::Invalid(error.into())
    }
}

impl From<ValidationErrors> for StoreError {
    fn from(errors: ValidationErrors) -> Self {
        StoreError::Invalid(errors)
    }
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        StoreError::Refused(refusal)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
