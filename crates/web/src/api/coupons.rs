//! Coupon management: the same rules as the admin forms (SPEC §2, §7).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put};
use domain::{CouponDraft, CouponKind, CouponStatus, LifecycleAction};
use serde::Deserialize;
use serde_json::{Map, Value};
use store::coupons::{CouponFilter, CouponRecord};
use utoipa::IntoParams;

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::write;
use super::input::{from_object, parse_object};
use super::schema::{
    CouponAnswer, CouponBodyDoc, CouponPage, CouponPatchDoc, MetricsAnswer, to_json,
};
use crate::state::AppState;

/// The coupon with its used count, as the API answers it.
async fn with_used(state: &AppState, record: &CouponRecord) -> Result<Value, ApiError> {
    let used = store::coupons::used_counts(&state.db, std::iter::once(record.id)).await?;
    Ok(to_json(&CouponAnswer::new(
        record,
        used.get(&record.id).copied().unwrap_or_default(),
    )))
}

/// Splits `status` off a coupon body: the rest must be a coupon design.
fn take_status(object: &mut Map<String, Value>) -> Result<Option<CouponStatus>, ApiError> {
    match object.remove("status") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => CouponStatus::parse(&text)
            .map(Some)
            .map_err(|e| ApiError::bad_request(Some("status".into()), e.reason.to_string())),
        Some(_) => Err(ApiError::bad_request(
            Some("status".into()),
            "must be a string",
        )),
    }
}

#[utoipa::path(
    tag = "coupons",
    request_body(content = CouponBodyDoc, description = "A coupon body (SPEC §7), with `status` draft or active"),
    responses((status = 201, description = "The coupon", body = CouponAnswer)),
    security(("api_key" = []))
)]
#[post("/coupons")]
pub(super) async fn create_coupon(
    state: Data<AppState>,
    shop: ApiShop,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |body| {
        let mut object = parse_object(body)?;
        let status = take_status(&mut object)?.unwrap_or(CouponStatus::Draft);
        let coupon = from_object::<CouponDraft>(object)?.validate()?;
        let record =
            store::coupons::create_coupon(&state.db, shop.shop_id, &coupon, status, state.now())
                .await?;
        Ok((StatusCode::CREATED, to_json(&CouponAnswer::new(&record, 0))))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[param(value_type = Option<super::schema::KindWord>, nullable = false)]
    kind: Option<String>,
    #[param(value_type = Option<super::schema::StatusWord>, nullable = false)]
    status: Option<String>,
    /// Part of the name.
    #[param(nullable = false, max_length = 60)]
    q: Option<String>,
    /// Keyset cursor: only coupons with a smaller id (the last id of the previous page).
    #[param(nullable = false)]
    before: Option<i64>,
    /// At most 100 (default 20).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

#[utoipa::path(
    tag = "coupons",
    params(ListQuery),
    responses((status = 200, description = "Coupons, newest first", body = CouponPage)),
    security(("api_key" = []))
)]
#[get("/coupons")]
pub(super) async fn list_coupons(
    state: Data<AppState>,
    shop: ApiShop,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<CouponKind>()
                .map_err(|e| ApiError::bad_request(Some("kind".into()), e.to_string()))
        })
        .transpose()?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            CouponStatus::parse(s)
                .map_err(|e| ApiError::bad_request(Some("status".into()), e.reason.to_string()))
        })
        .transpose()?;
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 60) {
        return Err(ApiError::bad_request(
            Some("q".into()),
            "must be at most 60 characters",
        ));
    }
    let limit = match query.limit {
        None => 20,
        Some(n @ 1..=100) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                Some("limit".into()),
                "must be 1 to 100",
            ));
        }
    };
    let filter = CouponFilter {
        kind,
        status,
        name: query.q.clone(),
        before: query.before,
        limit,
    };
    let records = store::coupons::list_coupons(&state.db, shop.shop_id, &filter).await?;
    // One grouped count for the page, not one query per coupon.
    let used = store::coupons::used_counts(&state.db, records.iter().map(|r| r.id)).await?;
    let coupons = records
        .iter()
        .map(|record| CouponAnswer::new(record, used.get(&record.id).copied().unwrap_or(0)))
        .collect();
    let next = (records.len() as u64 == limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    Ok(HttpResponse::Ok().json(CouponPage {
        coupons,
        next_before: next,
    }))
}

#[utoipa::path(
    tag = "coupons",
    params(("id" = i64, Path, description = "Coupon id")),
    responses((status = 200, body = CouponAnswer)),
    security(("api_key" = []))
)]
#[get("/coupons/{id}")]
pub(super) async fn get_coupon(
    state: Data<AppState>,
    shop: ApiShop,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let record = store::coupons::get_coupon(&state.db, shop.shop_id, *id).await?;
    Ok(HttpResponse::Ok().json(with_used(&state, &record).await?))
}

#[utoipa::path(
    tag = "coupons",
    params(("id" = i64, Path, description = "Coupon id")),
    request_body(content = CouponPatchDoc, description = "Any fields of the coupon body that SPEC §2 still allows"),
    responses((status = 200, body = CouponAnswer)),
    security(("api_key" = []))
)]
#[patch("/coupons/{id}")]
pub(super) async fn patch_coupon(
    state: Data<AppState>,
    shop: ApiShop,
    id: Path<i64>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    write(&state, shop.shop_id, &req, body, async |body| {
        let patch = parse_object(body)?;
        if patch.contains_key("status") {
            return Err(ApiError::invalid(
                "status",
                "use the lifecycle actions: activate, pause, resume, end",
            ));
        }
        let current = store::coupons::get_coupon(&state.db, shop.shop_id, id).await?;
        let mut merged = match serde_json::to_value(current.coupon.to_draft()) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("a coupon serialises to an object"),
        };
        for (key, value) in patch {
            merged.insert(key, value);
        }
        let edited = from_object::<CouponDraft>(merged)?.validate()?;
        let record =
            store::coupons::update_coupon(&state.db, shop.shop_id, id, &edited, state.now())
                .await?;
        Ok((StatusCode::OK, with_used(&state, &record).await?))
    })
    .await
}

async fn lifecycle(
    state: Data<AppState>,
    shop: ApiShop,
    id: i64,
    action: LifecycleAction,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    write(&state, shop.shop_id, &req, body, async |bytes| {
        // Ending may also revoke the unused claims (SPEC §2); the other steps
        // take no body.
        let options: LifecycleBody = if bytes.iter().all(u8::is_ascii_whitespace) {
            LifecycleBody::default()
        } else {
            super::input::parse(bytes)?
        };
        if options.revoke_unused && action != LifecycleAction::End {
            return Err(ApiError::invalid(
                "revoke_unused",
                "only ending a coupon revokes its unused claims",
            ));
        }
        let now = state.now();
        let record =
            match store::coupons::apply_action(&state.db, shop.shop_id, id, action, now).await {
                Ok(record) => record,
                // Ended already: revoking what is left is still possible.
                Err(store::StoreError::Conflict(_)) if options.revoke_unused => {
                    store::coupons::get_coupon(&state.db, shop.shop_id, id).await?
                }
                Err(other) => return Err(other.into()),
            };
        if options.revoke_unused {
            store::claims::revoke_unused(&state.db, shop.shop_id, id, now).await?;
        }
        Ok((StatusCode::OK, with_used(&state, &record).await?))
    })
    .await
}

/// The optional body of a lifecycle step.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LifecycleBody {
    /// With `end`: also revoke the coupon's unused claims (their holders are
    /// notified); on an ended coupon, revokes what is left.
    #[serde(default)]
    revoke_unused: bool,
}

macro_rules! lifecycle_route {
    ($name:ident, $path:literal, $action:expr, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(
                    tag = "coupons",
                    params(("id" = i64, Path, description = "Coupon id")),
                    request_body(content = Option<LifecycleBody>, description = "Only with `end`: `{\"revoke_unused\": true}`"),
                    responses(
                        (status = 200, body = CouponAnswer),
                        (status = 409, description = "Not allowed from the coupon's status", body = super::error::ErrorAnswer),
                    ),
                    security(("api_key" = []))
                )]
        #[post($path)]
        pub(super) async fn $name(
            state: Data<AppState>,
            shop: ApiShop,
            id: Path<i64>,
            req: HttpRequest,
            body: Payload,
        ) -> Result<HttpResponse, ApiError> {
            lifecycle(state, shop, *id, $action, req, body).await
        }
    };
}

lifecycle_route!(
    activate_coupon,
    "/coupons/{id}/activate",
    LifecycleAction::Activate,
    "Activate a draft coupon."
);
lifecycle_route!(
    pause_coupon,
    "/coupons/{id}/pause",
    LifecycleAction::Pause,
    "Pause an active coupon."
);
lifecycle_route!(
    resume_coupon,
    "/coupons/{id}/resume",
    LifecycleAction::Resume,
    "Resume a paused coupon."
);
lifecycle_route!(
    end_coupon,
    "/coupons/{id}/end",
    LifecycleAction::End,
    "End a coupon for good."
);

#[utoipa::path(
    tag = "coupons",
    params(("id" = i64, Path, description = "Coupon id")),
    responses((status = 200, description = "SPEC §8 metrics, in all and by channel", body = MetricsAnswer)),
    security(("api_key" = []))
)]
#[get("/coupons/{id}/metrics")]
pub(super) async fn coupon_metrics(
    state: Data<AppState>,
    shop: ApiShop,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let record = store::coupons::get_coupon(&state.db, shop.shop_id, *id).await?;
    let issued = record.coupon.limits().quantity.map(u64::from);
    let (total, by_channel) = store::metrics::coupon_tally(&state.db, record.id, issued).await?;
    let by_channel = by_channel
        .into_iter()
        .map(|(channel, tally)| {
            let metrics = domain::Metrics::from_tally(domain::Tally {
                issued: None,
                ..tally
            });
            (channel, metrics)
        })
        .collect();
    Ok(HttpResponse::Ok().json(MetricsAnswer {
        coupon_id: record.id,
        metrics: domain::Metrics::from_tally(total),
        by_channel,
    }))
}

/// A coupon's budget (SPEC §8): `{"budget": "500.00"}` sets it, `null` removes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BudgetBody {
    /// Yuan with at most two decimals; `null` (or "0.00") for no budget.
    #[schema(value_type = Option<String>, example = "500.00")]
    budget: Option<domain::Money>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct BudgetAnswer {
    coupon_id: i64,
    #[schema(value_type = Option<String>, example = "500.00")]
    budget: Option<domain::Money>,
}

#[utoipa::path(
    tag = "coupons",
    params(("id" = i64, Path, description = "Coupon id")),
    request_body = BudgetBody,
    responses((status = 200, description = "The budget now: once the coupon's actual cost reaches it, an alert is raised", body = BudgetAnswer)),
    security(("api_key" = []))
)]
#[put("/coupons/{id}/budget")]
pub(super) async fn put_budget(
    state: Data<AppState>,
    shop: ApiShop,
    id: Path<i64>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    write(&state, shop.shop_id, &req, body, async |bytes| {
        let input: BudgetBody = super::input::parse(bytes)?;
        let budget = input.budget.filter(|b| !b.is_zero());
        store::alerts::set_budget(&state.db, shop.shop_id, id, budget).await?;
        Ok((
            StatusCode::OK,
            serde_json::to_value(BudgetAnswer {
                coupon_id: id,
                budget,
            })
            .expect("a budget serialises"),
        ))
    })
    .await
}

/// An alert in force (SPEC §8).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct AlertAnswer {
    /// over_budget, stock_out, unpaid_orders, shared_phone or shared_device.
    kind: String,
    /// The coupon's id, the phone (last four digits), the device, or "orders".
    subject: String,
    coupon_id: Option<i64>,
    /// Cost in fen, seconds to sell out, orders, or customer ids.
    figure: i64,
    /// Budget in fen, stock left, minutes unpaid, or the customer ids that alert.
    limit: i64,
    raised_at: chrono::DateTime<chrono::Utc>,
    checked_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct AlertsAnswer {
    alerts: Vec<AlertAnswer>,
}

#[utoipa::path(
    tag = "coupons",
    responses((status = 200, description = "The shop's alerts in force, as the dashboard shows them (checked every minute)", body = AlertsAnswer)),
    security(("api_key" = []))
)]
#[get("/alerts")]
pub(super) async fn list_alerts(
    state: Data<AppState>,
    shop: ApiShop,
) -> Result<HttpResponse, ApiError> {
    let alerts = store::alerts::open_alerts(&state.db, shop.shop_id)
        .await?
        .into_iter()
        .map(|alert| AlertAnswer {
            kind: alert.kind.as_str().to_owned(),
            subject: match alert.kind {
                domain::alerts::AlertKind::SharedPhone => {
                    domain::alerts::masked_phone(&alert.subject)
                }
                _ => alert.subject,
            },
            coupon_id: alert.coupon_id,
            figure: alert.figure,
            limit: alert.limit,
            raised_at: alert.raised_at,
            checked_at: alert.checked_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AlertsAnswer { alerts }))
}
