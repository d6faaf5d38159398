//! Customers: the list (find one by id or phone), a customer's page with their
//! follow state, claims and orders, and granting a coupon by hand.

use store::lists::Page;

use super::orders::{OrderRow, order_row};

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(customer_list)
        .service(customer_detail)
        .service(grant_coupon);
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    before: Option<i64>,
}

struct CustomerRow {
    id: i64,
    who: describe::Who,
    phone: String,
    region: String,
    follower: bool,
    since: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    q: String,
    rows: Vec<CustomerRow>,
    next_page: Option<String>,
}

#[get("/shops/{slug}/customers")]
pub(super) async fn customer_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let page = Page {
        before: query.before,
        limit: PAGE_SIZE,
    };
    let found = store::customers::list(&state.db, shop.id, query.q.as_deref(), page).await?;
    let next_page = next_page(
        req.path(),
        found.len(),
        found.last().map(|c| c.id),
        &[("q", query.q.as_deref())],
    );
    let rows = found
        .into_iter()
        .map(|c| CustomerRow {
            id: c.id,
            who: describe::who(staff.t, &c.called()),
            phone: c.phone.unwrap_or_default(),
            region: c.region.map(|r| staff.t.region(r)).unwrap_or_default(),
            follower: c.is_follower,
            since: describe::local(c.created_at, shop.time_zone),
        })
        .collect();
    let page = CustomersPage {
        t: staff.t,
        nav: Some(staff.nav(shop, role, "customers", req.path())),
        slug: shop.slug.clone(),
        q: query.q.clone().unwrap_or_default(),
        rows,
        next_page,
    };
    Ok(render(StatusCode::OK, &page))
}

struct ClaimRow {
    coupon_id: i64,
    coupon_name: String,
    channel: &'static str,
    source: String,
    state: String,
    state_class: &'static str,
    valid: String,
    claimed_at: String,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    id: i64,
    who: describe::Who,
    facts: Vec<(&'static str, String)>,
    follower: bool,
    claims: Vec<ClaimRow>,
    orders: Vec<OrderRow>,
    can_grant: bool,
    csrf: String,
    grantable: Vec<(i64, String)>,
    notice: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct DetailQuery {
    granted: Option<i64>,
}

async fn customer_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    id: i64,
    notice: Option<String>,
    refusal: Option<String>,
) -> Result<CustomerPage, AdminError> {
    let (shop, role) = staff.shop(slug)?;
    let t = staff.t;
    let tz = shop.time_zone;
    let customer = store::customers::get(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let claims = store::claims::of_customer(&state.db, customer.id, 50).await?;
    let orders = store::orders::of_customer(&state.db, customer.id, 20).await?;
    let can_grant = role.can(Permission::EditShopData);
    let grantable = if can_grant {
        let filter = CouponFilter {
            status: Some(CouponStatus::Active),
            limit: 100,
            ..CouponFilter::default()
        };
        store::coupons::list_coupons(&state.db, shop.id, &filter)
            .await?
            .into_iter()
            .map(|c| {
                (
                    c.id,
                    format!("{} · {}", c.coupon.name(), t.benefit(c.coupon.benefit())),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let dash = || "—".to_owned();
    let tags: Vec<&str> = customer.tags.iter().map(|tag| tag.as_str()).collect();
    let facts = vec![
        ("customers.external_id", customer.external_id.clone()),
        (
            "customers.phone",
            customer.phone.clone().unwrap_or_else(dash),
        ),
        (
            "customers.region",
            customer.region.map(|r| t.region(r)).unwrap_or_else(dash),
        ),
        (
            "customers.tags",
            if tags.is_empty() {
                dash()
            } else {
                tags.join(", ")
            },
        ),
        (
            "customers.follower",
            match (customer.is_follower, customer.followed_at) {
                (true, Some(at)) => format!(
                    "{} {}",
                    t.t("customers.followed_since"),
                    describe::local(at, tz)
                ),
                (true, None) => t.t("customers.follower").to_owned(),
                (false, _) => t.t("customers.not_following").to_owned(),
            },
        ),
        (
            "customers.member",
            match &customer.member {
                Some(member) => format!(
                    "{}{} {}",
                    member
                        .level
                        .as_ref()
                        .map(|l| format!("{l} · "))
                        .unwrap_or_default(),
                    t.t("customers.member_since"),
                    describe::local(member.since, tz)
                ),
                None => t.t("customers.not_member").to_owned(),
            },
        ),
        ("customers.since", describe::local(customer.created_at, tz)),
    ];
    Ok(CustomerPage {
        t,
        nav: Some(staff.nav(shop, role, "customers", req.path())),
        slug: shop.slug.clone(),
        id: customer.id,
        who: describe::who(t, &customer.called()),
        facts: facts.into_iter().map(|(k, v)| (t.t(k), v)).collect(),
        follower: customer.is_follower,
        claims: claims
            .into_iter()
            .map(|held| ClaimRow {
                coupon_id: held.claim.coupon_id,
                coupon_name: held.coupon_name,
                channel: t.channel(held.claim.channel),
                source: t.word("source.", &held.source),
                state: t.word("state.", held.claim.state.as_str()),
                state_class: held.claim.state.as_str(),
                valid: format!(
                    "{} – {}",
                    describe::local(held.claim.valid_from, tz),
                    describe::local(held.claim.valid_until, tz)
                ),
                claimed_at: describe::local(held.claim.claimed_at, tz),
            })
            .collect(),
        orders: orders
            .iter()
            .map(|o| order_row(t, tz, o, &customer.called()))
            .collect(),
        can_grant,
        csrf: staff.csrf.clone(),
        grantable,
        notice,
        refusal,
    })
}

#[get("/shops/{slug}/customers/{id}")]
pub(super) async fn customer_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let notice = query
        .granted
        .map(|_| staff.t.t("customers.granted").to_owned());
    let page = customer_page(&req, &state, &staff, &slug, id, notice, None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct GrantForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    coupon_id: i64,
}

session::carries_csrf!(GrantForm);

/// A customer-service grant: the claiming rules apply; a refusal is shown on
/// the customer's page and nothing is written.
#[post("/shops/{slug}/customers/{id}/grant")]
pub(super) async fn grant_coupon(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    change: Change<GrantForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let (staff, shop, _, form) = change.parts();
    let customer = store::customers::get(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let now = state.now();
    let coupon_id = form.coupon_id;
    let granted = store::audit::write_row(
        &state.db,
        &staff.actor(shop, now),
        "grant",
        store::audit::Table::Claim,
        None,
        async |tx| {
            let claim =
                store::claims::grant_by_hand(tx, shop.id, &customer.external_id, coupon_id, now)
                    .await?;
            Ok((claim.id, claim))
        },
    )
    .await;
    match granted {
        Ok(claim) => {
            crate::telemetry::granted("customer_service", 1);
            Ok(redirect(&format!(
                "/shops/{}/customers/{id}?granted={}",
                shop.slug, claim.id
            )))
        }
        Err(store::StoreError::Refused(refusal)) => {
            let reason = format!(
                "{}{}",
                staff.t.t("customers.refused"),
                staff.t.refusal(refusal)
            );
            let page = customer_page(&req, &state, staff, &slug, id, None, Some(reason)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
        Err(other) => Err(other.into()),
    }
}
