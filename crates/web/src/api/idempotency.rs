//! Every write goes through [`write`]: with an `Idempotency-Key` header, a retry
//! with the same body gets the first answer again (SPEC §7), another body is 422,
//! and a retry while the first still runs is 409. Claims keep the same promise
//! inside their own transaction (the claim writer stores the key and the answer
//! with the claim); the helpers here are shared by both.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Payload};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::input::read_body;
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// What a write handler answers: a status and a JSON body.
pub type Answer = (StatusCode, serde_json::Value);

fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// An answer as stored for its key: (status, JSON text).
pub fn stored(result: &Result<Answer, ApiError>) -> (u16, String) {
    match result {
        Ok((status, value)) => (status.as_u16(), value.to_string()),
        Err(error) => (
            error.status.as_u16(),
            serde_json::json!({ "error": error.body }).to_string(),
        ),
    }
}

/// The request's Idempotency-Key, if it sent one (400 if it is malformed).
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get(HEADER) {
        None => Ok(None),
        Some(value) => {
            let key = value.to_str().unwrap_or("").trim();
            if key.is_empty() || key.len() > 255 {
                return Err(ApiError::bad_request(
                    Some(HEADER.into()),
                    "must be 1 to 255 visible characters",
                ));
            }
            Ok(Some(key.to_owned()))
        }
    }
}

/// What tells a retry from another request under one key: method, path, body.
pub fn request_hash(req: &HttpRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.path());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

/// The stored answer to a key's first request, marked as replayed.
pub fn replayed(status: u16, body: String) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = respond(status, body);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
        actix_web::http::header::HeaderValue::from_static("true"),
    );
    response
}

pub fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used with another request",
    )
    .with_field(HEADER)
}

pub fn key_in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_in_progress",
        "a request with this Idempotency-Key is still running; retry shortly",
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
    let Some(key) = key_of(req)? else {
        let (status, value) = work(&body).await?;
        return Ok(respond(status, value.to_string()));
    };
    let request_hash = request_hash(req, &body);
    use store::idempotency::{Attempt, abandon, begin, finish};
    match begin(&state.db, shop_id, &key, &request_hash, state.now()).await? {
        Attempt::Replay { status, body } => Ok(replayed(status, body)),
        Attempt::Mismatch => Err(key_reused()),
        Attempt::InProgress => Err(key_in_progress()),
        Attempt::Fresh => {
            let result = work(&body).await;
            let (status, text) = stored(&result);
            if StatusCode::from_u16(status).is_ok_and(|s| s.is_server_error()) {
                // Our failure, not the request's: let a retry run again.
                abandon(&state.db, shop_id, &key).await?;
            } else {
                finish(&state.db, shop_id, &key, status, &text).await?;
            }
            Ok(respond(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                text,
            ))
        }
    }
}
