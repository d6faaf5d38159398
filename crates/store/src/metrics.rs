//! Coupon metrics (SPEC §8), read from the daily roll-ups.
//! An order counts once it is paid and stays counted unless it is cancelled or
//! refunded; a claim is *used* (redeemed) when such an order used it.

use std::collections::BTreeMap;

use domain::metrics::{Tally, median_wait_minutes};
use domain::{Channel, Money};
use sea_orm::ConnectionTrait;

use crate::convert::{money, money_at, number_at, word};
use crate::db::placeholder;
use crate::error::Result;

/// An order that counts: paid, and neither cancelled nor refunded since (`o`).
pub(crate) const COUNTED: &str =
    "o.paid_at IS NOT NULL AND o.cancelled_at IS NULL AND o.refunded_at IS NULL";
/// 1 when claim `c` was redeemed on an order `o` that counts, else 0.
pub(crate) const REDEEMED: &str = "CASE WHEN c.state = 'used' AND o.paid_at IS NOT NULL \
     AND o.cancelled_at IS NULL AND o.refunded_at IS NULL THEN 1 ELSE 0 END";

/// The coupon's tally, in all and by claim channel, from its day rows and its
/// waits ([`crate::rollups`]): a claimer counts in the channel of their first
/// claim of it; an order counts once in each channel its claims came from, and
/// once in all.
pub async fn coupon_tally(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    issued: Option<u64>,
) -> Result<(Tally, BTreeMap<Channel, Tally>)> {
    let backend = db.get_database_backend();
    let p1 = placeholder(backend, 1);
    let sums: Vec<String> = crate::rollups::FIGURES
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect();
    let (days, waits) = tokio::try_join!(
        crate::db::rows(
            db,
            format!(
                "SELECT channel, {} FROM day_figures WHERE coupon_id = {p1} GROUP BY channel",
                sums.join(", ")
            ),
            vec![coupon_id.into()],
        ),
        crate::db::rows(
            db,
            format!("SELECT channel, bucket, n FROM coupon_waits WHERE coupon_id = {p1}"),
            vec![coupon_id.into()],
        ),
    )?;
    let (n, fen) = (number_at, money_at);
    let mut by_channel: BTreeMap<Channel, Tally> = BTreeMap::new();
    let mut total = Tally {
        issued,
        ..Tally::default()
    };
    let mut lead_gmv = 0i64;
    for row in &days {
        let channel: Channel = word(
            &row.try_get::<String>("", "channel")?,
            "day_figures.channel",
        )?;
        let tally = Tally {
            issued: None,
            claimed: n(row, "claimed")?,
            used: n(row, "used")?,
            expired: n(row, "expired")?,
            revoked: n(row, "revoked")?,
            unused: n(row, "unused")?,
            actual_cost: fen(row, "cost_fen")?,
            coupon_gmv: fen(row, "gmv_fen")?,
            claimers: n(row, "claimers")?,
            coupon_orders: n(row, "orders")?,
            units: n(row, "units")?,
            used_next_day: n(row, "used_next_day")?,
            median_wait_minutes: None,
        };
        total.claimed += tally.claimed;
        total.used += tally.used;
        total.expired += tally.expired;
        total.revoked += tally.revoked;
        total.unused += tally.unused;
        total.claimers += n(row, "lead_claimers")?;
        total.used_next_day += tally.used_next_day;
        total.actual_cost = total
            .actual_cost
            .checked_add(tally.actual_cost)
            .unwrap_or(Money::MAX);
        total.coupon_orders += n(row, "lead_orders")?;
        total.units += n(row, "lead_units")?;
        lead_gmv += row.try_get::<Option<i64>>("", "lead_gmv_fen")?.unwrap_or(0);
        if tally != Tally::default() {
            by_channel.insert(channel, tally);
        }
    }
    total.coupon_gmv = money(lead_gmv, "lead_gmv_fen")?;

    let mut buckets: BTreeMap<Option<Channel>, Vec<(u32, u64)>> = BTreeMap::new();
    for row in &waits {
        let channel: Channel = word(
            &row.try_get::<String>("", "channel")?,
            "coupon_waits.channel",
        )?;
        let entry = (row.try_get::<i64>("", "bucket")? as u32, n(row, "n")?);
        buckets.entry(Some(channel)).or_default().push(entry);
        buckets.entry(None).or_default().push(entry);
    }
    for (channel, counts) in buckets {
        let median = median_wait_minutes(&counts);
        match channel {
            Some(channel) => {
                if let Some(tally) = by_channel.get_mut(&channel) {
                    tally.median_wait_minutes = median;
                }
            }
            None => total.median_wait_minutes = median,
        }
    }
    Ok((total, by_channel))
}
