//! Orders: recording one redeems its claims atomically; its events move it along
//! and, when it is cancelled before payment, hand its claims back.

use chrono::{DateTime, Utc};
use domain::Reason;
use domain::{HeldClaim, Money, OrderEvent, OrderStatus, Quote, QuoteLine, quote};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::claims::{self, ClaimRecord, ClaimState};
use crate::coupons::CouponRecord;
use crate::customers;
use crate::entities::{claim, discount_allocation, order, order_event, order_line};
use crate::error::{Conflict, Result, StoreError};
use crate::lists::{CustomerName, Page, coupon_names, customer_names, trimmed};

/// Which claims an order uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimChoice {
    /// The best combination of everything the customer holds (SPEC §4).
    Best,
    /// Exactly these claims (an empty list: no coupon at all).
    Exactly(Vec<i64>),
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub shop_id: i64,
    pub external_id: String,
    pub customer: String,
    pub lines: Vec<QuoteLine>,
    pub claims: ClaimChoice,
    pub platform_discount: Money,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub id: i64,
    pub external_id: String,
    pub quote: Quote,
}

/// How often an order is priced outside its transaction before it is priced inside:
/// only a customer's claims changing between the read and the write sends it round.
const PRICING_ATTEMPTS: usize = 3;

/// Records an order, prices it and marks its claims used. The price is worked out
/// before the write transaction and off the async workers (pricing takes up to a
/// few milliseconds, and SQLite has one writer); inside the transaction the claims
/// it was priced with are read again under the customer's lock and must be exactly
/// those still usable, or it is priced again. A claim is used by at most one order,
/// and a failed order writes nothing.
pub async fn place_order(db: &DatabaseConnection, new: &NewOrder) -> Result<PlacedOrder> {
    domain::ids::customer_ref(&new.external_id)
        .map_err(|_| StoreError::invalid("external_id", Reason::Token))?;
    for _ in 1..PRICING_ATTEMPTS {
        let priced = match customers::find_customer(db, new.shop_id, &new.customer).await? {
            Some(customer) => {
                let held = claims::unused_claims(db, new.shop_id, customer.id).await?;
                let candidates = candidates(db, new, customer.id, &held).await?;
                Some(price(new, candidates).await?)
            }
            None => None,
        };
        match crate::db::write(db, async |tx| place_in(tx, new, priced.as_ref()).await).await {
            Err(StoreError::Stale) => continue,
            placed => return placed,
        }
    }
    crate::db::write(db, async |tx| place_in(tx, new, None).await).await
}

/// The best price for a cart with every claim the customer holds that is valid
/// now (SPEC §7 `POST /quotes`): what placing the order would charge. Writes
/// nothing; an unknown customer holds nothing.
pub async fn quote_for(
    db: &DatabaseConnection,
    shop_id: i64,
    customer: &str,
    lines: Vec<QuoteLine>,
    platform_discount: Money,
    now: DateTime<Utc>,
) -> Result<Quote> {
    let new = NewOrder {
        shop_id,
        external_id: String::new(),
        customer: customer.to_owned(),
        lines,
        claims: ClaimChoice::Best,
        platform_discount,
        now,
    };
    let candidates = match customers::find_customer(db, shop_id, customer).await? {
        Some(found) => {
            let held = claims::unused_claims(db, shop_id, found.id).await?;
            candidates(db, &new, found.id, &held).await?
        }
        None => Vec::new(),
    };
    Ok(price(&new, candidates).await?.quote)
}

/// A quote with the claims it weighed.
pub struct Priced {
    pub quote: Quote,
    weighed: Vec<i64>,
}

/// Prices `lines` against `candidates` on the blocking pool.
async fn price(new: &NewOrder, candidates: Vec<HeldClaim>) -> Result<Priced> {
    let lines = new.lines.clone();
    let (platform, now) = (new.platform_discount, new.now);
    let mut weighed: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    weighed.sort_unstable();
    let quote =
        tokio::task::spawn_blocking(move || quote_priced(&lines, &candidates, platform, now))
            .await
            .map_err(|e| StoreError::Corrupt(format!("pricing stopped: {e}")))??;
    Ok(Priced { quote, weighed })
}

/// The engine, with its refusals in the store's words and an unproven optimum logged.
pub fn quote_priced(
    lines: &[QuoteLine],
    claims: &[HeldClaim],
    platform: Money,
    now: DateTime<Utc>,
) -> Result<Quote> {
    let quote =
        quote(lines, claims, platform, now).map_err(|e| StoreError::invalid(&e.field(), e))?;
    if !quote.proven {
        tracing::warn!(
            lines = lines.len(),
            claims = claims.len(),
            "quote search ran out of its budget; the best combination found was used"
        );
    }
    Ok(quote)
}

/// The claims an order may use: all the valid ones it holds, or exactly those named.
async fn candidates(
    db: &impl ConnectionTrait,
    new: &NewOrder,
    customer_id: i64,
    held: &[(ClaimRecord, CouponRecord)],
) -> Result<Vec<HeldClaim>> {
    Ok(match &new.claims {
        ClaimChoice::Best => held
            .iter()
            .map(|(c, coupon)| claims::as_held(c, coupon))
            .filter(|h| h.is_valid_at(new.now))
            .collect(),
        ClaimChoice::Exactly(ids) => {
            let mut chosen = Vec::with_capacity(ids.len());
            for id in ids {
                let Some((c, coupon)) = held.iter().find(|(c, _)| c.id == *id) else {
                    return Err(match claims::get_claim(db, new.shop_id, *id).await {
                        Ok(c) if c.customer_id == customer_id && c.state == ClaimState::Used => {
                            Conflict::ClaimUsed(*id).into()
                        }
                        Ok(c) if c.customer_id == customer_id => Conflict::ClaimExpired(*id).into(),
                        _ => StoreError::invalid("claim_ids", Reason::ClaimNotHeld(*id)),
                    });
                };
                let held = claims::as_held(c, coupon);
                if !held.is_valid_at(new.now) {
                    return Err(StoreError::invalid("claim_ids", Reason::ClaimNotValid(*id)));
                }
                if !chosen.iter().any(|h: &HeldClaim| h.id == *id) {
                    chosen.push(held);
                }
            }
            chosen
        }
    })
}

/// The write: `priced` is the quote worked out before it (if the customer existed
/// then), kept only if it weighed exactly the claims usable now; otherwise, after
/// [`PRICING_ATTEMPTS`] − 1 tries, the order is priced here.
async fn place_in(
    tx: &impl ConnectionTrait,
    new: &NewOrder,
    priced: Option<&Priced>,
) -> Result<PlacedOrder> {
    // The customer's lock makes this customer's orders and claims queue: a claim
    // read as unused below stays unused until this transaction ends.
    let customer =
        customers::find_or_create_locked(tx, new.shop_id, &new.customer, new.now).await?;
    let exists = order::Entity::find()
        .filter(order::Column::ShopId.eq(new.shop_id))
        .filter(order::Column::ExternalId.eq(&new.external_id))
        .one(tx)
        .await?;
    if exists.is_some() {
        return Err(Conflict::OrderExists(new.external_id.clone()).into());
    }

    let held = claims::unused_claims(tx, new.shop_id, customer.id).await?;
    let candidates = candidates(tx, new, customer.id, &held).await?;
    let mut usable: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    usable.sort_unstable();
    let priced = match priced {
        Some(priced) if priced.weighed == usable => priced.quote.clone(),
        // A new customer holds nothing: the empty quote is exact.
        None if usable.is_empty() => quote_priced(&new.lines, &[], new.platform_discount, new.now)?,
        Some(_) => return Err(StoreError::Stale),
        None => quote_priced(&new.lines, &candidates, new.platform_discount, new.now)?,
    };
    if let ClaimChoice::Exactly(ids) = &new.claims
        && let Some(unused) = ids.iter().find(|id| !priced.claims_used.contains(id))
    {
        return Err(StoreError::invalid(
            "claim_ids",
            Reason::ClaimAddsNothing(*unused),
        ));
    }

    let saved = order::ActiveModel {
        shop_id: Set(new.shop_id),
        external_id: Set(new.external_id.clone()),
        customer_id: Set(customer.id),
        status: Set(OrderStatus::Created.as_str().into()),
        subtotal_fen: Set(priced.subtotal.fen()),
        merchant_discount_fen: Set(priced.merchant_discount.fen()),
        platform_discount_fen: Set(priced.platform_discount.fen()),
        payable_fen: Set(priced.payable.fen()),
        created_at: Set(new.now),
        paid_at: Set(None),
        shipped_at: Set(None),
        delivered_at: Set(None),
        cancelled_at: Set(None),
        refunded_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await
    .map_err(|e| match e.sql_err() {
        // Another customer's order with this id committed since the check above.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            StoreError::from(Conflict::OrderExists(new.external_id.clone()))
        }
        _ => StoreError::from(e),
    })?;

    let coupon_of = |claim_id: i64| {
        held.iter()
            .find(|(c, _)| c.id == claim_id)
            .map(|(c, _)| c.coupon_id)
            .expect("used claims come from the held ones")
    };
    for (i, (line, quoted)) in new.lines.iter().zip(&priced.lines).enumerate() {
        let line_row = order_line::ActiveModel {
            order_id: Set(saved.id),
            line_no: Set(i as i32 + 1),
            sku: Set(line.sku.to_string()),
            unit_price_fen: Set(line.unit_price.fen()),
            activity_price_fen: Set(line.activity_price.map(Money::fen)),
            quantity: Set(line.quantity as i32),
            amount_fen: Set(quoted.amount.fen()),
            discount_fen: Set(quoted.discount.fen()),
            claim_id: Set(quoted.claim_id),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        if let Some(claim_id) = quoted.claim_id {
            discount_allocation::ActiveModel {
                order_id: Set(saved.id),
                order_line_id: Set(line_row.id),
                claim_id: Set(claim_id),
                coupon_id: Set(coupon_of(claim_id)),
                amount_fen: Set(quoted.discount.fen()),
                ..Default::default()
            }
            .insert(tx)
            .await?;
        }
    }

    if !priced.claims_used.is_empty() {
        let marked = claim::Entity::update_many()
            .col_expr(claim::Column::State, Expr::value(ClaimState::Used.as_str()))
            .col_expr(claim::Column::OrderId, Expr::value(Some(saved.id)))
            .col_expr(claim::Column::UsedAt, Expr::value(Some(new.now)))
            .filter(claim::Column::Id.is_in(priced.claims_used.clone()))
            .filter(claim::Column::State.eq(ClaimState::Unused.as_str()))
            .exec(tx)
            .await?;
        if marked.rows_affected != priced.claims_used.len() as u64 {
            // Only reachable if the customer lock were bypassed; nothing is kept.
            return Err(Conflict::ClaimTaken.into());
        }
        // The roll-ups: no longer in the customer's hands.
        let tz = crate::shops::get_shop(tx, new.shop_id).await?.time_zone;
        let mut changes = crate::rollups::Changes::default();
        for (claim, _) in held
            .iter()
            .filter(|(c, _)| priced.claims_used.contains(&c.id))
        {
            changes.moved(
                new.shop_id,
                claim.coupon_id,
                crate::rollups::day_of(claim.claimed_at, tz),
                claim.channel.as_str(),
                crate::rollups::Moved::Used,
            );
        }
        changes.write(tx).await?;
    }
    Ok(PlacedOrder {
        id: saved.id,
        external_id: saved.external_id,
        quote: priced,
    })
}

/// Records an order event at `at`. The same event again changes nothing (retries
/// are harmless); an event that cannot follow the order's state is a conflict.
/// Cancelling before payment returns the order's claims: unused while still
/// valid, expired otherwise.
pub async fn record_event(
    db: &DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    event: OrderEvent,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<OrderRecord> {
    crate::db::write(db, async |tx| {
        let row = order::Entity::find()
            .filter(order::Column::ShopId.eq(shop_id))
            .filter(order::Column::ExternalId.eq(external_id))
            .lock_exclusive()
            .one(tx)
            .await?
            .ok_or(StoreError::NotFound("order"))?;
        let inserted = order_event::Entity::insert(order_event::ActiveModel {
            order_id: Set(row.id),
            event_type: Set(event.as_str().into()),
            occurred_at: Set(at),
            recorded_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([order_event::Column::OrderId, order_event::Column::EventType])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
        if inserted == 0 {
            return order_from_row(row);
        }
        let status: OrderStatus = row
            .status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("order status {}", row.status)))?;
        let next = status.after(event).map_err(Conflict::from)?;
        let order_id = row.id;
        let mut active: order::ActiveModel = row.into();
        active.status = Set(next.as_str().into());
        match event {
            OrderEvent::Paid => active.paid_at = Set(Some(at)),
            OrderEvent::Shipped => active.shipped_at = Set(Some(at)),
            OrderEvent::Delivered => active.delivered_at = Set(Some(at)),
            OrderEvent::Cancelled => active.cancelled_at = Set(Some(at)),
            OrderEvent::Refunded => active.refunded_at = Set(Some(at)),
        }
        let saved = active.update(tx).await?;
        // The roll-ups: a paid order starts counting, a paid one cancelled or
        // refunded stops.
        match event {
            OrderEvent::Paid => crate::rollups::order_counted(tx, &saved, 1).await?,
            OrderEvent::Cancelled | OrderEvent::Refunded if status != OrderStatus::Created => {
                crate::rollups::order_counted(tx, &saved, -1).await?
            }
            _ => {}
        }
        if event == OrderEvent::Cancelled && status.returns_claims_on_cancel() {
            return_claims(tx, order_id, now).await?;
        }
        // Rewards (满返) earned or withdrawn with the event, in its transaction.
        crate::rewards::on_event(tx, &saved, event, now).await?;
        order_from_row(saved)
    })
    .await
}

async fn return_claims(db: &impl ConnectionTrait, order_id: i64, now: DateTime<Utc>) -> Result<()> {
    let backend = db.get_database_backend();
    let p = |n| crate::db::placeholder(backend, n);
    // Still valid: back in the customer's hands; the rest expired. Each as the
    // roll-ups count it.
    for (set, valid, moved) in [
        ("state = 'unused'", ">", crate::rollups::Moved::Returned),
        (
            "state = 'expired', expired_at = {now}",
            "<=",
            crate::rollups::Moved::ReturnedExpired,
        ),
    ] {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE claims SET {}, order_id = NULL, used_at = NULL \
                     WHERE order_id = {} AND state = 'used' AND valid_until {valid} {} {}",
                    set.replace("{now}", &p(1)),
                    p(2),
                    p(1),
                    claims::MOVED_RETURNING
                ),
                [now.into(), order_id.into()],
            ))
            .await?;
        crate::rollups::claims_moved(db, &rows, moved).await?;
    }
    Ok(())
}

/// An order as stored: its status, its money and when each event happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: i64,
    pub shop_id: i64,
    pub external_id: String,
    pub customer_id: i64,
    pub status: OrderStatus,
    pub subtotal: Money,
    /// What the shop's coupons took off.
    pub merchant_discount: Money,
    pub platform_discount: Money,
    pub payable: Money,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
}

pub(crate) fn order_from_row(row: order::Model) -> Result<OrderRecord> {
    use crate::convert::{money, word};
    Ok(OrderRecord {
        status: word(&row.status, "orders.status")?,
        subtotal: money(row.subtotal_fen, "orders.subtotal_fen")?,
        merchant_discount: money(row.merchant_discount_fen, "orders.merchant_discount_fen")?,
        platform_discount: money(row.platform_discount_fen, "orders.platform_discount_fen")?,
        payable: money(row.payable_fen, "orders.payable_fen")?,
        id: row.id,
        shop_id: row.shop_id,
        external_id: row.external_id,
        customer_id: row.customer_id,
        created_at: row.created_at,
        paid_at: row.paid_at,
        shipped_at: row.shipped_at,
        delivered_at: row.delivered_at,
        cancelled_at: row.cancelled_at,
        refunded_at: row.refunded_at,
    })
}

/// One line of an order as priced and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRecord {
    pub id: i64,
    pub line_no: u32,
    pub sku: domain::Sku,
    pub unit_price: Money,
    pub activity_price: Option<Money>,
    pub quantity: u32,
    pub amount: Money,
    pub discount: Money,
    pub claim_id: Option<i64>,
}

fn line_from_row(row: order_line::Model) -> Result<OrderLineRecord> {
    use crate::convert::{money, money_opt, word};
    Ok(OrderLineRecord {
        id: row.id,
        line_no: crate::convert::count(i64::from(row.line_no)),
        sku: word(&row.sku, "order_lines.sku")?,
        unit_price: money(row.unit_price_fen, "order_lines.unit_price_fen")?,
        activity_price: money_opt(row.activity_price_fen, "order_lines.activity_price_fen")?,
        quantity: crate::convert::count(i64::from(row.quantity)),
        amount: money(row.amount_fen, "order_lines.amount_fen")?,
        discount: money(row.discount_fen, "order_lines.discount_fen")?,
        claim_id: row.claim_id,
    })
}

/// An event an order went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventRecord {
    pub event: OrderEvent,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

pub(crate) fn event_from_row(row: order_event::Model) -> Result<OrderEventRecord> {
    Ok(OrderEventRecord {
        event: crate::convert::word(&row.event_type, "order_events.event_type")?,
        occurred_at: row.occurred_at,
        recorded_at: row.recorded_at,
    })
}

pub async fn find_order(
    db: &impl ConnectionTrait,
    shop_id: i64,
    external_id: &str,
) -> Result<OrderRecord> {
    order_from_row(
        order::Entity::find()
            .filter(order::Column::ShopId.eq(shop_id))
            .filter(order::Column::ExternalId.eq(external_id))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("order"))?,
    )
}

pub async fn order_lines(db: &impl ConnectionTrait, order_id: i64) -> Result<Vec<OrderLineRecord>> {
    order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::LineNo)
        .limit(1000)
        .all(db)
        .await?
        .into_iter()
        .map(line_from_row)
        .collect()
}

/// A customer's latest orders, newest first.
pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    limit: u64,
) -> Result<Vec<OrderRecord>> {
    order::Entity::find()
        .filter(order::Column::CustomerId.eq(customer_id))
        .order_by_desc(order::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?
        .into_iter()
        .map(order_from_row)
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    /// The storefront's order id, exactly.
    pub external_id: Option<String>,
    pub page: Page,
}

/// A shop's orders with their customer's name.
pub async fn list(
    db: &impl ConnectionTrait,
    shop_id: i64,
    filter: &OrderFilter,
) -> Result<Vec<(OrderRecord, CustomerName)>> {
    let mut query = order::Entity::find().filter(order::Column::ShopId.eq(shop_id));
    if let Some(status) = trimmed(filter.status.as_deref()) {
        query = query.filter(order::Column::Status.eq(status));
    }
    if let Some(id) = trimmed(filter.external_id.as_deref()) {
        query = query.filter(order::Column::ExternalId.eq(id));
    }
    if let Some(before) = filter.page.before {
        query = query.filter(order::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(order::Column::Id)
        .limit(filter.page.limit())
        .all(db)
        .await?;
    let customers = customer_names(db, rows.iter().map(|o| o.customer_id)).await?;
    rows.into_iter()
        .map(|o| {
            let customer = customers.get(&o.customer_id).cloned().unwrap_or_default();
            Ok((order_from_row(o)?, customer))
        })
        .collect()
}

/// The discount one claim gave on one order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub line_id: i64,
    pub claim_id: i64,
    pub coupon_id: i64,
    pub coupon_name: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetail {
    pub order: OrderRecord,
    pub customer: CustomerName,
    pub lines: Vec<OrderLineRecord>,
    pub allocations: Vec<Allocation>,
    pub events: Vec<OrderEventRecord>,
}

pub async fn detail(db: &impl ConnectionTrait, shop_id: i64, order_id: i64) -> Result<OrderDetail> {
    let order = order::Entity::find_by_id(order_id)
        .filter(order::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("order"))?;
    let lines = crate::orders::order_lines(db, order.id).await?;
    let allocations = discount_allocation::Entity::find()
        .filter(discount_allocation::Column::OrderId.eq(order.id))
        .order_by_asc(discount_allocation::Column::Id)
        .all(db)
        .await?;
    let names = coupon_names(db, allocations.iter().map(|a| a.coupon_id)).await?;
    let events = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order.id))
        .order_by_asc(order_event::Column::OccurredAt)
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(event_from_row)
        .collect::<Result<Vec<_>>>()?;
    let customer = customer_names(db, std::iter::once(order.customer_id))
        .await?
        .remove(&order.customer_id)
        .unwrap_or_default();
    Ok(OrderDetail {
        allocations: allocations
            .into_iter()
            .map(|a| {
                Ok(Allocation {
                    line_id: a.order_line_id,
                    claim_id: a.claim_id,
                    coupon_id: a.coupon_id,
                    coupon_name: names.get(&a.coupon_id).cloned().unwrap_or_default(),
                    amount: crate::convert::money(a.amount_fen, "discount_allocations.amount_fen")?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        order: order_from_row(order)?,
        customer,
        lines,
        events,
    })
}
