//! Spend and return (满返, SPEC §10): a reward coupon's amount, trigger and
//! whether it is for members only. Its grants are decided once per (order,
//! coupon) in `repurchase_grants`, as repurchase coupons' are.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000011_rewards"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new("reward_min_paid_fen")
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new("reward_trigger")
                .string_len(16)
                .null()
                .to_owned(),
            ColumnDef::new("reward_members_only")
                .boolean()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("coupons")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            "reward_members_only",
            "reward_trigger",
            "reward_min_paid_fen",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("coupons")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
