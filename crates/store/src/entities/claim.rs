//! The `claims` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub coupon_id: i64,
    pub customer_id: i64,
    pub channel: String,
    pub source: String,
    pub state: String,
    pub claimed_at: DateTimeUtc,
    pub valid_from: DateTimeUtc,
    pub valid_until: DateTimeUtc,
    pub code_id: Option<i64>,
    pub order_id: Option<i64>,
    pub used_at: Option<DateTimeUtc>,
    pub expired_at: Option<DateTimeUtc>,
    /// JSON list of SKUs when the claim discounts fewer products than its coupon.
    pub skus: Option<String>,
    /// The device the storefront said the claim came from (abuse alerts).
    pub device: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
