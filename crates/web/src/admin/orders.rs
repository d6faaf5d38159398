//! Orders: the list (by status, or one order id) and an order's page with its
//! lines, the claim applied to each, the discount split and the event history.

use store::lists::Page;
use store::orders::OrderFilter;

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(order_list).service(order_detail);
}

const STATUSES: [&str; 6] = [
    "created",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
];

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    statuses: Vec<(&'static str, String, bool)>,
    q: String,
    orders: Vec<OrderRow>,
    next_page: Option<String>,
}

#[get("/shops/{slug}/orders")]
pub(super) async fn order_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    // An unknown status filters nothing rather than failing the page.
    let status = query
        .status
        .as_deref()
        .filter(|s| STATUSES.contains(s))
        .map(str::to_owned);
    let filter = OrderFilter {
        status: status.clone(),
        external_id: query.q.clone(),
        page: Page {
            before: query.before,
            limit: PAGE_SIZE,
        },
    };
    let found = store::orders::list(&state.db, shop.id, &filter).await?;
    let next_page = next_page(
        req.path(),
        found.len(),
        found.last().map(|(o, _)| o.id),
        &[("status", status.as_deref()), ("q", query.q.as_deref())],
    );
    let page = OrdersPage {
        t,
        nav: Some(staff.nav(shop, role, "orders", req.path())),
        slug: shop.slug.clone(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, t.order_status(s), status.as_deref() == Some(*s)))
            .collect(),
        q: query.q.clone().unwrap_or_default(),
        orders: found
            .into_iter()
            .map(|(o, customer)| order_row(t, shop.time_zone, &o, &customer))
            .collect(),
        next_page,
    };
    Ok(render(StatusCode::OK, &page))
}

struct LineRow {
    name: Option<String>,
    sku: String,
    unit_price: String,
    activity_price: String,
    quantity: u32,
    amount: String,
    discount: String,
    /// (coupon id, coupon name, claim id) of the claim applied to the line.
    coupon: Option<(i64, String, i64)>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    external_id: String,
    status: String,
    status_class: String,
    customer_id: i64,
    customer: super::describe::Who,
    facts: Vec<(&'static str, String)>,
    lines: Vec<LineRow>,
    /// Per coupon: (coupon id, name, claim id, total, "line 1: ¥x, line 2: ¥y").
    split: Vec<(i64, String, i64, String, String)>,
    events: Vec<(String, String, String)>,
}

#[get("/shops/{slug}/orders/{id}")]
pub(super) async fn order_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let tz = shop.time_zone;
    let detail = store::orders::detail(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let money = |m: domain::Money| t.money(m);
    let order = &detail.order;
    let facts = vec![
        ("orders.subtotal", money(order.subtotal)),
        ("orders.discount", money(order.merchant_discount)),
        ("orders.platform_discount", money(order.platform_discount)),
        ("orders.payable", money(order.payable)),
        ("orders.created", describe::local(order.created_at, tz)),
        ("order_status.paid", describe::local_opt(order.paid_at, tz)),
        (
            "order_status.delivered",
            describe::local_opt(order.delivered_at, tz),
        ),
    ];
    // Products by name, the SKU beside it.
    let names = store::products::names(
        &state.db,
        shop.id,
        detail.lines.iter().map(|l| l.sku.as_str().to_owned()),
    )
    .await?;
    let lines = detail
        .lines
        .iter()
        .map(|line| LineRow {
            name: names.get(line.sku.as_str()).cloned(),
            sku: line.sku.as_str().to_owned(),
            unit_price: money(line.unit_price),
            activity_price: line.activity_price.map(money).unwrap_or_else(|| "—".into()),
            quantity: line.quantity,
            amount: money(line.amount),
            discount: money(line.discount),
            coupon: detail
                .allocations
                .iter()
                .find(|a| a.line_id == line.id)
                .map(|a| (a.coupon_id, a.coupon_name.clone(), a.claim_id)),
        })
        .collect();
    let mut split: Vec<(i64, String, i64, String, String)> = Vec::new();
    // Each claim once, in the order of the lines it first applies to (a shop
    // coupon's lines can sit between an item coupon's).
    let mut claims: Vec<i64> = Vec::new();
    for allocation in &detail.allocations {
        if !claims.contains(&allocation.claim_id) {
            claims.push(allocation.claim_id);
        }
    }
    for claim_id in claims {
        let parts: Vec<_> = detail
            .allocations
            .iter()
            .filter(|a| a.claim_id == claim_id)
            .collect();
        let total = parts
            .iter()
            .try_fold(domain::Money::ZERO, |sum, a| sum.checked_add(a.amount))
            .unwrap_or(domain::Money::ZERO);
        let by_line = parts
            .iter()
            .map(|a| {
                let line_no = detail
                    .lines
                    .iter()
                    .find(|l| l.id == a.line_id)
                    .map(|l| l.line_no)
                    .unwrap_or(0);
                format!("#{line_no} {}", money(a.amount))
            })
            .collect::<Vec<_>>()
            .join(" + ");
        split.push((
            parts[0].coupon_id,
            parts[0].coupon_name.clone(),
            claim_id,
            money(total),
            by_line,
        ));
    }
    let page = OrderPage {
        t,
        nav: Some(staff.nav(shop, role, "orders", req.path())),
        slug: shop.slug.clone(),
        external_id: order.external_id.clone(),
        status: t.order_status(order.status.as_str()),
        status_class: order.status.as_str().to_owned(),
        customer_id: order.customer_id,
        customer: super::describe::who(t, &detail.customer),
        facts: facts.into_iter().map(|(k, v)| (t.t(k), v)).collect(),
        lines,
        split,
        events: detail
            .events
            .iter()
            .map(|e| {
                (
                    // Events are named as the status they lead to.
                    t.order_status(e.event.as_str()),
                    describe::local(e.occurred_at, tz),
                    describe::local(e.recorded_at, tz),
                )
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// An order as the lists show it (here and on a customer's page).
pub(super) struct OrderRow {
    pub id: i64,
    pub external_id: String,
    pub customer: super::describe::Who,
    pub status: String,
    pub status_class: String,
    pub payable: String,
    pub discount: String,
    pub created_at: String,
}

pub(super) fn order_row(
    t: T,
    tz: chrono_tz::Tz,
    order: &store::orders::OrderRecord,
    customer: &store::lists::CustomerName,
) -> OrderRow {
    OrderRow {
        id: order.id,
        external_id: order.external_id.clone(),
        customer: super::describe::who(t, customer),
        status: t.order_status(order.status.as_str()),
        status_class: order.status.as_str().to_owned(),
        payable: t.money(order.payable),
        discount: t.money(order.merchant_discount),
        created_at: describe::local(order.created_at, tz),
    }
}
