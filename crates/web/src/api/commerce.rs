//! The storefront's hot path: claiming, quoting, ordering (SPEC §3, §4, §7).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use chrono::{DateTime, Utc};
use domain::{Channel, Money, QuoteLine, Sku};
use serde::Deserialize;

use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};
use store::orders::{ClaimChoice, NewOrder, OrderEvent};
use utoipa::ToSchema;

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::write;
use super::input::{parse, read_body};
use super::schema::{ClaimAnswer, OrderAnswer, OrderEventAnswer, QuoteAnswer, to_json};
use crate::app::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    /// The storefront's customer id; unknown customers are created.
    customer: String,
    /// The coupon to claim, or…
    coupon_id: Option<i64>,
    /// …the private code a customer typed.
    code: Option<String>,
    #[schema(value_type = String, example = "live_room")]
    channel: Channel,
}

#[utoipa::path(
    tag = "storefront",
    request_body = ClaimBody,
    responses(
        (status = 201, description = "The claim", body = ClaimAnswer),
        (status = 404, description = "No such coupon in this shop", body = super::error::ErrorAnswer),
        (status = 409, description = "Refused: the error code is the reason (sold_out, customer_limit, …)", body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[post("/claims")]
pub(super) async fn claim(
    state: Data<AppState>,
    shop: ApiShop,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: ClaimBody = parse(body)?;
        let target = match (input.coupon_id, input.code) {
            (Some(id), None) => ClaimTarget::Coupon(id),
            (None, Some(code)) => ClaimTarget::Code(code),
            _ => {
                return Err(ApiError::invalid(
                    "coupon_id",
                    "give either coupon_id or code",
                ));
            }
        };
        store::customers::check_external_id(&input.customer)?;
        let record = store::claims::claim(
            &state.db,
            &ClaimRequest {
                shop_id: shop.shop_id,
                customer: input.customer.clone(),
                target,
                channel: input.channel,
                source: ClaimSource::Claim,
                now: state.now(),
            },
        )
        .await?;
        Ok((
            StatusCode::CREATED,
            to_json(&ClaimAnswer::new(&record, &input.customer)),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LineBody {
    #[schema(value_type = String)]
    sku: Sku,
    #[schema(value_type = String, example = "99.00")]
    unit_price: Money,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    activity_price: Option<Money>,
    quantity: u32,
}

impl From<LineBody> for QuoteLine {
    fn from(line: LineBody) -> Self {
        QuoteLine {
            sku: line.sku,
            unit_price: line.unit_price,
            activity_price: line.activity_price,
            quantity: line.quantity,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct QuoteBody {
    customer: String,
    lines: Vec<LineBody>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    platform_discount: Option<Money>,
}

#[utoipa::path(
    tag = "storefront",
    request_body = QuoteBody,
    responses((status = 200, description = "The best price", body = QuoteAnswer)),
    security(("api_key" = []))
)]
#[post("/quotes")]
pub(super) async fn quote(
    state: Data<AppState>,
    shop: ApiShop,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    // A quote writes nothing, so it needs no idempotency key.
    let body = read_body(body).await?;
    let input: QuoteBody = parse(&body)?;
    store::customers::check_external_id(&input.customer)?;
    let quote = store::orders::quote_for(
        &state.db,
        shop.shop_id,
        &input.customer,
        input.lines.into_iter().map(Into::into).collect(),
        input.platform_discount.unwrap_or(Money::ZERO),
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(QuoteAnswer::from(&quote)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OrderBody {
    external_id: String,
    customer: String,
    lines: Vec<LineBody>,
    /// Omitted: the best quote is applied. `[]`: no coupon.
    #[serde(default)]
    claim_ids: Option<Vec<i64>>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    platform_discount: Option<Money>,
}

#[utoipa::path(
    tag = "storefront",
    request_body = OrderBody,
    responses(
        (status = 201, description = "The quote applied, plus the order's ids", body = OrderAnswer),
        (status = 409, description = "The order exists, or a claim was used meanwhile", body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[post("/orders")]
pub(super) async fn place_order(
    state: Data<AppState>,
    shop: ApiShop,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: OrderBody = parse(body)?;
        store::customers::check_external_id(&input.customer)?;
        let placed = store::orders::place_order(
            &state.db,
            &NewOrder {
                shop_id: shop.shop_id,
                external_id: input.external_id,
                customer: input.customer,
                lines: input.lines.into_iter().map(Into::into).collect(),
                claims: match input.claim_ids {
                    None => ClaimChoice::Best,
                    Some(ids) => ClaimChoice::Exactly(ids),
                },
                platform_discount: input.platform_discount.unwrap_or(Money::ZERO),
                now: state.now(),
            },
        )
        .await?;
        let answer = OrderAnswer {
            quote: QuoteAnswer::from(&placed.quote),
            order_id: placed.id,
            external_id: placed.external_id,
            status: "created".into(),
        };
        Ok((StatusCode::CREATED, to_json(&answer)))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EventBody {
    /// paid, shipped, delivered, cancelled or refunded
    #[serde(rename = "type")]
    kind: String,
    /// When it happened (default: now).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    tag = "storefront",
    params(("external_id" = String, Path, description = "The storefront's order id")),
    request_body = EventBody,
    responses(
        (status = 200, body = OrderEventAnswer),
        (status = 409, description = "The event does not follow from the order's status", body = super::error::ErrorAnswer),
    ),
    security(("api_key" = []))
)]
#[post("/orders/{external_id}/events")]
pub(super) async fn order_event(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: EventBody = parse(body)?;
        let event = OrderEvent::parse(&input.kind).ok_or_else(|| {
            ApiError::bad_request(
                Some("type".into()),
                "unknown event; expected paid, shipped, delivered, cancelled or refunded",
            )
        })?;
        if let Some(at) = input.at {
            domain::calendar::check_storable(at)
                .map_err(|reason| ApiError::invalid("at", reason))?;
        }
        let now = state.now();
        let order = store::orders::record_event(
            &state.db,
            shop.shop_id,
            &external_id,
            event,
            input.at.unwrap_or(now),
            now,
        )
        .await?;
        Ok((StatusCode::OK, to_json(&OrderEventAnswer::from(&order))))
    })
    .await
}
