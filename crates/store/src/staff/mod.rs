//! Staff: accounts (argon2id password hashes), shop memberships with roles,
//! sessions (only a hash of the token is stored), and the brakes on guessing:
//! after repeated failures an account or an address is locked for a while.

mod accounts;
mod memberships;
mod sessions;

pub use accounts::*;
pub use memberships::*;
pub use sessions::*;
