//! Sending a notification through the shop's channel: `log` writes it to the log;
//! `webhook` POSTs its JSON, signed so the receiver can trust it:
//!
//! - `X-MerchantOps-Timestamp`: Unix seconds at sending;
//! - `X-MerchantOps-Signature`: `sha256=` + hex HMAC-SHA256, keyed with the shop's
//!   webhook secret, of `"{timestamp}.{body}"`;
//! - `X-MerchantOps-Delivery`: the notification id (a retry repeats it, so the
//!   receiver can drop duplicates).

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use store::entities::notification;
use store::jobs::NotificationSettings;

use crate::Context;

pub const TIMESTAMP_HEADER: &str = "X-MerchantOps-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-MerchantOps-Signature";
pub const DELIVERY_HEADER: &str = "X-MerchantOps-Delivery";

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends one notification; the error says why it failed.
pub async fn send(
    ctx: &Context,
    settings: &NotificationSettings,
    notification: &notification::Model,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match settings.channel.as_str() {
        "webhook" => {
            let (Some(url), Some(secret)) = (&settings.webhook_url, &settings.webhook_secret)
            else {
                return Err("the shop has no webhook URL and secret".into());
            };
            let timestamp = now.timestamp();
            let body = &notification.payload;
            let response = ctx
                .http
                .post(url)
                .header("Content-Type", "application/json")
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, signature(secret, timestamp, body))
                .header(DELIVERY_HEADER, notification.id.to_string())
                .body(body.clone())
                .send()
                .await
                .map_err(|e| format!("webhook request failed: {e}"))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!(
                    "webhook answered HTTP {}",
                    response.status().as_u16()
                ))
            }
        }
        _ => {
            tracing::info!(
                target: "notifications",
                id = notification.id,
                shop = notification.shop_id,
                kind = %notification.kind,
                payload = %notification.payload,
                "notification"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // HMAC-SHA256(key "secret", message "1700000000.{}"), computed with Python's hmac.
        let expected = "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163";
        assert_eq!(signature("secret", 1_700_000_000, "{}"), expected);
        assert_ne!(
            signature("secret", 1_700_000_001, "{}"),
            expected,
            "the timestamp is signed"
        );
        assert_ne!(signature("other", 1_700_000_000, "{}"), expected);
    }
}
