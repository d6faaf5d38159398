//! Where the shop's notifications go (SPEC §5, §7): `GET/PUT /shop/notifications`
//! and `POST /shop/notifications/rotate-secret`, which answers the new secret once.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::web::{Data, Payload};
use actix_web::{HttpRequest, HttpResponse, get, post, put};
use domain::shop::NotificationChannel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::write;
use super::input::{parse, read_body};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationsAnswer {
    /// `log` or `webhook`.
    #[schema(example = "webhook")]
    channel: String,
    webhook_url: Option<String>,
    /// Whether a signing secret exists (it is never shown again).
    has_secret: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationsBody {
    channel: NotificationChannel,
    #[serde(default)]
    webhook_url: Option<String>,
}

/// Where notifications go: the log, or a webhook URL.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "channel", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)] // describes the body; `NotificationsBody` reads it
pub(crate) enum NotificationsBodyDoc {
    Log {
        /// Kept for later (checked as for a webhook); empty or `null`: none.
        #[schema(pattern = r"^(https://[^\s@/]+(/\S*)?)?$", max_length = 2000)]
        webhook_url: Option<String>,
    },
    Webhook {
        /// `https://…` on the public internet (private and loopback addresses
        /// are refused unless the operator allows them).
        #[schema(pattern = r"^https://[^\s@/]+(/\S*)?$", max_length = 2000)]
        webhook_url: String,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SecretAnswer {
    /// The new signing secret: shown this once.
    secret: String,
}

async fn answer(state: &AppState, shop_id: i64) -> Result<NotificationsAnswer, ApiError> {
    let settings = store::notifications::settings(&state.db, shop_id).await?;
    Ok(NotificationsAnswer {
        channel: settings.channel.as_str().to_owned(),
        webhook_url: settings.webhook_url,
        has_secret: settings.webhook_secret.is_some(),
    })
}

#[utoipa::path(
    tag = "shop",
    responses(
        (status = 200, body = NotificationsAnswer),
        (status = 401, body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[get("/shop/notifications")]
pub(super) async fn get_notifications(
    state: Data<AppState>,
    shop: ApiShop,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(answer(&state, shop.shop_id).await?))
}

#[utoipa::path(
    tag = "shop",
    request_body = NotificationsBodyDoc,
    responses(
        (status = 200, body = NotificationsAnswer),
        (status = 400, body = super::error::ErrorAnswer),
        (status = 401, body = super::error::ErrorAnswer),
        (status = 422, description = "A URL that is not https or points inside the network", body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[put("/shop/notifications")]
pub(super) async fn put_notifications(
    state: Data<AppState>,
    shop: ApiShop,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: NotificationsBody = parse(body)?;
        store::notifications::configure(
            &state.db,
            shop.shop_id,
            input.channel,
            input.webhook_url.as_deref(),
            state.webhooks,
        )
        .await?;
        let answer = answer(&state, shop.shop_id).await?;
        Ok((
            StatusCode::OK,
            serde_json::to_value(answer).expect("an answer serialises"),
        ))
    })
    .await
}

#[utoipa::path(
    tag = "shop",
    responses(
        (status = 200, body = SecretAnswer),
        (status = 401, body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[post("/shop/notifications/rotate-secret")]
pub(super) async fn rotate_secret(
    state: Data<AppState>,
    shop: ApiShop,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    // Not replayed by Idempotency-Key: a secret is never stored to be shown again.
    read_body(body).await?;
    let secret = store::notifications::rotate_secret(&state.db, shop.shop_id).await?;
    let mut response = HttpResponse::Ok().json(SecretAnswer { secret });
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
