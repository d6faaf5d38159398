//! `Authorization: Bearer <key>`: the key says which shop the request acts for.
//!
//! A key that checked out is remembered for [`REMEMBER`] (by a digest, never the
//! key itself), so a drop's thousands of requests a second do not each read the
//! key table. Revoking a key forgets every remembered key of this process at
//! once; other processes stop accepting it within [`REMEMBER`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::error::ApiError;
use crate::state::AppState;

/// The shop an authenticated request acts for.
#[derive(Debug, Clone, Copy)]
pub struct ApiShop {
    pub shop_id: i64,
}

impl FromRequest for ApiShop {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiShop, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|key| key.trim().to_owned());
        Box::pin(async move {
            let (Some(state), Some(key)) = (state, presented) else {
                return Err(ApiError::unauthorized());
            };
            let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
            if let Some(shop_id) = remembered(&digest) {
                return Ok(ApiShop { shop_id });
            }
            match store::api_keys::shop_for_key(&state.db, &key).await? {
                Some(shop_id) => {
                    remember(digest, shop_id);
                    Ok(ApiShop { shop_id })
                }
                None => Err(ApiError::unauthorized()),
            }
        })
    }
}

/// How long a key that checked out is taken on trust.
pub const REMEMBER: Duration = Duration::from_secs(10);
/// Keys remembered at most (a process serves few shops; beyond, start afresh).
const REMEMBERED: usize = 10_000;

/// Key digest → (shop, when it was checked).
type Remembered = Mutex<HashMap<[u8; 32], (i64, Instant)>>;

fn keys() -> &'static Remembered {
    static KEYS: OnceLock<Remembered> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

fn remembered(digest: &[u8; 32]) -> Option<i64> {
    let keys = keys().lock().unwrap_or_else(|p| p.into_inner());
    keys.get(digest)
        .filter(|(_, at)| at.elapsed() < REMEMBER)
        .map(|(shop_id, _)| *shop_id)
}

fn remember(digest: [u8; 32], shop_id: i64) {
    let mut keys = keys().lock().unwrap_or_else(|p| p.into_inner());
    if keys.len() >= REMEMBERED {
        keys.clear();
    }
    keys.insert(digest, (shop_id, Instant::now()));
}

/// Forgets every remembered key (a key was revoked).
pub fn forget_keys() {
    keys().lock().unwrap_or_else(|p| p.into_inner()).clear();
}
