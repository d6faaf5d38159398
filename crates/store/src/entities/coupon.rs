//! The `coupons` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub scope_type: String,
    pub scope_skus: String,
    pub benefit_type: String,
    pub threshold_fen: Option<i64>,
    pub amount_fen: Option<i64>,
    pub percent_bp: Option<i32>,
    pub min_quantity: Option<i32>,
    pub max_discount_fen: Option<i64>,
    pub tiers: Option<String>,
    pub validity_type: String,
    pub valid_from: Option<DateTimeUtc>,
    pub valid_until: Option<DateTimeUtc>,
    pub valid_days: Option<i32>,
    pub claim_from: DateTimeUtc,
    pub claim_until: DateTimeUtc,
    pub quantity: Option<i64>,
    pub per_customer_limit: Option<i32>,
    pub per_customer_daily_limit: Option<i32>,
    pub audience: String,
    pub channels: String,
    pub regions: String,
    pub follower_auto_grant: Option<bool>,
    pub repurchase_trigger: Option<String>,
    pub repurchase_days_after: Option<i32>,
    pub repurchase_only_purchased: Option<bool>,
    pub private_code: Option<String>,
    pub private_unique_codes: Option<i32>,
    pub member_join_gift: Option<bool>,
    pub reward_min_paid_fen: Option<i64>,
    pub reward_trigger: Option<String>,
    pub reward_members_only: Option<bool>,
    pub share_friends: Option<i32>,
    pub share_new_customers_only: Option<bool>,
    pub share_friend_coupon_id: Option<i64>,
    pub claimed_count: i64,
    /// What staff allow the coupon to cost, in fen (an alert past it).
    pub budget_fen: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
