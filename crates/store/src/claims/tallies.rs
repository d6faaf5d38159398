//! Per-second tallies of each coupon's claims and refusals, kept by the claim
//! batches inside their own transactions (one statement a batch), so the live
//! drop console (SPEC §6) reads at most a minute's rows of one coupon and never
//! counts claims. The expire pass purges them after [`KEEP_HOURS`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use domain::Refusal;
use domain::live_drop::{DropPace, WINDOW_SECONDS};
use sea_orm::{ConnectionTrait, Statement, Value};

use crate::db::placeholder;
use crate::error::Result;

/// Hours of tallies kept.
pub const KEEP_HOURS: i64 = 24;

const CLAIMED: &str = "claimed";

/// What one batch adds, by (coupon, second, outcome); written in key order.
#[derive(Default)]
pub(super) struct Tally(BTreeMap<(i64, i64, &'static str), i64>);

impl Tally {
    pub(super) fn claimed(&mut self, coupon_id: i64, at: DateTime<Utc>) {
        self.add(coupon_id, at, CLAIMED);
    }

    pub(super) fn refused(&mut self, coupon_id: i64, at: DateTime<Utc>, refusal: Refusal) {
        self.add(coupon_id, at, refusal.code());
    }

    fn add(&mut self, coupon_id: i64, at: DateTime<Utc>, outcome: &'static str) {
        *self
            .0
            .entry((coupon_id, at.timestamp(), outcome))
            .or_default() += 1;
    }

    /// Adds the batch's counts in one upsert.
    pub(super) async fn write(self, tx: &impl ConnectionTrait) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let backend = tx.get_database_backend();
        let mut values: Vec<Value> = Vec::with_capacity(self.0.len() * 4);
        let rows: Vec<String> = self
            .0
            .into_iter()
            .map(|((coupon_id, second, outcome), n)| {
                let start = values.len();
                values.extend([coupon_id.into(), second.into(), outcome.into(), n.into()]);
                let p = |i| placeholder(backend, start + i);
                format!("({}, {}, {}, {})", p(1), p(2), p(3), p(4))
            })
            .collect();
        let sql = format!(
            "INSERT INTO claim_tallies (coupon_id, at_second, outcome, n) VALUES {} \
             ON CONFLICT (coupon_id, at_second, outcome) \
             DO UPDATE SET n = claim_tallies.n + excluded.n",
            rows.join(", ")
        );
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }
}

/// A coupon's drop as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDrop {
    pub pace: DropPace,
    /// Refusals by reason in the last minute and the last hour, most frequent
    /// first (by the hour).
    pub refusals: Vec<(Refusal, u64, u64)>,
    /// Claims in the last hour.
    pub claimed_last_hour: u64,
}

/// The last minute and hour of `coupon_id` up to the second before `now`;
/// `remaining` is the coupon's stock left.
pub async fn live_drop(
    db: &impl ConnectionTrait,
    coupon_id: i64,
    remaining: Option<u64>,
    now: DateTime<Utc>,
) -> Result<LiveDrop> {
    let backend = db.get_database_backend();
    let current = now.timestamp();
    let minute_from = current - WINDOW_SECONDS as i64;
    let hour_from = current - 3600;
    let p = |n| placeholder(backend, n);
    // Claims second by second over the minute: at most 60 rows.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT at_second, n FROM claim_tallies WHERE coupon_id = {} \
                 AND outcome = '{CLAIMED}' AND at_second >= {} AND at_second < {}",
                p(1),
                p(2),
                p(3)
            ),
            [coupon_id.into(), minute_from.into(), current.into()],
        ))
        .await?;
    let mut per_second = vec![0u64; WINDOW_SECONDS];
    for row in rows {
        let second: i64 = row.try_get("", "at_second")?;
        let n: i64 = row.try_get("", "n")?;
        per_second[(second - minute_from) as usize] = whole(n);
    }
    // Each outcome over the hour and the minute: one grouped read of at most
    // 3,600 seconds × a few outcomes, by the primary key.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT outcome, CAST(SUM(n) AS BIGINT) AS hour, \
                 CAST(SUM(CASE WHEN at_second >= {} THEN n ELSE 0 END) AS BIGINT) AS minute \
                 FROM claim_tallies WHERE coupon_id = {} AND at_second >= {} AND at_second < {} \
                 GROUP BY outcome",
                p(1),
                p(2),
                p(3),
                p(4)
            ),
            [
                minute_from.into(),
                coupon_id.into(),
                hour_from.into(),
                current.into(),
            ],
        ))
        .await?;
    let mut refusals = Vec::new();
    let mut claimed_last_hour = 0;
    for row in rows {
        let outcome: String = row.try_get("", "outcome")?;
        let sum = |column| -> Result<u64> {
            Ok(whole(row.try_get::<Option<i64>>("", column)?.unwrap_or(0)))
        };
        let (hour, minute) = (sum("hour")?, sum("minute")?);
        if outcome == CLAIMED {
            claimed_last_hour = hour;
        } else if let Some(refusal) = Refusal::from_code(&outcome) {
            refusals.push((refusal, minute, hour));
        }
    }
    refusals.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.code().cmp(b.0.code())));
    Ok(LiveDrop {
        pace: DropPace {
            per_second,
            remaining,
        },
        refusals,
        claimed_last_hour,
    })
}

fn whole(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Seconds of tallies one purge statement removes at most: a shop's busy ten
/// minutes are a few thousand rows, so no delete holds the writer for long.
const PURGE_SECONDS: i64 = 600;

/// Removes tallies older than [`KEEP_HOURS`], oldest first, [`PURGE_SECONDS`]
/// at a time, each its own statement; returns how many rows.
pub async fn purge_tallies(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let before = (now - Duration::hours(KEEP_HOURS)).timestamp();
    let backend = db.get_database_backend();
    let mut removed = 0;
    loop {
        // The oldest second, from the at_second index.
        let oldest: Option<i64> = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT MIN(at_second) AS oldest FROM claim_tallies",
            ))
            .await?
            .map(|row| row.try_get::<Option<i64>>("", "oldest"))
            .transpose()?
            .flatten();
        let Some(oldest) = oldest.filter(|oldest| *oldest < before) else {
            return Ok(removed);
        };
        let upto = (oldest + PURGE_SECONDS).min(before);
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "DELETE FROM claim_tallies WHERE at_second < {}",
                    placeholder(backend, 1)
                ),
                [upto.into()],
            ))
            .await?;
        removed += result.rows_affected();
    }
}
