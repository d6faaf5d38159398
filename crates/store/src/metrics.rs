//! Coupon metrics (SPEC §8) from the claims and the paid orders that used them.
//! An order counts once it is paid and stays counted unless it is cancelled or
//! refunded; a claim is *used* (redeemed) when such an order used it.

use std::collections::BTreeMap;

use domain::metrics::Tally;
use domain::{Channel, Money};
use sea_orm::{ConnectionTrait, Statement};

use crate::convert::{money, word};
use crate::db::placeholder;
use crate::error::Result;

/// An order that counts: paid, and neither cancelled nor refunded since (`o`).
pub(crate) const COUNTED: &str =
    "o.paid_at IS NOT NULL AND o.cancelled_at IS NULL AND o.refunded_at IS NULL";
/// 1 when claim `c` was redeemed on an order `o` that counts, else 0.
pub(crate) const REDEEMED: &str = "CASE WHEN c.state = 'used' AND o.paid_at IS NOT NULL \
     AND o.cancelled_at IS NULL AND o.refunded_at IS NULL THEN 1 ELSE 0 END";

/// The coupon's tally, in all and by claim channel.
pub async fn coupon_tally(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    issued: Option<u64>,
) -> Result<(Tally, BTreeMap<Channel, Tally>)> {
    let backend = db.get_database_backend();
    let p1 = placeholder(backend, 1);
    let mut by_channel: BTreeMap<Channel, Tally> = BTreeMap::new();

    // Each claim once: redeemed when its order was paid and still counts (SPEC §8).
    let states = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.channel AS channel, c.state AS state, {REDEEMED} AS redeemed, \
                 COUNT(*) AS n FROM claims c LEFT JOIN orders o ON o.id = c.order_id \
                 WHERE c.coupon_id = {p1} GROUP BY 1, 2, 3"
            ),
            [coupon_id.into()],
        ))
        .await?;
    for row in states {
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        let tally = by_channel.entry(channel).or_default();
        tally.claimed += n;
        if row.try_get::<i32>("", "redeemed")? == 1 {
            tally.used += n;
        } else {
            match row.try_get::<String>("", "state")?.as_str() {
                "expired" => tally.expired += n,
                "revoked" => tally.revoked += n,
                _ => {}
            }
        }
    }

    // What the coupon cost on orders that count, per channel of the claim used.
    let money_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.channel AS channel, CAST(SUM(a.amount_fen) AS BIGINT) AS cost \
                 FROM discount_allocations a JOIN orders o ON o.id = a.order_id \
                 JOIN claims c ON c.id = a.claim_id \
                 WHERE a.coupon_id = {p1} AND {COUNTED} GROUP BY c.channel"
            ),
            [coupon_id.into()],
        ))
        .await?;
    for row in money_rows {
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let cost = row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0);
        by_channel.entry(channel).or_default().actual_cost = money(cost, "cost")?;
    }
    // The paid amount of the orders that used it: per channel an order counts
    // once in each channel its claims came from; in all, once.
    let gmv_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT x.channel AS channel, CAST(SUM(o.payable_fen) AS BIGINT) AS gmv FROM \
                 (SELECT DISTINCT order_id, channel FROM claims \
                  WHERE coupon_id = {p1} AND order_id IS NOT NULL) x \
                 JOIN orders o ON o.id = x.order_id WHERE {COUNTED} GROUP BY x.channel \
                 UNION ALL \
                 SELECT NULL AS channel, CAST(SUM(o.payable_fen) AS BIGINT) AS gmv FROM orders o \
                 WHERE o.id IN (SELECT order_id FROM claims WHERE coupon_id = {p1}) AND {COUNTED}"
            ),
            [coupon_id.into()],
        ))
        .await?;
    let mut total_gmv = Money::ZERO;
    for row in gmv_rows {
        let gmv = money(row.try_get::<Option<i64>>("", "gmv")?.unwrap_or(0), "gmv")?;
        match row.try_get::<Option<String>>("", "channel")? {
            Some(channel) => {
                let channel: Channel = word(&channel, "claims.channel")?;
                by_channel.entry(channel).or_default().coupon_gmv = gmv;
            }
            None => total_gmv = gmv,
        }
    }

    // Distinct claimers (领取成本's denominator), per channel and in all.
    let claimer_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT channel, COUNT(DISTINCT customer_id) AS n FROM claims \
                 WHERE coupon_id = {p1} GROUP BY channel \
                 UNION ALL \
                 SELECT NULL AS channel, COUNT(DISTINCT customer_id) AS n FROM claims \
                 WHERE coupon_id = {p1}"
            ),
            [coupon_id.into()],
        ))
        .await?;
    let mut total_claimers = 0;
    for row in claimer_rows {
        let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        match row.try_get::<Option<String>>("", "channel")? {
            Some(channel) => {
                let channel: Channel = word(&channel, "claims.channel")?;
                by_channel.entry(channel).or_default().claimers = n;
            }
            None => total_claimers = n,
        }
    }
    // Orders that used it and count, and their units (连带购买): per channel an
    // order counts once in each channel its claims came from; in all, once.
    let units = "(SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = o.id)";
    let order_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT x.channel AS channel, COUNT(*) AS orders, \
                 CAST(SUM({units}) AS BIGINT) AS units FROM \
                 (SELECT DISTINCT order_id, channel FROM claims \
                  WHERE coupon_id = {p1} AND order_id IS NOT NULL) x \
                 JOIN orders o ON o.id = x.order_id WHERE {COUNTED} GROUP BY x.channel \
                 UNION ALL \
                 SELECT NULL AS channel, COUNT(*) AS orders, CAST(SUM({units}) AS BIGINT) AS units \
                 FROM orders o WHERE o.id IN (SELECT order_id FROM claims WHERE coupon_id = {p1}) \
                 AND {COUNTED}"
            ),
            [coupon_id.into()],
        ))
        .await?;
    let (mut total_orders, mut total_units) = (0, 0);
    for row in order_rows {
        let orders = u64::try_from(row.try_get::<i64>("", "orders")?).unwrap_or(0);
        let units =
            u64::try_from(row.try_get::<Option<i64>>("", "units")?.unwrap_or(0)).unwrap_or(0);
        match row.try_get::<Option<String>>("", "channel")? {
            Some(channel) => {
                let channel: Channel = word(&channel, "claims.channel")?;
                let tally = by_channel.entry(channel).or_default();
                tally.coupon_orders = orders;
                tally.units = units;
            }
            None => (total_orders, total_units) = (orders, units),
        }
    }

    // Waits from claim to use (核销等待时长, 次日核销率), in whole minutes.
    let (waits_by_channel, total_waits) = waits(db, coupon_id).await?;
    for (channel, (next_day, median)) in waits_by_channel {
        let tally = by_channel.entry(channel).or_default();
        tally.used_next_day = next_day;
        tally.median_wait_minutes = median;
    }

    let mut total = Tally {
        issued,
        used_next_day: total_waits.0,
        median_wait_minutes: total_waits.1,
        claimers: total_claimers,
        coupon_orders: total_orders,
        units: total_units,
        ..Tally::default()
    };
    for tally in by_channel.values() {
        total.claimed += tally.claimed;
        total.used += tally.used;
        total.expired += tally.expired;
        total.revoked += tally.revoked;
        total.actual_cost = total
            .actual_cost
            .checked_add(tally.actual_cost)
            .unwrap_or(Money::MAX);
    }
    total.coupon_gmv = total_gmv;
    Ok((total, by_channel))
}

/// Minutes from claim to use of claim `c`, in the backend's dialect.
fn wait_minutes(backend: sea_orm::DbBackend) -> &'static str {
    match backend {
        sea_orm::DbBackend::Postgres => {
            "CAST(ROUND(EXTRACT(EPOCH FROM (c.used_at - c.claimed_at)) / 60) AS BIGINT)"
        }
        _ => "CAST(ROUND((julianday(c.used_at) - julianday(c.claimed_at)) * 1440) AS INTEGER)",
    }
}

/// (used within a day, the median wait in minutes) of the coupon's claims used
/// on orders that count: per claim channel and in all. The median is exact: the
/// middle one or two waits, read in order by the database.
type Waits = (u64, Option<u64>);

async fn waits(
    db: &impl ConnectionTrait,
    coupon_id: i64,
) -> Result<(BTreeMap<Channel, Waits>, Waits)> {
    let backend = db.get_database_backend();
    let p1 = placeholder(backend, 1);
    let wait = wait_minutes(backend);
    let used = format!(
        "FROM claims c JOIN orders o ON o.id = c.order_id \
         WHERE c.coupon_id = {p1} AND c.state = 'used' AND c.used_at IS NOT NULL AND {COUNTED}"
    );
    let counts = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.channel AS channel, COUNT(*) AS n, \
                 SUM(CASE WHEN {wait} <= 1440 THEN 1 ELSE 0 END) AS next_day {used} GROUP BY c.channel"
            ),
            [coupon_id.into()],
        ))
        .await?;
    let median = async |channel: Option<&str>, n: u64| -> Result<Option<u64>> {
        if n == 0 {
            return Ok(None);
        }
        let (filter, values): (String, Vec<sea_orm::Value>) = match channel {
            Some(channel) => (
                format!(" AND c.channel = {}", placeholder(backend, 2)),
                vec![coupon_id.into(), channel.into()],
            ),
            None => (String::new(), vec![coupon_id.into()]),
        };
        // The middle wait, or the two middle ones of an even count.
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT {wait} AS m {used}{filter} ORDER BY 1 LIMIT {} OFFSET {}",
                    2 - n % 2,
                    (n - 1) / 2
                ),
                values,
            ))
            .await?;
        let middle: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get::<i64>("", "m"))
            .collect::<std::result::Result<_, _>>()?;
        Ok((!middle.is_empty()).then(|| {
            let sum: i64 = middle.iter().sum();
            (sum / middle.len() as i64).unsigned_abs()
        }))
    };
    let mut by_channel = BTreeMap::new();
    let (mut all_n, mut all_next_day) = (0, 0);
    for row in counts {
        let name = row.try_get::<String>("", "channel")?;
        let channel: Channel = word(&name, "claims.channel")?;
        let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        let next_day =
            u64::try_from(row.try_get::<Option<i64>>("", "next_day")?.unwrap_or(0)).unwrap_or(0);
        all_n += n;
        all_next_day += next_day;
        by_channel.insert(channel, (next_day, median(Some(&name), n).await?));
    }
    let all = (all_next_day, median(None, all_n).await?);
    Ok((by_channel, all))
}
