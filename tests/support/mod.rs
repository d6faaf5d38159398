//! Shared helpers: a fresh database per test on every backend configured, and
//! typed fixtures.

pub mod api;
pub mod db;
pub mod fixtures;
pub mod openapi;

pub use db::databases;
pub use fixtures::now;
