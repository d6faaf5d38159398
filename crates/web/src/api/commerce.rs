//! The storefront's hot path: claiming, quoting, ordering (SPEC §3, §4, §7).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use chrono::{DateTime, Utc};
use domain::{Channel, Money, QuoteLine, Sku};
use serde::Deserialize;

use domain::OrderEvent;
use store::claims::{ClaimRequest, ClaimSource, ClaimTarget, Decision, Keyed, Outcome};
use store::orders::{ClaimChoice, NewOrder};
use utoipa::ToSchema;

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::{self, write};
use super::input::{parse, read_body};
use super::schema::{ClaimAnswer, OrderAnswer, OrderEventAnswer, QuoteAnswer, to_json};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    customer: String,
    #[serde(default, deserialize_with = "super::input::whole_id")]
    coupon_id: Option<i64>,
    code: Option<String>,
    channel: Channel,
    device: Option<String>,
}

/// A claim: of a coupon by its id, or of whatever coupon a private code opens.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // describes the body; `ClaimBody` reads it
enum ClaimBodyDoc {
    Coupon(ClaimByCoupon),
    Code(ClaimByCode),
}

#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClaimByCoupon {
    /// The storefront's customer id; unknown customers are created.
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    coupon_id: i64,
    channel: super::schema::ChannelWord,
    /// The device claiming, as the storefront identifies it (optional): one
    /// device claiming for many customer ids raises an abuse alert.
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    device: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClaimByCode {
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    /// The private code a customer typed.
    #[schema(pattern = r"^[A-Za-z0-9_-]{4,32}$")]
    code: String,
    channel: super::schema::ChannelWord,
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    device: Option<String>,
}

#[utoipa::path(
    tag = "storefront",
    request_body = ClaimBodyDoc,
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
    // Claims go through the batching writer; an Idempotency-Key is written in the
    // claim's own transaction, with its answer.
    let body = read_body(body).await?;
    let key = idempotency::key_of(&req)?;
    let request_hash = idempotency::request_hash(&req, &body);
    let input: ClaimBody = parse(&body)?;
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
    domain::ids::customer_ref(&input.customer)?;
    if let Some(device) = &input.device {
        domain::ids::device(device)?;
    }
    let customer = input.customer.clone();
    let answer_of = move |decision: &Decision| -> Result<idempotency::Answer, ApiError> {
        let record = decision.clone().into_result()?;
        Ok((
            StatusCode::CREATED,
            to_json(&ClaimAnswer::new(&record, &customer)),
        ))
    };
    let keyed = key.map(|key| Keyed {
        key,
        request_hash,
        render: Box::new({
            let answer_of = answer_of.clone();
            move |decision| idempotency::stored(&answer_of(decision))
        }),
    });
    let outcome = store::claims::claim_keyed(
        &state.db,
        &ClaimRequest {
            device: input.device,
            shop_id: shop.shop_id,
            customer: input.customer,
            target,
            channel: input.channel,
            source: ClaimSource::Claim,
            now: state.now(),
        },
        keyed,
    )
    .await?;
    match outcome {
        Outcome::Decided(decision) => {
            match &decision {
                Decision::Claimed(_) => crate::telemetry::claim_decided("claimed", ""),
                Decision::Refused(refusal) => {
                    crate::telemetry::claim_decided("refused", refusal.code())
                }
                Decision::NoCoupon => crate::telemetry::claim_decided("no_coupon", ""),
            }
            let (status, value) = answer_of(&decision)?;
            Ok(HttpResponse::build(status).json(value))
        }
        Outcome::Replay { status, body } => Ok(idempotency::replayed(status, body)),
        Outcome::KeyMismatch => Err(idempotency::key_reused()),
        Outcome::KeyInProgress => Err(idempotency::key_in_progress()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LineBody {
    #[schema(value_type = String, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    sku: Sku,
    #[schema(value_type = String, example = "99.00", pattern = r"^((0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?|1000000(\.0{1,2})?)$")]
    unit_price: Money,
    #[schema(value_type = Option<String>, pattern = r"^((0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?|1000000(\.0{1,2})?)$")]
    #[serde(default)]
    activity_price: Option<Money>,
    #[schema(minimum = 1, maximum = 9999)]
    #[serde(deserialize_with = "super::input::whole_number")]
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
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    /// At most 200 lines; the subtotal at most 100,000,000.00.
    #[schema(min_items = 1, max_items = 200)]
    lines: Vec<LineBody>,
    #[schema(value_type = Option<String>, pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
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
    domain::ids::customer_ref(&input.customer)?;
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
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    external_id: String,
    #[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    customer: String,
    #[schema(min_items = 1, max_items = 200)]
    lines: Vec<LineBody>,
    /// Omitted: the best quote is applied. `[]`: no coupon.
    #[schema(max_items = 200)]
    #[serde(default)]
    claim_ids: Option<Vec<i64>>,
    #[schema(value_type = Option<String>, pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
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
        domain::ids::customer_ref(&input.customer)?;
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
    #[schema(value_type = super::schema::EventWord)]
    #[serde(rename = "type")]
    kind: String,
    /// When it happened (default: now).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    tag = "storefront",
    params(("external_id" = String, Path, description = "The storefront's order id", pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
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
        let event: OrderEvent = input.kind.parse().map_err(|_| {
            ApiError::bad_request(
                Some("type".into()),
                "unknown event; expected paid, shipped, delivered, cancelled or refunded",
            )
        })?;
        if let Some(at) = input.at {
            domain::calendar::check_storable(at)
                .map_err(|reason| ApiError::invalid("at", reason.to_string()))?;
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
