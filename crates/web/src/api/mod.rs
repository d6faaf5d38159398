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
pub mod schema;
mod shares;

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
    components(schemas(error::ErrorAnswer)),
    modifiers(&BearerKey)
)]
pub struct ApiDoc;

/// Completes the document once every route has added its operation.
pub fn finish_document(document: &mut utoipa::openapi::OpenApi) {
    CommonErrors.modify(document);
}

/// The errors every operation can answer, declared on each: a request that does
/// not parse (400), a missing key (401), the storage unavailable (503); on writes
/// an Idempotency-Key in use (409) or reused with another body (422), a body too
/// large (413) or not JSON (415); on a path naming a resource, 404.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |text: &str| {
            ResponseBuilder::new()
                .description(text)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorAnswer")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names_a_resource = path.contains('{');
            let operations = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.patch.as_mut()),
                (true, item.delete.as_mut()),
            ];
            for (writes, operation) in operations {
                let Some(operation) = operation else { continue };
                let mut common = vec![
                    (
                        "400",
                        "The request does not parse: the error names the field",
                    ),
                    ("401", "No valid API key"),
                    (
                        "503",
                        "The database cannot take the request now; nothing was written",
                    ),
                ];
                if writes {
                    common.extend([
                        (
                            "409",
                            "A request with this Idempotency-Key is still running",
                        ),
                        ("413", "The body is larger than 256 KiB"),
                        ("415", "The body is not JSON"),
                        (
                            "422",
                            "A rule is broken, or the Idempotency-Key was used with another body",
                        ),
                    ]);
                }
                if names_a_resource {
                    common.push(("404", "No such resource in this shop"));
                    common.push(("422", "The path names no valid id"));
                }
                for (status, text) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(text).into());
                }
            }
        }
    }
}

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
        .service(coupons::put_budget)
        .service(coupons::list_alerts)
        .service(catalog::put_product)
        .service(catalog::list_products)
        .service(catalog::put_customer)
        .service(catalog::follow)
        .service(catalog::unfollow)
        .service(catalog::join_membership)
        .service(catalog::leave_membership)
        .service(catalog::customer_coupons)
        .service(shares::start_share)
        .service(shares::get_share)
        .service(shares::join_share)
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

/// No operation here: 405 (with `Allow`) when the path is one of the API's with
/// another method, 404 otherwise.
pub(crate) async fn not_found(
    request: actix_web::HttpRequest,
    document: Option<actix_web::web::Data<utoipa::openapi::OpenApi>>,
) -> Result<actix_web::HttpResponse, error::ApiError> {
    let path = request.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let allowed: Option<Vec<&str>> = document.as_ref().and_then(|document| {
        document.paths.paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            fits.then(|| {
                [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, has)| has.then_some(method))
                .collect()
            })
        })
    });
    match allowed {
        Some(methods) if !methods.contains(&request.method().as_str()) => {
            let error = error::ApiError::new(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("this path takes {}", methods.join(", ")),
            );
            let mut response = actix_web::ResponseError::error_response(&error);
            response.headers_mut().insert(
                actix_web::http::header::ALLOW,
                actix_web::http::header::HeaderValue::from_str(&methods.join(", "))
                    .expect("method names are header-safe"),
            );
            Ok(response)
        }
        _ => Err(error::ApiError::not_found("route")),
    }
}
