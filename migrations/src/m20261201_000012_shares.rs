//! Share to unlock (分享N人领券, SPEC §10): a share coupon's settings, the shares
//! customers start (one per sharer and coupon, found by its code), and the
//! friends who joined — each counts once per share coupon, so a unique key on
//! (coupon, friend) decides it, however many join at once.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000012_shares"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new("share_friends").integer().null().to_owned(),
            ColumnDef::new("share_new_customers_only")
                .boolean()
                .null()
                .to_owned(),
            ColumnDef::new("share_friend_coupon_id")
                .big_integer()
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
        manager
            .create_table(
                Table::create()
                    .table("shares")
                    .if_not_exists()
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("shop_id").big_integer().not_null())
                    .col(ColumnDef::new("coupon_id").big_integer().not_null())
                    .col(ColumnDef::new("sharer_id").big_integer().not_null())
                    .col(
                        ColumnDef::new("code")
                            .string_len(16)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("joined").integer().not_null().default(0))
                    .col(
                        ColumnDef::new("new_customers")
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new("completed_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    // The sharer's claim; NULL while open, or when the grant was refused.
                    .col(ColumnDef::new("claim_id").big_integer().null())
                    .col(ColumnDef::new("outcome").string_len(32).null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("shares", "shop_id")
                            .to("shops", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("shares", "coupon_id")
                            .to("coupons", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("shares", "sharer_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_shares_coupon_sharer")
                    .table("shares")
                    .col("coupon_id")
                    .col("sharer_id")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("share_friends")
                    .if_not_exists()
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("share_id").big_integer().not_null())
                    .col(ColumnDef::new("coupon_id").big_integer().not_null())
                    .col(ColumnDef::new("friend_id").big_integer().not_null())
                    .col(ColumnDef::new("new_customer").boolean().not_null())
                    .col(
                        ColumnDef::new("joined_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("share_friends", "share_id")
                            .to("shares", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("share_friends", "friend_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_share_friends_coupon_friend",
                &["coupon_id", "friend_id"][..],
                true,
            ),
            ("ix_share_friends_share", &["share_id"][..], false),
        ] {
            let mut index = Index::create();
            index.name(name).table("share_friends").if_not_exists();
            for column in columns {
                index.col(*column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["share_friends", "shares"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for column in [
            "share_friend_coupon_id",
            "share_new_customers_only",
            "share_friends",
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
