//! The `follower_grants` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follower_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub coupon_id: i64,
    pub claim_id: Option<i64>,
    pub outcome: String,
    pub decided_at: DateTimeUtc,
    /// Where the customer followed (NULL on rows older than the column).
    pub channel: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
