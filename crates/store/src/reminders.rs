//! Expiry reminders (SPEC §5): which unused claims a lead time is due for, and
//! queueing one reminder per (claim, lead time) — unique, so passes may repeat
//! or run side by side. The shop's lead times and quiet hours are set here too.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};
use serde_json::json;

use crate::db::placeholder;
use crate::entities::{notification, shop};
use crate::error::{Result, StoreError};
use crate::shops::ShopRecord;

pub const REMINDER: &str = "expiry_reminder";

/// An unused claim a reminder is due for.
#[derive(Debug, Clone)]
pub struct DueClaim {
    pub claim_id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub coupon_id: i64,
    pub coupon_name: String,
    pub valid_until: DateTime<Utc>,
}

/// Unused claims of the shop expiring in `(from, until]` with no reminder for
/// `lead_hours` yet, in expiry order after the keyset cursor `after`.
pub async fn due_reminders(
    db: &impl ConnectionTrait,
    shop_id: i64,
    lead_hours: u32,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<DueClaim>> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let (after_until, after_id) = after.unwrap_or((from, 0));
    let sql = format!(
        "SELECT c.id AS claim_id, c.customer_id, cu.external_id AS customer, c.coupon_id, \
         co.name AS coupon_name, c.valid_until \
         FROM claims c JOIN customers cu ON cu.id = c.customer_id \
         JOIN coupons co ON co.id = c.coupon_id \
         WHERE c.shop_id = {shop} AND c.state = 'unused' \
         AND c.valid_until > {from} AND c.valid_until <= {until} \
         AND (c.valid_until > {au} OR (c.valid_until = {au} AND c.id > {ai})) \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.claim_id = c.id \
             AND n.kind = '{REMINDER}' AND n.lead_hours = {lead}) \
         ORDER BY c.valid_until, c.id LIMIT {limit}",
        shop = p(1),
        from = p(2),
        until = p(3),
        au = p(4),
        ai = p(5),
        lead = p(6),
        limit = p(7),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                shop_id.into(),
                from.into(),
                until.into(),
                after_until.into(),
                after_id.into(),
                (lead_hours as i32).into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DueClaim {
                claim_id: row.try_get("", "claim_id")?,
                customer_id: row.try_get("", "customer_id")?,
                customer: row.try_get("", "customer")?,
                coupon_id: row.try_get("", "coupon_id")?,
                coupon_name: row.try_get("", "coupon_name")?,
                valid_until: row.try_get("", "valid_until")?,
            })
        })
        .collect()
}

/// Queues one reminder per (claim, lead time); a reminder already queued — by
/// an earlier or a concurrent pass — is left as it is. Returns how many were new.
pub async fn queue_reminders(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    channel: &str,
    lead_hours: u32,
    due: &[(DueClaim, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<u64> {
    if due.is_empty() {
        return Ok(0);
    }
    // Bind variables are limited (32766 on SQLite): insert in chunks.
    let mut created = 0;
    for chunk in due.chunks(1000) {
        created += insert_reminders(db, shop, channel, lead_hours, chunk, now).await?;
    }
    Ok(created)
}

async fn insert_reminders(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    channel: &str,
    lead_hours: u32,
    due: &[(DueClaim, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = due.iter().map(|(claim, send_at)| {
        crate::notifications::Queued {
            shop_id: shop.id,
            customer_id: Some(claim.customer_id),
            claim_id: Some(claim.claim_id),
            kind: REMINDER,
            lead_hours,
            channel,
            payload: json!({
                "kind": REMINDER, "shop": shop.slug, "customer": claim.customer,
                "claim_id": claim.claim_id, "coupon_id": claim.coupon_id,
                "coupon_name": claim.coupon_name, "valid_until": claim.valid_until,
                "lead_hours": lead_hours,
            }),
            send_at: *send_at,
        }
        .row(now)
    });
    Ok(notification::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                notification::Column::ClaimId,
                notification::Column::Kind,
                notification::Column::LeadHours,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?)
}

/// Sets the shop's reminder lead times and quiet hours.
pub async fn set_reminder_settings(
    db: &impl ConnectionTrait,
    shop_id: i64,
    lead_hours: &[u32],
    quiet: domain::reminders::QuietHours,
) -> Result<()> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let mut active: shop::ActiveModel = row.into();
    active.reminder_lead_hours = Set(lead_hours
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(","));
    active.quiet_start_minute = Set(quiet.start_minute as i32);
    active.quiet_end_minute = Set(quiet.end_minute as i32);
    active.update(db).await?;
    Ok(())
}
