//! Where a shop's notifications go (SPEC §5): the channel, the webhook URL and the
//! secret that signs each webhook. The secret is shown once, when it is made.

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
