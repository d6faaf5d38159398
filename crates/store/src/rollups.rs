//! Daily roll-ups (SPEC §8): the figures the dashboard and the coupon pages
//! show, kept by the writes that change them, inside their transactions, so a
//! page reads at most a few hundred day rows however many claims a shop has.
//!
//! Tables (migration 000013), every count a signed delta added by one upsert:
//!
//! * `day_figures` — per coupon (`coupon_id > 0`) and per shop (`coupon_id = 0`),
//!   local day and claim channel. On the claim's day: claimed, claimers (a
//!   customer's first claim of the coupon in the channel; `lead_claimers`: of
//!   the coupon at all), redeemed (of those claims, used on an
//!   order that counts), expired, revoked. On the day the order was paid: used,
//!   used within 24 h, cost, and per coupon the orders, GMV and units counted
//!   once per channel (`orders`…) and once per coupon (`lead_orders`…, in the
//!   channel of the order's first claim of it).
//! * `order_days` — a shop's paid orders by day, with and without a coupon.
//! * `coupon_waits`, `shop_waits` — waits from claim to use by bucket
//!   (`domain::metrics::wait_bucket`), for medians.
//! * `claimer_days` — customers claiming on a day by the days since their claim
//!   before, so distinct claimers of any window ending today add up exactly.
//!
//! The writers: claim batches ([`crate::claims::batch`]), expiry and revocation
//! ([`crate::claims`]), cancelling an unpaid order, and order events — paid adds
//! an order's figures, cancelled or refunded after payment takes them away.
//! [`rebuild`] recomputes a shop's roll-ups from its raw rows in SQL: the first
//! time (existing data), after its time zone changes, for the benchmarks, and
//! in the test that proves the kept figures equal the rebuilt ones.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::calendar::offsets_between;
use domain::metrics::{claimer_gap, wait_bucket, wait_bucket_steps, wait_cap_minutes};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::db::placeholder;
use crate::error::Result;
use crate::metrics::{COUNTED, REDEEMED};

/// The counters of one `day_figures` row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Figures {
    pub claimed: i64,
    pub claimers: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub revoked: i64,
    pub used: i64,
    pub used_next_day: i64,
    pub cost_fen: i64,
    pub orders: i64,
    pub gmv_fen: i64,
    pub units: i64,
    pub lead_orders: i64,
    pub lead_gmv_fen: i64,
    pub lead_units: i64,
    pub lead_claimers: i64,
    /// Claims still in customers' hands (neither used, expired nor revoked).
    pub unused: i64,
}

/// The counters of a `day_figures` row, in [`Figures`]' order.
pub(crate) const FIGURES: [&str; 16] = [
    "claimed",
    "claimers",
    "redeemed",
    "expired",
    "revoked",
    "used",
    "used_next_day",
    "cost_fen",
    "orders",
    "gmv_fen",
    "units",
    "lead_orders",
    "lead_gmv_fen",
    "lead_units",
    "lead_claimers",
    "unused",
];
/// The figures a shop's row sums from its coupons' (not orders and claimers:
/// an order or a customer of several coupons is one).
const SHOP_FIGURES: [bool; 16] = [
    true, true, true, true, true, true, true, true, false, false, false, false, false, false,
    false, true,
];

impl Figures {
    fn values(&self) -> [i64; 16] {
        [
            self.claimed,
            self.claimers,
            self.redeemed,
            self.expired,
            self.revoked,
            self.used,
            self.used_next_day,
            self.cost_fen,
            self.orders,
            self.gmv_fen,
            self.units,
            self.lead_orders,
            self.lead_gmv_fen,
            self.lead_units,
            self.lead_claimers,
            self.unused,
        ]
    }

    fn add(&mut self, other: &Figures, columns: &[bool; 16]) {
        let mut sum = self.values();
        for (i, v) in other.values().iter().enumerate() {
            if columns[i] {
                sum[i] += v;
            }
        }
        *self = Figures::from_values(sum);
    }

    pub(crate) fn from_values(v: [i64; 16]) -> Figures {
        Figures {
            claimed: v[0],
            claimers: v[1],
            redeemed: v[2],
            expired: v[3],
            revoked: v[4],
            used: v[5],
            used_next_day: v[6],
            cost_fen: v[7],
            orders: v[8],
            gmv_fen: v[9],
            units: v[10],
            lead_orders: v[11],
            lead_gmv_fen: v[12],
            lead_units: v[13],
            lead_claimers: v[14],
            unused: v[15],
        }
    }
}

/// A shop's paid orders of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OrderFigures {
    pub coupon_orders: i64,
    pub coupon_gmv_fen: i64,
    pub coupon_units: i64,
    pub cost_fen: i64,
    pub plain_orders: i64,
    pub plain_gmv_fen: i64,
}

/// What one write changes, added to the tables in one statement each.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    days: BTreeMap<(i64, i64, NaiveDate, String), Figures>,
    orders: BTreeMap<(i64, NaiveDate), OrderFigures>,
    coupon_waits: BTreeMap<(i64, String, u32), i64>,
    shop_waits: BTreeMap<(i64, NaiveDate, u32), i64>,
    claimers: BTreeMap<(i64, NaiveDate, u32), i64>,
}

/// Minutes from claim to use, as [`rebuild`]'s SQL counts them: whole seconds
/// apart (never negative), rounded half up.
pub(crate) fn wait_minutes(claimed_at: DateTime<Utc>, used_at: DateTime<Utc>) -> u64 {
    let seconds = (used_at.timestamp() - claimed_at.timestamp()).max(0);
    ((seconds + 30) / 60) as u64
}

impl Changes {
    /// The row of a coupon, day and channel.
    pub(crate) fn coupon(
        &mut self,
        shop_id: i64,
        coupon_id: i64,
        day: NaiveDate,
        channel: &str,
    ) -> &mut Figures {
        self.days
            .entry((shop_id, coupon_id, day, channel.to_owned()))
            .or_default()
    }

    pub(crate) fn order_day(&mut self, shop_id: i64, day: NaiveDate) -> &mut OrderFigures {
        self.orders.entry((shop_id, day)).or_default()
    }

    /// A claim used (`sign` 1) or no longer counted (-1): its wait.
    pub(crate) fn wait(
        &mut self,
        shop_id: i64,
        coupon_id: i64,
        channel: &str,
        paid_day: NaiveDate,
        minutes: u64,
        sign: i64,
    ) {
        let bucket = wait_bucket(minutes);
        *self
            .coupon_waits
            .entry((coupon_id, channel.to_owned(), bucket))
            .or_default() += sign;
        *self
            .shop_waits
            .entry((shop_id, paid_day, bucket))
            .or_default() += sign;
    }

    /// A customer claiming on `day` whose claim before was on `before`.
    pub(crate) fn claimer(&mut self, shop_id: i64, day: NaiveDate, before: Option<NaiveDate>) {
        if let Some(gap) = claimer_gap(day, before) {
            *self.claimers.entry((shop_id, day, gap)).or_default() += 1;
        }
    }

    /// A claim changing state, counted on its claim day.
    pub(crate) fn moved(
        &mut self,
        shop_id: i64,
        coupon_id: i64,
        day: NaiveDate,
        channel: &str,
        moved: Moved,
    ) {
        let figures = self.coupon(shop_id, coupon_id, day, channel);
        match moved {
            Moved::Expired => {
                figures.unused -= 1;
                figures.expired += 1;
            }
            Moved::Revoked => {
                figures.unused -= 1;
                figures.revoked += 1;
            }
            Moved::Used => figures.unused -= 1,
            Moved::Returned => figures.unused += 1,
            Moved::ReturnedExpired => figures.expired += 1,
        }
    }

    /// Adds everything to the tables: one upsert per table (in chunks).
    pub(crate) async fn write(self, tx: &impl ConnectionTrait) -> Result<()> {
        let mut days = self.days;
        // Each coupon row also counts in its shop's row (coupon 0).
        let mut shop_rows: BTreeMap<(i64, i64, NaiveDate, String), Figures> = BTreeMap::new();
        for ((shop_id, coupon_id, day, channel), figures) in &days {
            if *coupon_id != 0 {
                shop_rows
                    .entry((*shop_id, 0, *day, channel.clone()))
                    .or_default()
                    .add(figures, &SHOP_FIGURES);
            }
        }
        for (key, figures) in shop_rows {
            days.entry(key).or_default().add(&figures, &[true; 16]);
        }
        let rows: Vec<Vec<Value>> = days
            .into_iter()
            .filter(|(_, f)| *f != Figures::default())
            .map(|((shop_id, coupon_id, day, channel), f)| {
                let mut row: Vec<Value> =
                    vec![shop_id.into(), coupon_id.into(), day.into(), channel.into()];
                row.extend(f.values().iter().map(|v| Value::from(*v)));
                row
            })
            .collect();
        upsert(
            tx,
            "day_figures",
            &["shop_id", "coupon_id", "day", "channel"],
            &FIGURES,
            rows,
        )
        .await?;

        let rows = self
            .orders
            .into_iter()
            .filter(|(_, f)| *f != OrderFigures::default())
            .map(|((shop_id, day), f)| {
                vec![
                    shop_id.into(),
                    day.into(),
                    f.coupon_orders.into(),
                    f.coupon_gmv_fen.into(),
                    f.coupon_units.into(),
                    f.cost_fen.into(),
                    f.plain_orders.into(),
                    f.plain_gmv_fen.into(),
                ]
            })
            .collect();
        upsert(tx, "order_days", &["shop_id", "day"], &ORDER_FIGURES, rows).await?;

        let rows = self
            .coupon_waits
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((coupon_id, channel, bucket), n)| {
                vec![
                    coupon_id.into(),
                    channel.into(),
                    i64::from(bucket).into(),
                    n.into(),
                ]
            })
            .collect();
        upsert(
            tx,
            "coupon_waits",
            &["coupon_id", "channel", "bucket"],
            &["n"],
            rows,
        )
        .await?;
        for (table, map) in [
            ("shop_waits", self.shop_waits),
            ("claimer_days", self.claimers),
        ] {
            let key = if table == "shop_waits" {
                "bucket"
            } else {
                "gap"
            };
            let rows = map
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|((shop_id, day, k), n)| {
                    vec![shop_id.into(), day.into(), i64::from(k).into(), n.into()]
                })
                .collect();
            upsert(tx, table, &["shop_id", "day", key], &["n"], rows).await?;
        }
        Ok(())
    }
}

const ORDER_FIGURES: [&str; 6] = [
    "coupon_orders",
    "coupon_gmv_fen",
    "coupon_units",
    "cost_fen",
    "plain_orders",
    "plain_gmv_fen",
];

/// Adds `rows` (key columns, then counters) to `table`, a few hundred rows a
/// statement.
async fn upsert(
    tx: &impl ConnectionTrait,
    table: &str,
    keys: &[&str],
    counters: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let backend = tx.get_database_backend();
    let width = keys.len() + counters.len();
    let set: Vec<String> = counters
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    for chunk in rows.chunks(500) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * width);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let start = values.len();
                values.extend(row.iter().cloned());
                let list: Vec<String> = (1..=width)
                    .map(|i| placeholder(backend, start + i))
                    .collect();
                format!("({})", list.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}, {}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            counters.join(", "),
            tuples.join(", "),
            keys.join(", "),
            set.join(", ")
        );
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// The local day of `at` in the shop's zone.
pub(crate) fn day_of(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The time zones of `shop_ids`.
pub(crate) async fn zones(
    tx: &impl ConnectionTrait,
    shop_ids: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, Tz>> {
    let mut zones = BTreeMap::new();
    for shop_id in shop_ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = zones.entry(shop_id) {
            slot.insert(crate::shops::get_shop(tx, shop_id).await?.time_zone);
        }
    }
    Ok(zones)
}

/// How a claim's state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved {
    /// Unused → expired.
    Expired,
    /// Unused → revoked.
    Revoked,
    /// Unused → used (on an order, paid or not yet).
    Used,
    /// Used → unused: its order was cancelled before payment.
    Returned,
    /// Used → expired: the same, past its validity.
    ReturnedExpired,
}

/// Claims whose state changed, from the rows an UPDATE … RETURNING gave:
/// `shop_id, coupon_id, channel, claimed_at`.
pub(crate) async fn claims_moved(
    tx: &impl ConnectionTrait,
    rows: &[sea_orm::QueryResult],
    moved: Moved,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        parsed.push((
            row.try_get::<i64>("", "shop_id")?,
            row.try_get::<i64>("", "coupon_id")?,
            row.try_get::<String>("", "channel")?,
            row.try_get::<DateTime<Utc>>("", "claimed_at")?,
        ));
    }
    let shop_ids: Vec<i64> = parsed.iter().map(|p| p.0).collect();
    let zones = zones(tx, shop_ids).await?;
    let mut changes = Changes::default();
    for (shop_id, coupon_id, channel, claimed_at) in parsed {
        let day = day_of(claimed_at, zones[&shop_id]);
        changes.moved(shop_id, coupon_id, day, &channel, moved);
    }
    changes.write(tx).await
}

/// An order starts counting (`sign` 1: paid) or stops (-1: cancelled or
/// refunded after payment): its coupons' uses, cost, orders, GMV, units and
/// waits on the day it was paid, its claims' redemption on their claim days,
/// and the shop's order figures.
pub(crate) async fn order_counted(
    tx: &impl ConnectionTrait,
    order: &crate::entities::order::Model,
    sign: i64,
) -> Result<()> {
    let Some(paid_at) = order.paid_at else {
        return Ok(());
    };
    let backend = tx.get_database_backend();
    let tz = crate::shops::get_shop(tx, order.shop_id).await?.time_zone;
    let paid_day = day_of(paid_at, tz);
    let p1 = placeholder(backend, 1);
    let units_row = tx
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS units FROM order_lines \
                 WHERE order_id = {p1}"
            ),
            [order.id.into()],
        ))
        .await?;
    let units: i64 = match units_row {
        Some(row) => row.try_get("", "units")?,
        None => 0,
    };
    let claims = tx
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.id AS id, c.coupon_id AS coupon_id, c.channel AS channel, \
                 c.claimed_at AS claimed_at, c.used_at AS used_at, \
                 CAST(COALESCE((SELECT SUM(a.amount_fen) FROM discount_allocations a \
                 WHERE a.claim_id = c.id AND a.order_id = c.order_id), 0) AS BIGINT) AS cost \
                 FROM claims c WHERE c.order_id = {p1} AND c.state = 'used' ORDER BY c.id"
            ),
            [order.id.into()],
        ))
        .await?;

    let mut changes = Changes::default();
    let mut seen_channel: std::collections::BTreeSet<(i64, String)> = Default::default();
    let mut seen_coupon: std::collections::BTreeSet<i64> = Default::default();
    for row in &claims {
        let coupon_id: i64 = row.try_get("", "coupon_id")?;
        let channel: String = row.try_get("", "channel")?;
        let claimed_at: DateTime<Utc> = row.try_get("", "claimed_at")?;
        let used_at: Option<DateTime<Utc>> = row.try_get("", "used_at")?;
        let cost: i64 = row.try_get("", "cost")?;
        let minutes = wait_minutes(claimed_at, used_at.unwrap_or(claimed_at));

        changes
            .coupon(order.shop_id, coupon_id, day_of(claimed_at, tz), &channel)
            .redeemed += sign;
        let first_in_channel = seen_channel.insert((coupon_id, channel.clone()));
        let first_of_coupon = seen_coupon.insert(coupon_id);
        let figures = changes.coupon(order.shop_id, coupon_id, paid_day, &channel);
        figures.used += sign;
        if minutes <= 1_440 {
            figures.used_next_day += sign;
        }
        figures.cost_fen += sign * cost;
        if first_in_channel {
            figures.orders += sign;
            figures.gmv_fen += sign * order.payable_fen;
            figures.units += sign * units;
        }
        if first_of_coupon {
            figures.lead_orders += sign;
            figures.lead_gmv_fen += sign * order.payable_fen;
            figures.lead_units += sign * units;
        }
        changes.wait(order.shop_id, coupon_id, &channel, paid_day, minutes, sign);
    }
    let day = changes.order_day(order.shop_id, paid_day);
    if order.merchant_discount_fen > 0 {
        day.coupon_orders += sign;
        day.coupon_gmv_fen += sign * order.payable_fen;
        day.coupon_units += sign * units;
        day.cost_fen += sign * order.merchant_discount_fen;
    } else {
        day.plain_orders += sign;
        day.plain_gmv_fen += sign * order.payable_fen;
    }
    changes.write(tx).await
}

/// Rebuilds every shop whose roll-ups were never built (data from before they
/// existed); run after migrating.
pub async fn rebuild_pending(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> Result<()> {
    let backend = db.get_database_backend();
    let pending = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id FROM shops WHERE rollups_ready = FALSE ORDER BY id",
        ))
        .await?;
    for row in pending {
        let shop_id: i64 = row.try_get("", "id")?;
        crate::db::write(db, async |tx| rebuild(tx, shop_id, now).await).await?;
        tracing::info!(shop_id, "daily roll-ups built from the shop's rows");
    }
    Ok(())
}

/// SQL of `domain::metrics::wait_bucket` for a minutes expression.
fn bucket_sql(minutes: &str) -> String {
    let m = format!(
        "(CASE WHEN {minutes} > {cap} THEN {cap} ELSE {minutes} END)",
        cap = wait_cap_minutes()
    );
    let steps = wait_bucket_steps();
    let mut sql = String::from("CASE");
    for (i, (first, from, step)) in steps.iter().enumerate() {
        match steps.get(i + 1) {
            Some((_, until, _)) => sql.push_str(&format!(
                " WHEN {m} < {until} THEN {first} + ({m} - {from}) / {step}"
            )),
            None => sql.push_str(&format!(" ELSE {first} + ({m} - {from}) / {step} END")),
        }
    }
    sql
}

/// SQL of [`wait_minutes`] for claim `c`.
fn wait_sql(backend: DbBackend) -> String {
    let seconds = match backend {
        DbBackend::Postgres => {
            "(CAST(FLOOR(EXTRACT(EPOCH FROM c.used_at)) AS BIGINT) \
             - CAST(FLOOR(EXTRACT(EPOCH FROM c.claimed_at)) AS BIGINT))"
        }
        _ => {
            "(CAST(strftime('%s', c.used_at) AS INTEGER) \
             - CAST(strftime('%s', c.claimed_at) AS INTEGER))"
        }
    };
    format!("((CASE WHEN {seconds} < 0 THEN 0 ELSE {seconds} END + 30) / 60)")
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

/// Recomputes the shop's roll-ups from its claims and orders, in SQL, inside
/// the caller's write transaction — exact while other servers write (on
/// PostgreSQL the roll-up tables are locked against their additions until it
/// commits).
pub async fn rebuild(tx: &impl ConnectionTrait, shop_id: i64, now: DateTime<Utc>) -> Result<()> {
    let backend = tx.get_database_backend();
    let tz = crate::shops::get_shop(tx, shop_id).await?.time_zone;
    let p1 = placeholder(backend, 1);
    let exec = async |sql: String, values: Vec<Value>| -> Result<()> {
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    };
    // Customers' last claims first: their row locks are taken before the
    // tables' below, in the order a claim batch takes them.
    exec(
        format!(
            "UPDATE customers SET last_claimed_at = m.last FROM \
             (SELECT customer_id, MAX(claimed_at) AS last FROM claims WHERE shop_id = {p1} \
              GROUP BY customer_id) m WHERE customers.id = m.customer_id"
        ),
        vec![shop_id.into()],
    )
    .await?;
    if backend == DbBackend::Postgres {
        // Other servers keep writing: their additions wait until the rebuilt
        // rows are committed, then add to them; what they committed before is
        // in the rows read below. (SQLite's write transaction is the only one.)
        exec(
            "LOCK TABLE day_figures, order_days, coupon_waits, shop_waits, claimer_days \
             IN SHARE ROW EXCLUSIVE MODE"
                .into(),
            vec![],
        )
        .await?;
    }
    for table in ["day_figures", "order_days", "shop_waits", "claimer_days"] {
        exec(
            format!("DELETE FROM {table} WHERE shop_id = {p1}"),
            vec![shop_id.into()],
        )
        .await?;
    }
    exec(
        format!(
            "DELETE FROM coupon_waits WHERE coupon_id IN (SELECT id FROM coupons WHERE shop_id = {p1})"
        ),
        vec![shop_id.into()],
    )
    .await?;

    // The span every local date below falls in (SQLite needs the clock changes).
    let span = tx
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MIN(t) AS first, MAX(t) AS last FROM (\
                 SELECT MIN(claimed_at) AS t FROM claims WHERE shop_id = {p1} \
                 UNION ALL SELECT MAX(claimed_at) FROM claims WHERE shop_id = {p1} \
                 UNION ALL SELECT MIN(paid_at) FROM orders WHERE shop_id = {p1} \
                 UNION ALL SELECT MAX(paid_at) FROM orders WHERE shop_id = {p1}) s"
            ),
            [shop_id.into()],
        ))
        .await?;
    let (first, last) = match span {
        Some(row) => (
            row.try_get::<Option<DateTime<Utc>>>("", "first")?,
            row.try_get::<Option<DateTime<Utc>>>("", "last")?,
        ),
        None => (None, None),
    };
    let start = first.unwrap_or(now).min(now) - chrono::Duration::days(1);
    let end = last.unwrap_or(now).max(now) + chrono::Duration::days(1);
    let date = |column: &str, values: &mut Vec<Value>| {
        local_date_sql(backend, column, tz, start, end, 2, values)
    };
    let wait = wait_sql(backend);
    let units = "(SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)";
    let add = |table: &str, keys: &str, counters: &[&str]| {
        let set: Vec<String> = counters
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect();
        format!("INSERT INTO {table} ({keys}, {}) ", counters.join(", "))
            + &format!(
                "%SELECT% ON CONFLICT ({keys}) DO UPDATE SET {}",
                set.join(", ")
            )
    };
    let day_keys = "shop_id, coupon_id, day, channel";

    // Claim side, on the claim's day. A customer's first claim of a coupon (in
    // a channel, at all) is numbered 1 by id: sorted once, not looked up per claim.
    let mut values = vec![shop_id.into()];
    let day = date("x.claimed_at", &mut values);
    let select = format!(
        "SELECT x.shop_id, x.coupon_id, {day}, x.channel, COUNT(*), \
         SUM(CASE WHEN x.nth_in_channel = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN x.nth = 1 THEN 1 ELSE 0 END), \
         SUM(x.redeemed), SUM(CASE WHEN x.state = 'expired' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN x.state = 'revoked' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN x.state = 'unused' THEN 1 ELSE 0 END) FROM \
         (SELECT c.shop_id, c.coupon_id, c.channel, c.claimed_at, c.state, \
          {REDEEMED} AS redeemed, \
          ROW_NUMBER() OVER (PARTITION BY c.coupon_id, c.customer_id, c.channel ORDER BY c.id) \
            AS nth_in_channel, \
          ROW_NUMBER() OVER (PARTITION BY c.coupon_id, c.customer_id ORDER BY c.id) AS nth \
          FROM claims c LEFT JOIN orders o ON o.id = c.order_id WHERE c.shop_id = {p1}) x \
         WHERE TRUE GROUP BY x.shop_id, x.coupon_id, 3, x.channel"
    );
    exec(
        add(
            "day_figures",
            day_keys,
            &[
                "claimed",
                "claimers",
                "lead_claimers",
                "redeemed",
                "expired",
                "revoked",
                "unused",
            ],
        )
        .replace("%SELECT%", &select),
        values,
    )
    .await?;

    // Use side, on the day the order was paid: each claim used.
    let redeemed_claims = format!(
        "FROM claims c JOIN orders o ON o.id = c.order_id \
         WHERE c.shop_id = {p1} AND c.state = 'used' AND {COUNTED}"
    );
    let mut values = vec![shop_id.into()];
    let day = date("o.paid_at", &mut values);
    let select = format!(
        "SELECT c.shop_id, c.coupon_id, {day}, c.channel, COUNT(*), \
         SUM(CASE WHEN {wait} <= 1440 THEN 1 ELSE 0 END), \
         CAST(SUM((SELECT COALESCE(SUM(a.amount_fen), 0) FROM discount_allocations a \
           WHERE a.claim_id = c.id AND a.order_id = o.id)) AS BIGINT) \
         {redeemed_claims} GROUP BY c.shop_id, c.coupon_id, 3, c.channel"
    );
    exec(
        add(
            "day_figures",
            day_keys,
            &["used", "used_next_day", "cost_fen"],
        )
        .replace("%SELECT%", &select),
        values,
    )
    .await?;
    // Orders once per coupon and channel.
    let mut values = vec![shop_id.into()];
    let day = date("o.paid_at", &mut values);
    let select = format!(
        "SELECT x.shop_id, x.coupon_id, {day}, x.channel, COUNT(*), \
         CAST(SUM(o.payable_fen) AS BIGINT), CAST(SUM({units}) AS BIGINT) FROM \
         (SELECT DISTINCT c.shop_id, c.coupon_id, c.channel, c.order_id FROM claims c \
          WHERE c.shop_id = {p1} AND c.state = 'used' AND c.order_id IS NOT NULL) x \
         JOIN orders o ON o.id = x.order_id WHERE {COUNTED} \
         GROUP BY x.shop_id, x.coupon_id, 3, x.channel"
    );
    exec(
        add("day_figures", day_keys, &["orders", "gmv_fen", "units"]).replace("%SELECT%", &select),
        values,
    )
    .await?;
    // Orders once per coupon, in the channel of the order's first claim of it.
    let mut values = vec![shop_id.into()];
    let day = date("o.paid_at", &mut values);
    let select = format!(
        "SELECT c.shop_id, c.coupon_id, {day}, c.channel, COUNT(*), \
         CAST(SUM(o.payable_fen) AS BIGINT), CAST(SUM({units}) AS BIGINT) \
         {redeemed_claims} AND NOT EXISTS (SELECT 1 FROM claims e WHERE e.order_id = c.order_id \
           AND e.coupon_id = c.coupon_id AND e.state = 'used' AND e.id < c.id) \
         GROUP BY c.shop_id, c.coupon_id, 3, c.channel"
    );
    exec(
        add(
            "day_figures",
            day_keys,
            &["lead_orders", "lead_gmv_fen", "lead_units"],
        )
        .replace("%SELECT%", &select),
        values,
    )
    .await?;
    // The shop's rows: its coupons' summed.
    let summed: Vec<&str> = FIGURES
        .iter()
        .zip(SHOP_FIGURES)
        .filter(|(_, summed)| *summed)
        .map(|(c, _)| *c)
        .collect();
    let sums: Vec<String> = summed.iter().map(|c| format!("SUM({c})")).collect();
    exec(
        format!(
            "INSERT INTO day_figures ({day_keys}, {}) SELECT shop_id, 0, day, channel, {} \
             FROM day_figures WHERE shop_id = {p1} AND coupon_id <> 0 GROUP BY shop_id, day, channel",
            summed.join(", "),
            sums.join(", ")
        ),
        vec![shop_id.into()],
    )
    .await?;

    // The shop's paid orders.
    let mut values = vec![shop_id.into()];
    let day = date("o.paid_at", &mut values);
    let with = "o.merchant_discount_fen > 0";
    exec(
        format!(
            "INSERT INTO order_days (shop_id, day, {}) SELECT o.shop_id, {day}, \
             SUM(CASE WHEN {with} THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN {with} THEN o.payable_fen ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN {with} THEN {units} ELSE 0 END) AS BIGINT), \
             CAST(SUM(o.merchant_discount_fen) AS BIGINT), \
             SUM(CASE WHEN {with} THEN 0 ELSE 1 END), \
             CAST(SUM(CASE WHEN {with} THEN 0 ELSE o.payable_fen END) AS BIGINT) \
             FROM orders o WHERE o.shop_id = {p1} AND {COUNTED} GROUP BY o.shop_id, 2",
            ORDER_FIGURES.join(", ")
        ),
        values,
    )
    .await?;

    // Waits by bucket.
    let bucket = bucket_sql(&wait);
    exec(
        format!(
            "INSERT INTO coupon_waits (coupon_id, channel, bucket, n) \
             SELECT c.coupon_id, c.channel, {bucket}, COUNT(*) {redeemed_claims} \
             GROUP BY c.coupon_id, c.channel, 3"
        ),
        vec![shop_id.into()],
    )
    .await?;
    let mut values = vec![shop_id.into()];
    let day = date("o.paid_at", &mut values);
    exec(
        format!(
            "INSERT INTO shop_waits (shop_id, day, bucket, n) \
             SELECT c.shop_id, {day}, {bucket}, COUNT(*) {redeemed_claims} GROUP BY c.shop_id, 2, 3"
        ),
        values,
    )
    .await?;

    // Claimers by day and days since their claiming day before.
    let mut values = vec![shop_id.into()];
    let day = date("c.claimed_at", &mut values);
    let never = domain::metrics::CLAIMER_GAP_NEVER;
    let gap = match backend {
        DbBackend::Postgres => "(day - before)".to_owned(),
        _ => "CAST(julianday(day) - julianday(before) AS INTEGER)".to_owned(),
    };
    exec(
        format!(
            "INSERT INTO claimer_days (shop_id, day, gap, n) \
             SELECT shop_id, day, CASE WHEN before IS NULL OR {gap} >= {never} THEN {never} \
             ELSE {gap} END, COUNT(*) FROM \
             (SELECT shop_id, day, LAG(day) OVER (PARTITION BY customer_id ORDER BY day) AS before \
              FROM (SELECT DISTINCT c.shop_id AS shop_id, c.customer_id AS customer_id, \
              {day} AS day FROM claims c WHERE c.shop_id = {p1}) d) g WHERE TRUE GROUP BY 1, 2, 3"
        ),
        values,
    )
    .await?;
    exec(
        format!("UPDATE shops SET rollups_ready = TRUE WHERE id = {p1}"),
        vec![shop_id.into()],
    )
    .await?;
    Ok(())
}

/// The shop's roll-up rows that hold anything, as text, in key order: what
/// [`rebuild`] must reproduce from the raw rows (tests, checks).
pub async fn snapshot(db: &impl ConnectionTrait, shop_id: i64) -> Result<Vec<String>> {
    let backend = db.get_database_backend();
    let p1 = placeholder(backend, 1);
    let shop = format!("shop_id = {p1}");
    let tables: [(&str, &[&str], &[&str], String); 5] = [
        (
            "day_figures",
            &["coupon_id", "day", "channel"],
            &FIGURES,
            shop.clone(),
        ),
        ("order_days", &["day"], &ORDER_FIGURES, shop.clone()),
        (
            "coupon_waits",
            &["coupon_id", "channel", "bucket"],
            &["n"],
            format!("coupon_id IN (SELECT id FROM coupons WHERE shop_id = {p1})"),
        ),
        ("shop_waits", &["day", "bucket"], &["n"], shop.clone()),
        ("claimer_days", &["day", "gap"], &["n"], shop),
    ];
    let mut out = Vec::new();
    for (table, keys, counters, filter) in tables {
        let nonzero: Vec<String> = counters.iter().map(|c| format!("{c} <> 0")).collect();
        let keys_sql = keys.join(", ");
        let found = crate::db::rows(
            db,
            format!(
                "SELECT {keys_sql}, {} FROM {table} WHERE {filter} AND ({}) ORDER BY {keys_sql}",
                counters.join(", "),
                nonzero.join(" OR ")
            ),
            vec![shop_id.into()],
        )
        .await?;
        for row in found {
            let mut line = table.to_owned();
            for key in keys {
                // Text, a number, or a day (a DATE on PostgreSQL, text on SQLite).
                let value = row
                    .try_get::<String>("", key)
                    .or_else(|_| row.try_get::<i64>("", key).map(|v| v.to_string()))
                    .or_else(|_| row.try_get::<NaiveDate>("", key).map(|v| v.to_string()))?;
                line.push_str(&format!(" {key}={value}"));
            }
            for counter in counters {
                line.push_str(&format!(" {counter}={}", row.try_get::<i64>("", counter)?));
            }
            out.push(line);
        }
    }
    Ok(out)
}
