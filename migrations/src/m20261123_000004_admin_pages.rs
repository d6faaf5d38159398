//! Indexes for the admin pages at scale (100 k coupons, 1 M claims, 200 k orders in
//! one shop): every list walks an index newest first, and the dashboard reads
//! 30 days of claims and paid orders from covering indexes, never the whole table.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000004_admin_pages"
    }
}

/// (table, index name, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    // Dashboard: claims by day, channel and state; redemptions by day.
    (
        "claims",
        "ix_claims_shop_claimed",
        &["shop_id", "claimed_at", "channel", "state"],
    ),
    ("claims", "ix_claims_shop_used", &["shop_id", "used_at"]),
    // A coupon's page: its tally by channel and its daily claims.
    (
        "claims",
        "ix_claims_coupon_channel",
        &["coupon_id", "channel", "state"],
    ),
    (
        "claims",
        "ix_claims_coupon_claimed",
        &["coupon_id", "claimed_at"],
    ),
    ("claims", "ix_claims_coupon_used", &["coupon_id", "used_at"]),
    // A customer's page: their claims, newest first.
    ("claims", "ix_claims_customer_id", &["customer_id", "id"]),
    // Dashboard: paid orders by day with what the page sums.
    (
        "orders",
        "ix_orders_shop_paid",
        &[
            "shop_id",
            "paid_at",
            "status",
            "merchant_discount_fen",
            "payable_fen",
        ],
    ),
    ("orders", "ix_orders_shop_id", &["shop_id", "id"]),
    (
        "orders",
        "ix_orders_shop_status_id",
        &["shop_id", "status", "id"],
    ),
    ("orders", "ix_orders_customer_id", &["customer_id", "id"]),
    // Newest first, and the name search reads names from the index, not the rows.
    (
        "coupons",
        "ix_coupons_shop_id_name",
        &["shop_id", "id", "name"],
    ),
    (
        "coupons",
        "ix_coupons_shop_kind_id",
        &["shop_id", "kind", "id"],
    ),
    ("customers", "ix_customers_shop_id", &["shop_id", "id"]),
    (
        "customers",
        "ix_customers_shop_phone",
        &["shop_id", "phone"],
    ),
    (
        "notifications",
        "ix_notifications_shop_status_id",
        &["shop_id", "status", "id"],
    ),
    ("audit_log", "ix_audit_log_shop_id", &["shop_id", "id"]),
    (
        "audit_log",
        "ix_audit_log_shop_entity_id",
        &["shop_id", "entity", "id"],
    ),
    ("products", "ix_products_shop_id", &["shop_id", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(*table).if_not_exists();
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(*name).table(*table).to_owned())
                .await?;
        }
        Ok(())
    }
}
