//! Reading request bodies: a size limit, JSON only, and errors that name the field.

use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub async fn read_body(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(None, format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body must be at most {MAX_BODY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses JSON into `T`; a wrong type, an unknown field or a bad value names the
/// field by its path (`benefit.amount`, `lines[2].quantity`).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // serde says "at line 1 column 42"; the field path says more.
        let message = match message.find(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        ApiError::bad_request(Some(path), message)
    })
}

/// Parses JSON into a `serde_json::Value` object (for bodies handled in parts).
pub fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match parse::<serde_json::Value>(body)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_request(
            None,
            "the body must be a JSON object",
        )),
    }
}

/// Turns an object back into `T`, naming fields as [`parse`] does.
pub fn from_object<T: DeserializeOwned>(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    let text = serde_json::to_vec(&object).expect("a JSON object serialises");
    parse(&text)
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: a field given as
/// `null` is `Some(None)` (clear it), a missing one `None` (leave it).
pub fn given<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
