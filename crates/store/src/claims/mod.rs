//! Claiming (SPEC §3), atomically: the rules are checked inside the transaction
//! that writes the claim, after locking the customer and then the coupon (on
//! PostgreSQL; on SQLite the write transaction is `BEGIN IMMEDIATE`). Concurrent
//! claims of one coupon therefore queue on its row for a few statements, and can
//! never oversell or exceed a limit. The lock order — customer, then coupon — is
//! the same everywhere, so claims and orders cannot deadlock.

use chrono::{DateTime, Utc};
use domain::{Channel, ClaimAttempt, ClaimCounts, CodeCheck, HeldClaim, Refusal, Sku, check_claim};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::coupons::{self, CouponRecord};
use crate::customers;
use crate::db::placeholder;
use crate::entities::{claim, coupon, customer};
use crate::error::{Result, StoreError};
use crate::shops::{self, ShopRecord};

/// What is claimed: a coupon by id, or whatever coupon a private code opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimTarget {
    Coupon(i64),
    Code(String),
}

pub use domain::{ClaimSource, ClaimState};

mod batch;
mod revoke;
mod tallies;
mod writer;

pub use batch::{Attempt, Decision};
pub(crate) use revoke::revoke_in;
pub use revoke::{REVOKED, revoke_unused, unused_count};
pub use tallies::{KEEP_HOURS, LiveDrop, live_drop, purge_tallies};
pub use writer::{Keyed, MAX_BATCH, Outcome, Render};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub id: i64,
    pub shop_id: i64,
    pub coupon_id: i64,
    pub customer_id: i64,
    pub channel: Channel,
    pub state: ClaimState,
    pub claimed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub order_id: Option<i64>,
    /// The products this claim discounts when fewer than its coupon's (a
    /// repurchase coupon's `only_purchased_items`).
    pub skus: Option<Vec<Sku>>,
}

pub(crate) fn from_row(row: &claim::Model) -> Result<ClaimRecord> {
    Ok(ClaimRecord {
        id: row.id,
        shop_id: row.shop_id,
        coupon_id: row.coupon_id,
        customer_id: row.customer_id,
        channel: crate::convert::word(&row.channel, "claims.channel")?,
        state: crate::convert::word(&row.state, "claims.state")?,
        claimed_at: row.claimed_at,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        order_id: row.order_id,
        skus: row
            .skus
            .as_deref()
            .map(|text| crate::convert::from_json(text, "claims.skus"))
            .transpose()?,
    })
}

#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub shop_id: i64,
    /// The storefront's id of the customer; unknown customers are created.
    pub customer: String,
    pub target: ClaimTarget,
    pub channel: Channel,
    pub source: ClaimSource,
    /// The device the storefront says the customer claims from (abuse alerts).
    pub device: Option<String>,
    pub now: DateTime<Utc>,
}

/// Claims a coupon for a customer, or refuses with exactly one reason
/// (`StoreError::Refused`) and writes nothing. Concurrent claims are decided in
/// batches, one commit each ([`writer`]).
pub async fn claim(db: &DatabaseConnection, request: &ClaimRequest) -> Result<ClaimRecord> {
    match claim_keyed(db, request, None).await? {
        Outcome::Decided(decision) => decision.into_result(),
        other => Err(StoreError::Corrupt(format!(
            "an unkeyed claim answered {other:?}"
        ))),
    }
}

/// [`claim`] with the request's Idempotency-Key, written with the claim.
pub async fn claim_keyed(
    db: &DatabaseConnection,
    request: &ClaimRequest,
    keyed: Option<Keyed>,
) -> Result<Outcome> {
    domain::ids::customer_ref(&request.customer)?;
    let attempt = Attempt {
        shop_id: request.shop_id,
        customer: request.customer.clone(),
        target: request.target.clone(),
        channel: request.channel,
        source: request.source,
        skus: None,
        device: request.device.clone(),
        now: request.now,
    };
    writer::submit(db, attempt, keyed).await
}

/// Staff grant a coupon by hand (a customer-service coupon): the same rules as a
/// claim, on the `customer_service` channel, inside the caller's write
/// transaction. A refusal (`StoreError::Refused`) says why; the caller's
/// transaction then rolls back and nothing is written.
pub async fn grant_by_hand(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    customer_external_id: &str,
    coupon_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord> {
    domain::ids::customer_ref(customer_external_id)?;
    let attempt = Attempt {
        shop_id,
        customer: customer_external_id.to_owned(),
        target: ClaimTarget::Coupon(coupon_id),
        channel: Channel::CustomerService,
        source: ClaimSource::Manual,
        skus: None,
        device: None,
        now,
    };
    let mut decisions = batch::decide(tx, &[attempt]).await?;
    decisions.pop().expect("one decision").into_result()
}

/// What one claim or grant asks for.
pub(crate) struct Ask<'a> {
    pub target: &'a ClaimTarget,
    pub channel: Channel,
    pub source: ClaimSource,
    /// Fewer products than the coupon's, for a narrowed grant.
    pub skus: Option<&'a [Sku]>,
}

/// A grant inside the caller's write transaction, the customer already locked:
/// the same rules and counting as every claim ([`batch::decide`]). A refusal is
/// returned as a value, having written nothing, so that grants can record it and
/// go on.
pub(crate) async fn claim_in(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    customer: &customer::Model,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<claim::Model, Refusal>> {
    let attempt = Attempt {
        shop_id: shop.id,
        customer: customer.external_id.clone(),
        target: ask.target.clone(),
        channel: ask.channel,
        source: ask.source,
        skus: ask.skus.map(<[Sku]>::to_vec),
        device: None,
        now,
    };
    match batch::decide(db, &[attempt]).await?.pop() {
        Some(Decision::Claimed(record)) => Ok(Ok(claim::Entity::find_by_id(record.id)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("claim"))?)),
        Some(Decision::Refused(refusal)) => Ok(Err(refusal)),
        Some(Decision::NoCoupon) | None => Err(StoreError::NotFound("coupon")),
    }
}

/// The customer's unused claims, with their coupons, soonest to expire first.
pub async fn unused_claims(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: i64,
) -> Result<Vec<(ClaimRecord, CouponRecord)>> {
    let rows = claim::Entity::find()
        .filter(claim::Column::ShopId.eq(shop_id))
        .filter(claim::Column::CustomerId.eq(customer_id))
        .filter(claim::Column::State.eq(ClaimState::Unused.as_str()))
        .order_by_asc(claim::Column::ValidUntil)
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?;
    let mut held = Vec::with_capacity(rows.len());
    let mut coupons_seen: Vec<CouponRecord> = Vec::new();
    for row in rows {
        let coupon = match coupons_seen.iter().find(|c| c.id == row.coupon_id) {
            Some(coupon) => coupon.clone(),
            None => {
                let coupon = coupons::get_coupon(db, shop_id, row.coupon_id).await?;
                coupons_seen.push(coupon.clone());
                coupon
            }
        };
        held.push((from_row(&row)?, coupon));
    }
    Ok(held)
}

/// What the quote engine needs of a held claim.
pub fn as_held(claim: &ClaimRecord, coupon: &CouponRecord) -> HeldClaim {
    HeldClaim {
        id: claim.id,
        scope: match &claim.skus {
            Some(skus) => domain::Scope::Items { skus: skus.clone() },
            None => coupon.coupon.scope().clone(),
        },
        benefit: coupon.coupon.benefit().clone(),
        valid_from: claim.valid_from,
        valid_until: claim.valid_until,
    }
}

pub async fn get_claim(
    db: &impl ConnectionTrait,
    shop_id: i64,
    claim_id: i64,
) -> Result<ClaimRecord> {
    let row = claim::Entity::find_by_id(claim_id)
        .filter(claim::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("claim"))?;
    from_row(&row)
}

/// Coupons the customer could claim now in `channel` (any channel when `None`):
/// active shop, new-customer and follower coupons whose every rule passes.
/// Private coupons need a code and repurchase coupons are granted, so neither is
/// listed. An unknown customer is not created: they are a new customer.
pub async fn claimable_coupons(
    db: &impl ConnectionTrait,
    shop_id: i64,
    external_id: &str,
    channel: Option<Channel>,
    now: DateTime<Utc>,
) -> Result<Vec<CouponRecord>> {
    let shop = shops::get_shop(db, shop_id).await?;
    let known = customers::find_customer(db, shop_id, external_id).await?;
    let history: Vec<claim::Model> = match &known {
        Some(c) => {
            claim::Entity::find()
                .filter(claim::Column::ShopId.eq(shop_id))
                .filter(claim::Column::CustomerId.eq(c.id))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let shop_claims: Vec<DateTime<Utc>> = history.iter().map(|c| c.claimed_at).collect();
    let candidates = coupon::Entity::find()
        .filter(coupon::Column::ShopId.eq(shop_id))
        .filter(coupon::Column::Status.eq("active"))
        .filter(coupon::Column::Kind.is_in(["shop", "new_customer", "follower"]))
        .filter(coupon::Column::ClaimFrom.lte(now))
        .filter(coupon::Column::ClaimUntil.gte(now))
        .order_by_asc(coupon::Column::ClaimUntil)
        .all(db)
        .await?;
    // What we know of the customer, paid orders included, read once for all coupons.
    let facts = match &known {
        Some(c) => customers::facts(db, c).await?,
        None => domain::CustomerFacts::default(),
    };
    let mut claimable = Vec::new();
    for row in candidates {
        let record = coupons::from_row(row)?;
        let mine: Vec<DateTime<Utc>> = history
            .iter()
            .filter(|c| c.coupon_id == record.id)
            .map(|c| c.claimed_at)
            .collect();
        let counts =
            ClaimCounts::from_history(record.claimed, &mine, &shop_claims, now, shop.time_zone);
        // Without a channel, a coupon limited to channels is offered where it is allowed.
        let channel = channel
            .or_else(|| record.coupon.channels().first().copied())
            .unwrap_or(Channel::ShopPage);
        let verdict = check_claim(&ClaimAttempt {
            coupon: &record.coupon,
            status: record.status,
            customer: &facts,
            counts,
            channel,
            code: CodeCheck::Missing,
            source: ClaimSource::Claim,
            monthly_cap: shop.monthly_cap,
            now,
        });
        if verdict.is_ok() {
            claimable.push(record);
        }
    }
    Ok(claimable)
}

/// Ids of a coupon's claims still unused, ascending (tests and tools).
pub async fn unused_claims_of_coupon(
    db: &impl ConnectionTrait,
    coupon_id: i64,
) -> Result<Vec<i64>> {
    Ok(claim::Entity::find()
        .filter(claim::Column::CouponId.eq(coupon_id))
        .filter(claim::Column::State.eq(ClaimState::Unused.as_str()))
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect())
}

/// Marks up to `limit` unused claims past their validity as expired; returns
/// how many. Run until it returns 0.
pub async fn expire_batch(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<u64> {
    let backend = db.get_database_backend();
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let sql = format!(
        "UPDATE claims SET state = 'expired', expired_at = {p1} \
         WHERE state = 'unused' AND valid_until < {p1} AND id IN \
         (SELECT id FROM claims WHERE state = 'unused' AND valid_until < {p1} \
          ORDER BY valid_until LIMIT {p2}) {MOVED_RETURNING}"
    );
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), (limit as i64).into()],
        ))
        .await?;
    crate::rollups::claims_moved(db, &rows, crate::rollups::Moved::Expired).await?;
    Ok(rows.len() as u64)
}

/// What an UPDATE of claims changing state returns for the roll-ups.
pub(crate) const MOVED_RETURNING: &str = "RETURNING shop_id, coupon_id, channel, claimed_at";

/// A customer's claim and the name of its coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerClaim {
    pub claim: ClaimRecord,
    pub coupon_name: String,
    pub source: String,
}

/// A customer's latest claims, newest first.
pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    limit: u64,
) -> Result<Vec<CustomerClaim>> {
    use sea_orm::QuerySelect;
    let rows = claim::Entity::find()
        .filter(claim::Column::CustomerId.eq(customer_id))
        .order_by_desc(claim::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?;
    let names = crate::lists::coupon_names(db, rows.iter().map(|r| r.coupon_id)).await?;
    rows.iter()
        .map(|row| {
            Ok(CustomerClaim {
                claim: from_row(row)?,
                coupon_name: names.get(&row.coupon_id).cloned().unwrap_or_default(),
                source: row.source.clone(),
            })
        })
        .collect()
}
