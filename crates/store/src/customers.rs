//! Customers of a shop, known by the storefront's external id and created on
//! first reference.

use chrono::{DateTime, Utc};
use domain::{CustomerFacts, Region, Tag};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::convert::{from_json, to_json};
use crate::entities::{customer, order};
use crate::error::{Result, StoreError};
use crate::lists::{Page, trimmed};

/// What the storefront tells us about a customer: each field given is set (an
/// inner `None` clears it), a field not given is left as it is (SPEC §7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerProfile {
    pub region: Option<Option<Region>>,
    pub tags: Option<Vec<Tag>>,
    pub phone: Option<Option<String>>,
    /// What the storefront calls them, checked by `domain::ids::customer_name`.
    pub name: Option<Option<String>>,
}

/// A customer's membership of the shop (SPEC §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub since: DateTime<Utc>,
    pub level: Option<String>,
}

/// A customer of a shop as the storefront described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    pub id: i64,
    pub shop_id: i64,
    /// The storefront's id.
    pub external_id: String,
    pub region: Option<Region>,
    pub tags: Vec<Tag>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub is_follower: bool,
    /// A current member: since when, and at which level (if the shop has levels).
    pub member: Option<Membership>,
    pub followed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl CustomerRecord {
    /// How the pages name this customer.
    pub fn called(&self) -> crate::lists::CustomerName {
        crate::lists::CustomerName::of(
            &self.external_id,
            self.name.as_deref(),
            self.phone.as_deref(),
        )
    }
}

pub(crate) fn from_row(row: customer::Model) -> Result<CustomerRecord> {
    let facts = facts_from(&row, 0)?;
    Ok(CustomerRecord {
        id: row.id,
        shop_id: row.shop_id,
        external_id: row.external_id,
        region: facts.region,
        tags: facts.tags,
        phone: row.phone,
        name: row.name,
        member: row
            .is_member
            .then(|| {
                row.member_since.map(|since| Membership {
                    since,
                    level: row.member_level.clone(),
                })
            })
            .flatten(),
        is_follower: row.is_follower,
        followed_at: row.followed_at,
        created_at: row.created_at,
    })
}

/// The customer, created if new, and locked for the rest of the transaction so
/// that one customer's claims and orders happen one after another.
pub(crate) async fn find_or_create_locked(
    db: &impl ConnectionTrait,
    shop_id: i64,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<customer::Model> {
    domain::ids::customer_ref(external_id)?;
    let locked = || {
        customer::Entity::find()
            .filter(customer::Column::ShopId.eq(shop_id))
            .filter(customer::Column::ExternalId.eq(external_id))
            .lock_exclusive()
    };
    if let Some(known) = locked().one(db).await? {
        return Ok(known);
    }
    customer::Entity::insert(customer::ActiveModel {
        shop_id: Set(shop_id),
        external_id: Set(external_id.to_owned()),
        region: Set(None),
        tags: Set("[]".into()),
        phone: Set(None),
        is_follower: Set(false),
        is_member: Set(false),
        member_level: Set(None),
        member_since: Set(None),
        followed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([customer::Column::ShopId, customer::Column::ExternalId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    locked()
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("customer"))
}

/// Creates or updates a customer's profile (SPEC §7 `PUT /customers/{id}`).
pub async fn upsert_customer(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    external_id: &str,
    profile: &CustomerProfile,
    now: DateTime<Utc>,
) -> Result<CustomerRecord> {
    crate::db::write(db, async |tx| {
        let row = find_or_create_locked(tx, shop_id, external_id, now).await?;
        let mut active: customer::ActiveModel = row.into();
        if let Some(region) = profile.region {
            active.region = Set(region.map(|r| r.to_string()));
        }
        if let Some(tags) = &profile.tags {
            active.tags = Set(to_json(tags));
        }
        if let Some(phone) = &profile.phone {
            active.phone = Set(phone.clone());
        }
        if let Some(name) = &profile.name {
            active.name = Set(name.clone());
        }
        active.updated_at = Set(now);
        from_row(active.update(tx).await?)
    })
    .await
}

pub async fn find_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    external_id: &str,
) -> Result<Option<CustomerRecord>> {
    customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop_id))
        .filter(customer::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Paid orders that were not cancelled: a customer with none is a new customer.
pub(crate) async fn paid_orders(db: &impl ConnectionTrait, customer_id: i64) -> Result<u32> {
    let n = order::Entity::find()
        .filter(order::Column::CustomerId.eq(customer_id))
        .filter(order::Column::PaidAt.is_not_null())
        .filter(order::Column::CancelledAt.is_null())
        .count(db)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// What the rules need to know of a customer, paid orders included.
pub(crate) async fn facts(
    db: &impl ConnectionTrait,
    customer: &CustomerRecord,
) -> Result<CustomerFacts> {
    Ok(CustomerFacts {
        paid_orders: paid_orders(db, customer.id).await?,
        is_follower: customer.is_follower,
        is_member: customer.member.is_some(),
        region: customer.region,
        tags: customer.tags.clone(),
    })
}

/// What the rules need to know of the customer in `row`, with its paid orders.
pub(crate) fn facts_from(row: &customer::Model, paid_orders: u32) -> Result<CustomerFacts> {
    Ok(CustomerFacts {
        paid_orders,
        is_follower: row.is_follower,
        is_member: row.is_member,
        region: row
            .region
            .as_deref()
            .map(|r| {
                r.parse()
                    .map_err(|_| StoreError::Corrupt(format!("customer {} region", row.id)))
            })
            .transpose()?,
        tags: from_json(&row.tags, "customers.tags")?,
    })
}

/// A shop's customers; `q` finds them by the storefront's id, phone number or
/// name (each exactly, each an index walk).
pub async fn list(
    db: &impl ConnectionTrait,
    shop_id: i64,
    q: Option<&str>,
    page: Page,
) -> Result<Vec<CustomerRecord>> {
    use sea_orm::{ExprTrait, QueryOrder, QuerySelect};
    let mut query = customer::Entity::find().filter(customer::Column::ShopId.eq(shop_id));
    if let Some(q) = trimmed(q) {
        query = query.filter(
            customer::Column::ExternalId
                .eq(q)
                .or(customer::Column::Phone.eq(q))
                .or(customer::Column::Name.eq(q)),
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

pub async fn get(
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
