//! The shop's catalog, synced from the storefront by SKU.

use chrono::{DateTime, Utc};
use domain::{Money, Sku};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::convert::money;
use crate::entities::product;
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: i64,
    pub sku: Sku,
    pub name: String,
    pub price: Money,
    pub updated_at: DateTime<Utc>,
}

fn from_row(row: product::Model) -> Result<ProductRecord> {
    Ok(ProductRecord {
        id: row.id,
        sku: Sku::parse(&row.sku).map_err(|e| StoreError::Corrupt(format!("products.sku: {e}")))?,
        price: money(row.price_fen, "products.price_fen")?,
        name: row.name,
        updated_at: row.updated_at,
    })
}

/// Creates the product or updates its name and price; `true` when it was new.
pub async fn upsert_product(
    db: &impl ConnectionTrait,
    shop_id: i64,
    sku: &Sku,
    name: &str,
    price: Money,
    now: DateTime<Utc>,
) -> Result<(ProductRecord, bool)> {
    let existed = find_product(db, shop_id, sku).await?.is_some();
    upsert_rows(db, vec![product_row(shop_id, sku, name, price, now)?]).await?;
    let saved = find_product(db, shop_id, sku)
        .await?
        .ok_or(StoreError::NotFound("product"))?;
    Ok((saved, !existed))
}

/// A product row as stored, its name checked.
fn product_row(
    shop_id: i64,
    sku: &Sku,
    name: &str,
    price: Money,
    now: DateTime<Utc>,
) -> Result<product::ActiveModel> {
    Ok(product::ActiveModel {
        shop_id: Set(shop_id),
        sku: Set(sku.to_string()),
        name: Set(domain::ids::product_name(name)?),
        price_fen: Set(price.fen()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
}

/// Creates the products or updates their name and price, in one statement.
async fn upsert_rows(db: &impl ConnectionTrait, rows: Vec<product::ActiveModel>) -> Result<()> {
    product::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([product::Column::ShopId, product::Column::Sku])
                .update_columns([
                    product::Column::Name,
                    product::Column::PriceFen,
                    product::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Products per write transaction of an import: a chunk commits in a few
/// milliseconds, so claims queued behind an import of 300,000 lines never
/// wait longer.
pub const IMPORT_CHUNK: usize = 200;

/// Creates or updates every product (already checked), [`IMPORT_CHUNK`] per
/// transaction, each chunk one multi-row upsert. Returns how many were written.
pub async fn import(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    rows: &[(Sku, String, Money)],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut written = 0;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        // One statement per chunk; a SKU twice in a chunk keeps its last line.
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::with_capacity(chunk.len());
        for (sku, name, price) in chunk.iter().rev() {
            if seen.insert(sku) {
                rows.push(product_row(shop_id, sku, name, *price, now)?);
            }
        }
        crate::db::paced(crate::db::write(db, async |tx| {
            upsert_rows(tx, rows.clone()).await
        }))
        .await?;
        written += chunk.len() as u64;
    }
    Ok(written)
}

/// The names of the shop's products with these SKUs (one query; a SKU the
/// catalogue no longer has is simply missing).
pub async fn names(
    db: &impl ConnectionTrait,
    shop_id: i64,
    skus: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashMap<String, String>> {
    let skus: Vec<String> = skus.into_iter().collect();
    if skus.is_empty() {
        return Ok(Default::default());
    }
    Ok(product::Entity::find()
        .filter(product::Column::ShopId.eq(shop_id))
        .filter(product::Column::Sku.is_in(skus))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.sku, p.name))
        .collect())
}

pub async fn find_product(
    db: &impl ConnectionTrait,
    shop_id: i64,
    sku: &Sku,
) -> Result<Option<ProductRecord>> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop_id))
        .filter(product::Column::Sku.eq(sku.as_str()))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Products in SKU order after `after` (a keyset cursor), at most `limit`.
/// Products whose SKU starts with, or whose name contains, `text`, by SKU: at
/// most `limit` (≤ 50), for the coupon form's product picker.
pub async fn search(
    db: &impl ConnectionTrait,
    shop_id: i64,
    text: &str,
    limit: u64,
) -> Result<Vec<ProductRecord>> {
    use sea_orm::Condition;
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let text: String = text.trim().chars().take(64).collect();
    // LIKE's own characters match themselves.
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut query = product::Entity::find().filter(product::Column::ShopId.eq(shop_id));
    if !text.is_empty() {
        query = query.filter(
            Condition::any()
                .add(ExprTrait::like(
                    Expr::col(product::Column::Sku),
                    LikeExpr::new(format!("{escaped}%")).escape('\\'),
                ))
                // SKUs are usually upper case; LIKE is case-sensitive on PostgreSQL.
                .add(ExprTrait::like(
                    Expr::col(product::Column::Sku),
                    LikeExpr::new(format!("{}%", escaped.to_uppercase())).escape('\\'),
                ))
                .add(ExprTrait::like(
                    Expr::col(product::Column::Name),
                    LikeExpr::new(format!("%{escaped}%")).escape('\\'),
                )),
        );
    }
    query
        .order_by_asc(product::Column::Sku)
        .limit(limit.clamp(1, 50))
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

pub async fn list_products(
    db: &impl ConnectionTrait,
    shop_id: i64,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<ProductRecord>> {
    let mut query = product::Entity::find().filter(product::Column::ShopId.eq(shop_id));
    if let Some(after) = after {
        query = query.filter(product::Column::Sku.gt(after));
    }
    query
        .order_by_asc(product::Column::Sku)
        .limit(limit.clamp(1, 500))
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}
