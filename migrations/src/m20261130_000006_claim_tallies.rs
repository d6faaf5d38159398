//! The live drop console reads per-second tallies of each coupon's claims and
//! refusals, kept by the claim batches in their own transactions, so a page that
//! refreshes every two seconds during a drop never counts claims.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000006_claim_tallies"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("claim_tallies")
                    .if_not_exists()
                    .col(ColumnDef::new("coupon_id").big_integer().not_null())
                    // Unix seconds of the attempts counted.
                    .col(ColumnDef::new("at_second").big_integer().not_null())
                    // `claimed`, or the refusal's reason code (SPEC §3).
                    .col(ColumnDef::new("outcome").string_len(32).not_null())
                    .col(ColumnDef::new("n").big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col("coupon_id")
                            .col("at_second")
                            .col("outcome"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("claim_tallies", "coupon_id")
                            .to("coupons", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The expire pass purges by age across coupons.
        manager
            .create_index(
                Index::create()
                    .name("ix_claim_tallies_at_second")
                    .table("claim_tallies")
                    .col("at_second")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("claim_tallies").if_exists().to_owned())
            .await
    }
}
