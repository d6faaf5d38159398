//! Claiming (SPEC §3), atomically: the rules are checked inside the transaction
//! that writes the claim, after locking the customer and then the coupon (on
//! PostgreSQL; on SQLite the write transaction is `BEGIN IMMEDIATE`). Concurrent
//! claims of one coupon therefore queue on its row for a few statements, and can
//! never oversell or exceed a limit. The lock order — customer, then coupon — is
//! the same everywhere, so claims and orders cannot deadlock.

use chrono::{DateTime, Utc};
use domain::{
    Channel, ClaimAttempt, ClaimCounts, CodeCheck, CouponKind, HeldClaim, Refusal, Sku, check_claim,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set, Statement,
};

use crate::codes;
use crate::convert::count;
use crate::coupons::{self, CouponRecord};
use crate::customers;
use crate::db::write;
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
    pub now: DateTime<Utc>,
}

/// Claims a coupon for a customer, or refuses with exactly one reason
/// (`StoreError::Refused`) and writes nothing.
pub async fn claim(db: &DatabaseConnection, request: &ClaimRequest) -> Result<ClaimRecord> {
    // Read before the write transaction: settings change rarely, and under WAL
    // this read does not wait for the writer's turn.
    let shop = shops::get_shop(db, request.shop_id).await?;
    // A refusal rolls back too: not even a new customer row is kept.
    let row = write(db, async |tx| {
        let customer =
            customers::find_or_create_locked(tx, shop.id, &request.customer, request.now).await?;
        let claimed = claim_in(
            tx,
            &shop,
            &customer,
            Ask {
                target: &request.target,
                channel: request.channel,
                source: request.source,
                skus: None,
            },
            request.now,
        )
        .await?;
        claimed.map_err(StoreError::Refused)
    })
    .await?;
    from_row(&row)
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
    let shop = shops::get_shop(tx, shop_id).await?;
    let customer = customers::find_or_create_locked(tx, shop_id, customer_external_id, now).await?;
    let claimed = claim_in(
        tx,
        &shop,
        &customer,
        Ask {
            target: &ClaimTarget::Coupon(coupon_id),
            channel: Channel::CustomerService,
            source: ClaimSource::Manual,
            skus: None,
        },
        now,
    )
    .await?
    .map_err(StoreError::Refused)?;
    from_row(&claimed)
}

/// What one claim or grant asks for.
pub(crate) struct Ask<'a> {
    pub target: &'a ClaimTarget,
    pub channel: Channel,
    pub source: ClaimSource,
    /// Fewer products than the coupon's, for a narrowed grant.
    pub skus: Option<&'a [Sku]>,
}

/// The claim itself, inside the caller's write transaction with the customer
/// already locked. A refusal is returned as a value, having written nothing,
/// so that grants can record it and go on.
pub(crate) async fn claim_in(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    customer: &customer::Model,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<claim::Model, Refusal>> {
    let Ask {
        target,
        channel,
        source,
        skus,
    } = ask;
    let (coupon_id, code) = match target {
        ClaimTarget::Coupon(id) => (*id, None),
        ClaimTarget::Code(typed) => match codes::find_code(db, shop.id, typed).await? {
            Some(code) => (code.coupon_id, Some(code)),
            None => return Ok(Err(Refusal::InvalidCode)),
        },
    };
    let (row, counts) = count_claim_locked(db, shop, coupon_id, customer.id, now).await?;
    let record = coupons::from_row(row)?;
    let code_check = match &code {
        None => CodeCheck::Missing,
        Some(code) if code.one_time && code.used_at.is_some() => CodeCheck::Used,
        Some(_) => CodeCheck::Valid,
    };

    let facts = customers::facts(db, customer, record.coupon.audience()).await?;
    let verdict = check_claim(&ClaimAttempt {
        coupon: &record.coupon,
        status: record.status,
        customer: &facts,
        counts,
        channel,
        code: code_check,
        source,
        monthly_cap: shop.monthly_cap,
        now,
    });
    let verdict = match verdict {
        Ok(()) => match &code {
            Some(code) if code.one_time && !codes::use_code(db, code.id, now).await? => {
                Err(Refusal::CodeUsed)
            }
            _ => Ok(()),
        },
        refused => refused,
    };
    if let Err(refusal) = verdict {
        // Callers may go on in this transaction (grants record refusals): take
        // back the count so that a refusal leaves nothing behind.
        coupons::uncount_claim(db, coupon_id).await?;
        return Ok(Err(refusal));
    }
    debug_assert!(code.is_none() || record.coupon.kind() == CouponKind::Private);

    let (valid_from, valid_until) = record.coupon.claim_validity(now);
    let saved = claim::ActiveModel {
        shop_id: Set(shop.id),
        coupon_id: Set(coupon_id),
        customer_id: Set(customer.id),
        channel: Set(channel.as_str().to_owned()),
        source: Set(source.as_str().to_owned()),
        state: Set(ClaimState::Unused.as_str().to_owned()),
        claimed_at: Set(now),
        valid_from: Set(valid_from),
        valid_until: Set(valid_until),
        code_id: Set(code.as_ref().map(|c| c.id)),
        order_id: Set(None),
        used_at: Set(None),
        expired_at: Set(None),
        skus: Set(skus.map(|skus| crate::convert::to_json(&skus))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Ok(saved))
}

/// Counts one more claim of the coupon, locking its row, and reads in the same
/// statement what the limits count: the coupon's claims before this one, and the
/// customer's claims of it (ever, today) and of the shop this month. One round
/// trip on the hot path. The customer's row is already locked, so no other claim
/// of theirs is in flight and the counts are current on PostgreSQL too. A refused
/// claim takes the count back ([`coupons::uncount_claim`]).
async fn count_claim_locked(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    coupon_id: i64,
    customer_id: i64,
    now: DateTime<Utc>,
) -> Result<(coupon::Model, ClaimCounts)> {
    let (day, month) = ClaimCounts::windows(now, shop.time_zone);
    let backend = db.get_database_backend();
    let p = |n: usize| crate::db::placeholder(backend, n);
    let mine = format!("claims.customer_id = {}", p(3));
    let sql = format!(
        "UPDATE coupons SET claimed_count = claimed_count + 1 WHERE id = {id} AND shop_id = {shop} \
         RETURNING *, \
         (SELECT COUNT(*) FROM claims WHERE claims.coupon_id = {id} AND {mine}) AS mine_ever, \
         (SELECT COUNT(*) FROM claims WHERE claims.coupon_id = {id} AND {mine} \
            AND claims.claimed_at >= {d0} AND claims.claimed_at < {d1}) AS mine_today, \
         (SELECT COUNT(*) FROM claims WHERE claims.shop_id = {shop} AND {mine} \
            AND claims.claimed_at >= {m0} AND claims.claimed_at < {m1}) AS mine_month",
        id = p(1),
        shop = p(2),
        d0 = p(4),
        d1 = p(5),
        m0 = p(6),
        m1 = p(7),
    );
    let values: Vec<sea_orm::Value> = vec![
        coupon_id.into(),
        shop.id.into(),
        customer_id.into(),
        day.start.into(),
        day.end.into(),
        month.start.into(),
        month.end.into(),
    ];
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or(StoreError::NotFound("coupon"))?;
    let mut coupon = coupon::Model::from_query_result(&row, "")?;
    coupon.claimed_count -= 1;
    let tally = |column: &str| -> Result<u32> { Ok(count(row.try_get::<i64>("", column)?)) };
    let counts = ClaimCounts {
        coupon_total: u64::try_from(coupon.claimed_count).unwrap_or(0),
        by_customer: tally("mine_ever")?,
        by_customer_today: tally("mine_today")?,
        shop_by_customer_this_month: tally("mine_month")?,
    };
    Ok((coupon, counts))
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
        Some(c) => customers::facts(db, c, &domain::Audience::NewCustomers).await?,
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
