//! The whole schema of merchant-ops. Money is integer fen (`*_fen`), percents are
//! basis points (`*_bp`: 85.00 % = 8500), times are UTC, lists are JSON text.
//! Unique constraints carry the SPEC's "exactly once" rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_schema"
    }
}

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{column}"))
        .from(from, column)
        .to(to, "id")
        .take()
}

fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{name}"))
        .table(table)
        .if_not_exists();
    for column in columns {
        index.col(*column);
    }
    index
}

fn unique(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, name, columns);
    index.name(format!("ux_{table}_{name}")).unique();
    index
}

fn table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .if_not_exists()
        .col(big_pk_auto("id"))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table("shops")
                .col(string_len_uniq("slug", 64))
                .col(string("name"))
                .col(string("time_zone").default("Asia/Shanghai"))
                .col(string("reminder_lead_hours").default("24"))
                .col(integer("quiet_start_minute").default(22 * 60))
                .col(integer("quiet_end_minute").default(8 * 60))
                .col(integer_null("monthly_cap"))
                .col(integer_null("profit_floor_bp"))
                .col(string("notification_channel").default("log"))
                .col(text_null("webhook_url"))
                .col(text_null("webhook_secret"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            table("staff")
                .col(string_uniq("email"))
                .col(string("name"))
                .col(text("password_hash"))
                .col(string("locale").default("zh-CN"))
                .col(integer("failed_sign_ins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            Table::create()
                .table("memberships")
                .if_not_exists()
                .col(big_integer("staff_id"))
                .col(big_integer("shop_id"))
                .col(string("role"))
                .primary_key(Index::create().col("staff_id").col("shop_id"))
                .foreign_key(&mut fk("memberships", "staff_id", "staff"))
                .foreign_key(&mut fk("memberships", "shop_id", "shops"))
                .take(),
            table("api_keys")
                .col(big_integer("shop_id"))
                .col(string_uniq("prefix"))
                .col(string("secret_hash"))
                .col(string("label").default(""))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_keys", "shop_id", "shops"))
                .take(),
            table("products")
                .col(big_integer("shop_id"))
                .col(string("sku"))
                .col(string("name"))
                .col(big_integer("price_fen"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("products", "shop_id", "shops"))
                .take(),
            table("customers")
                .col(big_integer("shop_id"))
                .col(string("external_id"))
                .col(string_len_null("region", 2))
                .col(text("tags").default("[]"))
                .col(string_null("phone"))
                .col(boolean("is_follower").default(false))
                .col(timestamp_with_time_zone_null("followed_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("customers", "shop_id", "shops"))
                .take(),
            table("coupons")
                .col(big_integer("shop_id"))
                .col(string("name"))
                .col(string("kind"))
                .col(string("status"))
                .col(string("scope_type"))
                .col(text("scope_skus").default("[]"))
                .col(string("benefit_type"))
                .col(big_integer_null("threshold_fen"))
                .col(big_integer_null("amount_fen"))
                .col(integer_null("percent_bp"))
                .col(integer_null("min_quantity"))
                .col(big_integer_null("max_discount_fen"))
                .col(text_null("tiers"))
                .col(string("validity_type"))
                .col(timestamp_with_time_zone_null("valid_from"))
                .col(timestamp_with_time_zone_null("valid_until"))
                .col(integer_null("valid_days"))
                .col(timestamp_with_time_zone("claim_from"))
                .col(timestamp_with_time_zone("claim_until"))
                .col(big_integer_null("quantity"))
                .col(integer_null("per_customer_limit"))
                .col(integer_null("per_customer_daily_limit"))
                .col(string("audience"))
                .col(text("channels").default("[]"))
                .col(text("regions").default("[]"))
                .col(boolean_null("follower_auto_grant"))
                .col(string_null("repurchase_trigger"))
                .col(integer_null("repurchase_days_after"))
                .col(boolean_null("repurchase_only_purchased"))
                .col(string_null("private_code"))
                .col(integer_null("private_unique_codes"))
                .col(big_integer("claimed_count").default(0))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("coupons", "shop_id", "shops"))
                .take(),
            table("code_batches")
                .col(big_integer("coupon_id"))
                .col(integer("size"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("code_batches", "coupon_id", "coupons"))
                .take(),
            table("private_codes")
                .col(big_integer("shop_id"))
                .col(big_integer("coupon_id"))
                .col(big_integer_null("batch_id"))
                .col(string("code"))
                .col(boolean("one_time"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut fk("private_codes", "shop_id", "shops"))
                .foreign_key(&mut fk("private_codes", "coupon_id", "coupons"))
                .foreign_key(&mut fk("private_codes", "batch_id", "code_batches"))
                .take(),
            table("orders")
                .col(big_integer("shop_id"))
                .col(string("external_id"))
                .col(big_integer("customer_id"))
                .col(string("status"))
                .col(big_integer("subtotal_fen"))
                .col(big_integer("merchant_discount_fen"))
                .col(big_integer("platform_discount_fen"))
                .col(big_integer("payable_fen"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(timestamp_with_time_zone_null("shipped_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(timestamp_with_time_zone_null("refunded_at"))
                .foreign_key(&mut fk("orders", "shop_id", "shops"))
                .foreign_key(&mut fk("orders", "customer_id", "customers"))
                .take(),
            table("claims")
                .col(big_integer("shop_id"))
                .col(big_integer("coupon_id"))
                .col(big_integer("customer_id"))
                .col(string("channel"))
                .col(string("source"))
                .col(string("state"))
                .col(timestamp_with_time_zone("claimed_at"))
                .col(timestamp_with_time_zone("valid_from"))
                .col(timestamp_with_time_zone("valid_until"))
                .col(big_integer_null("code_id"))
                .col(big_integer_null("order_id"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone_null("expired_at"))
                .foreign_key(&mut fk("claims", "shop_id", "shops"))
                .foreign_key(&mut fk("claims", "coupon_id", "coupons"))
                .foreign_key(&mut fk("claims", "customer_id", "customers"))
                .foreign_key(&mut fk("claims", "code_id", "private_codes"))
                .foreign_key(&mut fk("claims", "order_id", "orders"))
                .take(),
            table("order_lines")
                .col(big_integer("order_id"))
                .col(integer("line_no"))
                .col(string("sku"))
                .col(big_integer("unit_price_fen"))
                .col(big_integer_null("activity_price_fen"))
                .col(integer("quantity"))
                .col(big_integer("amount_fen"))
                .col(big_integer("discount_fen"))
                .col(big_integer_null("claim_id"))
                .foreign_key(&mut fk("order_lines", "order_id", "orders"))
                .foreign_key(&mut fk("order_lines", "claim_id", "claims"))
                .take(),
            table("discount_allocations")
                .col(big_integer("order_id"))
                .col(big_integer("order_line_id"))
                .col(big_integer("claim_id"))
                .col(big_integer("coupon_id"))
                .col(big_integer("amount_fen"))
                .foreign_key(&mut fk("discount_allocations", "order_id", "orders"))
                .foreign_key(&mut fk(
                    "discount_allocations",
                    "order_line_id",
                    "order_lines",
                ))
                .foreign_key(&mut fk("discount_allocations", "claim_id", "claims"))
                .foreign_key(&mut fk("discount_allocations", "coupon_id", "coupons"))
                .take(),
            table("order_events")
                .col(big_integer("order_id"))
                .col(string("event_type"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("order_events", "order_id", "orders"))
                .take(),
            table("follower_grants")
                .col(big_integer("shop_id"))
                .col(big_integer("customer_id"))
                .col(big_integer("coupon_id"))
                .col(big_integer_null("claim_id"))
                .col(string("outcome"))
                .col(timestamp_with_time_zone("decided_at"))
                .foreign_key(&mut fk("follower_grants", "shop_id", "shops"))
                .foreign_key(&mut fk("follower_grants", "customer_id", "customers"))
                .foreign_key(&mut fk("follower_grants", "coupon_id", "coupons"))
                .foreign_key(&mut fk("follower_grants", "claim_id", "claims"))
                .take(),
            table("repurchase_grants")
                .col(big_integer("shop_id"))
                .col(big_integer("order_id"))
                .col(big_integer("coupon_id"))
                .col(big_integer("customer_id"))
                .col(big_integer_null("claim_id"))
                .col(string("outcome"))
                .col(timestamp_with_time_zone("decided_at"))
                .foreign_key(&mut fk("repurchase_grants", "shop_id", "shops"))
                .foreign_key(&mut fk("repurchase_grants", "order_id", "orders"))
                .foreign_key(&mut fk("repurchase_grants", "coupon_id", "coupons"))
                .foreign_key(&mut fk("repurchase_grants", "customer_id", "customers"))
                .foreign_key(&mut fk("repurchase_grants", "claim_id", "claims"))
                .take(),
            table("notifications")
                .col(big_integer("shop_id"))
                .col(big_integer("customer_id"))
                .col(big_integer_null("claim_id"))
                .col(string("kind"))
                .col(integer("lead_hours").default(0))
                .col(string("channel"))
                .col(text("payload"))
                .col(string("status"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(&mut fk("notifications", "shop_id", "shops"))
                .foreign_key(&mut fk("notifications", "customer_id", "customers"))
                .foreign_key(&mut fk("notifications", "claim_id", "claims"))
                .take(),
            table("audit_log")
                .col(big_integer_null("shop_id"))
                .col(big_integer_null("staff_id"))
                .col(string("action"))
                .col(string("entity"))
                .col(string_null("entity_id"))
                .col(text_null("before"))
                .col(text_null("after"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("audit_log", "shop_id", "shops"))
                .foreign_key(&mut fk("audit_log", "staff_id", "staff"))
                .take(),
            table("idempotency_keys")
                .col(big_integer("shop_id"))
                .col(string("idem_key"))
                .col(string("request_hash"))
                .col(integer("status_code"))
                .col(text("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("idempotency_keys", "shop_id", "shops"))
                .take(),
        ];
        for statement in tables {
            manager.create_table(statement).await?;
        }

        let indexes = [
            unique("products", "shop_sku", &["shop_id", "sku"]),
            unique("customers", "shop_external", &["shop_id", "external_id"]),
            index("memberships", "shop", &["shop_id"]),
            index("api_keys", "shop", &["shop_id"]),
            index("coupons", "shop_status", &["shop_id", "status", "id"]),
            index("coupons", "shop_kind", &["shop_id", "kind", "status"]),
            unique("private_codes", "shop_code", &["shop_id", "code"]),
            index("private_codes", "coupon", &["coupon_id", "id"]),
            index(
                "claims",
                "coupon_customer",
                &["coupon_id", "customer_id", "claimed_at"],
            ),
            index(
                "claims",
                "shop_customer",
                &["shop_id", "customer_id", "claimed_at"],
            ),
            index("claims", "state_expiry", &["state", "valid_until"]),
            index("claims", "customer_state", &["customer_id", "state"]),
            index("claims", "coupon_state", &["coupon_id", "state"]),
            index("claims", "order", &["order_id"]),
            unique("orders", "shop_external", &["shop_id", "external_id"]),
            index("orders", "shop_created", &["shop_id", "created_at"]),
            index("orders", "delivered", &["shop_id", "delivered_at"]),
            index("orders", "shipped", &["shop_id", "shipped_at"]),
            index("orders", "customer", &["customer_id", "status"]),
            unique("order_lines", "order_line", &["order_id", "line_no"]),
            index("discount_allocations", "order", &["order_id"]),
            index("discount_allocations", "coupon", &["coupon_id"]),
            index("discount_allocations", "claim", &["claim_id"]),
            unique("order_events", "order_type", &["order_id", "event_type"]),
            unique(
                "follower_grants",
                "customer_coupon",
                &["customer_id", "coupon_id"],
            ),
            unique(
                "repurchase_grants",
                "order_coupon",
                &["order_id", "coupon_id"],
            ),
            unique(
                "notifications",
                "claim_kind_lead",
                &["claim_id", "kind", "lead_hours"],
            ),
            index("notifications", "due", &["status", "next_attempt_at"]),
            index("notifications", "shop", &["shop_id", "id"]),
            index("audit_log", "shop_at", &["shop_id", "at"]),
            unique("idempotency_keys", "shop_key", &["shop_id", "idem_key"]),
            index("idempotency_keys", "created", &["created_at"]),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idempotency_keys",
            "audit_log",
            "notifications",
            "repurchase_grants",
            "follower_grants",
            "order_events",
            "discount_allocations",
            "order_lines",
            "claims",
            "orders",
            "private_codes",
            "code_batches",
            "coupons",
            "customers",
            "products",
            "api_keys",
            "memberships",
            "staff",
            "shops",
        ] {
            manager
                .drop_table(Table::drop().table(name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
