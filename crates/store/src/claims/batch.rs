//! Deciding claims in batches: SPEC §3 checked for each claim, in order, with what
//! a batch needs read in a handful of grouped statements instead of a handful per
//! claim. Every claim and grant goes through [`decide`] — a storefront claim,
//! a follow, a repurchase or staff's grant by hand — so one set of rules and one
//! way of counting serve them all.
//!
//! Inside the caller's write transaction: the batch's customers are created if new
//! and locked in id order, then its coupons (and private codes) in id order — the
//! same lock order as every write, so nothing deadlocks across processes on
//! PostgreSQL; on SQLite the transaction is the only writer. The counts each rule
//! needs are read once, then the claims are decided one after another with running
//! tallies (a coupon's stock, a customer's claims of it ever and today, the shop's
//! claims this month), so two claims of one batch count each other exactly as two
//! separate transactions would. Refused claims write nothing but their tally for
//! the live console ([`super::tallies`]); customers created only for refused
//! claims are removed again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{
    Audience, Channel, ClaimAttempt, ClaimCounts, ClaimSource, CodeCheck, CouponKind,
    CustomerFacts, Refusal, Sku, check_claim,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Value,
};

use super::tallies::Tally;
use super::{ClaimRecord, ClaimState, ClaimTarget, from_row};
use crate::coupons::{self, CouponRecord};
use crate::entities::{claim, coupon, customer, private_code};
use crate::error::{Result, StoreError};
use crate::shops::{self, ShopRecord};

/// One claim or grant to decide.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub shop_id: i64,
    /// The storefront's customer id (checked by the caller).
    pub customer: String,
    pub target: ClaimTarget,
    pub channel: Channel,
    pub source: ClaimSource,
    /// Fewer products than the coupon's, for a narrowed grant.
    pub skus: Option<Vec<Sku>>,
    /// The device the storefront named (at most 64 characters; checked by the caller).
    pub device: Option<String>,
    pub now: DateTime<Utc>,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Claimed(ClaimRecord),
    Refused(Refusal),
    /// No such coupon in this shop.
    NoCoupon,
}

/// Whether two attempts may share a batch: the same local day and month in every
/// time zone (the daily limit and the monthly cap count in one window). Every
/// zone's midnight falls on a quarter hour of UTC, so the same quarter hour will do.
pub fn same_windows(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.timestamp().div_euclid(900) == b.timestamp().div_euclid(900)
}

/// What one customer and one coupon have claimed before this batch.
#[derive(Default, Clone, Copy)]
struct Held {
    ever: u32,
    today: u32,
}

/// Decides `attempts` in order and writes the claims granted, inside `tx`.
/// Attempts of one batch must share their shops' local day and month
/// ([`same_windows`]).
pub async fn decide(tx: &impl ConnectionTrait, attempts: &[Attempt]) -> Result<Vec<Decision>> {
    let Some(first) = attempts.first() else {
        return Ok(Vec::new());
    };
    let now = first.now;

    // Shops, read once.
    let mut shops: HashMap<i64, ShopRecord> = HashMap::new();
    for attempt in attempts {
        if let std::collections::hash_map::Entry::Vacant(slot) = shops.entry(attempt.shop_id) {
            slot.insert(shops::get_shop(tx, attempt.shop_id).await?);
        }
    }

    // Customers: created if new (in a fixed order, so concurrent batches on
    // PostgreSQL wait for each other's new rows without a cycle), the others
    // locked in id order.
    let mut customers: HashMap<(i64, String), customer::Model> = HashMap::new();
    let mut created: HashSet<i64> = HashSet::new();
    for &shop_id in shops.keys() {
        let mut ids: Vec<&str> = distinct(
            attempts
                .iter()
                .filter(|a| a.shop_id == shop_id)
                .map(|a| a.customer.as_str()),
        );
        ids.sort_unstable();
        for row in create_customers(tx, shop_id, &ids, now).await? {
            created.insert(row.id);
            customers.insert((shop_id, row.external_id.clone()), row);
        }
        let existing: Vec<&str> = ids
            .into_iter()
            .filter(|id| !customers.contains_key(&(shop_id, (*id).to_owned())))
            .collect();
        if existing.is_empty() {
            continue;
        }
        let mut find = customer::Entity::find()
            .filter(customer::Column::ShopId.eq(shop_id))
            .filter(customer::Column::ExternalId.is_in(existing));
        if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Row locks are taken in scan order: by storefront id, the order
            // new customers are inserted in, which the unique (shop_id,
            // external_id) index gives as it looks the few up. (In id order the
            // planner could walk the shop's every customer by id to spare a
            // sort; SQLite's transaction is the only writer and locks nothing.)
            find = find
                .order_by_asc(customer::Column::ExternalId)
                .lock_exclusive();
        }
        for row in find.all(tx).await? {
            customers.insert((shop_id, row.external_id.clone()), row);
        }
    }

    // Private codes typed, locked; then every coupon aimed at, locked in id order.
    let mut codes: HashMap<(i64, String), private_code::Model> = HashMap::new();
    for attempt in attempts {
        if let ClaimTarget::Code(typed) = &attempt.target
            && let Ok(code) = domain::PrivateCode::parse(typed)
        {
            let key = (attempt.shop_id, code.as_str().to_owned());
            if !codes.contains_key(&key)
                && let Some(row) = private_code::Entity::find()
                    .filter(private_code::Column::ShopId.eq(attempt.shop_id))
                    .filter(private_code::Column::Code.eq(code.as_str()))
                    .lock_exclusive()
                    .one(tx)
                    .await?
            {
                codes.insert(key, row);
            }
        }
    }
    let target_of = |attempt: &Attempt| -> Option<(i64, Option<&private_code::Model>)> {
        match &attempt.target {
            ClaimTarget::Coupon(id) => Some((*id, None)),
            ClaimTarget::Code(typed) => {
                let code = domain::PrivateCode::parse(typed).ok()?;
                let row = codes.get(&(attempt.shop_id, code.as_str().to_owned()))?;
                Some((row.coupon_id, Some(row)))
            }
        }
    };
    let coupon_ids: Vec<i64> = distinct(attempts.iter().filter_map(|a| target_of(a).map(|t| t.0)));
    let mut coupons: HashMap<i64, CouponRecord> = HashMap::new();
    if !coupon_ids.is_empty() {
        for row in coupon::Entity::find()
            .filter(coupon::Column::Id.is_in(coupon_ids.clone()))
            .order_by_asc(coupon::Column::Id)
            .lock_exclusive()
            .all(tx)
            .await?
        {
            coupons.insert(row.id, coupons::from_row(row)?);
        }
    }

    // What the rules count, read once per shop.
    let mut held: HashMap<(i64, i64), Held> = HashMap::new();
    // Per channel too, for the roll-ups' claimers by channel.
    let mut held_in: HashMap<(i64, i64, String), u32> = HashMap::new();
    let mut month: HashMap<i64, u32> = HashMap::new();
    let mut paid: HashMap<i64, u32> = HashMap::new();
    for shop in shops.values() {
        let ids: Vec<i64> = customers
            .iter()
            .filter(|((s, _), _)| *s == shop.id)
            .map(|(_, row)| row.id)
            .filter(|id| !created.contains(id))
            .collect();
        let coupons_here: Vec<i64> = coupons
            .values()
            .filter(|c| c.shop_id == shop.id)
            .map(|c| c.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let (day, this_month) = ClaimCounts::windows(now, shop.time_zone);
        if !coupons_here.is_empty() {
            // By (coupon, customer) alone, so the planner looks each pair up in
            // its index instead of walking the coupon's every claim.
            let mut values: Vec<Value> = vec![day.start.into(), day.end.into()];
            let coupon_list = placeholders(tx, &mut values, &coupons_here);
            let customer_list = placeholders(tx, &mut values, &ids);
            let p = |n| crate::db::placeholder(tx.get_database_backend(), n);
            let sql = format!(
                "SELECT coupon_id, customer_id, COUNT(*) AS ever, \
                 SUM(CASE WHEN claimed_at >= {d0} AND claimed_at < {d1} THEN 1 ELSE 0 END) AS today \
                 FROM claims WHERE coupon_id IN ({coupon_list}) \
                 AND customer_id IN ({customer_list}) GROUP BY coupon_id, customer_id",
                d0 = p(1),
                d1 = p(2),
            );
            for row in crate::db::rows(tx, sql, values).await? {
                let key = (
                    row.try_get::<i64>("", "coupon_id")?,
                    row.try_get::<i64>("", "customer_id")?,
                );
                held.insert(
                    key,
                    Held {
                        ever: count(&row, "ever")?,
                        today: count(&row, "today")?,
                    },
                );
            }
            // The channels those who hold some already claimed them in (the
            // roll-ups count a claimer once per channel): by customer, so a
            // coupon's every claim is never walked (`+ 0` keeps the planner off
            // the coupon's indexes); a drop's new customers need none of it.
            let holders: Vec<i64> = distinct(held.keys().map(|(_, customer)| *customer));
            if !holders.is_empty() {
                let mut values: Vec<Value> = Vec::new();
                let customer_list = placeholders(tx, &mut values, &holders);
                let coupon_list = placeholders(tx, &mut values, &coupons_here);
                let sql = format!(
                    "SELECT coupon_id, customer_id, channel, COUNT(*) AS n FROM claims \
                     WHERE customer_id IN ({customer_list}) AND coupon_id + 0 IN ({coupon_list}) \
                     GROUP BY coupon_id, customer_id, channel"
                );
                for row in crate::db::rows(tx, sql, values).await? {
                    held_in.insert(
                        (
                            row.try_get::<i64>("", "coupon_id")?,
                            row.try_get::<i64>("", "customer_id")?,
                            row.try_get::<String>("", "channel")?,
                        ),
                        count(&row, "n")?,
                    );
                }
            }
        }
        if shop.monthly_cap.is_some() {
            let mut values: Vec<Value> = vec![
                shop.id.into(),
                this_month.start.into(),
                this_month.end.into(),
            ];
            let customer_list = placeholders(tx, &mut values, &ids);
            let p = |n| crate::db::placeholder(tx.get_database_backend(), n);
            let sql = format!(
                "SELECT customer_id, COUNT(*) AS n FROM claims WHERE shop_id = {} \
                 AND claimed_at >= {} AND claimed_at < {} AND customer_id IN ({customer_list}) \
                 GROUP BY customer_id",
                p(1),
                p(2),
                p(3),
            );
            for row in crate::db::rows(tx, sql, values).await? {
                month.insert(row.try_get::<i64>("", "customer_id")?, count(&row, "n")?);
            }
        }
        let needs_orders = coupons.values().any(|c| {
            c.shop_id == shop.id
                && matches!(
                    c.coupon.audience(),
                    Audience::NewCustomers | Audience::ReturningCustomers
                )
        });
        if needs_orders {
            let mut values: Vec<Value> = Vec::new();
            let customer_list = placeholders(tx, &mut values, &ids);
            let sql = format!(
                "SELECT customer_id, COUNT(*) AS n FROM orders WHERE customer_id IN ({customer_list}) \
                 AND paid_at IS NOT NULL AND cancelled_at IS NULL GROUP BY customer_id"
            );
            for row in crate::db::rows(tx, sql, values).await? {
                paid.insert(row.try_get::<i64>("", "customer_id")?, count(&row, "n")?);
            }
        }
    }

    // Decide, in order, counting what this batch grants as it goes.
    let mut decisions = Vec::with_capacity(attempts.len());
    let mut granted_per_coupon: HashMap<i64, u64> = HashMap::new();
    let mut used_codes: HashSet<i64> = HashSet::new();
    let mut claimants: HashSet<i64> = HashSet::new();
    let mut accepted: Vec<(usize, claim::ActiveModel)> = Vec::new();
    let mut tally = Tally::default();
    let mut rollup = crate::rollups::Changes::default();
    for attempt in attempts {
        let Some((coupon_id, code)) = target_of(attempt) else {
            decisions.push(Decision::Refused(Refusal::InvalidCode));
            continue;
        };
        let Some(record) = coupons
            .get(&coupon_id)
            .filter(|c| c.shop_id == attempt.shop_id)
        else {
            decisions.push(Decision::NoCoupon);
            continue;
        };
        let shop = &shops[&attempt.shop_id];
        let row = &customers[&(attempt.shop_id, attempt.customer.clone())];
        let facts = facts_of(row, paid.get(&row.id).copied().unwrap_or(0))?;
        let so_far = held.get(&(coupon_id, row.id)).copied().unwrap_or_default();
        let counts = ClaimCounts {
            coupon_total: record.claimed + granted_per_coupon.get(&coupon_id).copied().unwrap_or(0),
            by_customer: so_far.ever,
            by_customer_today: so_far.today,
            shop_by_customer_this_month: month.get(&row.id).copied().unwrap_or(0),
        };
        let code_check = match code {
            None => CodeCheck::Missing,
            Some(code)
                if code.one_time && (code.used_at.is_some() || used_codes.contains(&code.id)) =>
            {
                CodeCheck::Used
            }
            Some(_) => CodeCheck::Valid,
        };
        let verdict = check_claim(&ClaimAttempt {
            coupon: &record.coupon,
            status: record.status,
            customer: &facts,
            counts,
            channel: attempt.channel,
            code: code_check,
            source: attempt.source,
            monthly_cap: shop.monthly_cap,
            now: attempt.now,
        });
        if let Err(refusal) = verdict {
            tally.refused(coupon_id, attempt.now, refusal);
            decisions.push(Decision::Refused(refusal));
            continue;
        }
        debug_assert!(code.is_none() || record.coupon.kind() == CouponKind::Private);
        let (valid_from, valid_until) = record.coupon.claim_validity(attempt.now);
        accepted.push((
            decisions.len(),
            claim::ActiveModel {
                shop_id: Set(attempt.shop_id),
                coupon_id: Set(coupon_id),
                customer_id: Set(row.id),
                channel: Set(attempt.channel.as_str().to_owned()),
                source: Set(attempt.source.as_str().to_owned()),
                state: Set(ClaimState::Unused.as_str().to_owned()),
                claimed_at: Set(attempt.now),
                valid_from: Set(valid_from),
                valid_until: Set(valid_until),
                code_id: Set(code.map(|c| c.id)),
                order_id: Set(None),
                used_at: Set(None),
                expired_at: Set(None),
                skus: Set(attempt.skus.as_ref().map(crate::convert::to_json)),
                device: Set(attempt.device.clone()),
                ..Default::default()
            },
        ));
        *granted_per_coupon.entry(coupon_id).or_default() += 1;
        tally.claimed(coupon_id, attempt.now);
        let entry = held.entry((coupon_id, row.id)).or_default();
        entry.ever += 1;
        entry.today += 1;
        *month.entry(row.id).or_default() += 1;
        if let Some(code) = code.filter(|c| c.one_time) {
            used_codes.insert(code.id);
        }
        // The roll-ups: a claim on its local day; a claimer of the coupon on its
        // first claim; a claiming customer once a day.
        let day = crate::rollups::day_of(attempt.now, shop.time_zone);
        let figures = rollup.coupon(shop.id, coupon_id, day, attempt.channel.as_str());
        figures.claimed += 1;
        figures.unused += 1;
        if so_far.ever == 0 {
            figures.lead_claimers += 1;
        }
        let in_channel = held_in
            .entry((coupon_id, row.id, attempt.channel.as_str().to_owned()))
            .or_default();
        if *in_channel == 0 {
            figures.claimers += 1;
        }
        *in_channel += 1;
        if claimants.insert(row.id) {
            let before = row
                .last_claimed_at
                .map(|at| crate::rollups::day_of(at, shop.time_zone));
            rollup.claimer(shop.id, day, before);
        }
        decisions.push(Decision::NoCoupon); // replaced by the claim once written
    }

    // The claims, in one statement. RETURNING gives the rows in no set order:
    // each goes to an accepted attempt whose row it is (rows alike are alike).
    if !accepted.is_empty() {
        let models: Vec<claim::ActiveModel> = accepted.iter().map(|(_, m)| m.clone()).collect();
        let mut saved = claim::Entity::insert_many(models)
            .exec_with_returning(tx)
            .await?;
        for (index, model) in &accepted {
            let found = saved
                .iter()
                .position(|row| same_claim(row, model))
                .ok_or_else(|| StoreError::Corrupt("an inserted claim was not returned".into()))?;
            let row = saved.swap_remove(found);
            decisions[*index] = Decision::Claimed(from_row(&row)?);
        }
    }

    // The counters, the console's tallies, the codes, and no customer kept only
    // for a refusal.
    tally.write(tx).await?;
    rollup.write(tx).await?;
    if !claimants.is_empty() {
        let latest = attempts.iter().map(|a| a.now).max().unwrap_or(now);
        customer::Entity::update_many()
            .col_expr(customer::Column::LastClaimedAt, Expr::value(Some(latest)))
            .filter(customer::Column::Id.is_in(claimants.iter().copied()))
            .filter(
                sea_orm::Condition::any()
                    .add(customer::Column::LastClaimedAt.is_null())
                    .add(customer::Column::LastClaimedAt.lt(latest)),
            )
            .exec(tx)
            .await?;
    }
    for (coupon_id, n) in &granted_per_coupon {
        coupon::Entity::update_many()
            .col_expr(
                coupon::Column::ClaimedCount,
                Expr::col(coupon::Column::ClaimedCount).add(*n as i64),
            )
            .filter(coupon::Column::Id.eq(*coupon_id))
            .exec(tx)
            .await?;
    }
    if !used_codes.is_empty() {
        private_code::Entity::update_many()
            .col_expr(private_code::Column::UsedAt, Expr::value(Some(now)))
            .filter(private_code::Column::Id.is_in(used_codes))
            .filter(private_code::Column::UsedAt.is_null())
            .exec(tx)
            .await?;
    }
    let unclaimed: Vec<i64> = created.difference(&claimants).copied().collect();
    if !unclaimed.is_empty() {
        customer::Entity::delete_many()
            .filter(customer::Column::Id.is_in(unclaimed))
            .exec(tx)
            .await?;
    }
    Ok(decisions)
}

/// Inserts the customers of `external_ids` the shop does not have yet; returns
/// the rows made (a customer first seen has no region, tags or phone).
async fn create_customers(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    external_ids: &[&str],
    now: DateTime<Utc>,
) -> Result<Vec<customer::Model>> {
    let backend = tx.get_database_backend();
    let p = |n| crate::db::placeholder(backend, n);
    let no = if backend == sea_orm::DbBackend::Postgres {
        "FALSE"
    } else {
        "0"
    };
    let mut values: Vec<Value> = vec![shop_id.into(), now.into()];
    let rows: Vec<String> = external_ids
        .iter()
        .map(|id| {
            values.push((*id).into());
            format!(
                "({}, {}, NULL, '[]', NULL, {no}, NULL, {}, {})",
                p(1),
                p(values.len()),
                p(2),
                p(2)
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO customers (shop_id, external_id, region, tags, phone, is_follower, \
         followed_at, created_at, updated_at) VALUES {} \
         ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id, external_id",
        rows.join(", ")
    );
    crate::db::rows(tx, sql, values)
        .await?
        .into_iter()
        .map(|row| {
            Ok(customer::Model {
                id: row.try_get("", "id")?,
                shop_id,
                external_id: row.try_get("", "external_id")?,
                region: None,
                tags: "[]".into(),
                phone: None,
                name: None,
                is_follower: false,
                is_member: false,
                member_level: None,
                member_since: None,
                last_claimed_at: None,
                followed_at: None,
                created_at: now,
                updated_at: now,
            })
        })
        .collect()
}

/// Whether `row` is the claim `model` described (all but its id).
fn same_claim(row: &claim::Model, model: &claim::ActiveModel) -> bool {
    let sent = |value: &sea_orm::ActiveValue<i64>| value.clone().unwrap();
    row.coupon_id == sent(&model.coupon_id)
        && row.customer_id == sent(&model.customer_id)
        // PostgreSQL keeps microseconds.
        && model
            .claimed_at
            .try_as_ref()
            .is_some_and(|at| at.timestamp_micros() == row.claimed_at.timestamp_micros())
        && Some(&row.channel) == model.channel.try_as_ref()
        && Some(&row.source) == model.source.try_as_ref()
        && Some(&row.code_id) == model.code_id.try_as_ref()
        && Some(&row.skus) == model.skus.try_as_ref()
}

/// What the rules need to know of a customer.
fn facts_of(row: &customer::Model, paid_orders: u32) -> Result<CustomerFacts> {
    crate::customers::facts_from(row, paid_orders)
}

fn distinct<T: Eq + std::hash::Hash + Copy>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

/// `?n, ?n+1, …` for `items`, their values appended to `values`.
fn placeholders(tx: &impl ConnectionTrait, values: &mut Vec<Value>, items: &[i64]) -> String {
    let backend = tx.get_database_backend();
    let start = values.len() + 1;
    values.extend(items.iter().map(|&id| Value::from(id)));
    (start..start + items.len())
        .map(|n| crate::db::placeholder(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(row: &sea_orm::QueryResult, column: &str) -> Result<u32> {
    let n: i64 = row.try_get::<Option<i64>>("", column)?.unwrap_or(0);
    Ok(crate::convert::count(n))
}

impl Decision {
    /// The claim, or why there is none as the store's error.
    pub fn into_result(self) -> Result<ClaimRecord> {
        match self {
            Decision::Claimed(record) => Ok(record),
            Decision::Refused(refusal) => Err(StoreError::Refused(refusal)),
            Decision::NoCoupon => Err(StoreError::NotFound("coupon")),
        }
    }
}
