//! Shared helpers: a fresh database per test, on every backend configured.

pub mod db;

pub use db::databases;
