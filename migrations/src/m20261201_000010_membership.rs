//! The shop's membership (SPEC §10, 商家会员): whether a customer is a member,
//! since when and at which level; a member coupon's join gift. Join gifts are
//! decided once per customer and coupon in `follower_grants`, as follower
//! coupons are.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_membership"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new("is_member")
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new("member_level")
                .string_len(32)
                .null()
                .to_owned(),
            ColumnDef::new("member_since")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("customers")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("coupons")
                    .add_column(ColumnDef::new("member_join_gift").boolean().null())
                    .to_owned(),
            )
            .await?;
        // The dashboard counts a shop's members.
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_shop_member")
                    .table("customers")
                    .col("shop_id")
                    .col("is_member")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_customers_shop_member")
                    .table("customers")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("coupons")
                    .drop_column("member_join_gift")
                    .to_owned(),
            )
            .await?;
        for column in ["member_since", "member_level", "is_member"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("customers")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
