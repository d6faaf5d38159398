//! The `shops` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shops")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub reminder_lead_hours: String,
    pub quiet_start_minute: i32,
    pub quiet_end_minute: i32,
    pub monthly_cap: Option<i32>,
    pub profit_floor_bp: Option<i32>,
    pub notification_channel: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub created_at: DateTimeUtc,
    pub rollups_ready: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
