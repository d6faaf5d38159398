//! A claim may discount fewer products than its coupon: a repurchase coupon with
//! `only_purchased_items` discounts only what the earlier order bought. A follower
//! grant remembers the channel of the follow, so that one waiting for its coupon
//! to start is granted later as it would have been then. `/healthz` proves the
//! database takes writes by writing one row of `health_probes`.

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
        manager
            .create_table(
                Table::create()
                    .table("health_probes")
                    .if_not_exists()
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(
                        ColumnDef::new("probed_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("ballast").text().null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("health_probes").if_exists().to_owned())
            .await?;
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
