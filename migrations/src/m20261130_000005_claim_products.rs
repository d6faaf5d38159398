//! A claim may discount fewer products than its coupon: a repurchase coupon with
//! `only_purchased_items` discounts only what the earlier order bought.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000005_claim_products"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_column("claims", "skus").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("claims")
                        // JSON list of SKUs; NULL: the coupon's own scope.
                        .add_column(ColumnDef::new("skus").text().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("claims")
                    .drop_column("skus")
                    .to_owned(),
            )
            .await
    }
}
