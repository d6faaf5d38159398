//! The storefront's hot path: claiming, quoting, ordering (SPEC §3, §4, §7).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use chrono::{DateTime, Utc};
use domain::{Channel, Money, QuoteLine, Sku};
use serde::Deserialize;
use serde_json::{Value, json};
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget};
use store::orders::{ClaimChoice, NewOrder, OrderEvent};
use utoipa::ToSchema;

use super::auth::ApiShop;
use super::catalog::claim_json;
use super::error::ApiError;
use super::idempotency::write;
use super::input::{parse, read_body};
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
        (status = 201, description = "{id, coupon_id, customer, state, valid_from, valid_until}", body = Object),
        (status = 409, description = "Refused: the error code is the reason (sold_out, customer_limit, …)"),
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
        Ok((StatusCode::CREATED, claim_json(&record, &input.customer)))
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
    responses((status = 200, description = "{subtotal, merchant_discount, platform_discount, payable, lines, claims_used}", body = Object)),
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
    Ok(HttpResponse::Ok().json(quote))
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
    responses((status = 201, description = "The quote applied, plus order_id and external_id", body = Object), (status = 409), (status = 422)),
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
        let mut answer = serde_json::to_value(&placed.quote).expect("a quote serialises");
        let object = answer.as_object_mut().expect("a quote is an object");
        object.insert("order_id".into(), json!(placed.id));
        object.insert("external_id".into(), json!(placed.external_id));
        object.insert("status".into(), json!("created"));
        Ok((StatusCode::CREATED, answer))
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

fn order_json(order: &store::entities::order::Model) -> Value {
    json!({"order_id": order.id, "external_id": order.external_id, "status": order.status,
           "paid_at": order.paid_at, "shipped_at": order.shipped_at,
           "delivered_at": order.delivered_at, "cancelled_at": order.cancelled_at,
           "refunded_at": order.refunded_at})
}

#[utoipa::path(
    tag = "storefront",
    params(("external_id" = String, Path, description = "The storefront's order id")),
    request_body = EventBody,
    responses((status = 200, body = Object), (status = 404), (status = 409)),
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
        Ok((StatusCode::OK, order_json(&order)))
    })
    .await
}
