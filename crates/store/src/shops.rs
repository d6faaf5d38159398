//! Shops and their settings.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::Reason;
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use domain::shop::ShopSettings;

use crate::entities::shop;
use crate::error::{Conflict, Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: Tz,
    /// Hours before expiry at which holders are reminded, largest first.
    pub reminder_lead_hours: Vec<u32>,
    /// Quiet hours in local minutes of the day: [start, end), wrapping midnight.
    pub quiet_start_minute: u32,
    pub quiet_end_minute: u32,
    /// Claims per customer per local month across the shop; `None` = no cap.
    pub monthly_cap: Option<u32>,
    /// Minimum margin after coupons, in percent.
    pub profit_floor: Option<Decimal>,
}

pub(crate) fn from_row(row: shop::Model) -> Result<ShopRecord> {
    Ok(ShopRecord {
        id: row.id,
        time_zone: row
            .time_zone
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("shop {} time zone", row.id)))?,
        reminder_lead_hours: domain::shop::parse_lead_hours(&row.reminder_lead_hours)
            .map_err(|reason| StoreError::Corrupt(reason.to_string()))?,
        quiet_start_minute: row.quiet_start_minute.max(0) as u32,
        quiet_end_minute: row.quiet_end_minute.max(0) as u32,
        monthly_cap: row.monthly_cap.map(|c| c.max(0) as u32),
        profit_floor: row.profit_floor_bp.map(|bp| Decimal::new(i64::from(bp), 2)),
        slug: row.slug,
        name: row.name,
    })
}

/// Creates a shop with the default settings (24 h reminders, quiet 22:00–08:00,
/// monthly cap 5 as the seeds advise).
pub async fn create_shop(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
    time_zone: Tz,
    now: DateTime<Utc>,
) -> Result<ShopRecord> {
    domain::ids::shop_slug(slug)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", Reason::Characters(1, 100)));
    }
    let inserted = shop::Entity::insert(shop::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        time_zone: Set(time_zone.name().to_owned()),
        reminder_lead_hours: Set("24".into()),
        quiet_start_minute: Set(22 * 60),
        quiet_end_minute: Set(8 * 60),
        monthly_cap: Set(Some(5)),
        profit_floor_bp: Set(None),
        notification_channel: Set("log".into()),
        webhook_url: Set(None),
        webhook_secret: Set(None),
        created_at: Set(now),
        // Nothing to roll up yet: the writes keep them from here.
        rollups_ready: Set(true),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(shop::Column::Slug)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Err(Conflict::ShopExists(slug.to_owned()).into());
    }
    shop_by_slug(db, slug).await
}

pub async fn shop_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<ShopRecord> {
    let row = shop::Entity::find()
        .filter(shop::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    from_row(row)
}

pub async fn get_shop(db: &impl ConnectionTrait, shop_id: i64) -> Result<ShopRecord> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    from_row(row)
}

/// Whether the database holds any shop yet (first run loads the demo when not).
pub async fn has_shops(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(shop::Entity::find().count(db).await? > 0)
}

/// Sets the shop's monthly cap of claims per customer (`None` = no cap).
pub async fn set_monthly_cap(
    db: &impl ConnectionTrait,
    shop_id: i64,
    cap: Option<u32>,
) -> Result<()> {
    shop::Entity::update_many()
        .col_expr(
            shop::Column::MonthlyCap,
            sea_orm::sea_query::Expr::value(cap.map(|c| c as i32)),
        )
        .filter(shop::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Saves the shop's settings. A new time zone moves every local day, so the
/// daily roll-ups are rebuilt: call it inside a write transaction
/// ([`crate::db::write`]), as the settings page does, so both land together.
pub async fn update_settings(
    db: &impl ConnectionTrait,
    shop_id: i64,
    settings: &ShopSettings,
) -> Result<ShopRecord> {
    use rust_decimal::prelude::ToPrimitive;
    use sea_orm::ActiveModelTrait;
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let zone_changed = row.time_zone != settings.time_zone.name();
    let mut active: shop::ActiveModel = row.into();
    active.time_zone = Set(settings.time_zone.name().to_owned());
    active.reminder_lead_hours = Set(settings
        .reminder_lead_hours
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(","));
    active.quiet_start_minute = Set(settings.quiet_start_minute as i32);
    active.quiet_end_minute = Set(settings.quiet_end_minute as i32);
    active.monthly_cap = Set(settings.monthly_cap.map(|c| c as i32));
    active.profit_floor_bp = Set(settings
        .profit_floor
        .and_then(|p| (p * Decimal::ONE_HUNDRED).to_i32()));
    let saved = from_row(active.update(db).await?)?;
    if zone_changed {
        // Days are the shop's local days: counted again on the new clock.
        crate::rollups::rebuild(db, shop_id, chrono::Utc::now()).await?;
    }
    Ok(saved)
}

/// Every shop, in id order (the scheduled passes walk them).
pub async fn all_shops(db: &impl ConnectionTrait) -> Result<Vec<ShopRecord>> {
    use sea_orm::QueryOrder;
    shop::Entity::find()
        .order_by_asc(shop::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(crate::shops::from_row)
        .collect()
}
