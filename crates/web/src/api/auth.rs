//! `Authorization: Bearer <key>`: the key says which shop the request acts for.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::error::ApiError;
use crate::app::AppState;

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
            match store::api_keys::shop_for_key(&state.db, &key).await? {
                Some(shop_id) => Ok(ApiShop { shop_id }),
                None => Err(ApiError::unauthorized()),
            }
        })
    }
}
