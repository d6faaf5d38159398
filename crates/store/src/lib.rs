//! merchant-ops persistence: the only crate that knows SQL. It maps rows to
//! `domain` values and back (money as integer fen), and enforces the claiming
//! rules inside the same transaction as the write.
//!
//! Repository functions take `&impl ConnectionTrait` where they may run inside a
//! caller's transaction, and `&DatabaseConnection` where they own one.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod bench_admin;
pub mod claims;
pub mod codes;
mod convert;
pub mod coupons;
pub mod customers;
pub mod db;
mod decisions;
pub(crate) mod entities;
mod error;
pub mod follows;
pub mod grants;
pub mod idempotency;
pub mod lists;
pub mod members;
pub mod metrics;
pub mod notifications;
pub mod orders;
pub mod products;
pub mod reminders;
pub mod rewards;
pub mod rollups;
pub mod shares;
pub mod shops;
pub mod soak;
pub mod staff;
pub mod stats;

pub use db::{DEFAULT_DATABASE_URL, PoolSettings, begin_write, connect, migrate, open, ping};
pub use error::{Conflict, Result, StoreError};
pub use sea_orm::{DatabaseConnection, DatabaseTransaction};
