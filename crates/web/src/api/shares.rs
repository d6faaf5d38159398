//! Share to unlock (分享N人领券, SPEC §10): a customer starts a share of a share
//! coupon; friends join it by its code; the sharer is granted the coupon once
//! enough friends counted.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, get, post};
use domain::Channel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::write;
use super::input::parse;
use super::schema::{ClaimAnswer, to_json};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// The sharer's storefront id.
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    /// A share coupon of this shop.
    coupon_id: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    /// The friend's storefront id.
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    #[schema(value_type = super::schema::ChannelWord)]
    channel: Channel,
}

/// A share's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareAnswer {
    /// Passed to friends; they join with it.
    pub code: String,
    pub coupon_id: i64,
    /// The sharer.
    pub customer: String,
    /// Friends needed.
    pub needed: u32,
    /// Friends who counted so far.
    pub joined: u32,
    pub completed: bool,
}

impl From<&store::shares::ShareRecord> for ShareAnswer {
    fn from(share: &store::shares::ShareRecord) -> ShareAnswer {
        ShareAnswer {
            code: share.code.clone(),
            coupon_id: share.coupon_id,
            customer: share.customer.clone(),
            needed: share.needed,
            joined: share.joined,
            completed: share.completed,
        }
    }
}

/// What a friend's join did.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinAnswer {
    /// Whether the friend counted towards the share.
    pub counted: bool,
    /// Why not: sharer, same_phone, not_new_customer or already_counted.
    pub reason: Option<String>,
    /// The friend coupon granted to the friend now.
    pub granted: Vec<ClaimAnswer>,
    pub share: ShareAnswer,
}

fn code_in_path(code: &str) -> Result<String, ApiError> {
    let ok = (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(ApiError::not_found("share"))
    }
}

#[utoipa::path(
    tag = "shares",
    request_body = StartBody,
    responses((status = 201, description = "The customer's share of the coupon (the same one if started before)", body = ShareAnswer)),
    security(("api_key" = []))
)]
#[post("/shares")]
pub(super) async fn start_share(
    state: Data<AppState>,
    shop: ApiShop,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: StartBody = parse(body)?;
        domain::ids::customer_ref(&input.customer)?;
        let share = store::shares::start(
            &state.db,
            shop.shop_id,
            &input.customer,
            input.coupon_id,
            state.now(),
        )
        .await?;
        Ok((StatusCode::CREATED, to_json(&ShareAnswer::from(&share))))
    })
    .await
}

#[utoipa::path(
    tag = "shares",
    params(("code" = String, Path, pattern = r"^[A-Za-z0-9]{1,32}$")),
    responses((status = 200, body = ShareAnswer)),
    security(("api_key" = []))
)]
#[get("/shares/{code}")]
pub(super) async fn get_share(
    state: Data<AppState>,
    shop: ApiShop,
    code: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_in_path(&code)?;
    let share = store::shares::find(&state.db, shop.shop_id, &code).await?;
    Ok(HttpResponse::Ok().json(ShareAnswer::from(&share)))
}

#[utoipa::path(
    tag = "shares",
    params(("code" = String, Path, pattern = r"^[A-Za-z0-9]{1,32}$")),
    request_body = JoinBody,
    responses((status = 200, body = JoinAnswer)),
    security(("api_key" = []))
)]
#[post("/shares/{code}/join")]
pub(super) async fn join_share(
    state: Data<AppState>,
    shop: ApiShop,
    code: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let code = code_in_path(&code)?;
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: JoinBody = parse(body)?;
        domain::ids::customer_ref(&input.customer)?;
        let joined = store::shares::join(
            &state.db,
            shop.shop_id,
            &code,
            &input.customer,
            input.channel,
            state.now(),
        )
        .await?;
        crate::telemetry::granted("share_friend", joined.friend_claims.len() as u64);
        crate::telemetry::granted("share", u64::from(joined.sharer_claim.is_some()));
        let answer = JoinAnswer {
            counted: joined.not_counted.is_none(),
            reason: joined.not_counted.map(|n| n.code().to_owned()),
            granted: joined
                .friend_claims
                .iter()
                .map(|c| ClaimAnswer::new(c, &input.customer))
                .collect(),
            share: ShareAnswer::from(&joined.share),
        };
        Ok((StatusCode::OK, to_json(&answer)))
    })
    .await
}
