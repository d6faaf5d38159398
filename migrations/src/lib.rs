//! The merchant-ops schema. The same migrations run on SQLite and PostgreSQL;
//! applying them again, or to a database already up to date, changes nothing.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_schema;
mod m20261123_000002_reminder_scan;
mod m20261123_000003_sessions;
mod m20261123_000004_admin_pages;
mod m20261130_000005_claim_products;
mod m20261130_000006_claim_tallies;
mod m20261130_000007_staff_security;
mod m20261201_000008_customer_names;
mod m20261201_000009_session_expiry;
mod m20261201_000010_membership;
mod m20261201_000011_rewards;
mod m20261201_000012_shares;
mod m20261202_000013_rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_schema::Migration),
            Box::new(m20261123_000002_reminder_scan::Migration),
            Box::new(m20261123_000003_sessions::Migration),
            Box::new(m20261123_000004_admin_pages::Migration),
            Box::new(m20261130_000005_claim_products::Migration),
            Box::new(m20261130_000006_claim_tallies::Migration),
            Box::new(m20261130_000007_staff_security::Migration),
            Box::new(m20261201_000008_customer_names::Migration),
            Box::new(m20261201_000009_session_expiry::Migration),
            Box::new(m20261201_000010_membership::Migration),
            Box::new(m20261201_000011_rewards::Migration),
            Box::new(m20261201_000012_shares::Migration),
            Box::new(m20261202_000013_rollups::Migration),
        ]
    }
}
