//! The dashboard's figures and a coupon's daily chart, counted by the shop's local
//! day in the database. Every query reads one window of one shop (or coupon) from
//! a covering index (migration 000004), so a page costs the same whatever the
//! shop's history.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::calendar::{last_days, local_day, offsets_between};
use domain::{Channel, Money};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::convert::{money, word};
use crate::db::placeholder;
use crate::error::{Result, StoreError};

/// One local day's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub claims: u64,
    /// Claims used on orders that day.
    pub redemptions: u64,
    /// Discounts given on orders paid that day (cancelled and refunded ones not).
    pub cost: Money,
    pub coupon_orders: u64,
    /// Paid amount of that day's orders that used a coupon.
    pub coupon_gmv: Money,
    pub plain_orders: u64,
    pub plain_gmv: Money,
}

impl DayFigures {
    fn empty(day: NaiveDate) -> DayFigures {
        DayFigures {
            day,
            claims: 0,
            redemptions: 0,
            cost: Money::ZERO,
            coupon_orders: 0,
            coupon_gmv: Money::ZERO,
            plain_orders: 0,
            plain_gmv: Money::ZERO,
        }
    }

    /// The sum of several days.
    pub fn total(days: &[DayFigures]) -> DayFigures {
        let mut total = DayFigures::empty(days.last().map(|d| d.day).unwrap_or_default());
        for d in days {
            total.claims += d.claims;
            total.redemptions += d.redemptions;
            total.cost = total.cost.checked_add(d.cost).unwrap_or(Money::MAX);
            total.coupon_orders += d.coupon_orders;
            total.coupon_gmv = total
                .coupon_gmv
                .checked_add(d.coupon_gmv)
                .unwrap_or(Money::MAX);
            total.plain_orders += d.plain_orders;
            total.plain_gmv = total
                .plain_gmv
                .checked_add(d.plain_gmv)
                .unwrap_or(Money::MAX);
        }
        total
    }
}

/// Claims made in the window by channel, and how many of them are used by now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelUse {
    pub channel: Channel,
    pub claimed: u64,
    pub used: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub active_coupons: u64,
    /// The last `days` local days, oldest first, every day present.
    pub days: Vec<DayFigures>,
    pub channels: Vec<ChannelUse>,
}

/// SQL for the local date of a UTC timestamp column, exact for
/// instants in `[start, end)`. PostgreSQL knows the zone rules; SQLite gets one
/// fixed offset per stretch between clock changes, the change instants bound as
/// parameters from `first_param` on (pushed onto `values`).
fn local_date_sql(
    backend: DbBackend,
    column: &str,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    first_param: u8,
    values: &mut Vec<Value>,
) -> String {
    if backend == DbBackend::Postgres {
        // Zone names are IANA identifiers (letters, digits, `/_+-`); never quotes.
        let zone = tz.name().replace('\'', "");
        // A DATE groups and converts about twice as fast as to_char's text.
        return format!("CAST({column} AT TIME ZONE '{zone}' AS DATE)");
    }
    let shifted = |offset: i32| format!("date({column}, '{:+} seconds')", offset);
    let stretches = offsets_between(tz, start, end);
    let (_, last) = *stretches.last().expect("one stretch at least");
    if stretches.len() == 1 {
        return shifted(last);
    }
    let mut sql = String::from("CASE");
    for (i, window) in stretches.windows(2).enumerate() {
        let p = placeholder(backend, usize::from(first_param) + i);
        values.push(window[1].0.into());
        sql.push_str(&format!(
            " WHEN {column} < {p} THEN {}",
            shifted(window[0].1)
        ));
    }
    sql.push_str(&format!(" ELSE {} END", shifted(last)));
    sql
}

fn count(row: &sea_orm::QueryResult, column: &str) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<i64>("", column)?).unwrap_or(0))
}

/// The `day` column: a DATE on PostgreSQL, `YYYY-MM-DD` text on SQLite.
fn day_of(row: &sea_orm::QueryResult) -> Result<NaiveDate> {
    if let Ok(date) = row.try_get::<NaiveDate>("", "day") {
        return Ok(date);
    }
    let text: String = row.try_get("", "day")?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("local date {text}")))
}

/// One grouped read: the rows of `table` whose `owner` column is the given id and
/// whose `column` falls in the window, counted (`n`) by the local day of
/// `column`, then by each of `by`, with `sums` beside the count.
struct ByDay {
    table: &'static str,
    owner: &'static str,
    column: &'static str,
    by: &'static [&'static str],
    sums: &'static str,
    filter: &'static str,
}

impl ByDay {
    const fn counting(table: &'static str, owner: &'static str, column: &'static str) -> ByDay {
        ByDay {
            table,
            owner,
            column,
            by: &[],
            sums: "",
            filter: "",
        }
    }
}

/// A shop's claims by day, channel and whether they are redeemed by now.
const SHOP_CLAIMS: ByDay = ByDay {
    by: &["c.channel", REDEEMED_AS],
    ..ByDay::counting(
        "claims c LEFT JOIN orders o ON o.id = c.order_id",
        "c.shop_id",
        "c.claimed_at",
    )
};
const REDEEMED_AS: &str = "CASE WHEN c.state = 'used' AND o.paid_at IS NOT NULL \
     AND o.cancelled_at IS NULL AND o.refunded_at IS NULL THEN 1 ELSE 0 END AS redeemed";
/// A shop's claims redeemed (SPEC §8), by the day their order was paid.
const SHOP_USES: ByDay = ByDay {
    filter: " AND c.state = 'used' AND o.cancelled_at IS NULL AND o.refunded_at IS NULL",
    ..ByDay::counting(
        "claims c JOIN orders o ON o.id = c.order_id",
        "c.shop_id",
        "o.paid_at",
    )
};
/// A shop's paid orders that still count, with and without a coupon.
const SHOP_PAID: ByDay = ByDay {
    by: &["CASE WHEN merchant_discount_fen > 0 THEN 1 ELSE 0 END AS with_coupon"],
    sums: ", CAST(SUM(merchant_discount_fen) AS BIGINT) AS cost, \
           CAST(SUM(payable_fen) AS BIGINT) AS gmv",
    filter: " AND status NOT IN ('cancelled', 'refunded')",
    ..ByDay::counting("orders", "shop_id", "paid_at")
};
const COUPON_CLAIMS: ByDay = ByDay::counting("claims", "coupon_id", "claimed_at");
/// A coupon's claims redeemed, by the day their order was paid.
const COUPON_USES: ByDay = ByDay {
    filter: " AND c.state = 'used' AND o.cancelled_at IS NULL AND o.refunded_at IS NULL",
    ..ByDay::counting(
        "claims c JOIN orders o ON o.id = c.order_id",
        "c.coupon_id",
        "o.paid_at",
    )
};

/// Runs `query` for `owner_id` from `start` through the end of `now`'s local day.
async fn by_day(
    db: &impl ConnectionTrait,
    query: &ByDay,
    owner_id: i64,
    tz: Tz,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<sea_orm::QueryResult>> {
    let ByDay {
        table,
        owner,
        column,
        by,
        sums,
        filter,
    } = query;
    let backend = db.get_database_backend();
    // Through the end of today: a claim at this very instant counts.
    let end = local_day(now, tz).end;
    let mut values: Vec<Value> = vec![owner_id.into(), start.into(), end.into()];
    let day = local_date_sql(backend, column, tz, start, end, 4, &mut values);
    let columns: String = by.iter().map(|c| format!(", {c}")).collect();
    let groups: String = (2..=by.len() + 1).map(|i| format!(", {i}")).collect();
    let sql = format!(
        "SELECT {day} AS day{columns}, COUNT(*) AS n{sums} FROM {table} WHERE {owner} = {p1} \
         AND {column} >= {p2} AND {column} < {p3}{filter} GROUP BY 1{groups}",
        p1 = placeholder(backend, 1),
        p2 = placeholder(backend, 2),
        p3 = placeholder(backend, 3),
    );
    Ok(db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?)
}

/// The shop's dashboard: the last `days` local days up to `now`.
pub async fn shop_overview(
    db: &impl ConnectionTrait,
    shop_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Overview> {
    let (dates, start) = last_days(now, tz, days);
    let mut figures: BTreeMap<NaiveDate, DayFigures> =
        dates.iter().map(|d| (*d, DayFigures::empty(*d))).collect();
    let mut channels: BTreeMap<Channel, ChannelUse> = BTreeMap::new();

    // Four independent reads: on a pool they run side by side.
    let (claimed, used, paid, active) = tokio::try_join!(
        by_day(db, &SHOP_CLAIMS, shop_id, tz, start, now),
        by_day(db, &SHOP_USES, shop_id, tz, start, now),
        by_day(db, &SHOP_PAID, shop_id, tz, start, now),
        active_coupons(db, shop_id),
    )?;
    for row in claimed {
        let n = count(&row, "n")?;
        if let Some(day) = figures.get_mut(&day_of(&row)?) {
            day.claims += n;
        }
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let entry = channels.entry(channel).or_insert(ChannelUse {
            channel,
            claimed: 0,
            used: 0,
        });
        entry.claimed += n;
        if row.try_get::<i32>("", "redeemed")? == 1 {
            entry.used += n;
        }
    }

    for row in used {
        if let Some(day) = figures.get_mut(&day_of(&row)?) {
            day.redemptions += count(&row, "n")?;
        }
    }

    for row in paid {
        let Some(day) = figures.get_mut(&day_of(&row)?) else {
            continue;
        };
        let n = count(&row, "n")?;
        let gmv = money(row.try_get::<Option<i64>>("", "gmv")?.unwrap_or(0), "gmv")?;
        if row.try_get::<i32>("", "with_coupon")? == 1 {
            day.coupon_orders += n;
            day.coupon_gmv = gmv;
            day.cost = money(row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0), "cost")?;
        } else {
            day.plain_orders += n;
            day.plain_gmv = gmv;
        }
    }

    Ok(Overview {
        active_coupons: active,
        days: figures.into_values().collect(),
        channels: channels.into_values().collect(),
    })
}

async fn active_coupons(db: &impl ConnectionTrait, shop_id: i64) -> Result<u64> {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT COUNT(*) AS n FROM coupons WHERE shop_id = {} AND status = 'active'",
            placeholder(backend, 1)
        ),
        [shop_id.into()],
    ))
    .await?
    .map(|row| count(&row, "n"))
    .transpose()
    .map(|n| n.unwrap_or(0))
}

/// A coupon's claims and uses per local day over the last `days` days.
/// A coupon's claims, uses and cost by the shop's local day and claim channel,
/// over the window (SPEC §8's CSV): uses and cost on the day their order was
/// paid, for orders that still count.
const COUPON_CLAIMS_BY_CHANNEL: ByDay = ByDay {
    by: &["channel"],
    ..ByDay::counting("claims", "coupon_id", "claimed_at")
};
const COUPON_USES_BY_CHANNEL: ByDay = ByDay {
    by: &["c.channel"],
    ..COUPON_USES
};
const COUPON_COST_BY_CHANNEL: ByDay = ByDay {
    by: &["c.channel"],
    sums: ", CAST(SUM(a.amount_fen) AS BIGINT) AS cost",
    filter: " AND o.cancelled_at IS NULL AND o.refunded_at IS NULL",
    ..ByDay::counting(
        "discount_allocations a JOIN orders o ON o.id = a.order_id JOIN claims c ON c.id = a.claim_id",
        "a.coupon_id",
        "o.paid_at",
    )
};

/// One row of a coupon's figures by day and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponDay {
    pub day: NaiveDate,
    pub channel: Channel,
    pub claimed: u64,
    pub used: u64,
    pub actual_cost: Money,
}

/// The coupon's last `days` local days, by day and channel; days and channels
/// with nothing are left out.
pub async fn coupon_days_by_channel(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<CouponDay>> {
    let (_, start) = last_days(now, tz, days);
    let (claimed, used, cost) = tokio::try_join!(
        by_day(db, &COUPON_CLAIMS_BY_CHANNEL, coupon_id, tz, start, now),
        by_day(db, &COUPON_USES_BY_CHANNEL, coupon_id, tz, start, now),
        by_day(db, &COUPON_COST_BY_CHANNEL, coupon_id, tz, start, now),
    )?;
    let mut rows: BTreeMap<(NaiveDate, Channel), CouponDay> = BTreeMap::new();
    let key = |row: &sea_orm::QueryResult| -> Result<(NaiveDate, Channel)> {
        Ok((
            day_of(row)?,
            word(&row.try_get::<String>("", "channel")?, "claims.channel")?,
        ))
    };
    let blank = |(day, channel): (NaiveDate, Channel)| CouponDay {
        day,
        channel,
        claimed: 0,
        used: 0,
        actual_cost: Money::ZERO,
    };
    for row in &claimed {
        let k = key(row)?;
        rows.entry(k).or_insert_with(|| blank(k)).claimed += count(row, "n")?;
    }
    for row in &used {
        let k = key(row)?;
        rows.entry(k).or_insert_with(|| blank(k)).used += count(row, "n")?;
    }
    for row in &cost {
        let k = key(row)?;
        let fen = row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0);
        rows.entry(k).or_insert_with(|| blank(k)).actual_cost = money(fen, "cost")?;
    }
    Ok(rows.into_values().collect())
}

pub async fn coupon_days(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<(NaiveDate, u64, u64)>> {
    let (dates, start) = last_days(now, tz, days);
    let mut figures: BTreeMap<NaiveDate, (u64, u64)> = dates.iter().map(|d| (*d, (0, 0))).collect();
    let (claimed, used) = tokio::try_join!(
        by_day(db, &COUPON_CLAIMS, coupon_id, tz, start, now),
        by_day(db, &COUPON_USES, coupon_id, tz, start, now),
    )?;
    for (rows, uses) in [(claimed, false), (used, true)] {
        for row in rows {
            if let Some(day) = figures.get_mut(&day_of(&row)?) {
                let n = count(&row, "n")?;
                if uses {
                    day.1 += n;
                } else {
                    day.0 += n;
                }
            }
        }
    }
    Ok(figures.into_iter().map(|(d, (c, u))| (d, c, u)).collect())
}
