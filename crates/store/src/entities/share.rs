//! The `shares` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub coupon_id: i64,
    pub sharer_id: i64,
    pub code: String,
    pub joined: i32,
    pub new_customers: i32,
    pub completed_at: Option<DateTimeUtc>,
    pub claim_id: Option<i64>,
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
