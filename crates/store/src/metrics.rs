//! Coupon metrics (SPEC §8) from the claims and the paid orders that used them.
//! An order counts once it is paid and stays counted unless it is cancelled or
//! refunded.

use std::collections::BTreeMap;

use domain::metrics::Tally;
use domain::{Channel, Money};
use sea_orm::{ConnectionTrait, Statement};

use crate::convert::{money, word};
use crate::db::placeholder;
use crate::error::Result;

/// The coupon's tally, in all and by claim channel.
pub async fn coupon_tally(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    issued: Option<u64>,
) -> Result<(Tally, BTreeMap<Channel, Tally>)> {
    let backend = db.get_database_backend();
    let p1 = placeholder(backend, 1);
    let mut by_channel: BTreeMap<Channel, Tally> = BTreeMap::new();

    let states = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT channel, state, COUNT(*) AS n FROM claims WHERE coupon_id = {p1} \
                 GROUP BY channel, state"
            ),
            [coupon_id.into()],
        ))
        .await?;
    for row in states {
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        let tally = by_channel.entry(channel).or_default();
        tally.claimed += n;
        match row.try_get::<String>("", "state")?.as_str() {
            "used" => tally.used += n,
            "expired" => tally.expired += n,
            _ => {}
        }
    }

    // What the coupon cost on orders that count, and those orders' paid amount,
    // per channel of the claim that was used.
    let counted = "o.paid_at IS NOT NULL AND o.cancelled_at IS NULL AND o.refunded_at IS NULL";
    let money_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.channel AS channel, CAST(SUM(a.amount_fen) AS BIGINT) AS cost \
                 FROM discount_allocations a JOIN orders o ON o.id = a.order_id \
                 JOIN claims c ON c.id = a.claim_id \
                 WHERE a.coupon_id = {p1} AND {counted} GROUP BY c.channel"
            ),
            [coupon_id.into()],
        ))
        .await?;
    for row in money_rows {
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let cost = row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0);
        by_channel.entry(channel).or_default().actual_cost = money(cost, "cost")?;
    }
    let gmv_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                // An order that used two claims of the coupon counts once.
                "SELECT x.channel AS channel, CAST(SUM(o.payable_fen) AS BIGINT) AS gmv FROM \
                 (SELECT DISTINCT order_id, channel FROM claims \
                  WHERE coupon_id = {p1} AND order_id IS NOT NULL) x \
                 JOIN orders o ON o.id = x.order_id WHERE {counted} GROUP BY x.channel"
            ),
            [coupon_id.into()],
        ))
        .await?;
    for row in gmv_rows {
        let channel: Channel = word(&row.try_get::<String>("", "channel")?, "claims.channel")?;
        let gmv = row.try_get::<Option<i64>>("", "gmv")?.unwrap_or(0);
        by_channel.entry(channel).or_default().coupon_gmv = money(gmv, "gmv")?;
    }

    let mut total = Tally {
        issued,
        ..Tally::default()
    };
    for tally in by_channel.values() {
        total.claimed += tally.claimed;
        total.used += tally.used;
        total.expired += tally.expired;
        total.actual_cost = total
            .actual_cost
            .checked_add(tally.actual_cost)
            .unwrap_or(Money::MAX);
        total.coupon_gmv = total
            .coupon_gmv
            .checked_add(tally.coupon_gmv)
            .unwrap_or(Money::MAX);
    }
    Ok((total, by_channel))
}
