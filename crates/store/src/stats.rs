//! The dashboard's figures and a coupon's daily chart, by the shop's local day,
//! read from the daily roll-ups ([`crate::rollups`]): a page reads at most a few
//! hundred day rows, whatever the shop's history.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::calendar::last_days;
use domain::metrics::{Tally, distinct_claimers, median_wait_minutes};
use domain::{Channel, Money};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::convert::{money_at, number_at, word};
use crate::db::{placeholder, rows};
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
    /// The window in all (SPEC §8's shop figures): claimed, used, used within
    /// a day, the median wait, distinct claimers (`0` for windows over 30
    /// days), coupon orders, their units, cost and GMV.
    pub tally: Tally,
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

/// The placeholders of a window query: the owner, the first day, the last.
fn window_params(backend: DbBackend) -> (String, String, String) {
    (
        placeholder(backend, 1),
        placeholder(backend, 2),
        placeholder(backend, 3),
    )
}

/// The shop's dashboard: the last `days` local days up to `now`.
pub async fn shop_overview(
    db: &impl ConnectionTrait,
    shop_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Overview> {
    let backend = db.get_database_backend();
    let (dates, _) = last_days(now, tz, days);
    let (first, today) = (dates[0], *dates.last().expect("one day at least"));
    let mut figures: BTreeMap<NaiveDate, DayFigures> =
        dates.iter().map(|d| (*d, DayFigures::empty(*d))).collect();
    let mut channels: BTreeMap<Channel, ChannelUse> = BTreeMap::new();
    let (p1, p2, p3) = window_params(backend);
    let window = || -> Vec<Value> { vec![shop_id.into(), first.into(), today.into()] };

    // Independent reads: on a pool they run side by side.
    let (claimed, paid, waits, claimers, active) = tokio::try_join!(
        rows(
            db,
            format!(
                "SELECT day, channel, claimed, redeemed, used, used_next_day FROM day_figures \
                 WHERE shop_id = {p1} AND coupon_id = 0 AND day >= {p2} AND day <= {p3}"
            ),
            window(),
        ),
        rows(
            db,
            format!(
                "SELECT day, coupon_orders, coupon_gmv_fen, coupon_units, cost_fen, plain_orders, \
                 plain_gmv_fen FROM order_days WHERE shop_id = {p1} AND day >= {p2} AND day <= {p3}"
            ),
            window(),
        ),
        rows(
            db,
            format!(
                "SELECT bucket, CAST(SUM(n) AS BIGINT) AS n FROM shop_waits \
                 WHERE shop_id = {p1} AND day >= {p2} AND day <= {p3} GROUP BY bucket"
            ),
            window(),
        ),
        rows(
            db,
            format!(
                "SELECT day, gap, n FROM claimer_days \
                 WHERE shop_id = {p1} AND day >= {p2} AND day <= {p3}"
            ),
            window(),
        ),
        active_coupons(db, shop_id),
    )?;
    let mut tally = Tally::default();
    for row in claimed {
        let (n, used) = (number_at(&row, "claimed")?, number_at(&row, "used")?);
        tally.claimed += n;
        tally.used += used;
        tally.used_next_day += number_at(&row, "used_next_day")?;
        if let Some(day) = figures.get_mut(&day_of(&row)?) {
            day.claims += n;
            day.redemptions += used;
        }
        let channel: Channel = word(
            &row.try_get::<String>("", "channel")?,
            "day_figures.channel",
        )?;
        let entry = channels.entry(channel).or_insert(ChannelUse {
            channel,
            claimed: 0,
            used: 0,
        });
        entry.claimed += n;
        entry.used += number_at(&row, "redeemed")?;
    }
    for row in paid {
        let Some(day) = figures.get_mut(&day_of(&row)?) else {
            continue;
        };
        day.coupon_orders += number_at(&row, "coupon_orders")?;
        day.coupon_gmv = money_at(&row, "coupon_gmv_fen")?;
        day.cost = money_at(&row, "cost_fen")?;
        day.plain_orders += number_at(&row, "plain_orders")?;
        day.plain_gmv = money_at(&row, "plain_gmv_fen")?;
        tally.units += number_at(&row, "coupon_units")?;
    }
    let mut buckets = Vec::with_capacity(waits.len());
    for row in waits {
        buckets.push((
            row.try_get::<i64>("", "bucket")? as u32,
            number_at(&row, "n")?,
        ));
    }
    tally.median_wait_minutes = median_wait_minutes(&buckets);
    if days <= 30 {
        let mut counts = Vec::with_capacity(claimers.len());
        for row in claimers {
            counts.push((
                day_of(&row)?,
                row.try_get::<i64>("", "gap")? as u32,
                number_at(&row, "n")?,
            ));
        }
        tally.claimers = distinct_claimers(today, days, &counts);
    }
    let days: Vec<DayFigures> = figures.into_values().collect();
    let total = DayFigures::total(&days);
    tally.coupon_orders = total.coupon_orders;
    tally.actual_cost = total.cost;
    tally.coupon_gmv = total.coupon_gmv;
    Ok(Overview {
        active_coupons: active,
        days,
        channels: channels.into_values().collect(),
        tally,
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
    .map(|row| number_at(&row, "n"))
    .transpose()
    .map(|n| n.unwrap_or(0))
}

/// One row of a coupon's figures by day and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponDay {
    pub day: NaiveDate,
    pub channel: Channel,
    pub claimed: u64,
    pub used: u64,
    pub actual_cost: Money,
}

/// A coupon's day rows of the last `days` local days up to `now`.
async fn coupon_window(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<(Vec<NaiveDate>, Vec<sea_orm::QueryResult>)> {
    let backend = db.get_database_backend();
    let (dates, _) = last_days(now, tz, days);
    let (p1, p2, p3) = window_params(backend);
    let found = rows(
        db,
        format!(
            "SELECT day, channel, claimed, used, cost_fen FROM day_figures \
             WHERE coupon_id = {p1} AND day >= {p2} AND day <= {p3}"
        ),
        vec![
            coupon_id.into(),
            dates[0].into(),
            (*dates.last().expect("one day at least")).into(),
        ],
    )
    .await?;
    Ok((dates, found))
}

/// A coupon's claims, uses and cost by the shop's local day and claim channel
/// over the last `days` days (SPEC §8's CSV): uses and cost on the day their
/// order was paid, for orders that still count. Days and channels with
/// nothing are left out.
pub async fn coupon_days_by_channel(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<CouponDay>> {
    let (_, found) = coupon_window(db, coupon_id, tz, now, days).await?;
    let mut rows: BTreeMap<(NaiveDate, Channel), CouponDay> = BTreeMap::new();
    for row in &found {
        let (claimed, used, actual_cost) = (
            number_at(row, "claimed")?,
            number_at(row, "used")?,
            money_at(row, "cost_fen")?,
        );
        if claimed == 0 && used == 0 && actual_cost.is_zero() {
            continue;
        }
        let day = day_of(row)?;
        let channel: Channel = word(
            &row.try_get::<String>("", "channel")?,
            "day_figures.channel",
        )?;
        rows.insert(
            (day, channel),
            CouponDay {
                day,
                channel,
                claimed,
                used,
                actual_cost,
            },
        );
    }
    Ok(rows.into_values().collect())
}

/// A coupon's claims and uses per local day over the last `days` days, every
/// day present.
pub async fn coupon_days(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<(NaiveDate, u64, u64)>> {
    let (dates, found) = coupon_window(db, coupon_id, tz, now, days).await?;
    let mut figures: BTreeMap<NaiveDate, (u64, u64)> = dates.iter().map(|d| (*d, (0, 0))).collect();
    for row in &found {
        if let Some(day) = figures.get_mut(&day_of(row)?) {
            day.0 += number_at(row, "claimed")?;
            day.1 += number_at(row, "used")?;
        }
    }
    Ok(figures.into_iter().map(|(d, (c, u))| (d, c, u)).collect())
}
