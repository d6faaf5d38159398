//! The JSON API under `/api/v1` (SPEC §7). Routes are registered and documented
//! by the same `service(...)` calls, so `/api/v1/openapi.json` cannot drift.

pub mod auth;
mod catalog;
mod commerce;
mod coupons;
pub mod error;
mod idempotency;
pub mod input;
mod notifications;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "merchant-ops API",
        description = "Coupons for the storefront and for coupon management. Money is a decimal \
            string (\"99.00\"), times are RFC 3339. Errors are {\"error\": {\"code\", \"message\", \
            \"field\"}}. Writes accept an Idempotency-Key header."
    ),
    modifiers(&BearerKey)
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route of the API, for `UtoipaApp::service`.
pub fn scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        .app_data(input::query_config())
        .app_data(input::path_config())
        .wrap(actix_web::middleware::from_fn(input::require_json))
        .service(coupons::create_coupon)
        .service(coupons::list_coupons)
        .service(coupons::get_coupon)
        .service(coupons::patch_coupon)
        .service(coupons::activate_coupon)
        .service(coupons::pause_coupon)
        .service(coupons::resume_coupon)
        .service(coupons::end_coupon)
        .service(coupons::coupon_metrics)
        .service(catalog::put_product)
        .service(catalog::list_products)
        .service(catalog::put_customer)
        .service(catalog::follow)
        .service(catalog::unfollow)
        .service(catalog::customer_coupons)
        .service(commerce::claim)
        .service(commerce::quote)
        .service(commerce::place_order)
        .service(commerce::order_event)
        .service(notifications::get_notifications)
        .service(notifications::put_notifications)
        .service(notifications::rotate_secret)
        // Not an operation of the API itself: registered outside the document.
        .route("/openapi.json", actix_web::web::get().to(openapi_json))
        .default_service(actix_web::web::to(not_found))
}

async fn openapi_json(
    document: actix_web::web::Data<utoipa::openapi::OpenApi>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(document.get_ref())
}

pub(crate) async fn not_found() -> Result<actix_web::HttpResponse, error::ApiError> {
    Err(error::ApiError::not_found("route"))
}
