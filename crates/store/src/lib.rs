//! merchant-ops persistence: the only crate that knows SQL. It maps rows to
//! `domain` values and back (money as integer fen), and enforces the claiming
//! rules inside the same transaction as the write.

pub mod db;

pub use db::{DEFAULT_DATABASE_URL, PoolSettings, begin_write, connect, migrate, open, ping};
pub use sea_orm::DatabaseConnection;

/// What can go wrong in the store, for callers to map once to HTTP or the CLI.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}
