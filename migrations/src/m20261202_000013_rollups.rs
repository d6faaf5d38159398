//! Daily roll-ups (SPEC §8): the figures the dashboard and the coupon pages show,
//! kept by the writes that change them, in their transactions, so a page reads
//! days instead of claims. `store::rollups` fills them for existing data the
//! first time (`shops.rollups_ready`). Also: the optional device a claim came
//! from, when a customer last claimed, a coupon's optional budget, the alerts
//! the monitor raised, and notifications for staff (no customer).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000013_rollups"
    }
}

fn counter(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn rollup(
    name: &'static str,
    keys: &[&'static str],
    counters: &[&'static str],
) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name).if_not_exists();
    for key in keys {
        let column = match *key {
            "day" => ColumnDef::new("day").date().not_null().to_owned(),
            "channel" => ColumnDef::new("channel")
                .string_len(32)
                .not_null()
                .to_owned(),
            _ => ColumnDef::new(*key).big_integer().not_null().to_owned(),
        };
        table.col(column);
    }
    for name in counters {
        table.col(counter(name));
    }
    let mut primary = Index::create();
    for key in keys {
        primary.col(*key);
    }
    table.primary_key(&mut primary);
    table.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Per coupon (coupon_id > 0) and per shop (coupon_id = 0), day and claim
        // channel. Claim-side counts on the claim's day; use-side ones on the
        // day its order was paid.
        manager
            .create_table(rollup(
                "day_figures",
                &["shop_id", "coupon_id", "day", "channel"],
                &[
                    "claimed",
                    "claimers",
                    "redeemed",
                    "expired",
                    "revoked",
                    "used",
                    "used_next_day",
                    "cost_fen",
                    "orders",
                    "gmv_fen",
                    "units",
                    "lead_orders",
                    "lead_gmv_fen",
                    "lead_units",
                    "lead_claimers",
                    "unused",
                ],
            ))
            .await?;
        // A coupon's rows, by day.
        manager
            .create_index(
                Index::create()
                    .name("ix_day_figures_coupon_day")
                    .table("day_figures")
                    .col("coupon_id")
                    .col("day")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // A shop's paid orders by day, with and without a coupon.
        manager
            .create_table(rollup(
                "order_days",
                &["shop_id", "day"],
                &[
                    "coupon_orders",
                    "coupon_gmv_fen",
                    "coupon_units",
                    "cost_fen",
                    "plain_orders",
                    "plain_gmv_fen",
                ],
            ))
            .await?;
        // Waits from claim to use, counted by bucket (domain::metrics::wait_bucket).
        manager
            .create_table(rollup(
                "coupon_waits",
                &["coupon_id", "channel", "bucket"],
                &["n"],
            ))
            .await?;
        manager
            .create_table(rollup("shop_waits", &["shop_id", "day", "bucket"], &["n"]))
            .await?;
        // Customers claiming on a day, by days since their claim before (gap);
        // distinct claimers of any window ending today are read from it.
        manager
            .create_table(rollup("claimer_days", &["shop_id", "day", "gap"], &["n"]))
            .await?;

        for (table, column) in [
            (
                "shops",
                ColumnDef::new("rollups_ready")
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
            (
                "customers",
                ColumnDef::new("last_claimed_at")
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ),
            (
                "claims",
                ColumnDef::new("device").string_len(64).null().to_owned(),
            ),
            (
                "coupons",
                ColumnDef::new("budget_fen").big_integer().null().to_owned(),
            ),
        ] {
            if !manager
                .has_column(table, column.get_column_name().as_str())
                .await?
            {
                manager
                    .alter_table(Table::alter().table(table).add_column(column).to_owned())
                    .await?;
            }
        }

        manager
            .create_table(
                Table::create()
                    .table("alerts")
                    .if_not_exists()
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("shop_id").big_integer().not_null())
                    .col(ColumnDef::new("kind").string_len(32).not_null())
                    // What it is about: a coupon id, a phone, a device, or "orders".
                    .col(ColumnDef::new("subject").string_len(96).not_null())
                    .col(ColumnDef::new("coupon_id").big_integer().null())
                    .col(ColumnDef::new("figure").big_integer().not_null())
                    .col(ColumnDef::new("limit_value").big_integer().not_null())
                    .col(
                        ColumnDef::new("raised_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("checked_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("cleared_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_shop_id")
                            .from("alerts", "shop_id")
                            .to("shops", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_alerts_shop_kind_subject")
                    .table("alerts")
                    .col("shop_id")
                    .col("kind")
                    .col("subject")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // The alert scan's devices of the last day: only claims that name one.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_claims_shop_device ON claims \
                 (shop_id, claimed_at, device, customer_id) WHERE device IS NOT NULL",
            )
            .await?;
        // The dashboard's member count, from an index of members only: an index
        // on (shop_id, is_member) also matched a batch's lookup of customers by
        // id, and PostgreSQL, before it had statistics, walked the shop's every
        // customer with it instead of taking the unique (shop_id, external_id).
        for sql in [
            "DROP INDEX IF EXISTS ix_customers_shop_member",
            "CREATE INDEX IF NOT EXISTS ix_customers_members ON customers (shop_id) \
             WHERE is_member = TRUE",
        ] {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        // Unpaid orders by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_shop_status_created")
                    .table("orders")
                    .col("shop_id")
                    .col("status")
                    .col("created_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        staff_notifications(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in [
            "DROP INDEX IF EXISTS ix_customers_members",
            "CREATE INDEX IF NOT EXISTS ix_customers_shop_member ON customers (shop_id, is_member)",
        ] {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        for table in [
            "alerts",
            "claimer_days",
            "shop_waits",
            "coupon_waits",
            "order_days",
            "day_figures",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A notification for staff has no customer: `notifications.customer_id` may
/// be NULL. PostgreSQL drops the constraint; SQLite cannot, so the table is
/// rebuilt (same columns, keys and indexes) and its rows copied.
async fn staff_notifications(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ALTER TABLE notifications ALTER COLUMN customer_id DROP NOT NULL")
            .await?;
        return Ok(());
    }
    let columns = "id, shop_id, customer_id, claim_id, kind, lead_hours, channel, payload, \
                   status, attempts, next_attempt_at, last_error, created_at, sent_at";
    let create = Table::create()
        .table("notifications_new")
        .col(
            ColumnDef::new("id")
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new("shop_id").big_integer().not_null())
        .col(ColumnDef::new("customer_id").big_integer().null())
        .col(ColumnDef::new("claim_id").big_integer().null())
        .col(ColumnDef::new("kind").string().not_null())
        .col(ColumnDef::new("lead_hours").integer().not_null().default(0))
        .col(ColumnDef::new("channel").string().not_null())
        .col(ColumnDef::new("payload").text().not_null())
        .col(ColumnDef::new("status").string().not_null())
        .col(ColumnDef::new("attempts").integer().not_null().default(0))
        .col(
            ColumnDef::new("next_attempt_at")
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new("last_error").text().null())
        .col(
            ColumnDef::new("created_at")
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
        .foreign_key(
            ForeignKey::create()
                .name("fk_notifications_shop_id")
                .from("notifications_new", "shop_id")
                .to("shops", "id"),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_notifications_customer_id")
                .from("notifications_new", "customer_id")
                .to("customers", "id"),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_notifications_claim_id")
                .from("notifications_new", "claim_id")
                .to("claims", "id"),
        )
        .to_owned();
    // One script on one connection: the pool's other connections never see
    // the table half rebuilt.
    let backend = manager.get_database_backend();
    let mut script = vec![
        backend.build(&create).to_string(),
        format!("INSERT INTO notifications_new ({columns}) SELECT {columns} FROM notifications"),
        "DROP TABLE notifications".to_owned(),
        "ALTER TABLE notifications_new RENAME TO notifications".to_owned(),
    ];
    for (name, unique, columns) in [
        (
            "ux_notifications_claim_kind_lead",
            true,
            &["claim_id", "kind", "lead_hours"][..],
        ),
        (
            "ix_notifications_due",
            false,
            &["status", "next_attempt_at"][..],
        ),
        ("ix_notifications_shop", false, &["shop_id", "id"][..]),
        (
            "ix_notifications_shop_status_id",
            false,
            &["shop_id", "status", "id"][..],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table("notifications").if_not_exists();
        for column in columns {
            index.col(*column);
        }
        if unique {
            index.unique();
        }
        script.push(backend.build(&index.to_owned()).to_string());
    }
    db.execute_unprepared(&script.join(";\n")).await?;
    Ok(())
}
