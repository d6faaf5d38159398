//! merchant-ops integration tests: one binary, one module per area. Every test
//! that touches the database runs on SQLite and, when `TEST_DATABASE_URL` is set,
//! on PostgreSQL too, each on a database of its own.

mod support;

mod admin;
mod api;
mod bench;
mod browser;
mod health;
mod jobs;
mod ops;
mod store;
