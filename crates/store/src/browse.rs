//! What the admin pages list and show: customers, orders and the notification
//! outbox, newest first and keyset-paged on the id (`before`), each page one
//! index walk however large the shop.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::claims::{self, ClaimRecord};
use crate::customers::CustomerRecord;
use crate::entities::{
    claim, coupon, customer, discount_allocation, notification, order, order_event,
};
use crate::error::{Result, StoreError};
use crate::orders::{
    OrderEventRecord, OrderLineRecord, OrderRecord, event_from_row, order_from_row,
};
use domain::Money;

/// One page of a list: ids below `before`, at most `limit` rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub before: Option<i64>,
    pub limit: u64,
}

impl Page {
    /// 0 (the default) means 50; never more than 200.
    fn limit(&self) -> u64 {
        if self.limit == 0 {
            50
        } else {
            Ord::min(self.limit, 200)
        }
    }
}

fn trimmed(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// One text column of rows of `E`, by id: what lists show instead of ids.
async fn labels<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    label: E::Column,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(E::find()
        .select_only()
        .column(id)
        .column(label)
        .filter(id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// External ids of customers, by id.
async fn customer_ids(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    labels::<customer::Entity>(db, customer::Column::Id, customer::Column::ExternalId, ids).await
}

/// Names of coupons, by id.
async fn coupon_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    labels::<coupon::Entity>(db, coupon::Column::Id, coupon::Column::Name, ids).await
}

/// A shop's customers; `q` finds one by the storefront's id or phone number.
pub async fn customers(
    db: &impl ConnectionTrait,
    shop_id: i64,
    q: Option<&str>,
    page: Page,
) -> Result<Vec<CustomerRecord>> {
    let mut query = customer::Entity::find().filter(customer::Column::ShopId.eq(shop_id));
    if let Some(q) = trimmed(q) {
        query = query.filter(
            customer::Column::ExternalId
                .eq(q)
                .or(customer::Column::Phone.eq(q)),
        );
    }
    if let Some(before) = page.before {
        query = query.filter(customer::Column::Id.lt(before));
    }
    query
        .order_by_desc(customer::Column::Id)
        .limit(page.limit())
        .all(db)
        .await?
        .into_iter()
        .map(crate::customers::from_row)
        .collect()
}

pub async fn customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: i64,
) -> Result<CustomerRecord> {
    crate::customers::from_row(
        customer::Entity::find_by_id(customer_id)
            .filter(customer::Column::ShopId.eq(shop_id))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("customer"))?,
    )
}

/// A customer's claim and the name of its coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldClaim {
    pub claim: ClaimRecord,
    pub coupon_name: String,
    pub source: String,
}

/// A customer's latest claims, newest first.
pub async fn customer_claims(
    db: &impl ConnectionTrait,
    customer_id: i64,
    limit: u64,
) -> Result<Vec<HeldClaim>> {
    let rows = claim::Entity::find()
        .filter(claim::Column::CustomerId.eq(customer_id))
        .order_by_desc(claim::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?;
    let names = coupon_names(db, rows.iter().map(|r| r.coupon_id)).await?;
    rows.iter()
        .map(|row| {
            Ok(HeldClaim {
                claim: claims::from_row(row)?,
                coupon_name: names.get(&row.coupon_id).cloned().unwrap_or_default(),
                source: row.source.clone(),
            })
        })
        .collect()
}

/// A customer's latest orders, newest first.
pub async fn customer_orders(
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

/// A shop's orders with their customer's external id.
pub async fn orders(
    db: &impl ConnectionTrait,
    shop_id: i64,
    filter: &OrderFilter,
) -> Result<Vec<(OrderRecord, String)>> {
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
    let customers = customer_ids(db, rows.iter().map(|o| o.customer_id)).await?;
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
    pub customer_external_id: String,
    pub lines: Vec<OrderLineRecord>,
    pub allocations: Vec<Allocation>,
    pub events: Vec<OrderEventRecord>,
}

pub async fn order_detail(
    db: &impl ConnectionTrait,
    shop_id: i64,
    order_id: i64,
) -> Result<OrderDetail> {
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
    let customer_external_id = customer_ids(db, std::iter::once(order.customer_id))
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
        customer_external_id,
        lines,
        events,
    })
}

/// The outbox, optionally one status only, with each customer's external id.
pub async fn notifications(
    db: &impl ConnectionTrait,
    shop_id: i64,
    status: Option<&str>,
    page: Page,
) -> Result<Vec<(crate::notifications::NotificationRecord, String)>> {
    let mut query = notification::Entity::find().filter(notification::Column::ShopId.eq(shop_id));
    if let Some(status) = trimmed(status) {
        query = query.filter(notification::Column::Status.eq(status));
    }
    if let Some(before) = page.before {
        query = query.filter(notification::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(notification::Column::Id)
        .limit(page.limit())
        .all(db)
        .await?;
    let customers = customer_ids(db, rows.iter().map(|n| n.customer_id)).await?;
    Ok(rows
        .into_iter()
        .map(|n| {
            let customer = customers.get(&n.customer_id).cloned().unwrap_or_default();
            (crate::notifications::from_row(n), customer)
        })
        .collect())
}
