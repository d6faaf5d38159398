//! Staff roles (SPEC §6): what each may do in a shop.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, staff and API keys included.
    Owner,
    /// Coupons, products, customers, orders.
    Operator,
    /// Reads everything, changes nothing.
    Viewer,
}

/// Kinds of change staff make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Coupons, products, customers, orders, notifications.
    EditShopData,
    /// Shop settings, staff and API keys.
    ManageShop,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Operator, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        match (self, permission) {
            (Role::Owner, _) => true,
            (Role::Operator, Permission::EditShopData) => true,
            (Role::Operator, Permission::ManageShop) | (Role::Viewer, _) => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role; expected owner, operator or viewer")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_spec_section_6_says() {
        assert!(Role::Owner.can(Permission::ManageShop));
        assert!(Role::Owner.can(Permission::EditShopData));
        assert!(Role::Operator.can(Permission::EditShopData));
        assert!(!Role::Operator.can(Permission::ManageShop));
        assert!(!Role::Viewer.can(Permission::EditShopData));
        assert!(!Role::Viewer.can(Permission::ManageShop));
        assert_eq!("viewer".parse::<Role>(), Ok(Role::Viewer));
        assert!("admin".parse::<Role>().is_err());
    }
}
