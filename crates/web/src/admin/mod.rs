//! The admin UI for shop staff (SPEC §6): server-rendered with askama, usable
//! without JavaScript, in Simplified Chinese and English.

mod account;
mod audit;
mod chart;
mod coupons;
mod customers;
mod dashboard;
pub mod describe;
mod estimate;
pub mod form;
pub mod i18n;
mod notifications;
mod orders;
pub mod page;
mod products;
mod reasons;
pub mod session;
mod settings;
mod team;

// What the page modules share: they `use super::*`.
use std::collections::HashMap;

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use domain::roles::Permission;
use domain::{CouponKind, CouponStatus, LifecycleAction, Reason, Scope, Sku};
use futures_util::StreamExt;
use serde::Deserialize;
use store::coupons::CouponFilter;

use self::i18n::{Lang, T};
use self::page::{AdminError, Failure, Nav, csv_download, redirect, render};
use self::session::{
    Change, InShop, SESSION_COOKIE, SignedIn, admin_cookie, browser_lang, constant_time_eq,
    cookie_name, gone_cookie, may, session_cookie,
};
use crate::state::AppState;

/// The token a sign-in form carries before there is a session (double submit).
const LOGIN_CSRF_COOKIE: &str = "mo_login_csrf";
const PAGE_SIZE: u64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(stylesheet)
        .service(coupon_form_script)
        .service(login_page)
        .service(login)
        .service(logout)
        .service(set_locale)
        .service(switch_shop)
        .service(shop_home);
    account::routes(cfg);
    dashboard::routes(cfg);
    coupons::routes(cfg);
    products::routes(cfg);
    estimate::routes(cfg);
    customers::routes(cfg);
    orders::routes(cfg);
    notifications::routes(cfg);
    settings::routes(cfg);
    team::routes(cfg);
    audit::routes(cfg);
}

#[get("/static/coupon-form.js")]
async fn coupon_form_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/coupon-form.js"))
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
    if staff.as_ref().is_some_and(|s| s.staff.must_change_password) {
        return redirect("/account");
    }
    match staff.as_ref().and_then(|s| s.shops.first()) {
        Some((shop, _)) => redirect(&format!("/shops/{}/dashboard", shop.slug)),
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
    secure: bool,
    email: String,
    error: Option<String>,
) -> HttpResponse {
    let csrf = store::staff::generate_password();
    let response = render(
        status,
        &LoginPage {
            t: T::new(lang),
            nav: None,
            csrf: csrf.clone(),
            email,
            error,
        },
    );
    with_form_token(response, csrf, secure)
}

/// A form shown before there is a session (sign-in, joining) carries a token
/// that must match this cookie (double submit).
fn with_form_token(mut response: HttpResponse, csrf: String, secure: bool) -> HttpResponse {
    let _ = response.add_cookie(&admin_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        secure,
        SameSite::Strict,
    ));
    response
}

/// The form's token matches its cookie; else the form expired (403).
fn check_form_token(
    req: &HttpRequest,
    state: &AppState,
    presented: &str,
    lang: Lang,
) -> Result<(), AdminError> {
    let expected = req
        .cookie(&cookie_name(LOGIN_CSRF_COOKIE, state.secure_cookies))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), presented.as_bytes()) {
        return Err(AdminError::new(Failure::Expired, lang));
    }
    Ok(())
}

#[get("/login")]
async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Option<SignedIn>,
) -> HttpResponse {
    if staff.is_some() {
        return redirect("/");
    }
    login_response(
        StatusCode::OK,
        browser_lang(&req),
        state.secure_cookies,
        String::new(),
        None,
    )
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
    check_form_token(&req, &state, &form.csrf, lang)?;
    let address = state.client_address(&req);
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
            let _ = response.add_cookie(&gone_cookie(LOGIN_CSRF_COOKIE, state.secure_cookies));
            Ok(response)
        }
        Err(store::staff::SignInError::WrongCredentials) => Ok(login_response(
            StatusCode::OK,
            lang,
            state.secure_cookies,
            form.email.clone(),
            Some(t.t("login.wrong").to_owned()),
        )),
        Err(store::staff::SignInError::Locked(until)) => {
            let when = until
                .with_timezone(&domain::calendar::DEFAULT_TIME_ZONE)
                .format("%H:%M:%S");
            Ok(login_response(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                state.secure_cookies,
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

session::carries_csrf!(CsrfForm);

#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    staff: SignedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    staff.check_csrf(&form.csrf)?;
    store::staff::sign_out(&state.db, &staff.token).await?;
    let mut response = redirect("/login");
    let _ = response.add_cookie(&gone_cookie(SESSION_COOKIE, state.secure_cookies));
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
        .map_err(|_| staff.fail(Failure::Expired))?;
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
    Ok(redirect(&format!("/shops/{}/dashboard", shop.slug)))
}

/// A shop's address alone opens its dashboard.
#[get("/shops/{slug}")]
async fn shop_home(staff: SignedIn, slug: web::Path<String>) -> Result<HttpResponse, AdminError> {
    let (shop, _) = staff.shop(&slug)?;
    Ok(redirect(&format!("/shops/{}/dashboard", shop.slug)))
}

/// The "next page" link of a keyset-paged list: present when the page is full,
/// keeping the list's filters.
fn next_page(
    path: &str,
    rows: usize,
    last_id: Option<i64>,
    filters: &[(&str, Option<&str>)],
) -> Option<String> {
    let last_id = last_id.filter(|_| rows as u64 == PAGE_SIZE)?;
    let mut link = format!("{path}?before={last_id}");
    for (name, value) in filters {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            link.push_str(&format!("&{name}={}", urlencode(value)));
        }
    }
    Some(link)
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
