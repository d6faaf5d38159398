//! Calling the real application (the same `build_app` the binary serves) in
//! process, with time standing still at `fixtures::now()`.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test;
use serde_json::Value;
use store::shops::ShopRecord;

use super::db::TestDb;
use super::fixtures;

/// A shop with an API key, on a test database.
pub struct ApiShop {
    pub shop: ShopRecord,
    pub key: String,
}

pub async fn shop_with_key(database: &TestDb, slug: &str) -> ApiShop {
    let shop = fixtures::shop(&database.db, slug).await;
    let (_, key) = store::api_keys::create_api_key(&database.db, shop.id, "tests", fixtures::now())
        .await
        .unwrap();
    ApiShop { shop, key }
}

pub async fn app(
    database: &TestDb,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    let state = web::AppState::at(database.db.clone(), fixtures::now());
    app_with(state).await
}

/// The application with these settings (HTTPS cookies, trusted proxies …).
pub async fn app_with(
    state: web::AppState,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(web::build_app(state)).await
}

/// One request; the answer's status and JSON body (`Null` when empty).
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub key: Option<&'a str>,
    pub body: Option<String>,
    pub idempotency_key: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, path: &'a str, key: &'a str) -> Call<'a> {
        Call {
            method,
            path,
            key: Some(key),
            body: None,
            idempotency_key: None,
        }
    }

    pub fn json(mut self, body: &Value) -> Call<'a> {
        self.body = Some(body.to_string());
        self
    }

    pub fn raw(mut self, body: &str) -> Call<'a> {
        self.body = Some(body.to_owned());
        self
    }

    pub fn idempotency_key(mut self, key: &'a str) -> Call<'a> {
        self.idempotency_key = Some(key);
        self
    }

    pub async fn send<S, B>(self, app: &S) -> (StatusCode, Value)
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        if !super::openapi::loaded() {
            let request = test::TestRequest::get()
                .uri("/api/v1/openapi.json")
                .to_request();
            let document: Value =
                test::read_body_json(test::call_service(app, request).await).await;
            super::openapi::document_or_init(|| document);
        }
        let method = self.method.to_string();
        let path = self.path.to_owned();
        let mut request = test::TestRequest::default()
            .method(self.method)
            .uri(self.path);
        if let Some(key) = self.key {
            request = request.insert_header(("Authorization", format!("Bearer {key}")));
        }
        if let Some(key) = self.idempotency_key {
            request = request.insert_header(("Idempotency-Key", key));
        }
        if let Some(body) = self.body {
            request = request
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body);
        }
        let response = test::call_service(app, request.to_request()).await;
        let status = response.status();
        let bytes = test::read_body(response).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        super::openapi::check(&method, &path, status.as_u16(), &body);
        (status, body)
    }
}

pub fn get<'a>(path: &'a str, key: &'a str) -> Call<'a> {
    Call::new(Method::GET, path, key)
}

pub fn post<'a>(path: &'a str, key: &'a str, body: &Value) -> Call<'a> {
    Call::new(Method::POST, path, key).json(body)
}

pub fn put<'a>(path: &'a str, key: &'a str, body: &Value) -> Call<'a> {
    Call::new(Method::PUT, path, key).json(body)
}

/// Creates an active coupon from the fixture body with `patch` over the API; its id.
pub async fn active_coupon<S, B>(app: &S, key: &str, patch: Value) -> i64
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut body = fixtures::coupon_body(patch);
    body["status"] = serde_json::json!("active");
    let (status, answer) = post("/api/v1/coupons", key, &body).send(app).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_i64().unwrap()
}
