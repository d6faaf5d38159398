//! Set-up of the benchmarks, and the bare claim transaction `merchant-ops bench
//! claims` measures the store against.

use chrono::{DateTime, Duration, Utc};
use domain::{
    Audience, BenefitSpec, CouponDraft, CouponKind, CouponStatus, Money, Scope, Validity,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::entities::customer;
use crate::error::Result;
use crate::{coupons, shops};

pub struct ClaimsBench {
    pub shop_id: i64,
    /// Claimed through the real claiming path, with every rule.
    pub rules_coupon: i64,
    /// Claimed over HTTP (`bench http-claims`).
    pub http_coupon: i64,
    /// Claimed by the bare loop (`bare_claims`).
    pub bare_coupon: i64,
    /// (id, external id) of customers who have claimed nothing yet.
    pub customers: Vec<(i64, String)>,
}

/// A private coupon with `codes` one-time codes (`bench long-writes`).
pub fn bench_private_coupon(name: &str, codes: u32, now: DateTime<Utc>) -> domain::Coupon {
    let mut draft = bench_coupon(name, u32::MAX, now).to_draft();
    draft.kind = domain::CouponKind::Private;
    draft.private = Some(domain::PrivateCodes::Unique {
        unique_codes: codes,
    });
    draft.validate().expect("a valid private coupon")
}

pub(crate) fn bench_coupon(name: &str, quantity: u32, now: DateTime<Utc>) -> domain::Coupon {
    CouponDraft {
        name: name.into(),
        kind: CouponKind::Shop,
        scope: Scope::Shop,
        benefit: BenefitSpec::AmountOff {
            threshold: Money::yuan(99),
            amount: Money::yuan(10),
        },
        validity: Validity::Relative { days: 7 },
        claim_from: now - Duration::days(1),
        claim_until: now + Duration::days(30),
        quantity: Some(quantity),
        per_customer_limit: Some(1),
        per_customer_daily_limit: None,
        audience: Audience::All,
        channels: vec![],
        regions: vec![],
        follower: None,
        repurchase: None,
        private: None,
        member: None,
        reward: None,
        share: None,
    }
    .validate()
    .expect("the benchmark coupon is valid")
}

/// The coupon of `bench drop`: 满99减10, `stock` in all, one per customer.
pub fn drop_coupon(stock: u32, now: DateTime<Utc>) -> domain::Coupon {
    bench_coupon("直播间秒杀", stock, now)
}

/// A fresh shop (no monthly cap) with three coupons of `claims` each and `claims`
/// customers, so every run writes the same rows into the same tables.
pub async fn prepare_claims_bench(
    db: &DatabaseConnection,
    claims: u32,
    now: DateTime<Utc>,
) -> Result<ClaimsBench> {
    let slug = format!("bench-{}", now.timestamp_micros());
    let shop = shops::create_shop(db, &slug, "benchmark", chrono_tz::Asia::Shanghai, now).await?;
    shops::set_monthly_cap(db, shop.id, None).await?;
    let rules = coupons::create_coupon(
        db,
        shop.id,
        &bench_coupon("rules", claims, now),
        CouponStatus::Active,
        now,
    )
    .await?;
    let http = coupons::create_coupon(
        db,
        shop.id,
        &bench_coupon("http", claims, now),
        CouponStatus::Active,
        now,
    )
    .await?;
    let bare = coupons::create_coupon(
        db,
        shop.id,
        &bench_coupon("bare", claims, now),
        CouponStatus::Active,
        now,
    )
    .await?;
    let mut customers = Vec::with_capacity(claims as usize);
    for chunk in (0..claims).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<customer::ActiveModel> = chunk
            .iter()
            .map(|i| customer::ActiveModel {
                shop_id: sea_orm::Set(shop.id),
                external_id: sea_orm::Set(format!("bench-{i}")),
                region: sea_orm::Set(None),
                tags: sea_orm::Set("[]".into()),
                phone: sea_orm::Set(None),
                is_follower: sea_orm::Set(false),
                followed_at: sea_orm::Set(None),
                created_at: sea_orm::Set(now),
                updated_at: sea_orm::Set(now),
                ..Default::default()
            })
            .collect();
        use sea_orm::EntityTrait;
        customer::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    for row in customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop.id))
        .order_by_asc(customer::Column::Id)
        .all(db)
        .await?
    {
        customers.push((row.id, row.external_id));
    }
    Ok(ClaimsBench {
        shop_id: shop.id,
        rules_coupon: rules.id,
        http_coupon: http.id,
        bare_coupon: bare.id,
        customers,
    })
}

/// `n` = 1..=count, as a table.
pub(crate) fn series(backend: DbBackend, count: u64) -> String {
    match backend {
        // BIGINT: the generated times multiply n past 32 bits.
        DbBackend::Postgres => format!("generate_series(CAST(1 AS BIGINT), {count}) AS g(n)"),
        _ => format!(
            "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) \
             SELECT n FROM s) AS g"
        ),
    }
}

/// A shop whose `claims` unused claims of one coupon, over `customers`
/// customers, are: one in ten due for a 24 h reminder (expiring in 12 h), one in
/// ten already expired, the rest expiring in 30 days. Rows are generated by the
/// database itself in chunks, so building a million takes seconds.
pub async fn prepare_reminders_bench(
    db: &DatabaseConnection,
    claims: u64,
    customers: u64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let slug = format!("bench-{}", now.timestamp_micros());
    let shop = shops::create_shop(db, &slug, "benchmark", chrono_tz::Asia::Shanghai, now).await?;
    let coupon = coupons::create_coupon(
        db,
        shop.id,
        &bench_coupon("reminders", u32::MAX, now),
        CouponStatus::Active,
        now,
    )
    .await?;
    let backend = db.get_database_backend();
    let p = |n: usize| crate::db::placeholder(backend, n);
    let series = |count: u64| series(backend, count);
    let first_customer: i64 = {
        let sql = format!(
            "INSERT INTO customers (shop_id, external_id, tags, is_follower, created_at, updated_at) \
             SELECT {shop}, 'bench-' || CAST(n AS TEXT), '[]', {no}, {now}, {now} FROM {series}",
            shop = p(1),
            now = p(2),
            no = p(3),
            series = series(customers),
        );
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [shop.id.into(), now.into(), false.into()],
        ))
        .await?;
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT MIN(id) AS first FROM customers WHERE shop_id = {}",
                    p(1)
                ),
                [shop.id.into()],
            ))
            .await?
            .ok_or(crate::StoreError::NotFound("customer"))?;
        row.try_get("", "first")?
    };
    const CHUNK: u64 = 100_000;
    let mut done = 0;
    while done < claims {
        let count = CHUNK.min(claims - done);
        let sql = format!(
            "INSERT INTO claims (shop_id, coupon_id, customer_id, channel, source, state, \
             claimed_at, valid_from, valid_until) \
             SELECT {shop}, {coupon}, {first} + (n + {done}) % {customers}, 'live_room', 'claim', \
             'unused', {claimed}, {claimed}, \
             CASE WHEN (n + {done}) % 10 = 0 THEN {due} WHEN (n + {done}) % 10 = 1 THEN {gone} \
             ELSE {later} END FROM {series}",
            shop = p(1),
            coupon = p(2),
            first = p(3),
            claimed = p(4),
            due = p(5),
            gone = p(6),
            later = p(7),
            series = series(count),
        );
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                shop.id.into(),
                coupon.id.into(),
                first_customer.into(),
                (now - Duration::days(2)).into(),
                (now + Duration::hours(12)).into(),
                (now - Duration::hours(1)).into(),
                (now + Duration::days(30)).into(),
            ],
        ))
        .await?;
        done += count;
    }
    Ok(shop.id)
}

/// The bare claim transaction, as fast as the database itself takes it: no ORM,
/// no pool, no queue, no rules, with the durability the application uses
/// (SQLite: WAL, `synchronous = NORMAL`). SQLite is called in-process through
/// its C interface with prepared statements, on one thread; PostgreSQL through
/// the driver. Each claim is
/// `BEGIN` (IMMEDIATE on SQLite), the conditional stock `UPDATE`, the customer's
/// count of the coupon, the `INSERT`, `COMMIT`. On SQLite one connection loops (the
/// file has one writer); on PostgreSQL `clients` connections loop side by side.
/// Returns the seconds taken for `customers`.
pub async fn bare_claims(
    url: &str,
    shop_id: i64,
    coupon_id: i64,
    customers: &[(i64, String)],
    clients: usize,
    now: DateTime<Utc>,
) -> Result<std::time::Duration> {
    use sea_orm::sqlx::{self, Connection, Executor};
    use std::str::FromStr;
    let until = now + Duration::days(7);
    let to_store = |e: sqlx::Error| crate::StoreError::Config(format!("bare loop: {e}"));
    if url.starts_with("sqlite:") {
        let path = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(to_store)?
            .get_filename()
            .to_path_buf();
        let customers: Vec<i64> = customers.iter().map(|c| c.0).collect();
        return tokio::task::spawn_blocking(move || {
            bare_sqlite(&path, shop_id, coupon_id, &customers, now, until)
        })
        .await
        .map_err(|e| crate::StoreError::Config(format!("bare loop: {e}")))?;
    }
    let options: sqlx::postgres::PgConnectOptions = url.parse().map_err(to_store)?;
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients.max(1) {
        connections.push(
            sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(to_store)?,
        );
    }
    let started_pg = std::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, mut conn) in connections.into_iter().enumerate() {
        let mine: Vec<i64> = customers
            .iter()
            .skip(i)
            .step_by(clients.max(1))
            .map(|c| c.0)
            .collect();
        tasks.push(tokio::spawn(async move {
            for customer_id in mine {
                conn.execute("BEGIN").await?;
                sqlx::query(
                    "UPDATE coupons SET claimed_count = claimed_count + 1 \
                     WHERE id = $1 AND claimed_count < quantity",
                )
                .bind(coupon_id)
                .execute(&mut conn)
                .await?;
                let _: (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM claims WHERE coupon_id = $1 AND customer_id = $2",
                )
                .bind(coupon_id)
                .bind(customer_id)
                .fetch_one(&mut conn)
                .await?;
                sqlx::query(
                    "INSERT INTO claims (shop_id, coupon_id, customer_id, channel, source, \
                     state, claimed_at, valid_from, valid_until) \
                     VALUES ($1, $2, $3, 'live_room', 'claim', 'unused', $4, $4, $5)",
                )
                .bind(shop_id)
                .bind(coupon_id)
                .bind(customer_id)
                .bind(now)
                .bind(until)
                .execute(&mut conn)
                .await?;
                conn.execute("COMMIT").await?;
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| crate::StoreError::Config(format!("bare loop: {e}")))?
            .map_err(to_store)?;
    }
    Ok(started_pg.elapsed())
}

/// The SQLite side of [`bare_claims`]: SQLite's own C interface, one thread.
fn bare_sqlite(
    path: &std::path::Path,
    shop_id: i64,
    coupon_id: i64,
    customers: &[i64],
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<std::time::Duration> {
    let to_store = |e: rusqlite::Error| crate::StoreError::Config(format!("bare loop: {e}"));
    let conn = rusqlite::Connection::open(path).map_err(to_store)?;
    conn.execute_batch(&crate::db::sqlite_pragmas())
        .map_err(to_store)?;
    // As the application writes times.
    let text = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let (claimed, until) = (text(now), text(until));
    let started = std::time::Instant::now();
    for customer_id in customers {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(to_store)?;
        conn.prepare_cached(
            "UPDATE coupons SET claimed_count = claimed_count + 1 \
             WHERE id = ?1 AND claimed_count < quantity",
        )
        .and_then(|mut s| s.execute([coupon_id]))
        .map_err(to_store)?;
        let _held: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM claims WHERE coupon_id = ?1 AND customer_id = ?2")
            .and_then(|mut s| s.query_row([coupon_id, *customer_id], |row| row.get(0)))
            .map_err(to_store)?;
        conn.prepare_cached(
            "INSERT INTO claims (shop_id, coupon_id, customer_id, channel, source, state, \
             claimed_at, valid_from, valid_until) \
             VALUES (?1, ?2, ?3, 'live_room', 'claim', 'unused', ?4, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(rusqlite::params![
                shop_id,
                coupon_id,
                customer_id,
                claimed,
                until
            ])
        })
        .map_err(to_store)?;
        conn.execute_batch("COMMIT").map_err(to_store)?;
    }
    Ok(started.elapsed())
}
