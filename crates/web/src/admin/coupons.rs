//! Coupon pages: the list, a coupon's page and its actions, the create and
//! edit form and its live summary.

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
    window: String,
}

#[derive(Template)]
#[template(path = "coupons.html")]
struct CouponsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    can_edit: bool,
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
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<CouponQuery>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop(&slug)?;
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

#[derive(Template)]
#[template(path = "coupon.html")]
struct CouponPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    id: i64,
    name: String,
    status: &'static str,
    status_class: &'static str,
    summary: String,
    can_edit: bool,
    editable: bool,
    /// Whether the live drop console is worth opening: the coupon can be claimed.
    live: bool,
    csrf: String,
    actions: Vec<(&'static str, &'static str)>,
    facts: Vec<(&'static str, String)>,
    metrics: CouponMetrics,
    claimed: u64,
    used: u64,
    expired: u64,
    unused: u64,
    codes: Option<CodesBox>,
    estimate_link: Option<String>,
}

impl CouponPage {
    /// Our own SVG, built from numbers and escaped labels.
    fn daily_chart(&self) -> askama::filters::Safe<&str> {
        askama::filters::Safe(&self.metrics.daily_chart)
    }
}

/// SPEC §8 for one coupon: a row per channel and the total, and a daily chart.
struct CouponMetrics {
    rows: Vec<MetricRow>,
    total: MetricRow,
    issued: String,
    claim_rate: String,
    daily_chart: String,
}

struct MetricRow {
    channel: String,
    claimed: u64,
    used: u64,
    expired: u64,
    use_rate: String,
    cost: String,
    gmv: String,
    roi: String,
}

async fn coupon_metrics(
    state: &AppState,
    t: T,
    record: &store::coupons::CouponRecord,
    shop: &store::shops::ShopRecord,
) -> Result<CouponMetrics, AdminError> {
    let quantity = record.coupon.limits().quantity.map(u64::from);
    let (total, by_channel) = store::metrics::coupon_tally(&state.db, record.id, quantity).await?;
    let none = || "—".to_owned();
    let row = |channel: String, tally: domain::Tally| {
        let m = domain::Metrics::from_tally(tally);
        MetricRow {
            channel,
            claimed: m.claimed,
            used: m.used,
            expired: m.expired,
            use_rate: m.use_rate.map(|r| format!("{r}%")).unwrap_or_else(none),
            cost: t.money(m.actual_cost),
            gmv: t.money(m.coupon_gmv),
            roi: m.roi.map(|r| r.to_string()).unwrap_or_else(none),
        }
    };
    let all = domain::Metrics::from_tally(total);
    let days =
        store::stats::coupon_days(&state.db, record.id, shop.time_zone, state.now(), 30).await?;
    let columns: Vec<super::chart::Column> = days
        .iter()
        .map(|(day, claims, used)| super::chart::Column {
            value: *claims,
            shown: format!(
                "{} {claims} · {} {used}",
                t.t("coupon.claimed"),
                t.t("coupon.used")
            ),
            label: day.format("%m-%d").to_string(),
        })
        .collect();
    let max = days.iter().map(|d| d.1).max().unwrap_or(0);
    Ok(CouponMetrics {
        rows: by_channel
            .into_iter()
            .map(|(channel, tally)| row(t.channel(channel).to_owned(), tally))
            .collect(),
        total: row(t.t("metrics.total").to_owned(), total),
        issued: quantity
            .map(|q| q.to_string())
            .unwrap_or_else(|| t.t("coupons.unlimited").to_owned()),
        claim_rate: all.claim_rate.map(|r| format!("{r}%")).unwrap_or_else(none),
        daily_chart: super::chart::columns(
            t.t("metrics.daily"),
            "claims",
            &columns,
            &max.to_string(),
        ),
    })
}

/// The codes section of a private coupon's page.
struct CodesBox {
    summary: String,
    one_time: bool,
    error: Option<String>,
}

async fn codes_box(
    state: &AppState,
    t: T,
    record: &store::coupons::CouponRecord,
    error: Option<String>,
) -> Result<Option<CodesBox>, AdminError> {
    let domain::KindRules::Private(codes) = record.coupon.rules() else {
        return Ok(None);
    };
    let (all, used) = store::codes::code_counts(&state.db, record.id).await?;
    let summary = match codes {
        domain::PrivateCodes::Shared { code } => {
            t.t("codes.shared").replace("{code}", code.as_str())
        }
        domain::PrivateCodes::Unique { .. } => t
            .t("codes.summary")
            .replace("{all}", &all.to_string())
            .replace("{used}", &used.to_string()),
    };
    Ok(Some(CodesBox {
        summary,
        one_time: matches!(codes, domain::PrivateCodes::Unique { .. }),
        error,
    }))
}

#[derive(Deserialize)]
struct DetailQuery {
    codes_error: Option<u8>,
}

#[get("/shops/{slug}/coupons/{id}")]
pub(super) async fn coupon_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let (shop, role) = staff.shop(&slug)?;
    let t = staff.t;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let coupon = &record.coupon;
    let metrics = coupon_metrics(&state, t, &record, shop).await?;
    // The side card's counts come from the same tally as the metrics.
    let (used, expired) = (metrics.total.used, metrics.total.expired);
    let unused = metrics.total.claimed.saturating_sub(used + expired);
    let tz = shop.time_zone;
    let local = |at| describe::local(at, tz);
    let any = t.t("coupon.everywhere");
    let facts = vec![
        (
            "coupon.kind",
            t.kind_and_scope(coupon.kind(), !coupon.scope().is_shop()),
        ),
        ("coupon.benefit", t.benefit(coupon.benefit())),
        (
            "coupon.scope",
            match coupon.scope() {
                Scope::Shop => t.t("coupon.scope_shop").to_owned(),
                Scope::Items { skus } => skus
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ),
        ("coupon.validity", describe::validity_fact(coupon, t, tz)),
        (
            "coupon.claim_window",
            format!(
                "{} – {}",
                local(coupon.claim_from()),
                local(coupon.claim_until())
            ),
        ),
        ("coupon.audience", t.audience(coupon.audience())),
        (
            "coupon.channels",
            if coupon.channels().is_empty() {
                any.to_owned()
            } else {
                coupon
                    .channels()
                    .iter()
                    .map(|c| t.channel(*c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "coupon.regions",
            if coupon.regions().is_empty() {
                any.to_owned()
            } else {
                coupon
                    .regions()
                    .iter()
                    .map(|r| t.region(*r))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    let mut actions: Vec<(&'static str, &'static str)> = record
        .status
        .actions()
        .into_iter()
        .map(|a| (a.as_str(), t.action(a)))
        .collect();
    actions.push(("clone", t.t("action.clone")));
    let page = CouponPage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", req.path())),
        slug: shop.slug.clone(),
        id: record.id,
        name: coupon.name().to_owned(),
        status: t.status(record.status),
        status_class: record.status.as_str(),
        summary: describe::summary(coupon, t, tz),
        can_edit: role.can(Permission::EditShopData),
        editable: role.can(Permission::EditShopData) && record.status != CouponStatus::Ended,
        live: matches!(record.status, CouponStatus::Active | CouponStatus::Paused),
        csrf: staff.csrf.clone(),
        actions,
        facts: facts
            .into_iter()
            .map(|(key, value)| (t.t(key), value))
            .collect(),
        metrics,
        claimed: record.claimed,
        used,
        expired,
        unused,
        estimate_link: match coupon.benefit().spec() {
            domain::BenefitSpec::AmountOff { threshold, amount } => Some(format!(
                "/shops/{}/estimate?face_value={amount}&threshold={threshold}&quantity={}",
                shop.slug,
                coupon.limits().quantity.unwrap_or(1000)
            )),
            _ => None,
        },
        codes: codes_box(
            &state,
            t,
            &record,
            query.codes_error.map(|_| t.t("codes.bad_count").to_owned()),
        )
        .await?,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Activate, pause, resume, end or clone; only for roles that edit shop data.
#[post("/shops/{slug}/coupons/{id}/{action}")]
pub(super) async fn coupon_action(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id, action) = path.into_inner();
    let (shop, _) = staff.shop_to_change(&slug, &form.csrf, Permission::EditShopData)?;
    let now = state.now();
    if action == "clone" {
        let record = store::coupons::get_coupon(&state.db, shop.id, id)
            .await
            .map_err(|_| staff.fail(Failure::NotFound))?;
        let copy = record
            .coupon
            .copy(staff.t.t("clone.suffix"))
            .map_err(|_| staff.fail(Failure::Internal))?;
        let created = audited_coupon(&state, &staff, shop, "clone", None, async |tx| {
            store::coupons::create_coupon_in(tx, shop.id, &copy, CouponStatus::Draft, now).await
        })
        .await?;
        return Ok(redirect(&format!(
            "/shops/{}/coupons/{}",
            shop.slug, created.id
        )));
    }
    let action: LifecycleAction = action.parse().map_err(|_| staff.fail(Failure::NotFound))?;
    let applied = audited_coupon(
        &state,
        &staff,
        shop,
        action.as_str(),
        Some(id),
        async |tx| store::coupons::apply_action_in(tx, shop.id, id, action, now).await,
    )
    .await;
    match applied {
        // A stale page asked for a step that no longer applies: show the coupon as it is.
        Ok(_) | Err(store::StoreError::Conflict(_)) => {
            Ok(redirect(&format!("/shops/{}/coupons/{id}", shop.slug)))
        }
        Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
        Err(other) => Err(other.into()),
    }
}

/// The label key of a coupon-form field, for messages away from the field.
fn field_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "coupons.name",
        "kind" => "coupons.kind",
        "benefit.threshold" | "benefit.amount" | "benefit.percent" | "benefit.tiers" => {
            "coupon.benefit"
        }
        "benefit.min_quantity" => "form.min_quantity",
        "benefit.max_discount" => "form.max_discount",
        "scope.skus" | "scope.type" => "coupon.scope",
        "claim_from" => "form.claim_from",
        "claim_until" => "form.claim_until",
        "validity.days" | "validity.from" | "validity.until" => "coupon.validity",
        "quantity" => "form.quantity",
        "per_customer_limit" => "form.per_customer",
        "per_customer_daily_limit" => "form.per_day",
        "audience" | "audience.tag" => "coupon.audience",
        "channels" => "coupon.channels",
        "regions" => "coupon.regions",
        "repurchase.days_after" => "form.days_after",
        "private.code" => "form.shared_code",
        "private.unique_codes" => "form.unique_codes",
        _ => return None,
    })
}

/// A change to a coupon by this staff member, logged with it.
async fn audited_coupon(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    action: &'static str,
    existing: Option<i64>,
    work: impl AsyncFnOnce(
        &store::DatabaseTransaction,
    ) -> Result<store::coupons::CouponRecord, store::StoreError>,
) -> Result<store::coupons::CouponRecord, store::StoreError> {
    let actor = staff.actor(shop, state.now());
    store::audit::write_row(
        &state.db,
        &actor,
        action,
        store::audit::Table::Coupon,
        existing,
        async |tx| {
            let saved = work(tx).await?;
            Ok((saved.id, saved))
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "coupon_form.html")]
struct CouponFormPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    title_key: &'static str,
    action: String,
    editing: bool,
    csrf: String,
    form: form::FormValues,
    errors: form::FieldErrors,
    summary: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    audiences: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str, bool)>,
    products: Vec<(String, String, bool)>,
}

impl CouponFormPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }

    fn e(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|reason| self.t.reason(reason))
    }
}

async fn coupon_form_page(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    role: domain::roles::Role,
    form: form::FormValues,
    errors: form::FieldErrors,
    summary: Option<String>,
) -> Result<CouponFormPage, AdminError> {
    let t = staff.t;
    let products = store::products::list_products(&state.db, shop.id, None, 500).await?;
    let chosen = form
        .all("scope.skus")
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let channels_chosen = form
        .all("channels")
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let path = format!("/shops/{}/coupons/new", shop.slug);
    Ok(CouponFormPage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", &path)),
        slug: shop.slug.clone(),
        title_key: "form.title",
        action: format!("/shops/{}/coupons", shop.slug),
        editing: false,
        csrf: staff.csrf.clone(),
        summary,
        kinds: CouponKind::ALL
            .iter()
            .map(|k| (k.as_str(), t.kind(*k)))
            .collect(),
        audiences: [
            "all",
            "new_customers",
            "returning_customers",
            "followers",
            "tag",
        ]
        .into_iter()
        .map(|a| {
            (
                a,
                t.t(match a {
                    "all" => "audience.all",
                    "new_customers" => "audience.new_customers",
                    "returning_customers" => "audience.returning_customers",
                    "followers" => "audience.followers",
                    _ => "audience.tag",
                }),
            )
        })
        .collect(),
        channels: domain::Channel::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    t.channel(*c),
                    channels_chosen.iter().any(|x| x == c.as_str()),
                )
            })
            .collect(),
        products: products
            .iter()
            .map(|p| {
                let sku = p.sku.to_string();
                let checked = chosen.contains(&sku);
                (
                    sku.clone(),
                    format!("{} {} ({})", sku, p.name, t.money(p.price)),
                    checked,
                )
            })
            .collect(),
        form,
        errors,
    })
}

#[get("/shops/{slug}/coupons/new")]
pub(super) async fn new_coupon(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop_with(&slug, Permission::EditShopData)?;
    // A sensible start: 满99减10, 1000 in all, one each, claimable for 30 days, valid 7 days.
    let now = state.now();
    let start = now - chrono::Duration::minutes(i64::from(chrono::Timelike::minute(&now)));
    let mut values = form::FormValues::default();
    for (name, value) in [
        ("kind", "shop".to_owned()),
        ("benefit.type", "amount_off".to_owned()),
        ("benefit.threshold", "99.00".to_owned()),
        ("benefit.amount", "10.00".to_owned()),
        ("benefit.min_quantity", "1".to_owned()),
        ("scope.type", "shop".to_owned()),
        ("validity.type", "relative".to_owned()),
        ("validity.days", "7".to_owned()),
        ("claim_from", form::local_input(start, shop.time_zone)),
        (
            "claim_until",
            form::local_input(start + chrono::Duration::days(30), shop.time_zone),
        ),
        ("quantity", "1000".to_owned()),
        ("per_customer_limit", "1".to_owned()),
        ("audience", "all".to_owned()),
        ("repurchase.days_after", "7".to_owned()),
        ("follower.auto_grant", "on".to_owned()),
    ] {
        values.set(name, value);
    }
    let page =
        coupon_form_page(&state, &staff, shop, role, values, Default::default(), None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/coupons")]
pub(super) async fn create_coupon(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let values = form::FormValues::new(body.into_inner());
    let (shop, role) =
        staff.shop_to_change(&slug, values.get("_csrf"), Permission::EditShopData)?;
    let status = if values.get("status") == "draft" {
        CouponStatus::Draft
    } else {
        CouponStatus::Active
    };
    let (errors, summary) = match form::read_coupon(&values, shop.time_zone) {
        Ok(coupon)
            if let Some(deep) = form::unconfirmed_deep_discount(&values, &coupon, staff.t) =>
        {
            (
                std::iter::once(deep).collect(),
                Some(describe::summary(&coupon, staff.t, shop.time_zone)),
            )
        }
        Ok(coupon) => {
            let now = state.now();
            let created = audited_coupon(&state, &staff, shop, "create", None, async |tx| {
                store::coupons::create_coupon_in(tx, shop.id, &coupon, status, now).await
            })
            .await;
            match created {
                Ok(created) => {
                    return Ok(redirect(&format!(
                        "/shops/{}/coupons/{}",
                        shop.slug, created.id
                    )));
                }
                // The design is sound but the shop refuses it (a code already in use).
                Err(store::StoreError::Invalid(found)) => (
                    found
                        .iter()
                        .map(|e| (e.field.clone(), e.reason.clone()))
                        .collect(),
                    Some(describe::summary(&coupon, staff.t, shop.time_zone)),
                ),
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => (errors, None),
    };
    // Nothing was written: the form again, with what was typed and the reasons.
    let page = coupon_form_page(&state, &staff, shop, role, values, errors, summary).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The form as an edit of coupon `id`.
fn as_edit(mut page: CouponFormPage, id: i64) -> CouponFormPage {
    page.title_key = "form.edit_title";
    page.action = format!("/shops/{}/coupons/{id}", page.slug);
    page.editing = true;
    page
}

#[get("/shops/{slug}/coupons/{id}/edit")]
pub(super) async fn edit_coupon(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let (shop, role) = staff.shop_with(&slug, Permission::EditShopData)?;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let values = form::from_coupon(&record.coupon, shop.time_zone);
    let summary = Some(describe::summary(&record.coupon, staff.t, shop.time_zone));
    let page = coupon_form_page(
        &state,
        &staff,
        shop,
        role,
        values,
        Default::default(),
        summary,
    )
    .await?;
    Ok(render(StatusCode::OK, &as_edit(page, id)))
}

/// Saves an edit under SPEC §2's rule: once claimed, what customers hold stays.
#[post("/shops/{slug}/coupons/{id}")]
pub(super) async fn update_coupon(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let values = form::FormValues::new(body.into_inner());
    let (shop, role) =
        staff.shop_to_change(&slug, values.get("_csrf"), Permission::EditShopData)?;
    let detail = format!("/shops/{}/coupons/{id}", shop.slug);
    let errors = match form::read_coupon(&values, shop.time_zone) {
        Ok(edited)
            if let Some(deep) = form::unconfirmed_deep_discount(&values, &edited, staff.t) =>
        {
            std::iter::once(deep).collect()
        }
        Ok(edited) => {
            let now = state.now();
            let updated = audited_coupon(&state, &staff, shop, "update", Some(id), async |tx| {
                store::coupons::update_coupon_in(tx, shop.id, id, &edited, now).await
            })
            .await;
            match updated {
                Ok(_) => return Ok(redirect(&detail)),
                Err(store::StoreError::Invalid(found)) => found
                    .iter()
                    .map(|e| (form::field_of(&e.field), e.reason.clone()))
                    .collect(),
                // Ended meanwhile: nothing to edit any more.
                Err(store::StoreError::Conflict(_)) => return Ok(redirect(&detail)),
                Err(store::StoreError::NotFound(_)) => return Err(staff.fail(Failure::NotFound)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => errors,
    };
    let page = coupon_form_page(&state, &staff, shop, role, values, errors, None).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &as_edit(page, id)))
}

/// The coupon form read as on saving, answered as one line of text: the coupon
/// in words (200), or the first thing to fix (422). Writes nothing.
#[post("/shops/{slug}/coupon-preview")]
pub(super) async fn preview_coupon(
    staff: SignedIn,
    slug: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let values = form::FormValues::new(body.into_inner());
    let (shop, _) = staff.shop_to_change(&slug, values.get("_csrf"), Permission::EditShopData)?;
    let text = |status: StatusCode, line: String| {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(line)
    };
    Ok(match form::read_coupon(&values, shop.time_zone) {
        Ok(coupon) => text(
            StatusCode::OK,
            describe::summary(&coupon, staff.t, shop.time_zone),
        ),
        Err(errors) => {
            let mut errors: Vec<_> = errors.into_iter().collect();
            errors.sort();
            // "名称：不能为空" — the field as the form labels it, then why.
            let line = errors
                .first()
                .map(|(field, reason)| match field_label(field) {
                    Some(key) => format!("{}: {}", staff.t.t(key), staff.t.reason(reason)),
                    None => staff.t.reason(reason),
                })
                .unwrap_or_default();
            text(StatusCode::UNPROCESSABLE_ENTITY, line)
        }
    })
}
