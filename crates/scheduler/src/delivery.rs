//! Sending a notification through the shop's channel: `log` writes it to the log;
//! `webhook` POSTs its JSON, signed so the receiver can trust it:
//!
//! - `X-MerchantOps-Timestamp`: Unix seconds at sending;
//! - `X-MerchantOps-Signature`: `sha256=` + hex HMAC-SHA256, keyed with the shop's
//!   webhook secret, of `"{timestamp}.{body}"`;
//! - `X-MerchantOps-Delivery`: the notification id (a retry repeats it, so the
//!   receiver can drop duplicates).
//!
//! Webhooks go only where the operator allows (SPEC §5): the URL is checked again
//! at every send, every address its name resolves to is checked before connecting
//! (so a name that later points inside the network is refused), redirects are not
//! followed, each send has a timeout, and the answer's body is never read — the
//! status line is all that counts.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use domain::shop::NotificationChannel;
use domain::shop::{WebhookPolicy, WebhookUrl};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use store::notifications::NotificationSettings;

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
    notification: &store::notifications::NotificationRecord,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match settings.channel {
        NotificationChannel::Webhook => {
            let (Some(url), Some(secret)) = (&settings.webhook_url, &settings.webhook_secret)
            else {
                return Err("the shop has no webhook URL and secret".into());
            };
            let url = WebhookUrl::parse(url, ctx.settings.webhooks)
                .map_err(|reason| format!("webhook URL refused: {reason}"))?;
            let timestamp = now.timestamp();
            let body = &notification.payload;
            let response = ctx
                .http
                .post(url.as_str())
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
        NotificationChannel::Log => {
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

/// Resolves host names as the system does, then keeps only the addresses the
/// policy allows: a webhook cannot be pointed at the operator's own network
/// through DNS.
pub struct GuardedResolver(pub WebhookPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| policy.allows(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{} resolves to no address webhooks may be sent to",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_resolving_inside_the_network_are_refused() {
        use reqwest::dns::Resolve;
        let strict = GuardedResolver(WebhookPolicy::default());
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let open = GuardedResolver(WebhookPolicy {
            allow_http: true,
            allow_private: true,
        });
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(open.resolve(name).await.unwrap().next().is_some());
    }

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
