//! The expiry-reminder pass walks one shop's unused claims by expiry.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_reminder_scan"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_claims_shop_state_expiry")
                    .table("claims")
                    .col("shop_id")
                    .col("state")
                    .col("valid_until")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_claims_shop_state_expiry")
                    .table("claims")
                    .to_owned(),
            )
            .await
    }
}
