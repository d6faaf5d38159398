//! The admin UI for shop staff (SPEC §6): server-rendered with askama, usable
//! without JavaScript, in Simplified Chinese and English.

pub mod describe;
pub mod form;
pub mod i18n;
pub mod page;
pub mod session;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use domain::roles::Permission;
use domain::{CouponKind, CouponStatus, LifecycleAction, Scope};
use serde::Deserialize;
use std::collections::HashMap;

use futures_util::StreamExt;

use domain::Sku;
use store::coupons::CouponFilter;

use self::i18n::{Lang, T};
use self::page::{AdminError, Failure, Nav, redirect, render};
use self::session::{SESSION_COOKIE, SignedIn, browser_lang, constant_time_eq, session_cookie};
use crate::app::AppState;

/// The token a sign-in form carries before there is a session (double submit).
const LOGIN_CSRF_COOKIE: &str = "mo_login_csrf";
const PAGE_SIZE: u64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(stylesheet)
        .service(login_page)
        .service(login)
        .service(logout)
        .service(set_locale)
        .service(switch_shop)
        .service(coupons)
        .service(new_coupon)
        .service(create_coupon)
        .service(coupon_detail)
        .service(edit_coupon)
        .service(update_coupon)
        // Before coupon_action, whose {action} would take "codes" too.
        .service(preview_coupon)
        .service(generate_codes)
        .service(export_codes)
        .service(coupon_action)
        .service(product_list)
        .service(new_product)
        .service(create_product)
        .service(edit_product)
        .service(update_product)
        .service(import_products)
        .service(upload_products)
        .service(estimate_page)
        .service(settings_page)
        .service(save_settings);
}

#[get("/static/admin.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/admin.css"))
}

/// Signed in: the first shop's coupons; otherwise the sign-in page.
#[get("/")]
async fn home(staff: Option<SignedIn>) -> HttpResponse {
    match staff.as_ref().and_then(|s| s.shops.first()) {
        Some((shop, _)) => redirect(&format!("/shops/{}/coupons", shop.slug)),
        None => redirect("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    nav: Option<Nav>,
    csrf: String,
    email: String,
    error: Option<String>,
}

fn login_response(
    status: StatusCode,
    lang: Lang,
    email: String,
    error: Option<String>,
) -> HttpResponse {
    let csrf = store::staff::generate_password();
    let mut response = render(
        status,
        &LoginPage {
            t: T::new(lang),
            nav: None,
            csrf: csrf.clone(),
            email,
            error,
        },
    );
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, csrf)
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    let _ = response.add_cookie(&cookie);
    response
}

#[get("/login")]
async fn login_page(req: HttpRequest, staff: Option<SignedIn>) -> HttpResponse {
    if staff.is_some() {
        return redirect("/");
    }
    login_response(StatusCode::OK, browser_lang(&req), String::new(), None)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: String,
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AdminError> {
    let lang = browser_lang(&req);
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(AdminError::new(Failure::Forbidden, lang));
    }
    let address = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or("unknown")
        .to_owned();
    let t = T::new(lang);
    match store::staff::sign_in(
        &state.db,
        &form.email,
        &form.password,
        &address,
        state.now(),
    )
    .await?
    {
        Ok((_, session)) => {
            let mut response = redirect("/");
            let _ = response.add_cookie(&session_cookie(&session.token, state.secure_cookies));
            let mut gone = Cookie::build(LOGIN_CSRF_COOKIE, "").path("/login").finish();
            gone.make_removal();
            let _ = response.add_cookie(&gone);
            Ok(response)
        }
        Err(store::staff::SignInError::WrongCredentials) => Ok(login_response(
            StatusCode::OK,
            lang,
            form.email.clone(),
            Some(t.t("login.wrong").to_owned()),
        )),
        Err(store::staff::SignInError::Locked(until)) => {
            let when = until
                .with_timezone(&domain::calendar::DEFAULT_TIME_ZONE)
                .format("%H:%M");
            Ok(login_response(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                form.email.clone(),
                Some(t.t("login.locked").replace("{}", &when.to_string())),
            ))
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    staff: SignedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    staff.check_csrf(&form.csrf)?;
    store::staff::sign_out(&state.db, &staff.token).await?;
    let mut response = redirect("/login");
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    Ok(response)
}

#[derive(Deserialize)]
struct LocaleForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    locale: String,
    back: String,
}

#[post("/locale")]
async fn set_locale(
    state: web::Data<AppState>,
    staff: SignedIn,
    form: web::Form<LocaleForm>,
) -> Result<HttpResponse, AdminError> {
    staff.check_csrf(&form.csrf)?;
    store::staff::set_locale(&state.db, staff.staff.id, &form.locale)
        .await
        .map_err(|_| staff.fail(Failure::Forbidden))?;
    // Only back to a page of this site.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        &form.back
    } else {
        "/"
    };
    Ok(redirect(back))
}

#[derive(Deserialize)]
struct SwitchQuery {
    shop: String,
}

#[get("/switch")]
async fn switch_shop(
    staff: SignedIn,
    query: web::Query<SwitchQuery>,
) -> Result<HttpResponse, AdminError> {
    let (shop, _) = staff.shop(&query.shop)?;
    Ok(redirect(&format!("/shops/{}/coupons", shop.slug)))
}

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
async fn coupons(
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
    let next_page = (records.len() as u64 == PAGE_SIZE)
        .then(|| records.last())
        .flatten()
        .map(|last| {
            let mut link = format!("/shops/{}/coupons?before={}", shop.slug, last.id);
            for (name, value) in [
                ("kind", &query.kind),
                ("status", &query.status),
                ("q", &query.q),
            ] {
                if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                    link.push_str(&format!("&{name}={}", urlencode(value)));
                }
            }
            link
        });
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

/// Percent-encodes a query value.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    csrf: String,
    actions: Vec<(&'static str, &'static str)>,
    facts: Vec<(&'static str, String)>,
    claimed: u64,
    used: u64,
    expired: u64,
    unused: u64,
    codes: Option<CodesBox>,
    estimate_link: Option<String>,
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
async fn coupon_detail(
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
    let (unused, used, expired) = store::coupons::claim_states(&state.db, record.id).await?;
    let coupon = &record.coupon;
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
        ("coupon.validity", describe::validity(coupon, t, tz)),
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
                    .map(|r| format!("{} {}", r, r.name_zh()))
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
        csrf: staff.csrf.clone(),
        actions,
        facts: facts
            .into_iter()
            .map(|(key, value)| (t.t(key), value))
            .collect(),
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
async fn coupon_action(
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
        let mut draft = record.coupon.to_draft();
        let suffix = staff.t.t("clone.suffix");
        let keep = domain::coupon::MAX_NAME_CHARS - suffix.chars().count();
        draft.name = format!(
            "{}{suffix}",
            draft.name.chars().take(keep).collect::<String>()
        );
        if let Some(domain::PrivateCodes::Shared { .. }) = draft.private {
            // A code opens one coupon: the copy gets one-time codes until staff choose.
            draft.private = Some(domain::PrivateCodes::Unique { unique_codes: 1 });
        }
        let copy = draft
            .validate()
            .map_err(|_| staff.fail(Failure::Internal))?;
        let created =
            store::coupons::create_coupon(&state.db, shop.id, &copy, CouponStatus::Draft, now)
                .await?;
        return Ok(redirect(&format!(
            "/shops/{}/coupons/{}",
            shop.slug, created.id
        )));
    }
    let action = LifecycleAction::parse(&action).ok_or(staff.fail(Failure::NotFound))?;
    match store::coupons::apply_action(&state.db, shop.id, id, action, now).await {
        // A stale page asked for a step that no longer applies: show the coupon as it is.
        Ok(_) | Err(store::StoreError::Conflict(_)) => {
            Ok(redirect(&format!("/shops/{}/coupons/{id}", shop.slug)))
        }
        Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
        Err(other) => Err(other.into()),
    }
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
async fn new_coupon(
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
async fn create_coupon(
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
        Ok(coupon) => {
            match store::coupons::create_coupon(&state.db, shop.id, &coupon, status, state.now())
                .await
            {
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
async fn edit_coupon(
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
async fn update_coupon(
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
        Ok(edited) => {
            match store::coupons::update_coupon(&state.db, shop.id, id, &edited, state.now()).await
            {
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

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    can_edit: bool,
    csrf: String,
    rows: Vec<(String, String, String)>,
    next_page: Option<String>,
    notice: Option<String>,
    csv: String,
    import_errors: Vec<String>,
}

#[derive(Deserialize)]
struct ProductsQuery {
    after: Option<String>,
    imported: Option<usize>,
}

async fn products_page(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    after: Option<&str>,
    notice: Option<String>,
    csv: String,
    import_errors: Vec<String>,
) -> Result<ProductsPage, AdminError> {
    let (shop, role) = staff.shop(slug)?;
    let t = staff.t;
    let list = store::products::list_products(&state.db, shop.id, after, PAGE_SIZE).await?;
    let next_page = (list.len() as u64 == PAGE_SIZE)
        .then(|| list.last())
        .flatten()
        .map(|last| {
            format!(
                "/shops/{}/products?after={}",
                shop.slug,
                urlencode(last.sku.as_str())
            )
        });
    Ok(ProductsPage {
        t,
        nav: Some(staff.nav(
            shop,
            role,
            "products",
            &format!("/shops/{}/products", shop.slug),
        )),
        slug: shop.slug.clone(),
        can_edit: role.can(Permission::EditShopData),
        csrf: staff.csrf.clone(),
        rows: list
            .iter()
            .map(|p| (p.sku.to_string(), p.name.clone(), t.money(p.price)))
            .collect(),
        next_page,
        notice,
        csv,
        import_errors,
    })
}

#[get("/shops/{slug}/products")]
async fn product_list(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, AdminError> {
    let notice = query
        .imported
        .map(|n| staff.t.t("products.imported").replace("{}", &n.to_string()));
    let page = products_page(
        &state,
        &staff,
        &slug,
        query.after.as_deref(),
        notice,
        String::new(),
        Vec::new(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    csrf: String,
    title_key: &'static str,
    action: String,
    editing: bool,
    sku: String,
    name: String,
    price: String,
    errors: HashMap<String, String>,
}

#[derive(Deserialize)]
struct ProductForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    sku: String,
    name: String,
    price: String,
}

fn product_form(
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    role: domain::roles::Role,
    editing: Option<&str>,
    values: (String, String, String),
    errors: HashMap<String, String>,
) -> ProductFormPage {
    let (sku, name, price) = values;
    ProductFormPage {
        t: staff.t,
        nav: Some(staff.nav(
            shop,
            role,
            "products",
            &format!("/shops/{}/products", shop.slug),
        )),
        slug: shop.slug.clone(),
        csrf: staff.csrf.clone(),
        title_key: if editing.is_some() {
            "products.edit"
        } else {
            "products.new"
        },
        action: match editing {
            Some(sku) => format!("/shops/{}/products/{}", shop.slug, urlencode(sku)),
            None => format!("/shops/{}/products", shop.slug),
        },
        editing: editing.is_some(),
        sku,
        name,
        price,
        errors,
    }
}

/// Checks a product's fields; errors by field, in the staff member's language.
fn read_product(
    t: T,
    sku: &str,
    name: &str,
    price: &str,
) -> Result<(Sku, String, domain::Money), HashMap<String, String>> {
    let mut errors = HashMap::new();
    let sku = Sku::parse(sku)
        .map_err(|e| errors.insert("sku".into(), t.reason(&e.to_string())))
        .ok();
    let name = store::products::check_name(name)
        .map_err(|_| errors.insert("name".into(), t.reason("must be 1 to 200 characters")))
        .ok();
    let price = domain::Money::parse(price)
        .map_err(|e| errors.insert("price".into(), t.reason(&e.to_string())))
        .ok();
    match (sku, name, price) {
        (Some(sku), Some(name), Some(price)) if errors.is_empty() => Ok((sku, name, price)),
        _ => Err(errors),
    }
}

#[get("/shops/{slug}/products/new")]
async fn new_product(staff: SignedIn, slug: web::Path<String>) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop_with(&slug, Permission::EditShopData)?;
    let page = product_form(&staff, shop, role, None, Default::default(), HashMap::new());
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/products")]
async fn create_product(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop_to_change(&slug, &form.csrf, Permission::EditShopData)?;
    let form = form.into_inner();
    match read_product(staff.t, &form.sku, &form.name, &form.price) {
        Ok((sku, name, price)) => {
            store::products::upsert_product(&state.db, shop.id, &sku, &name, price, state.now())
                .await?;
            Ok(redirect(&format!("/shops/{}/products", shop.slug)))
        }
        Err(errors) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &product_form(
                &staff,
                shop,
                role,
                None,
                (form.sku, form.name, form.price),
                errors,
            ),
        )),
    }
}

#[get("/shops/{slug}/products/{sku}/edit")]
async fn edit_product(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (slug, sku) = path.into_inner();
    let (shop, role) = staff.shop_with(&slug, Permission::EditShopData)?;
    let sku = Sku::parse(&sku).map_err(|_| staff.fail(Failure::NotFound))?;
    let product = store::products::find_product(&state.db, shop.id, &sku)
        .await?
        .ok_or(staff.fail(Failure::NotFound))?;
    let values = (
        product.sku.to_string(),
        product.name.clone(),
        product.price.to_string(),
    );
    let page = product_form(
        &staff,
        shop,
        role,
        Some(sku.as_str()),
        values,
        HashMap::new(),
    );
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/products/{sku}")]
async fn update_product(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AdminError> {
    let (slug, sku) = path.into_inner();
    let (shop, role) = staff.shop_to_change(&slug, &form.csrf, Permission::EditShopData)?;
    let form = form.into_inner();
    let existing = Sku::parse(&sku).map_err(|_| staff.fail(Failure::NotFound))?;
    if store::products::find_product(&state.db, shop.id, &existing)
        .await?
        .is_none()
    {
        return Err(staff.fail(Failure::NotFound));
    }
    // The SKU is the product's key: an edit changes name and price only.
    match read_product(staff.t, existing.as_str(), &form.name, &form.price) {
        Ok((sku, name, price)) => {
            store::products::upsert_product(&state.db, shop.id, &sku, &name, price, state.now())
                .await?;
            Ok(redirect(&format!("/shops/{}/products", shop.slug)))
        }
        Err(errors) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &product_form(
                &staff,
                shop,
                role,
                Some(existing.as_str()),
                (sku, form.name, form.price),
                errors,
            ),
        )),
    }
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    csv: String,
}

/// One CSV line split into fields; double quotes may wrap a field with commas.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().map(|f| f.trim().to_owned()).collect()
}

/// Imports products from CSV pasted into the page.
#[post("/shops/{slug}/product-import")]
async fn import_products(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, AdminError> {
    import_csv(&state, &staff, &slug, &form.csrf, &form.csv).await
}

#[derive(actix_multipart::form::MultipartForm)]
struct UploadForm {
    #[multipart(rename = "_csrf")]
    csrf: actix_multipart::form::text::Text<String>,
    #[multipart(limit = "4 MiB")]
    file: actix_multipart::form::bytes::Bytes,
}

/// Imports products from an uploaded CSV file (UTF-8, with or without a BOM).
#[post("/shops/{slug}/product-upload")]
async fn upload_products(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    form: actix_multipart::form::MultipartForm<UploadForm>,
) -> Result<HttpResponse, AdminError> {
    let form = form.into_inner();
    let text = match std::str::from_utf8(&form.file.data) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (shop, _) = staff.shop_to_change(&slug, &form.csrf.0, Permission::EditShopData)?;
            let page = products_page(
                &state,
                &staff,
                &shop.slug,
                None,
                None,
                String::new(),
                vec![staff.t.t("products.not_utf8").to_owned()],
            )
            .await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    import_csv(&state, &staff, &slug, &form.csrf.0, &text).await
}

/// Imports products from CSV, all or nothing: any wrong line and none are saved.
async fn import_csv(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    csrf: &str,
    csv: &str,
) -> Result<HttpResponse, AdminError> {
    let (shop, _) = staff.shop_to_change(slug, csrf, Permission::EditShopData)?;
    let t = staff.t;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (number, line) in csv.lines().enumerate() {
        let fields = csv_fields(line);
        if line.trim().is_empty()
            || (number == 0
                && fields
                    .first()
                    .is_some_and(|f| f.eq_ignore_ascii_case("sku")))
        {
            continue;
        }
        let line_label = match t.lang {
            Lang::Zh => format!("第{}行", number + 1),
            Lang::En => format!("line {}", number + 1),
        };
        if fields.len() != 3 {
            errors.push(format!("{line_label}: sku,name,price"));
            continue;
        }
        match read_product(t, &fields[0], &fields[1], &fields[2]) {
            Ok(row) => rows.push(row),
            Err(found) => {
                let mut reasons: Vec<_> =
                    found.into_iter().map(|(f, r)| format!("{f} {r}")).collect();
                reasons.sort();
                errors.push(format!("{line_label}: {}", reasons.join("; ")));
            }
        }
    }
    if errors.is_empty() && !rows.is_empty() {
        let now = state.now();
        store::db::write(&state.db, async |tx| {
            for (sku, name, price) in &rows {
                store::products::upsert_product(tx, shop.id, sku, name, *price, now).await?;
            }
            Ok(())
        })
        .await?;
        return Ok(redirect(&format!(
            "/shops/{}/products?imported={}",
            shop.slug,
            rows.len()
        )));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(t.t("products.none").to_owned());
    }
    let page = products_page(state, staff, slug, None, None, csv.to_owned(), errors).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    csrf: String,
    can_edit: bool,
    saved: bool,
    form: form::FormValues,
    errors: HashMap<String, String>,
}

impl SettingsPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

fn minutes_text(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn settings_values(shop: &store::shops::ShopRecord) -> form::FormValues {
    let mut values = form::FormValues::default();
    values.set("time_zone", shop.time_zone.name().to_owned());
    values.set(
        "reminder_lead_hours",
        shop.reminder_lead_hours
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    values.set("quiet_start", minutes_text(shop.quiet_start_minute));
    values.set("quiet_end", minutes_text(shop.quiet_end_minute));
    values.set(
        "monthly_cap",
        shop.monthly_cap.map(|c| c.to_string()).unwrap_or_default(),
    );
    values.set(
        "profit_floor",
        shop.profit_floor
            .map(|p| p.normalize().to_string())
            .unwrap_or_default(),
    );
    values
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<u8>,
}

/// Everyone may read the settings; only owners change them.
#[get("/shops/{slug}/settings")]
async fn settings_page(
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop(&slug)?;
    let page = SettingsPage {
        t: staff.t,
        nav: Some(staff.nav(
            shop,
            role,
            "settings",
            &format!("/shops/{}/settings", shop.slug),
        )),
        slug: shop.slug.clone(),
        csrf: staff.csrf.clone(),
        can_edit: role.can(Permission::ManageShop),
        saved: query.saved.is_some(),
        form: settings_values(shop),
        errors: HashMap::new(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// "22:00" → minutes of the day.
fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn read_settings(
    values: &form::FormValues,
    t: T,
) -> Result<store::shops::ShopSettings, HashMap<String, String>> {
    let mut errors = HashMap::new();
    let time_zone = domain::calendar::parse_time_zone(values.get("time_zone"))
        .map_err(|e| errors.insert("time_zone".into(), t.reason(&e.reason)))
        .ok();
    let leads = store::shops::parse_lead_hours(
        values
            .get("reminder_lead_hours")
            .replace('，', ",")
            .as_str(),
    )
    .map_err(|e| errors.insert("reminder_lead_hours".into(), t.reason(&e)))
    .ok();
    let quiet_start = parse_clock(values.get("quiet_start"));
    if quiet_start.is_none() {
        errors.insert(
            "quiet_start".into(),
            t.reason("must be a time such as 22:00"),
        );
    }
    let quiet_end = parse_clock(values.get("quiet_end"));
    if quiet_end.is_none() {
        errors.insert("quiet_end".into(), t.reason("must be a time such as 22:00"));
    }
    let monthly_cap = match values.get("monthly_cap") {
        "" => Some(None),
        text => match text.parse::<u32>() {
            Ok(cap) if cap >= 1 => Some(Some(cap)),
            _ => {
                errors.insert(
                    "monthly_cap".into(),
                    t.reason("must be at least 1, or empty for unlimited"),
                );
                None
            }
        },
    };
    let profit_floor = match values.get("profit_floor") {
        "" => Some(None),
        text => match text.trim_end_matches('%').parse::<rust_decimal::Decimal>() {
            Ok(p)
                if p >= rust_decimal::Decimal::ZERO
                    && p < rust_decimal::Decimal::ONE_HUNDRED
                    && p.normalize().scale() <= 2 =>
            {
                Some(Some(p))
            }
            _ => {
                errors.insert(
                    "profit_floor".into(),
                    t.reason("must be a percent from 0 to 100, at most two decimals"),
                );
                None
            }
        },
    };
    match (
        time_zone,
        leads,
        quiet_start,
        quiet_end,
        monthly_cap,
        profit_floor,
    ) {
        (
            Some(time_zone),
            Some(reminder_lead_hours),
            Some(quiet_start_minute),
            Some(quiet_end_minute),
            Some(monthly_cap),
            Some(profit_floor),
        ) if errors.is_empty() => Ok(store::shops::ShopSettings {
            time_zone,
            reminder_lead_hours,
            quiet_start_minute,
            quiet_end_minute,
            monthly_cap,
            profit_floor,
        }),
        _ => Err(errors),
    }
}

#[post("/shops/{slug}/settings")]
async fn save_settings(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let values = form::FormValues::new(body.into_inner());
    let (shop, role) = staff.shop_to_change(&slug, values.get("_csrf"), Permission::ManageShop)?;
    match read_settings(&values, staff.t) {
        Ok(settings) => {
            store::shops::update_settings(&state.db, shop.id, &settings).await?;
            Ok(redirect(&format!("/shops/{}/settings?saved=1", shop.slug)))
        }
        Err(errors) => {
            let page = SettingsPage {
                t: staff.t,
                nav: Some(staff.nav(
                    shop,
                    role,
                    "settings",
                    &format!("/shops/{}/settings", shop.slug),
                )),
                slug: shop.slug.clone(),
                csrf: staff.csrf.clone(),
                can_edit: true,
                saved: false,
                form: values,
                errors,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Deserialize)]
struct CodesForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    count: String,
}

/// The most codes one request generates (they are written in chunks).
const MAX_CODES_PER_BATCH: u32 = 100_000;

#[post("/shops/{slug}/coupons/{id}/codes")]
async fn generate_codes(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
    form: web::Form<CodesForm>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let (shop, _) = staff.shop_to_change(&slug, &form.csrf, Permission::EditShopData)?;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    if !matches!(
        record.coupon.rules(),
        domain::KindRules::Private(domain::PrivateCodes::Unique { .. })
    ) {
        return Err(staff.fail(Failure::NotFound));
    }
    let detail = format!("/shops/{}/coupons/{id}", shop.slug);
    match form.count.trim().parse::<u32>() {
        Ok(count) if (1..=MAX_CODES_PER_BATCH).contains(&count) => {
            let now = state.now();
            store::db::write(&state.db, async |tx| {
                store::codes::generate_batch(tx, shop.id, id, count, now).await
            })
            .await?;
            Ok(redirect(&detail))
        }
        _ => Ok(redirect(&format!("{detail}?codes_error=1"))),
    }
}

/// All of a coupon's codes as CSV, streamed a page at a time: memory stays flat
/// however many codes there are.
#[get("/shops/{slug}/coupons/{id}/codes.csv")]
async fn export_codes(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id) = path.into_inner();
    let (shop, _) = staff.shop(&slug)?;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    if !matches!(record.coupon.rules(), domain::KindRules::Private(_)) {
        return Err(staff.fail(Failure::NotFound));
    }
    let db = state.db.clone();
    let header = web::Bytes::from_static(b"code,one_time,used_at\n");
    let pages = futures_util::stream::unfold(Some(0i64), move |after| {
        let db = db.clone();
        async move {
            let after = after?;
            match store::codes::codes_page(&db, id, after, 1000).await {
                Ok(page) if page.is_empty() => None,
                Ok(page) => {
                    let next = page.last().map(|c| c.id);
                    let mut text = String::with_capacity(page.len() * 40);
                    for code in &page {
                        let used = code.used_at.map(|t| t.to_rfc3339()).unwrap_or_default();
                        text.push_str(&format!("{},{},{}\n", code.code, code.one_time, used));
                    }
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from(text)), next))
                }
                Err(error) => {
                    tracing::error!(%error, "code export stopped");
                    None
                }
            }
        }
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(header) }).chain(pages);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"coupon-{id}-codes.csv\""),
        ))
        .streaming(body))
}

/// The coupon form read as on saving, answered as one line of text: the coupon
/// in words (200), or the first thing to fix (422). Writes nothing.
#[post("/shops/{slug}/coupon-preview")]
async fn preview_coupon(
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
            let line = errors
                .first()
                .map(|(_, reason)| staff.t.reason(reason))
                .unwrap_or_default();
            text(StatusCode::UNPROCESSABLE_ENTITY, line)
        }
    })
}

#[derive(Template)]
#[template(path = "estimate.html")]
struct EstimatePage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    form: form::FormValues,
    errors: HashMap<String, String>,
    result: Option<EstimateResult>,
}

impl EstimatePage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

struct EstimateResult {
    facts: Vec<(&'static str, String)>,
    below_floor: bool,
    floor_warning: String,
    aov_below_threshold: bool,
}

/// The pre-launch calculator (SPEC §8). A GET: it computes, it writes nothing.
#[get("/shops/{slug}/estimate")]
async fn estimate_page(
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop(&slug)?;
    let t = staff.t;
    let mut values = form::FormValues::new(query.into_inner());
    for (name, default) in [("use_rate", "30"), ("aov", "120.00"), ("margin", "40")] {
        if values.get(name).is_empty() {
            values.set(name, default.to_owned());
        }
    }
    let mut errors = HashMap::new();
    let mut result = None;
    if !values.get("face_value").is_empty() {
        let money = |errors: &mut HashMap<String, String>, name: &str| {
            let text = values.get(name);
            domain::Money::parse(if text.is_empty() { "0" } else { text })
                .map_err(|e| errors.insert(name.to_owned(), t.reason(&e.to_string())))
                .ok()
        };
        let percent = |errors: &mut HashMap<String, String>, name: &str| {
            values
                .get(name)
                .trim_end_matches('%')
                .parse::<rust_decimal::Decimal>()
                .map_err(|_| {
                    errors.insert(
                        name.to_owned(),
                        t.reason("must be between 0 and 100 (percent)"),
                    )
                })
                .ok()
        };
        let face_value = money(&mut errors, "face_value");
        let threshold = money(&mut errors, "threshold");
        let aov = money(&mut errors, "aov");
        let quantity = values
            .get("quantity")
            .parse::<u32>()
            .map_err(|_| errors.insert("quantity".into(), t.reason("must be a whole number")))
            .ok();
        let use_rate = percent(&mut errors, "use_rate");
        let margin = percent(&mut errors, "margin");
        if let (
            Some(face_value),
            Some(threshold),
            Some(quantity),
            Some(use_rate),
            Some(aov),
            Some(margin),
        ) = (face_value, threshold, quantity, use_rate, aov, margin)
        {
            let input = domain::EstimateInput {
                face_value,
                threshold,
                quantity,
                expected_use_rate: use_rate,
                average_order_value: aov,
                gross_margin: margin,
            };
            match domain::estimate(&input, shop.profit_floor) {
                Ok(e) => {
                    let percent_text = |p: Option<rust_decimal::Decimal>| {
                        p.map(|p| format!("{p}%"))
                            .unwrap_or_else(|| t.t("estimate.none").to_owned())
                    };
                    result = Some(EstimateResult {
                        facts: vec![
                            (t.t("estimate.issuance_cost"), t.money(e.issuance_cost)),
                            (t.t("estimate.expected_uses"), e.expected_uses.to_string()),
                            (t.t("estimate.expected_cost"), t.money(e.expected_cost)),
                            (t.t("estimate.expected_gmv"), t.money(e.expected_gmv)),
                            (
                                t.t("estimate.roi"),
                                e.roi
                                    .map(|r| r.to_string())
                                    .unwrap_or_else(|| t.t("estimate.none").to_owned()),
                            ),
                            (t.t("estimate.margin_after"), percent_text(e.margin_after)),
                        ],
                        below_floor: e.below_profit_floor,
                        floor_warning: t
                            .t("estimate.floor_warning")
                            .replace(
                                "{margin}",
                                &e.margin_after.map(|m| m.to_string()).unwrap_or_default(),
                            )
                            .replace(
                                "{floor}",
                                &shop
                                    .profit_floor
                                    .map(|f| f.normalize().to_string())
                                    .unwrap_or_default(),
                            ),
                        aov_below_threshold: e.aov_below_threshold,
                    });
                }
                Err(found) => {
                    for error in found.iter() {
                        let field = match error.field.as_str() {
                            "expected_use_rate" => "use_rate",
                            "average_order_value" => "aov",
                            "gross_margin" => "margin",
                            other => other,
                        };
                        errors.insert(field.to_owned(), t.reason(&error.reason));
                    }
                }
            }
        }
    }
    let page = EstimatePage {
        t,
        nav: Some(staff.nav(
            shop,
            role,
            "estimate",
            &format!("/shops/{}/estimate", shop.slug),
        )),
        slug: shop.slug.clone(),
        form: values,
        errors,
        result,
    };
    Ok(render(StatusCode::OK, &page))
}
