//! The storefront may tell us what a customer is called, so the admin pages
//! can show a name (or a phone number's last digits) where an id was, and
//! staff can find a customer by it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_customer_names"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("customers")
                    .add_column(ColumnDef::new("name").string_len(40).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_shop_name")
                    .table("customers")
                    .col("shop_id")
                    .col("name")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_customers_shop_name")
                    .table("customers")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("customers")
                    .drop_column("name")
                    .to_owned(),
            )
            .await
    }
}
