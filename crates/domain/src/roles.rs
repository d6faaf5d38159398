//! Staff roles (SPEC §6): what each may do in a shop.

crate::vocab::word_enum! {
    /// What a staff member is in a shop.
    Role, "role" {
        /// Everything, staff and API keys included.
        Owner = "owner",
        /// Coupons, products, customers, orders.
        Operator = "operator",
        /// Reads everything, changes nothing.
        Viewer = "viewer",
    }
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
    pub fn can(self, permission: Permission) -> bool {
        match (self, permission) {
            (Role::Owner, _) => true,
            (Role::Operator, Permission::EditShopData) => true,
            (Role::Operator, Permission::ManageShop) | (Role::Viewer, _) => false,
        }
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
