//! Staff accounts that hold up (SPEC §11): sign-in delays counted per (email,
//! address) and per address instead of account lock-outs, a password the owner
//! of a generated one must replace, and invitations to a shop that the invited
//! person accepts with a one-time code. And long writes in chunks: a code batch counts the codes
//! generated so far, each chunk committed on its own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000007_staff_security"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table("sign_in_throttle")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sign_in_delays")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    // `pair:{email} {address}` or `address:{address}`.
                    .col(string_len_uniq("throttle_key", 400))
                    .col(integer("failures").default(0))
                    .col(timestamp_with_time_zone("last_failed_at"))
                    .col(timestamp_with_time_zone("wait_until"))
                    .to_owned(),
            )
            .await?;
        // Retention: the expire pass deletes counts forgotten by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_sign_in_delays_last_failed_at")
                    .table("sign_in_delays")
                    .col("last_failed_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        for column in ["failed_sign_ins", "locked_until"] {
            manager
                .alter_table(Table::alter().table("staff").drop_column(column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("staff")
                    .add_column(boolean("must_change_password").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("code_batches")
                    .add_column(integer("generated").default(0))
                    .to_owned(),
            )
            .await?;
        // Batches made before were written whole.
        manager
            .get_connection()
            .execute_unprepared("UPDATE code_batches SET generated = size")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invitations")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("shop_id"))
                    // Whoever holds this email, with an account or not yet: the
                    // owner who invites learns nothing about accounts.
                    .col(string_len("email", 254))
                    .col(string_len("role", 16))
                    // SHA-256 of the one-time invitation code.
                    .col(string_len_uniq("code_hash", 64))
                    .col(big_integer_null("invited_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("invitations", "shop_id")
                            .to("shops", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_invitations_shop_email")
                    .table("invitations")
                    .col("shop_id")
                    .col("email")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("code_batches")
                    .drop_column("generated")
                    .to_owned(),
            )
            .await?;
        for table in ["invitations", "sign_in_delays"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("staff")
                    .drop_column("must_change_password")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("staff")
                    .add_column(integer("failed_sign_ins").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("staff")
                    .add_column(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sign_in_throttle")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_uniq("address"))
                    .col(integer("failures").default(0))
                    .col(timestamp_with_time_zone("window_start"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await
    }
}
