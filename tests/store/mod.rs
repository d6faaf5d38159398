//! The store against real databases: schema, mapping, atomic claims, redeeming.

mod claims;
mod coupons;
mod demo;
mod faults;
mod idempotency;
mod migrations;
mod orders;
mod staff;
mod stats;
