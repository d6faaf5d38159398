//! The coupon list: filtered by kind, status and name, a page at a time.

use super::*;

#[derive(Deserialize)]
struct CouponQuery {
    kind: Option<String>,
    status: Option<String>,
    q: Option<String>,
    before: Option<i64>,
}

struct CouponRow {
    id: i64,
    name: String,
    kind: String,
    benefit: String,
    status: &'static str,
    status_class: &'static str,
    claimed: String,
    /// Redeemed on paid orders that count, and that over claimed (SPEC §8).
    used: u64,
    use_rate: String,
    window: String,
}

#[derive(Template)]
#[template(path = "coupons.html")]
struct CouponsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    can_edit: bool,
    /// The "new coupon" menu: (preset, what it makes).
    new_forms: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    q: String,
    rows: Vec<CouponRow>,
    next_page: Option<String>,
}

#[get("/shops/{slug}/coupons")]
pub(super) async fn coupons(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<CouponQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    // An unknown filter value filters nothing rather than failing the page.
    let kind = query
        .kind
        .as_deref()
        .and_then(|k| k.parse::<CouponKind>().ok());
    let status = query
        .status
        .as_deref()
        .and_then(|s| CouponStatus::parse(s).ok());
    let filter = CouponFilter {
        kind,
        status,
        name: query.q.clone(),
        before: query.before,
        limit: PAGE_SIZE,
    };
    let records = store::coupons::list_coupons(&state.db, shop.id, &filter).await?;
    // One grouped count for the page.
    let used = store::coupons::used_counts(&state.db, records.iter().map(|r| r.id)).await?;
    let local = |at| describe::local(at, shop.time_zone);
    let rows = records
        .iter()
        .map(|record| CouponRow {
            id: record.id,
            name: record.coupon.name().to_owned(),
            kind: t.kind_and_scope(record.coupon.kind(), !record.coupon.scope().is_shop()),
            benefit: t.benefit(record.coupon.benefit()),
            status: t.status(record.status),
            status_class: record.status.as_str(),
            used: used.get(&record.id).copied().unwrap_or(0),
            use_rate: domain::metrics::percent_of(
                used.get(&record.id).copied().unwrap_or(0),
                record.claimed,
            )
            .map(|rate| format!("{rate}%"))
            .unwrap_or_else(|| "—".to_owned()),
            claimed: match record.coupon.limits().quantity {
                Some(quantity) => format!("{} / {}", record.claimed, quantity),
                None => format!("{} / {}", record.claimed, t.t("coupons.unlimited")),
            },
            window: format!(
                "{} – {}",
                local(record.coupon.claim_from()),
                local(record.coupon.claim_until())
            ),
        })
        .collect();
    let next_page = next_page(
        req.path(),
        records.len(),
        records.last().map(|r| r.id),
        &[
            ("kind", query.kind.as_deref()),
            ("status", query.status.as_deref()),
            ("q", query.q.as_deref()),
        ],
    );
    let page = CouponsPage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", req.path())),
        slug: shop.slug.clone(),
        can_edit: role.can(Permission::EditShopData),
        new_forms: super::edit::NEW_FORMS
            .iter()
            .map(|(preset, label)| (*preset, t.t(label)))
            .collect(),
        kinds: CouponKind::ALL
            .iter()
            .map(|k| (k.as_str(), t.kind(*k), Some(*k) == kind))
            .collect(),
        statuses: [
            CouponStatus::Draft,
            CouponStatus::Active,
            CouponStatus::Paused,
            CouponStatus::Ended,
        ]
        .into_iter()
        .map(|s| (s.as_str(), t.status(s), Some(s) == status))
        .collect(),
        q: query.q.clone().unwrap_or_default(),
        rows,
        next_page,
    };
    Ok(render(StatusCode::OK, &page))
}
