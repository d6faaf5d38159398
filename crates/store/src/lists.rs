//! What every admin list shares: keyset paging on the id (`before`), newest
//! first — each page one index walk however large the shop — and the labels a
//! list shows instead of ids. The lists themselves live with their things
//! (`customers::list`, `orders::list`, `notifications::outbox`).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::{coupon, customer};
use crate::error::Result;

/// One page of a list: ids below `before`, at most `limit` rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub before: Option<i64>,
    pub limit: u64,
}

impl Page {
    /// 0 (the default) means 50; never more than 200.
    pub(crate) fn limit(&self) -> u64 {
        if self.limit == 0 {
            50
        } else {
            Ord::min(self.limit, 200)
        }
    }
}

pub(crate) fn trimmed(text: Option<&str>) -> Option<&str> {
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

/// How a list names a customer: by name, else by their phone's last digits,
/// with the storefront's id beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerName {
    pub external_id: String,
    pub name: Option<String>,
    pub phone_tail: Option<String>,
}

impl CustomerName {
    pub(crate) fn of(external_id: &str, name: Option<&str>, phone: Option<&str>) -> Self {
        CustomerName {
            external_id: external_id.to_owned(),
            name: name.map(str::to_owned),
            phone_tail: phone.and_then(domain::ids::phone_tail),
        }
    }
}

/// How lists name customers, by id.
pub(crate) async fn customer_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, CustomerName>> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::ExternalId)
        .column(customer::Column::Name)
        .column(customer::Column::Phone)
        .filter(customer::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, Option<String>, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, external, name, phone)| {
            (
                id,
                CustomerName::of(&external, name.as_deref(), phone.as_deref()),
            )
        })
        .collect())
}

/// Names of coupons, by id.
pub(crate) async fn coupon_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    labels::<coupon::Entity>(db, coupon::Column::Id, coupon::Column::Name, ids).await
}
