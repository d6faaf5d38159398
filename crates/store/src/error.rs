//! The store's one error type: callers map it once, to HTTP or to the command line.

use domain::{Refusal, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
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
    Conflict(String),
    /// What a write was prepared from changed before it ran; the caller prepares
    /// it again (never reaches a client).
    #[error("the data changed while the write was prepared")]
    Stale,
    /// A stored row that no longer reads as a valid value: a bug or a hand edit.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Invalid(domain::FieldError::new(field, reason).into())
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
