//! A claim may discount fewer products than its coupon: a repurchase coupon with
//! `only_purchased_items` discounts only what the earlier order bought. A follower
//! grant remembers the channel of the follow, so that one waiting for its coupon
//! to start is granted later as it would have been then.

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
        if !manager.has_column("follower_grants", "channel").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("follower_grants")
                        .add_column(ColumnDef::new("channel").string().null())
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
