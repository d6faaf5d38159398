//! The database `merchant-ops bench admin` times the admin pages on: one shop
//! with 100 k coupons, 1 M claims, 200 k orders (and 200 k customers, 50 k
//! notifications, 10 k audit entries) spread over the past year. Rows are made
//! by the database from a template row in chunks, so building takes seconds to
//! minutes rather than hours; every row reads back as a valid value.

use chrono::{DateTime, Utc};
use domain::{CouponStatus, roles::Role};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::bench::series;
use crate::error::{Result, StoreError};
use crate::{coupons, shops, staff};

#[derive(Debug, Clone, Copy)]
pub struct AdminScale {
    pub coupons: u64,
    pub claims: u64,
    pub orders: u64,
    pub customers: u64,
    pub notifications: u64,
    pub audit_entries: u64,
}

impl Default for AdminScale {
    fn default() -> Self {
        AdminScale {
            coupons: 100_000,
            claims: 1_000_000,
            orders: 200_000,
            customers: 200_000,
            notifications: 50_000,
            audit_entries: 10_000,
        }
    }
}

pub struct AdminBench {
    pub shop_slug: String,
    pub owner_email: String,
    pub owner_password: String,
    /// A coupon with many claims (a tenth of all), and a customer with some,
    /// for the detail pages.
    pub busy_coupon: i64,
    pub busy_customer: i64,
    pub some_order: i64,
}

const YEAR_SECONDS: u64 = 365 * 24 * 3600;
const CHUNK: u64 = 100_000;

/// SQL for the instant `seconds` (an SQL expression) before `base` (a
/// placeholder), written the way each backend stores instants.
fn before(backend: DbBackend, base: &str, seconds: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("({base} - ({seconds}) * interval '1 second')"),
        // sqlx stores RFC 3339 text on SQLite: keep to it so comparisons hold.
        _ => format!(
            "(strftime('%Y-%m-%dT%H:%M:%S', {base}, '-' || ({seconds}) || ' seconds') || '+00:00')"
        ),
    }
}

async fn run(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Result<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

async fn first_id(db: &impl ConnectionTrait, table: &str, shop_id: i64) -> Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MIN(id) AS first FROM {table} WHERE shop_id = {}",
                crate::db::placeholder(backend, 1)
            ),
            [shop_id.into()],
        ))
        .await?
        .ok_or(StoreError::NotFound("row"))?;
    Ok(row.try_get("", "first")?)
}

/// Inserts `count` rows with `insert` (which selects from `{series}` and may use
/// `{offset}`), a chunk at a time.
async fn in_chunks(
    db: &impl ConnectionTrait,
    count: u64,
    insert: impl Fn(String, u64) -> String,
    values: &[Value],
) -> Result<()> {
    let backend = db.get_database_backend();
    let mut done = 0;
    while done < count {
        let chunk = CHUNK.min(count - done);
        run(db, insert(series(backend, chunk), done), values.to_vec()).await?;
        done += chunk;
    }
    Ok(())
}

pub async fn prepare_admin_bench(
    db: &DatabaseConnection,
    scale: AdminScale,
    now: DateTime<Utc>,
) -> Result<AdminBench> {
    let backend = db.get_database_backend();
    let p = |n: usize| crate::db::placeholder(backend, n);
    let slug = format!("bench-{}", now.timestamp_micros());
    let shop = shops::create_shop(db, &slug, "benchmark", chrono_tz::Asia::Shanghai, now).await?;
    let owner_email = format!("{slug}@bench.merchant-ops.test");
    let (owner, generated) =
        staff::create_staff(db, &owner_email, "bench", Role::Owner, shop.id, now).await?;
    // Their own password, so the benchmark's pages are the shop's, not the
    // first sign-in's password change.
    let owner_password = format!("{generated}-bench");
    staff::change_password(db, owner.id, &generated, &owner_password, "")
        .await?
        .map_err(|refused| crate::StoreError::Corrupt(format!("{refused:?}")))?;

    // Coupons: copies of one valid design, a quarter in each status.
    let template = coupons::create_coupon(
        db,
        shop.id,
        &crate::bench::bench_coupon("template", u32::MAX, now),
        CouponStatus::Active,
        now,
    )
    .await?;
    let columns = "shop_id, kind, scope_type, scope_skus, benefit_type, threshold_fen, amount_fen, \
                   percent_bp, min_quantity, max_discount_fen, tiers, validity_type, valid_from, \
                   valid_until, valid_days, claim_from, claim_until, quantity, per_customer_limit, \
                   per_customer_daily_limit, audience, channels, regions, created_at, updated_at";
    in_chunks(
        db,
        scale.coupons.saturating_sub(1),
        |series, offset| {
            format!(
                "INSERT INTO coupons (name, status, claimed_count, {columns}) \
                 SELECT '满99减10 第' || CAST(n + {offset} AS TEXT) || '期', \
                 CASE (n + {offset}) % 4 WHEN 0 THEN 'active' WHEN 1 THEN 'ended' \
                 WHEN 2 THEN 'paused' ELSE 'draft' END, 0, {columns} \
                 FROM coupons, {series} WHERE coupons.id = {template}",
                template = p(1)
            )
        },
        &[template.id.into()],
    )
    .await?;
    let first_coupon = first_id(db, "coupons", shop.id).await?;

    in_chunks(
        db,
        scale.customers,
        |series, offset| {
            format!(
                "INSERT INTO customers (shop_id, external_id, phone, tags, is_follower, created_at, updated_at) \
                 SELECT {shop}, 'cust-' || CAST(n + {offset} AS TEXT), \
                 '138' || CAST(10000000 + n + {offset} AS TEXT), '[]', (n % 3 = 0), {at}, {at} FROM {series}",
                shop = p(1),
                at = before(backend, &p(2), &format!("(n + {offset}) * 131 % {YEAR_SECONDS}")),
            )
        },
        &[shop.id.into(), now.into()],
    )
    .await?;
    let first_customer = first_id(db, "customers", shop.id).await?;

    // Orders over the year: half used a coupon (¥10 off ¥99), some cancelled.
    in_chunks(
        db,
        scale.orders,
        |series, offset| {
            let k = format!("(n + {offset})");
            let at = before(backend, &p(2), &format!("{k} * 157 % {YEAR_SECONDS}"));
            format!(
                "INSERT INTO orders (shop_id, external_id, customer_id, status, subtotal_fen, \
                 merchant_discount_fen, platform_discount_fen, payable_fen, created_at, paid_at) \
                 SELECT {shop}, 'order-' || CAST({k} AS TEXT), {first} + {k} % {customers}, \
                 CASE WHEN {k} % 20 = 0 THEN 'cancelled' WHEN {k} % 3 = 0 THEN 'delivered' ELSE 'paid' END, \
                 9900, CASE WHEN {k} % 2 = 0 THEN 1000 ELSE 0 END, 0, \
                 CASE WHEN {k} % 2 = 0 THEN 8900 ELSE 9900 END, {at}, \
                 CASE WHEN {k} % 20 = 0 THEN NULL ELSE {at} END FROM {series}",
                shop = p(1),
                first = p(3),
                customers = scale.customers.max(1),
            )
        },
        &[shop.id.into(), now.into(), first_customer.into()],
    )
    .await?;
    let first_order = first_id(db, "orders", shop.id).await?;

    // Claims over the year on every coupon and customer, as drops come: a
    // tenth on the busy coupon over the last 30 days, the rest a few days per
    // coupon, coupon after coupon; one in three used, one in five expired, in
    // four channels.
    let busy = scale.claims / 10;
    let rest = (scale.claims - busy).max(1);
    let others = scale.coupons.saturating_sub(1);
    in_chunks(
        db,
        scale.claims,
        |series, offset| {
            // From 0, so the blocks end at the last coupon.
            let k = format!("(n - 1 + {offset})");
            let block = format!("(({k} - {busy}) * {others} / {rest})");
            let ago = format!(
                "(CASE WHEN {k} < {busy} THEN {k} * 7919 % {month} \
                 ELSE ({block} * {YEAR_SECONDS} / {coupons} + {k} * 7919 % {days3}) % {YEAR_SECONDS} END)",
                month = 30 * 86_400,
                days3 = 3 * 86_400,
                coupons = scale.coupons.max(1),
            );
            let claimed = before(backend, &p(2), &ago);
            let used = before(backend, &p(2), &format!("{ago} - 3600"));
            format!(
                "INSERT INTO claims (shop_id, coupon_id, customer_id, channel, source, state, \
                 claimed_at, valid_from, valid_until, used_at, expired_at) \
                 SELECT {shop}, CASE WHEN {k} < {busy} THEN {coupon} ELSE {coupon} + 1 + {block} END, \
                 {customer} + {k} % {customers}, \
                 CASE {k} % 4 WHEN 0 THEN 'live_room' WHEN 1 THEN 'short_video' \
                 WHEN 2 THEN 'shop_page' ELSE 'fan_group' END, 'claim', \
                 CASE WHEN {k} % 3 = 0 THEN 'used' WHEN {k} % 5 = 0 THEN 'expired' ELSE 'unused' END, \
                 {claimed}, {claimed}, {claimed}, \
                 CASE WHEN {k} % 3 = 0 THEN {used} ELSE NULL END, NULL FROM {series}",
                shop = p(1),
                coupon = p(3),
                customer = p(4),
                customers = scale.customers.max(1),
            )
        },
        &[
            shop.id.into(),
            now.into(),
            first_coupon.into(),
            first_customer.into(),
        ],
    )
    .await?;

    in_chunks(
        db,
        scale.notifications,
        |series, offset| {
            let k = format!("(n + {offset})");
            let at = before(backend, &p(2), &format!("{k} * 613 % {YEAR_SECONDS}"));
            format!(
                "INSERT INTO notifications (shop_id, customer_id, kind, lead_hours, channel, payload, \
                 status, attempts, next_attempt_at, last_error, created_at) \
                 SELECT {shop}, {customer} + {k} % {customers}, 'expiry_reminder', 24, 'webhook', '{{}}', \
                 CASE WHEN {k} % 10 = 0 THEN 'failed' ELSE 'sent' END, \
                 CASE WHEN {k} % 10 = 0 THEN 5 ELSE 1 END, {at}, \
                 CASE WHEN {k} % 10 = 0 THEN 'HTTP 502' ELSE NULL END, {at} FROM {series}",
                shop = p(1),
                customer = p(3),
                customers = scale.customers.max(1),
            )
        },
        &[shop.id.into(), now.into(), first_customer.into()],
    )
    .await?;

    in_chunks(
        db,
        scale.audit_entries,
        |series, offset| {
            let k = format!("(n + {offset})");
            let at = before(backend, &p(2), &format!("{k} * 3011 % {YEAR_SECONDS}"));
            format!(
                "INSERT INTO audit_log (shop_id, staff_id, action, entity, entity_id, before, after, at) \
                 SELECT {shop}, (SELECT staff_id FROM memberships WHERE shop_id = {shop}), 'pause', \
                 'coupon', CAST({coupon} + {k} % {coupons} AS TEXT), '{{\"status\":\"active\"}}', \
                 '{{\"status\":\"paused\"}}', {at} FROM {series}",
                shop = p(1),
                coupon = p(3),
                coupons = scale.coupons.max(1),
            )
        },
        &[shop.id.into(), now.into(), first_coupon.into()],
    )
    .await?;

    // The daily roll-ups the writes would have kept, from the rows.
    crate::db::write(db, async |tx| {
        crate::rollups::rebuild(tx, shop.id, now).await
    })
    .await?;
    // Fresh statistics, as a long-running database would have.
    run(db, "ANALYZE".into(), vec![]).await?;
    Ok(AdminBench {
        shop_slug: slug,
        owner_email,
        owner_password,
        busy_coupon: first_coupon,
        busy_customer: first_customer,
        some_order: first_order + (scale.orders / 2) as i64,
    })
}
