//! The `customers` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub external_id: String,
    pub region: Option<String>,
    pub tags: String,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub is_follower: bool,
    pub followed_at: Option<DateTimeUtc>,
    pub is_member: bool,
    pub member_level: Option<String>,
    pub member_since: Option<DateTimeUtc>,
    pub last_claimed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
