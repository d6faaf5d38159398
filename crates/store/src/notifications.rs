//! Where a shop's notifications go (SPEC §5): the channel, the webhook URL and the
//! secret that signs each webhook. The secret is shown once, when it is made.

use chrono::{DateTime, Utc};
use domain::shop::{NotificationChannel, WebhookPolicy, WebhookUrl};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::entities::shop;
use crate::error::{Result, StoreError};

/// A shop's notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    pub channel: NotificationChannel,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

/// Characters of a webhook secret (≈ 190 bits).
const SECRET_LENGTH: usize = 32;

pub async fn settings(db: &impl ConnectionTrait, shop_id: i64) -> Result<NotificationSettings> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    Ok(NotificationSettings {
        channel: crate::convert::word(&row.notification_channel, "shops.notification_channel")?,
        webhook_url: row.webhook_url,
        webhook_secret: row.webhook_secret,
    })
}

/// Sets the channel and (for `webhook`) the URL, checked against `policy`. The
/// secret is made apart ([`rotate_secret`]): it is shown only once.
pub async fn configure(
    db: &impl ConnectionTrait,
    shop_id: i64,
    channel: NotificationChannel,
    url: Option<&str>,
    policy: WebhookPolicy,
) -> Result<()> {
    let url = match (channel, url.map(str::trim).filter(|u| !u.is_empty())) {
        (_, Some(text)) => Some(
            WebhookUrl::parse(text, policy)
                .map_err(|reason| StoreError::invalid("webhook_url", reason))?,
        ),
        (NotificationChannel::Webhook, None) => {
            return Err(StoreError::invalid(
                "webhook_url",
                "is needed to send webhooks",
            ));
        }
        (NotificationChannel::Log, None) => None,
    };
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let mut active: shop::ActiveModel = row.into();
    active.notification_channel = Set(channel.as_str().to_owned());
    active.webhook_url = Set(url.map(|u| u.as_str().to_owned()));
    active.update(db).await?;
    Ok(())
}

/// A new webhook secret, replacing the old one at once; returned here, the only time.
pub async fn rotate_secret(db: &impl ConnectionTrait, shop_id: i64) -> Result<String> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let secret = crate::api_keys::random_text(SECRET_LENGTH);
    let mut active: shop::ActiveModel = row.into();
    active.webhook_secret = Set(Some(secret.clone()));
    active.update(db).await?;
    Ok(secret)
}

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub claim_id: Option<i64>,
    /// What it is about (`expiry_reminder`, …).
    pub kind: String,
    pub lead_hours: u32,
    /// Where it goes: the shop's channel when it was queued.
    pub channel: String,
    /// The JSON body sent.
    pub payload: String,
    /// queued, sending, sent, dropped or failed.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub(crate) fn from_row(row: crate::entities::notification::Model) -> NotificationRecord {
    NotificationRecord {
        id: row.id,
        shop_id: row.shop_id,
        customer_id: row.customer_id,
        claim_id: row.claim_id,
        kind: row.kind,
        lead_hours: crate::convert::count(i64::from(row.lead_hours)),
        channel: row.channel,
        payload: row.payload,
        status: row.status,
        attempts: crate::convert::count(i64::from(row.attempts)),
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    }
}
