//! The JSON API through the real application factory (SPEC §7).

mod claims;
mod coupons;
mod errors;
mod members;
mod openapi;
mod orders;
mod rewards;
mod shares;
