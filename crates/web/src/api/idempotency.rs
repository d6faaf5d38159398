//! Every write goes through [`write`]: with an `Idempotency-Key` header, a retry
//! with the same body gets the first answer again (SPEC §7), another body is 422,
//! and a retry while the first still runs is 409.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Payload};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::input::read_body;
use crate::app::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// What a write handler answers: a status and a JSON body.
pub type Answer = (StatusCode, serde_json::Value);

fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

fn error_answer(error: &ApiError) -> (StatusCode, String) {
    (
        error.status,
        serde_json::json!({ "error": error.body }).to_string(),
    )
}

/// Reads the body, then runs `work` once per idempotency key.
pub async fn write(
    state: &Data<AppState>,
    shop_id: i64,
    req: &HttpRequest,
    payload: Payload,
    work: impl AsyncFnOnce(&[u8]) -> Result<Answer, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let key = match req.headers().get(HEADER) {
        None => None,
        Some(value) => {
            let key = value.to_str().unwrap_or("").trim();
            if key.is_empty() || key.len() > 255 {
                return Err(ApiError::bad_request(
                    Some(HEADER.into()),
                    "must be 1 to 255 visible characters",
                ));
            }
            Some(key.to_owned())
        }
    };
    let Some(key) = key else {
        let (status, value) = work(&body).await?;
        return Ok(respond(status, value.to_string()));
    };

    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.path());
    hash.update(b"\n");
    hash.update(&body);
    let request_hash = hex::encode(hash.finalize());
    let now = state.now();
    use store::idempotency::{Attempt, abandon, begin, finish};
    match begin(&state.db, shop_id, &key, &request_hash, now).await? {
        Attempt::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(respond(status, body).map_into_boxed_body()).map(|mut r| {
                r.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
                    actix_web::http::header::HeaderValue::from_static("true"),
                );
                r
            })
        }
        Attempt::Mismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
        )
        .with_field(HEADER)),
        Attempt::InProgress => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_progress",
            "a request with this Idempotency-Key is still running; retry shortly",
        )),
        Attempt::Fresh => {
            let (status, text) = match work(&body).await {
                Ok((status, value)) => (status, value.to_string()),
                Err(error) => error_answer(&error),
            };
            if status.is_server_error() {
                // Our failure, not the request's: let a retry run again.
                abandon(&state.db, shop_id, &key).await?;
            } else {
                finish(&state.db, shop_id, &key, status.as_u16(), &text).await?;
            }
            Ok(respond(status, text))
        }
    }
}
