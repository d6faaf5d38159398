//! The merchant-ops schema. The same migrations run on SQLite and PostgreSQL;
//! applying them again, or to a database already up to date, changes nothing.

pub use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}
