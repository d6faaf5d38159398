//! sea-orm entities, one per table, as the schema defines them. Hand-written
//! logic lives in the repository modules, which map these rows to `domain` values.

pub mod api_key;
pub mod audit_entry;
pub mod claim;
pub mod code_batch;
pub mod coupon;
pub mod customer;
pub mod discount_allocation;
pub mod follower_grant;
pub mod idempotency_key;
pub mod invitation;
pub mod membership;
pub mod notification;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod private_code;
pub mod product;
pub mod repurchase_grant;
pub mod session;
pub mod share;
pub mod share_friend;
pub mod shop;
pub mod sign_in_delay;
pub mod staff;
