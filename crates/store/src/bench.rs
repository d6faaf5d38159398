//! Set-up and the plain-SQL baseline for `merchant-ops bench claims`: the same
//! rows a claim writes, without reading or checking anything.

use chrono::{DateTime, Duration, Utc};
use domain::{
    Audience, BenefitSpec, CouponDraft, CouponKind, CouponStatus, Money, Scope, Validity,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::entities::customer;
use crate::error::Result;
use crate::{coupons, shops};

pub struct ClaimsBench {
    pub shop_id: i64,
    /// Claimed through the real claiming path, with every rule.
    pub rules_coupon: i64,
    /// Claimed by the baseline's plain inserts.
    pub baseline_coupon: i64,
    /// Claimed over HTTP (`bench http-claims`).
    pub http_coupon: i64,
    /// (id, external id) of customers who have claimed nothing yet.
    pub customers: Vec<(i64, String)>,
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
    }
    .validate()
    .expect("the benchmark coupon is valid")
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
    let baseline = coupons::create_coupon(
        db,
        shop.id,
        &bench_coupon("baseline", claims, now),
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
        baseline_coupon: baseline.id,
        http_coupon: http.id,
        customers,
    })
}

/// The writes of one claim — the claim row and the coupon's counter — in one
/// write transaction, with no rule checked.
pub async fn baseline_claim(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    customer_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::db::write(db, async |tx| {
        let backend = tx.get_database_backend();
        let p = |n: usize| crate::db::placeholder(backend, n);
        let insert = format!(
            "INSERT INTO claims (shop_id, coupon_id, customer_id, channel, source, state, \
             claimed_at, valid_from, valid_until) VALUES ({}, {}, {}, 'live_room', 'claim', \
             'unused', {}, {}, {})",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6)
        );
        let values: Vec<Value> = vec![
            shop_id.into(),
            coupon_id.into(),
            customer_id.into(),
            now.into(),
            now.into(),
            (now + Duration::days(7)).into(),
        ];
        tx.execute_raw(Statement::from_sql_and_values(backend, insert, values))
            .await?;
        let update = format!(
            "UPDATE coupons SET claimed_count = claimed_count + 1 WHERE id = {}",
            p(1)
        );
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            vec![coupon_id.into()],
        ))
        .await?;
        Ok(())
    })
    .await
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
