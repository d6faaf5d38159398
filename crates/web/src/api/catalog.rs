//! Catalog sync and customers: products by SKU, customer profiles, following.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, put};
use domain::{Channel, Money, Region, Sku, Tag};
use serde::Deserialize;
use serde_json::Value;
use store::products::ProductRecord;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiShop;
use super::error::ApiError;
use super::idempotency::write;
use super::input::parse;
use super::schema::{
    ClaimAnswer, CouponAnswer, CustomerAnswer, CustomerCoupons, FollowAnswer, MembershipAnswer,
    ProductAnswer, ProductPage, UnfollowAnswer, to_json,
};
use crate::state::AppState;

fn product_json(product: &ProductRecord) -> Value {
    to_json(&ProductAnswer::from(product))
}

fn sku_in_path(text: &str) -> Result<Sku, ApiError> {
    Sku::parse(text).map_err(|e| ApiError::invalid("sku", e.to_string()))
}

fn customer_in_path(text: &str) -> Result<String, ApiError> {
    domain::ids::customer_ref(text)?;
    Ok(text.to_owned())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    /// Decimal string, e.g. "99.00".
    #[schema(value_type = String, example = "99.00", pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
    price: Money,
}

#[utoipa::path(
    tag = "catalog",
    params(("sku" = String, Path, description = "The product's SKU", pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
    request_body = ProductBody,
    responses((status = 200, description = "Updated", body = ProductAnswer), (status = 201, description = "Created", body = ProductAnswer)),
    security(("api_key" = []))
)]
#[put("/products/{sku}")]
pub(super) async fn put_product(
    state: Data<AppState>,
    shop: ApiShop,
    sku: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let sku = sku_in_path(&sku)?;
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: ProductBody = parse(body)?;
        let (product, created) = store::products::upsert_product(
            &state.db,
            shop.shop_id,
            &sku,
            &input.name,
            input.price,
            state.now(),
        )
        .await?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, product_json(&product)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ProductsQuery {
    /// Keyset cursor: only SKUs after this one.
    #[param(nullable = false)]
    after: Option<String>,
    /// At most 500 (default 100).
    #[param(nullable = false, minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

#[utoipa::path(
    tag = "catalog",
    params(ProductsQuery),
    responses((status = 200, description = "Products in SKU order", body = ProductPage)),
    security(("api_key" = []))
)]
#[get("/products")]
pub(super) async fn list_products(
    state: Data<AppState>,
    shop: ApiShop,
    query: Query<ProductsQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match query.limit {
        None => 100,
        Some(n @ 1..=500) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                Some("limit".into()),
                "must be 1 to 500",
            ));
        }
    };
    let products =
        store::products::list_products(&state.db, shop.shop_id, query.after.as_deref(), limit)
            .await?;
    let next = (products.len() as u64 == limit)
        .then(|| products.last().map(|p| p.sku.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(ProductPage {
        products: products.iter().map(ProductAnswer::from).collect(),
        next_after: next,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    /// GB/T 2260 province code, e.g. "44"; `null` clears it; absent: unchanged.
    #[schema(value_type = Option<super::schema::RegionCode>, example = "44")]
    #[serde(default, deserialize_with = "super::input::given")]
    region: Option<Option<Region>>,
    /// `null` clears them; absent: unchanged.
    #[schema(value_type = Option<Vec<super::schema::TagText>>, max_items = 50)]
    #[serde(default, deserialize_with = "super::input::given")]
    tags: Option<Option<Vec<Tag>>>,
    /// `null` clears it; absent: unchanged.
    #[schema(value_type = Option<String>, max_length = 32)]
    #[serde(default, deserialize_with = "super::input::given")]
    phone: Option<Option<String>>,
    /// What the shop calls the customer (a nickname), shown on the admin
    /// pages; `null` clears it; absent: unchanged.
    #[schema(value_type = Option<String>, min_length = 1, max_length = 40, example = "小美")]
    #[serde(default, deserialize_with = "super::input::given")]
    name: Option<Option<String>>,
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, description = "The storefront's customer id", pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
    request_body = CustomerBody,
    responses((status = 200, body = CustomerAnswer)),
    security(("api_key" = []))
)]
#[put("/customers/{external_id}")]
pub(super) async fn put_customer(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: CustomerBody = parse(body)?;
        if input
            .tags
            .as_ref()
            .is_some_and(|tags| tags.as_ref().is_some_and(|t| t.len() > 50))
        {
            return Err(ApiError::invalid("tags", "at most 50 tags"));
        }
        if input
            .phone
            .as_ref()
            .is_some_and(|p| p.as_ref().is_some_and(|p| p.chars().count() > 32))
        {
            return Err(ApiError::invalid("phone", "must be at most 32 characters"));
        }
        let name = match input.name {
            Some(Some(name)) => Some(Some(domain::ids::customer_name(&name)?)),
            other => other,
        };
        let profile = store::customers::CustomerProfile {
            region: input.region,
            tags: input.tags.map(Option::unwrap_or_default),
            phone: input.phone,
            name,
        };
        let row = store::customers::upsert_customer(
            &state.db,
            shop.shop_id,
            &external_id,
            &profile,
            state.now(),
        )
        .await?;
        let answer = CustomerAnswer {
            external_id: row.external_id,
            region: row.region.map(|r| r.to_string()),
            tags: row.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            phone: row.phone,
            name: row.name,
            is_follower: row.is_follower,
        };
        Ok((StatusCode::OK, to_json(&answer)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ChannelQuery {
    /// Where the customer is.
    #[param(value_type = Option<super::schema::ChannelWord>, nullable = false)]
    channel: Option<String>,
}

fn channel_of(query: &ChannelQuery) -> Result<Option<Channel>, ApiError> {
    query
        .channel
        .as_deref()
        .map(|c| {
            c.parse().map_err(|e: domain::vocab::UnknownWord| {
                ApiError::bad_request(Some("channel".into()), e.to_string())
            })
        })
        .transpose()
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$"), ChannelQuery),
    responses((status = 200, description = "The follower coupons granted now", body = FollowAnswer)),
    security(("api_key" = []))
)]
#[put("/customers/{external_id}/follow")]
pub(super) async fn follow(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    query: Query<ChannelQuery>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    let channel = channel_of(&query)?.unwrap_or(Channel::ShopPage);
    write(&state, shop.shop_id, &req, body, async |_| {
        let granted =
            store::follows::follow(&state.db, shop.shop_id, &external_id, channel, state.now())
                .await?;
        crate::telemetry::granted("follow", granted.len() as u64);
        let answer = FollowAnswer {
            following: true,
            granted: granted
                .iter()
                .map(|c| ClaimAnswer::new(c, &external_id))
                .collect(),
        };
        Ok((StatusCode::OK, to_json(&answer)))
    })
    .await
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
    responses((status = 200, body = UnfollowAnswer)),
    security(("api_key" = []))
)]
#[delete("/customers/{external_id}/follow")]
pub(super) async fn unfollow(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    write(&state, shop.shop_id, &req, body, async |_| {
        store::follows::unfollow(&state.db, shop.shop_id, &external_id, state.now()).await?;
        Ok((
            StatusCode::OK,
            to_json(&UnfollowAnswer { following: false }),
        ))
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MembershipBody {
    /// The member's level, if the shop has levels (e.g. "金卡"); absent: kept.
    #[schema(min_length = 1, max_length = 32, example = "金卡")]
    #[serde(default)]
    level: Option<String>,
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
    request_body(content = Option<MembershipBody>, description = "Optional: `{\"level\": \"金卡\"}`"),
    responses((status = 200, description = "A member now; the join gifts granted now (none on joining again)", body = MembershipAnswer)),
    security(("api_key" = []))
)]
#[put("/customers/{external_id}/membership")]
pub(super) async fn join_membership(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    write(&state, shop.shop_id, &req, body, async |body| {
        let input: MembershipBody = if body.iter().all(u8::is_ascii_whitespace) {
            MembershipBody::default()
        } else {
            parse(body)?
        };
        let (customer, granted) = store::members::join(
            &state.db,
            shop.shop_id,
            &external_id,
            input.level.as_deref(),
            state.now(),
        )
        .await?;
        crate::telemetry::granted("join_gift", granted.len() as u64);
        let answer = MembershipAnswer::new(&customer, &granted);
        Ok((StatusCode::OK, to_json(&answer)))
    })
    .await
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")),
    responses((status = 200, body = MembershipAnswer)),
    security(("api_key" = []))
)]
#[delete("/customers/{external_id}/membership")]
pub(super) async fn leave_membership(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    write(&state, shop.shop_id, &req, body, async |_| {
        let customer =
            store::members::leave(&state.db, shop.shop_id, &external_id, state.now()).await?;
        Ok((
            StatusCode::OK,
            to_json(&MembershipAnswer::new(&customer, &[])),
        ))
    })
    .await
}

#[utoipa::path(
    tag = "customers",
    params(("external_id" = String, Path, pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$"), ChannelQuery),
    responses((status = 200, body = CustomerCoupons)),
    security(("api_key" = []))
)]
#[get("/customers/{external_id}/coupons")]
pub(super) async fn customer_coupons(
    state: Data<AppState>,
    shop: ApiShop,
    external_id: Path<String>,
    query: Query<ChannelQuery>,
) -> Result<HttpResponse, ApiError> {
    let external_id = customer_in_path(&external_id)?;
    let channel = channel_of(&query)?;
    let now = state.now();
    let claimable =
        store::claims::claimable_coupons(&state.db, shop.shop_id, &external_id, channel, now)
            .await?;
    let held = match store::customers::find_customer(&state.db, shop.shop_id, &external_id).await? {
        Some(customer) => {
            store::claims::unused_claims(&state.db, shop.shop_id, customer.id).await?
        }
        None => Vec::new(),
    };
    Ok(HttpResponse::Ok().json(CustomerCoupons {
        claimable: claimable.iter().map(|c| CouponAnswer::new(c, 0)).collect(),
        held: held
            .iter()
            .filter(|(c, _)| c.valid_until >= now)
            .map(|(c, _)| ClaimAnswer::new(c, &external_id))
            .collect(),
    }))
}
