//! The admin UI over HTTP: sign-in, sessions, CSRF, shops, the coupon list.

use actix_web::body::MessageBody;
use actix_web::cookie::Cookie;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test;
use domain::roles::Role;
use serde_json::json;

use crate::support::{api, databases, fixtures, now};

mod alerts;
mod pages;
mod security;

/// A browser: keeps the cookies the application sets.
struct Browser {
    cookies: Vec<Cookie<'static>>,
    /// The socket address requests come from (none: the test server's default).
    from: Option<std::net::SocketAddr>,
    /// Extra headers every request carries (a forged `X-Forwarded-For` …).
    headers: Vec<(&'static str, String)>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    /// Every response header, by lower-case name.
    headers: Vec<(String, String)>,
    body: String,
    set_cookies: Vec<Cookie<'static>>,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// What a browser submits for the form posting to `action`, left as it is:
    /// every named input (checked boxes and radios only) and each select's choice.
    fn form_as_shown(&self, action: &str) -> Vec<(String, String)> {
        let start = self
            .body
            .find(&format!("<form method=\"post\" action=\"{action}\""))
            .expect("the form");
        let end = self.body[start..]
            .find("</form>")
            .map_or(self.body.len(), |e| start + e);
        let html = &self.body[start..end];
        let attribute = |tag: &str, name: &str| -> Option<String> {
            let key = format!(" {name}=\"");
            let at = tag.find(&key)? + key.len();
            Some(unescape(tag[at..].split('"').next()?))
        };
        let mut fields = Vec::new();
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            rest = &rest[open..];
            let close = rest.find('>').unwrap_or(rest.len() - 1);
            let tag = &rest[..=close];
            if tag.starts_with("<input") {
                let kind = attribute(tag, "type").unwrap_or_else(|| "text".into());
                if let Some(name) = attribute(tag, "name") {
                    let checked = tag.contains(" checked");
                    match kind.as_str() {
                        "checkbox" | "radio" if !checked => {}
                        "checkbox" | "radio" => {
                            fields.push((name, attribute(tag, "value").unwrap_or("on".into())))
                        }
                        "submit" | "button" => {}
                        _ => fields.push((name, attribute(tag, "value").unwrap_or_default())),
                    }
                }
            } else if tag.starts_with("<select") {
                let name = attribute(tag, "name").unwrap_or_default();
                let body_end = rest.find("</select>").unwrap_or(rest.len());
                let options = &rest[..body_end];
                let chosen = options
                    .split("<option")
                    .skip(1)
                    .find(|o| o.split('>').next().is_some_and(|t| t.contains(" selected")))
                    .or_else(|| options.split("<option").nth(1))
                    .and_then(|o| attribute(&format!(" {o}"), "value"));
                fields.push((name, chosen.unwrap_or_default()));
            } else if tag.starts_with("<textarea") {
                let name = attribute(tag, "name").unwrap_or_default();
                let text_end = rest.find("</textarea>").unwrap_or(rest.len());
                fields.push((name, unescape(&rest[close + 1..text_end])));
            }
            rest = &rest[close + 1..];
        }
        fields
    }

    /// The value of the first hidden `_csrf` field.
    fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"_csrf\" value=\"")
            .expect("a CSRF field")
            + 20;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Browser {
    fn new() -> Browser {
        Browser {
            cookies: Vec::new(),
            from: None,
            headers: Vec::new(),
        }
    }

    /// A browser on another machine: its requests come from `address`.
    fn at(address: &str) -> Browser {
        Browser {
            from: Some(format!("{address}:40000").parse().unwrap()),
            ..Browser::new()
        }
    }

    async fn send<S, B>(&mut self, app: &S, request: test::TestRequest) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut request = request;
        for cookie in &self.cookies {
            request = request.cookie(cookie.clone());
        }
        if let Some(from) = self.from {
            request = request.peer_addr(from);
        }
        for (name, value) in &self.headers {
            request = request.insert_header((*name, value.clone()));
        }
        let response = test::call_service(app, request.to_request()).await;
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let set_cookies: Vec<Cookie<'static>> = response
            .response()
            .cookies()
            .map(|c| c.into_owned())
            .collect();
        for cookie in &set_cookies {
            self.cookies.retain(|c| c.name() != cookie.name());
            if !cookie.value().is_empty() {
                self.cookies.push(cookie.clone());
            }
        }
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        Page {
            status,
            location,
            headers,
            body,
            set_cookies,
        }
    }

    async fn get<S, B>(&mut self, app: &S, path: &str) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        self.send(app, test::TestRequest::get().uri(path)).await
    }

    async fn post<S, B>(&mut self, app: &S, path: &str, form: &[(&str, &str)]) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        self.send(app, test::TestRequest::post().uri(path).set_form(form))
            .await
    }
}

#[tokio::test]
async fn signing_in_and_out_with_csrf_everywhere() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(db, &shop, json!({})).await;
        let (_, password) =
            fixtures::staff(db, "ops@example.com", "小王", Role::Operator, shop.id).await;
        let app = api::app(&database).await;
        let mut browser = Browser::new();

        let home = browser.get(&app, "/").await;
        assert_eq!(
            (home.status.as_u16(), home.location.as_deref()),
            (303, Some("/login"))
        );
        let coupons = browser.get(&app, "/shops/demo/coupons").await;
        assert_eq!(
            coupons.location.as_deref(),
            Some("/login"),
            "signed out: to the sign-in page"
        );

        let login = browser.get(&app, "/login").await;
        assert_eq!(login.status, 200, "{}", database.backend);
        assert!(
            login.body.contains("登录 merchant-ops"),
            "Chinese by default"
        );
        let csrf = login.csrf();

        // Without the form's token: refused, and no session.
        let mut stranger = Browser::new();
        let forged = stranger
            .post(
                &app,
                "/login",
                &[
                    ("email", "ops@example.com"),
                    ("password", &password),
                    ("_csrf", "x"),
                ],
            )
            .await;
        assert_eq!(forged.status, 403);
        assert!(forged.set_cookies.iter().all(|c| c.name() != "mo_session"));

        let wrong = browser
            .post(
                &app,
                "/login",
                &[
                    ("email", "ops@example.com"),
                    ("password", "nope"),
                    ("_csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(wrong.status, 200);
        assert!(wrong.body.contains("邮箱或密码不正确"), "{}", wrong.body);
        assert!(
            wrong.body.contains("value=\"ops@example.com\""),
            "what was typed is kept"
        );

        let csrf = wrong.csrf();
        let signed_in = browser
            .post(
                &app,
                "/login",
                &[
                    ("email", "ops@example.com"),
                    ("password", &password),
                    ("_csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(
            (signed_in.status.as_u16(), signed_in.location.as_deref()),
            (303, Some("/"))
        );
        let session = signed_in
            .set_cookies
            .iter()
            .find(|c| c.name() == "mo_session")
            .expect("a session cookie");
        assert_eq!(session.http_only(), Some(true));
        assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Lax));

        let home = browser.get(&app, "/").await;
        assert_eq!(home.location.as_deref(), Some("/shops/demo/dashboard"));
        let list = browser.get(&app, "/shops/demo/coupons").await;
        assert_eq!(list.status, 200);
        assert!(
            list.body.contains("满99减10")
                && list.body.contains("店铺券")
                && list.body.contains("0 / 1000"),
            "{}",
            list.body
        );
        assert!(
            list.body.contains("2026-11-01 00:00"),
            "times in the shop's zone"
        );

        // Another shop's pages do not exist for this staff member.
        fixtures::shop(db, "elsewhere").await;
        assert_eq!(
            browser.get(&app, "/shops/elsewhere/coupons").await.status,
            404
        );
        assert_eq!(
            browser.get(&app, "/switch?shop=elsewhere").await.status,
            404
        );
        assert_eq!(browser.get(&app, "/shops/elsewhere").await.status, 404);
        assert_eq!(
            browser
                .get(&app, "/switch?shop=demo")
                .await
                .location
                .as_deref(),
            Some("/shops/demo/dashboard")
        );
        assert_eq!(
            browser.get(&app, "/shops/demo").await.location.as_deref(),
            Some("/shops/demo/dashboard")
        );

        // Signing out needs the session's token.
        let csrf = list.csrf();
        assert_eq!(
            browser
                .post(&app, "/logout", &[("_csrf", "forged")])
                .await
                .status,
            403
        );
        assert_eq!(
            browser.get(&app, "/shops/demo/coupons").await.status,
            200,
            "still signed in"
        );
        let out = browser.post(&app, "/logout", &[("_csrf", &csrf)]).await;
        assert_eq!(out.location.as_deref(), Some("/login"));
        assert_eq!(
            browser
                .get(&app, "/shops/demo/coupons")
                .await
                .location
                .as_deref(),
            Some("/login")
        );
    }
}

#[tokio::test]
async fn the_language_follows_the_browser_then_the_staff_setting() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(db, &shop, json!({})).await;
        let password = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = Browser::new();
        let english = browser
            .send(
                &app,
                test::TestRequest::get()
                    .uri("/login")
                    .insert_header(("Accept-Language", "en-US,en;q=0.9")),
            )
            .await;
        assert!(
            english.body.contains("Sign in to merchant-ops"),
            "{}",
            database.backend
        );
        let csrf = english.csrf();
        browser
            .post(
                &app,
                "/login",
                &[
                    ("email", "viewer@example.com"),
                    ("password", &password),
                    ("_csrf", &csrf),
                ],
            )
            .await;
        let list = browser.get(&app, "/shops/demo/coupons").await;
        assert!(
            list.body.contains("优惠券") && list.body.contains("只读"),
            "the staff setting (zh-CN) wins"
        );
        let csrf = list.csrf();
        let switched = browser
            .post(
                &app,
                "/locale",
                &[
                    ("_csrf", &csrf),
                    ("locale", "en"),
                    ("back", "/shops/demo/coupons"),
                ],
            )
            .await;
        assert_eq!(switched.location.as_deref(), Some("/shops/demo/coupons"));
        let list = browser.get(&app, "/shops/demo/coupons").await;
        assert!(
            list.body.contains("Shop coupon") && list.body.contains("¥10.00 off orders of ¥99.00"),
            "{}",
            list.body
        );
        assert!(list.body.contains("Viewer"));
        let evil = browser
            .post(
                &app,
                "/locale",
                &[
                    ("_csrf", &csrf),
                    ("locale", "zh-CN"),
                    ("back", "//evil.example"),
                ],
            )
            .await;
        assert_eq!(
            evil.location.as_deref(),
            Some("/"),
            "never redirected off-site"
        );
    }
}

/// A staff member of the shop with `role`; their own password.
async fn staff_member(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    email: &str,
    role: Role,
) -> String {
    fixtures::staff(db, email, "", role, shop_id).await.1
}

/// Joins with an invitation code (and the account's password, or a new one);
/// the browser keeps the session it opens.
async fn joined<S, B>(app: &S, email: &str, code: &str, password: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut browser = Browser::new();
    let page = browser.get(app, "/join").await;
    let done = browser
        .post(
            app,
            "/join",
            &[
                ("_csrf", &page.csrf()),
                ("email", email),
                ("code", code),
                ("password", password),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{email} joins: {}", done.body);
    browser
}

/// Signs `email` in; the browser keeps the session.
async fn signed_in<S, B>(app: &S, email: &str, password: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut browser = Browser::new();
    let login = browser.get(app, "/login").await;
    let csrf = login.csrf();
    let done = browser
        .post(
            app,
            "/login",
            &[("email", email), ("password", password), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 303, "{email} signs in");
    browser
}

#[tokio::test]
async fn operators_act_on_coupons_viewers_only_look() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"validity": {"type": "relative", "days": 7}}),
        )
        .await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let detail = format!("/shops/demo/coupons/{}", coupon.id);

        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let page = operator.get(&app, &detail).await;
        assert_eq!(page.status, 200, "{}", database.backend);
        assert!(
            page.body
                .contains("满99减10，共1000张，每人限领1张，领取后7天有效"),
            "{}",
            page.body
        );
        assert!(page.body.contains("action-pause") && page.body.contains("action-end"));
        let csrf = page.csrf();
        let paused = operator
            .post(&app, &format!("{detail}/pause"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(paused.location.as_deref(), Some(detail.as_str()));
        let after = operator.get(&app, &detail).await;
        assert!(after.body.contains("已暂停") && after.body.contains("action-resume"));
        let clone = operator
            .post(&app, &format!("{detail}/clone"), &[("_csrf", &csrf)])
            .await;
        let copy = clone.location.expect("to the copy");
        let copy_page = operator.get(&app, &copy).await;
        assert!(
            copy_page.body.contains("满99减10（副本）") && copy_page.body.contains("草稿"),
            "{}",
            copy_page.body
        );

        let mut reader = signed_in(&app, "viewer@example.com", &viewer).await;
        let page = reader.get(&app, &detail).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("action-resume") && !page.body.contains("action-end"),
            "no edit buttons"
        );
        let list = reader.get(&app, "/shops/demo/coupons").await;
        assert!(!list.body.contains("/coupons/new"), "no create button");
        // A forged POST with the viewer's own valid token is refused and changes nothing.
        let csrf = page.csrf();
        let forged = reader
            .post(&app, &format!("{detail}/resume"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(forged.status, 403);
        let stored = store::coupons::get_coupon(db, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(stored.status, domain::CouponStatus::Paused);
        // And without the token, the operator is refused too.
        let no_token = operator
            .post(&app, &format!("{detail}/resume"), &[("_csrf", "")])
            .await;
        assert_eq!(no_token.status, 403);
        assert_eq!(
            operator
                .get(&app, "/shops/demo/coupons/999999")
                .await
                .status,
            404
        );
    }
}

fn coupon_form<'a>(csrf: &'a str, amount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("name", "双12满99减10"),
        ("kind", "shop"),
        ("benefit.type", "amount_off"),
        ("benefit.threshold", "99.00"),
        ("benefit.amount", amount),
        ("scope.type", "shop"),
        ("validity.type", "relative"),
        ("validity.days", "7"),
        ("claim_from", "2026-11-23T00:00"),
        ("claim_until", "2026-12-23T00:00"),
        ("quantity", "1000"),
        ("per_customer_limit", "1"),
        ("per_customer_daily_limit", ""),
        ("audience", "all"),
        ("channels", "live_room"),
        ("channels", "short_video"),
        ("status", "active"),
    ]
}

#[tokio::test]
async fn the_coupon_form_creates_or_shows_errors_next_to_fields() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let new = operator.get(&app, "/shops/demo/coupons/new").await;
        assert_eq!(new.status, 200, "{}", database.backend);
        assert!(
            new.body.contains("name=\"benefit.amount\" value=\"10.00\""),
            "a sensible start"
        );
        let csrf = new.csrf();

        // 满99减100: refused next to the amount, what was typed kept, nothing written.
        let refused = operator
            .post(&app, "/shops/demo/coupons", &coupon_form(&csrf, "100.00"))
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("id=\"amount-error\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("减的金额必须小于门槛"));
        assert!(
            refused.body.contains("value=\"双12满99减10\"")
                && refused.body.contains("value=\"100.00\"")
        );
        assert!(
            refused.body.contains("value=\"live_room\" checked"),
            "checkboxes kept"
        );
        let none = store::coupons::list_coupons(
            db,
            shop.id,
            &store::coupons::CouponFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(none.is_empty(), "nothing written");

        let created = operator
            .post(&app, "/shops/demo/coupons", &coupon_form(&csrf, "10.00"))
            .await;
        assert_eq!(created.status, 303);
        let detail = operator
            .get(&app, created.location.as_deref().unwrap())
            .await;
        assert!(
            detail
                .body
                .contains("满99减10，共1000张，每人限领1张，领取后7天有效"),
            "{}",
            detail.body
        );
        assert!(detail.body.contains("直播间, 短视频"));
        assert!(detail.body.contains("进行中"));

        // Without the token, or as a viewer: refused, nothing written.
        let no_token = operator
            .post(&app, "/shops/demo/coupons", &coupon_form("forged", "10.00"))
            .await;
        assert_eq!(no_token.status, 403);
        assert!(no_token.body.contains("表单已过期"), "{}", no_token.body);
        let mut reader = signed_in(&app, "viewer@example.com", &viewer).await;
        let not_theirs = reader.get(&app, "/shops/demo/coupons/new").await;
        assert_eq!(not_theirs.status, 403);
        // A page beyond their role says so, not that a form expired.
        assert!(not_theirs.body.contains("没有权限"), "{}", not_theirs.body);
        assert!(!not_theirs.body.contains("表单已过期"));
        let list = reader.get(&app, "/shops/demo/coupons").await;
        let csrf = list.csrf();
        let refused = reader
            .post(&app, "/shops/demo/coupons", &coupon_form(&csrf, "10.00"))
            .await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("没有权限"), "{}", refused.body);
        let all = store::coupons::list_coupons(
            db,
            shop.id,
            &store::coupons::CouponFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(all.len(), 1);
    }
}

#[tokio::test]
async fn a_code_taken_by_another_coupon_is_refused_with_the_coupon_in_words() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        fixtures::coupon(
            db,
            &shop,
            json!({"kind": "private", "private": {"code": "VIP2026"}}),
        )
        .await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let csrf = operator.get(&app, "/shops/demo/coupons/new").await.csrf();
        let mut form = coupon_form(&csrf, "10.00");
        form.retain(|(k, _)| *k != "kind");
        form.extend([
            ("kind", "private"),
            ("private.mode", "code"),
            ("private.code", "vip2026"),
        ]);
        let refused = operator.post(&app, "/shops/demo/coupons", &form).await;
        assert_eq!(refused.status, 422, "{}", database.backend);
        assert!(
            refused.body.contains("本店已有优惠券使用这个口令"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("口令 VIP2026"),
            "the summary states the coupon"
        );
    }
}

#[tokio::test]
async fn editing_keeps_what_customers_hold() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"validity": {"type": "relative", "days": 7}}),
        )
        .await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let detail = format!("/shops/demo/coupons/{}", coupon.id);
        let edit = operator.get(&app, &format!("{detail}/edit")).await;
        assert_eq!(edit.status, 200, "{}", database.backend);
        assert!(
            edit.body.contains("value=\"满99减10\"")
                && edit
                    .body
                    .contains("name=\"benefit.amount\" value=\"10.00\"")
        );
        assert!(
            !edit.body.contains("frozen-notice"),
            "nothing held, nothing locked"
        );
        let csrf = edit.csrf();
        let mut form = coupon_form(&csrf, "8.00");
        form.retain(|(k, _)| !matches!(*k, "claim_from" | "claim_until" | "status"));
        form.extend([
            ("claim_from", "2026-11-01T00:00"),
            ("claim_until", "2026-11-30T23:59"),
        ]);
        let saved = operator.post(&app, &detail, &form).await;
        assert_eq!(
            saved.location.as_deref(),
            Some(detail.as_str()),
            "before any claim anything goes"
        );

        store::claims::claim(
            db,
            &store::claims::ClaimRequest {
                device: None,
                shop_id: shop.id,
                customer: "c-1".into(),
                target: store::claims::ClaimTarget::Coupon(coupon.id),
                channel: domain::Channel::LiveRoom,
                source: store::claims::ClaimSource::Claim,
                now: now(),
            },
        )
        .await
        .unwrap();
        // What customers hold shows locked, before anyone tries to change it.
        let locked = operator.get(&app, &format!("{detail}/edit")).await;
        assert!(
            locked.body.contains("id=\"frozen-notice\"")
                && locked.body.contains("已有 1 张券在顾客手里"),
            "{}",
            locked.body
        );
        assert!(
            locked
                .body
                .contains("<fieldset class=\"frozen\"><legend>优惠")
        );
        let mut changed = form.clone();
        changed.retain(|(k, _)| *k != "benefit.amount");
        changed.push(("benefit.amount", "5.00"));
        let refused = operator.post(&app, &detail, &changed).await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("id=\"amount-error\"")
                && refused.body.contains("已有顾客领取，不能再修改"),
            "{}",
            refused.body
        );
        let stored = store::coupons::get_coupon(db, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(
            stored.coupon.benefit().describe_zh(),
            "满99减8",
            "nothing changed"
        );

        let mut more = form.clone();
        more.retain(|(k, _)| *k != "quantity");
        more.push(("quantity", "5000"));
        assert_eq!(operator.post(&app, &detail, &more).await.status, 303);
        assert_eq!(
            store::coupons::get_coupon(db, shop.id, coupon.id)
                .await
                .unwrap()
                .coupon
                .limits()
                .quantity,
            Some(5000)
        );

        store::coupons::apply_action(db, shop.id, coupon.id, domain::LifecycleAction::End, now())
            .await
            .unwrap();
        let ended = operator.get(&app, &detail).await;
        assert!(
            !ended.body.contains(&format!("{detail}/edit")),
            "an ended coupon offers no edit"
        );
    }
}

/// Stored times carry seconds (the API takes any); the form shows them and an
/// unchanged save of a coupon customers hold keeps every value exactly.
#[tokio::test]
async fn an_unchanged_save_of_a_claimed_coupon_succeeds() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"claim_until": "2026-11-30T23:59:59.250+08:00",
                   "validity": {"type": "fixed", "from": "2026-11-01T00:00:00+08:00",
                                "until": "2026-12-31T23:59:59+08:00"}}),
        )
        .await;
        fixtures::claim(
            db,
            shop.id,
            coupon.id,
            "c-1",
            domain::Channel::LiveRoom,
            now(),
        )
        .await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let detail = format!("/shops/demo/coupons/{}", coupon.id);
        let edit = operator.get(&app, &format!("{detail}/edit")).await;
        assert!(edit.body.contains("2026-11-30T23:59:59\""), "seconds shown");
        let shown = edit.form_as_shown(&detail);
        let form: Vec<(&str, &str)> = shown
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let saved = operator.post(&app, &detail, &form).await;
        assert_eq!(
            (saved.status.as_u16(), saved.location.as_deref()),
            (303, Some(detail.as_str())),
            "{}: {}",
            database.backend,
            saved.body
        );
        let stored = store::coupons::get_coupon(db, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(stored.coupon, coupon.coupon, "every value as it was");
    }
}

#[tokio::test]
async fn products_are_created_edited_and_imported_all_or_nothing() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let csrf = operator.get(&app, "/shops/demo/products").await.csrf();

        let bad = operator
            .post(
                &app,
                "/shops/demo/products",
                &[
                    ("_csrf", &csrf),
                    ("sku", "A1"),
                    ("name", "连衣裙"),
                    ("price", "-5"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", database.backend);
        assert!(
            bad.body.contains("id=\"price-error\"")
                && bad.body.contains("不能为负数")
                && bad.body.contains("value=\"连衣裙\"")
        );
        let made = operator
            .post(
                &app,
                "/shops/demo/products",
                &[
                    ("_csrf", &csrf),
                    ("sku", "A1"),
                    ("name", "连衣裙"),
                    ("price", "199"),
                ],
            )
            .await;
        assert_eq!(made.status, 303);
        let edited = operator
            .post(
                &app,
                "/shops/demo/products/A1",
                &[
                    ("_csrf", &csrf),
                    ("name", "碎花连衣裙"),
                    ("price", "179.00"),
                ],
            )
            .await;
        assert_eq!(edited.status, 303);
        let list = operator.get(&app, "/shops/demo/products").await;
        assert!(
            list.body.contains("碎花连衣裙") && list.body.contains("¥179.00"),
            "{}",
            list.body
        );

        // One wrong line: nothing imported, the line named, the text kept.
        let csv = "sku,name,price\nB2,T恤,69.00\nC3,口红,abc\n";
        let refused = operator
            .post(
                &app,
                "/shops/demo/product-import",
                &[("_csrf", &csrf), ("csv", csv)],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("第3行") && refused.body.contains("没有导入任何商品"),
            "{}",
            refused.body
        );
        assert!(
            store::products::find_product(db, shop.id, &domain::Sku::parse("B2").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        let good = "sku,name,price\nB2,T恤,69.00\n\"C3\",\"口红, 丝绒\",129\nA1,连衣裙,159.00\n";
        let imported = operator
            .post(
                &app,
                "/shops/demo/product-import",
                &[("_csrf", &csrf), ("csv", good)],
            )
            .await;
        assert_eq!(
            imported.location.as_deref(),
            Some("/shops/demo/products?imported=3")
        );
        let list = operator.get(&app, "/shops/demo/products?imported=3").await;
        assert!(
            list.body.contains("已导入 3 个商品")
                && list.body.contains("口红, 丝绒")
                && list.body.contains("¥159.00")
        );

        let mut reader = signed_in(&app, "viewer@example.com", &viewer).await;
        let page = reader.get(&app, "/shops/demo/products").await;
        assert!(!page.body.contains("product-import") && !page.body.contains("/products/new"));
        let csrf = page.csrf();
        let forged = reader
            .post(
                &app,
                "/shops/demo/products",
                &[
                    ("_csrf", &csrf),
                    ("sku", "Z9"),
                    ("name", "x"),
                    ("price", "1"),
                ],
            )
            .await;
        assert_eq!(forged.status, 403);
    }
}

#[tokio::test]
async fn owners_change_shop_settings_others_only_read_them() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut boss = signed_in(&app, "owner@example.com", &owner).await;
        let page = boss.get(&app, "/shops/demo/settings").await;
        assert!(
            page.body.contains("value=\"Asia/Shanghai\"") && page.body.contains("value=\"22:00\""),
            "{}",
            database.backend
        );
        let csrf = page.csrf();
        let form = |tz: &'static str| {
            vec![
                ("_csrf", csrf.clone()),
                ("time_zone", tz.into()),
                ("reminder_lead_hours", "24，72".into()),
                ("quiet_start", "23:00".into()),
                ("quiet_end", "07:30".into()),
                ("monthly_cap", "3".into()),
                ("profit_floor", "25.5".into()),
            ]
        };
        let pairs = |f: &Vec<(&'static str, String)>| {
            f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
        };
        let bad = pairs(&form("Mars/Olympus"));
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = boss.post(&app, "/shops/demo/settings", &bad).await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("未知时区") && refused.body.contains("value=\"Mars/Olympus\"")
        );
        assert_eq!(
            store::shops::get_shop(db, shop.id)
                .await
                .unwrap()
                .monthly_cap,
            Some(5),
            "nothing changed"
        );
        let good = pairs(&form("Asia/Urumqi"));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = boss.post(&app, "/shops/demo/settings", &good).await;
        assert_eq!(
            saved.location.as_deref(),
            Some("/shops/demo/settings?saved=1")
        );
        let stored = store::shops::get_shop(db, shop.id).await.unwrap();
        assert_eq!(stored.time_zone, chrono_tz::Asia::Urumqi);
        assert_eq!(stored.reminder_lead_hours, vec![72, 24]);
        assert_eq!(
            (stored.quiet_start_minute, stored.quiet_end_minute),
            (23 * 60, 7 * 60 + 30)
        );
        assert_eq!(stored.monthly_cap, Some(3));
        assert_eq!(stored.profit_floor, Some("25.5".parse().unwrap()));

        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let read_only = operator.get(&app, "/shops/demo/settings").await;
        assert_eq!(read_only.status, 200);
        assert!(read_only.body.contains("disabled") && !read_only.body.contains("保存修改"));
        let csrf = read_only.csrf();
        let forged = operator
            .post(
                &app,
                "/shops/demo/settings",
                &[("_csrf", csrf.as_str()), ("time_zone", "UTC")],
            )
            .await;
        assert_eq!(forged.status, 403);
    }
}

/// SPEC §5: owners choose where notifications go; a webhook must be https on the
/// public internet; the signing secret is shown once, never cached.
#[tokio::test]
async fn owners_point_notifications_at_a_webhook_and_rotate_its_secret() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut boss = signed_in(&app, "owner@example.com", &owner).await;
        let page = boss.get(&app, "/shops/demo/settings").await;
        assert!(page.body.contains("写入日志"), "{}", database.backend);
        let csrf = page.csrf();
        let action = "/shops/demo/settings/notifications";
        let refused = boss
            .post(
                &app,
                action,
                &[
                    ("_csrf", csrf.as_str()),
                    ("notify.channel", "webhook"),
                    ("notify.webhook_url", "https://10.0.0.5/hook"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused
                .body
                .contains("id=\"webhook-url-error\">不能指向本机、内网或云元数据地址"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"https://10.0.0.5/hook\""),
            "kept"
        );
        let saved = boss
            .post(
                &app,
                action,
                &[
                    ("_csrf", csrf.as_str()),
                    ("notify.channel", "webhook"),
                    ("notify.webhook_url", "https://hooks.example.com/mo"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let settings = store::notifications::settings(db, shop.id).await.unwrap();
        assert_eq!(
            (settings.channel.as_str(), settings.webhook_url.as_deref()),
            ("webhook", Some("https://hooks.example.com/mo"))
        );
        let shown = boss
            .post(
                &app,
                "/shops/demo/settings/webhook-secret",
                &[("_csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.header("cache-control"), Some("no-store"));
        let secret = store::notifications::settings(db, shop.id)
            .await
            .unwrap()
            .webhook_secret
            .unwrap();
        assert!(shown.body.contains(&secret), "shown this once");
        let later = boss.get(&app, "/shops/demo/settings").await;
        assert!(!later.body.contains(&secret), "never again");
        assert!(later.body.contains("更换签名密钥"));
    }
}

#[tokio::test]
async fn one_time_codes_are_generated_and_exported_as_csv() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(
            db,
            &shop,
            json!({"kind": "private", "private": {"unique_codes": 3}}),
        )
        .await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let detail = format!("/shops/demo/coupons/{}", coupon.id);
        let page = operator.get(&app, &detail).await;
        assert!(
            page.body.contains("共 3 个券码，已使用 0 个"),
            "{}: {}",
            database.backend,
            page.body
        );
        let csrf = page.csrf();
        let more = operator
            .post(
                &app,
                &format!("{detail}/codes"),
                &[("_csrf", &csrf), ("count", "1500")],
            )
            .await;
        assert_eq!(more.location.as_deref(), Some(detail.as_str()));
        let bad = operator
            .post(
                &app,
                &format!("{detail}/codes"),
                &[("_csrf", &csrf), ("count", "0")],
            )
            .await;
        let shown = operator.get(&app, bad.location.as_deref().unwrap()).await;
        assert!(shown.body.contains("1 到 100000"), "the count's error");
        // One claimed with its code, then all exported: more than one page of the stream.
        let first = store::codes::codes_page(db, coupon.id, 0, 1).await.unwrap()[0]
            .code
            .clone();
        store::claims::claim(
            db,
            &store::claims::ClaimRequest {
                device: None,
                shop_id: shop.id,
                customer: "c-1".into(),
                target: store::claims::ClaimTarget::Code(first.clone()),
                channel: domain::Channel::Sms,
                source: store::claims::ClaimSource::Claim,
                now: now(),
            },
        )
        .await
        .unwrap();
        let csv = operator.get(&app, &format!("{detail}/codes.csv")).await;
        assert_eq!(csv.status, 200);
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "code,one_time,used_at (Asia/Shanghai)");
        assert_eq!(lines.len(), 1 + 1503);
        let mut codes: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l.split(',').next().unwrap())
            .collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 1503, "unique");
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("{first},true,2026-11-23 16:00:00")),
            "the used one says when, on the shop's clock"
        );
    }
}

/// A multipart body with a `_csrf` field and a `file` part.
fn upload_body(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----merchant-ops-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"products.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn products_are_imported_from_an_uploaded_file() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let csrf = operator.get(&app, "/shops/demo/products").await.csrf();

        let (content_type, body) = upload_body(
            &csrf,
            "\u{feff}sku,name,price\r\nB2,T恤,69.00\r\nC3,口红,129\r\n".as_bytes(),
        );
        let request = test::TestRequest::post()
            .uri("/shops/demo/product-upload")
            .insert_header(("Content-Type", content_type))
            .set_payload(body);
        let uploaded = operator.send(&app, request).await;
        assert_eq!(
            uploaded.location.as_deref(),
            Some("/shops/demo/products?imported=2"),
            "{}: {}",
            database.backend,
            uploaded.body
        );
        assert!(
            store::products::find_product(db, shop.id, &domain::Sku::parse("C3").unwrap())
                .await
                .unwrap()
                .is_some()
        );

        let (content_type, body) = upload_body(&csrf, b"sku,name,price\nD4,\xff\xfe,10\n");
        let request = test::TestRequest::post()
            .uri("/shops/demo/product-upload")
            .insert_header(("Content-Type", content_type))
            .set_payload(body);
        let refused = operator.send(&app, request).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("UTF-8"));
        assert!(
            store::products::find_product(db, shop.id, &domain::Sku::parse("D4").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn the_form_states_the_coupon_in_words_while_it_is_typed() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let csrf = operator.get(&app, "/shops/demo/coupons/new").await.csrf();
        let ok = operator
            .post(
                &app,
                "/shops/demo/coupon-preview",
                &coupon_form(&csrf, "10.00"),
            )
            .await;
        assert_eq!(
            (ok.status.as_u16(), ok.body.as_str()),
            (
                200,
                "满99减10，共1000张，每人限领1张，领取后7天有效\n\
                 最多让利 ¥10000.00（每单最多 ¥10.00，1000 张全部用完）"
            ),
            "{}",
            database.backend
        );
        let wrong = operator
            .post(
                &app,
                "/shops/demo/coupon-preview",
                &coupon_form(&csrf, "100.00"),
            )
            .await;
        assert_eq!(wrong.status, 422);
        assert!(
            wrong.body.starts_with("优惠: 减的金额必须小于门槛"),
            "{}",
            wrong.body
        );
        assert_eq!(
            operator
                .post(
                    &app,
                    "/shops/demo/coupon-preview",
                    &coupon_form("forged", "10.00")
                )
                .await
                .status,
            403
        );
        let none = store::coupons::list_coupons(
            db,
            shop.id,
            &store::coupons::CouponFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(none.is_empty(), "a preview writes nothing");
    }
}

#[tokio::test]
async fn the_estimate_warns_below_the_profit_floor() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        let mut settings = domain::shop::ShopSettings {
            time_zone: shop.time_zone,
            reminder_lead_hours: vec![24],
            quiet_start_minute: 22 * 60,
            quiet_end_minute: 8 * 60,
            monthly_cap: Some(5),
            profit_floor: Some("25".parse().unwrap()),
        };
        store::shops::update_settings(db, shop.id, &settings)
            .await
            .unwrap();
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut reader = signed_in(&app, "viewer@example.com", &viewer).await;

        // From the coupon's page, prefilled.
        let page = reader
            .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
            .await;
        let link = page
            .body
            .split("href=\"/shops/demo/estimate?")
            .nth(1)
            .expect("an estimate link");
        let link = link.split('"').next().unwrap().replace("&#38;", "&");
        assert_eq!(
            link, "face_value=10.00&threshold=99.00&quantity=1000",
            "{}",
            database.backend
        );

        // From the coupon form, with what is typed there (saved or not).
        let csrf = page.csrf();
        let from_form = reader
            .post(
                &app,
                "/shops/demo/estimate",
                &[
                    ("_csrf", &csrf),
                    ("name", "未保存"),
                    ("benefit.type", "amount_off"),
                    ("benefit.threshold", "199"),
                    ("benefit.amount", "20"),
                    ("quantity", "500"),
                ],
            )
            .await;
        assert_eq!(
            from_form.location.as_deref(),
            Some("/shops/demo/estimate?face_value=20&threshold=199&quantity=500")
        );
        let forged = reader
            .post(&app, "/shops/demo/estimate", &[("benefit.amount", "20")])
            .await;
        assert_eq!(forged.status, 403);
        let thin = reader.get(&app, "/shops/demo/estimate?face_value=10.00&threshold=99.00&quantity=1000&use_rate=30&aov=120&margin=30").await;
        assert_eq!(thin.status, 200);
        assert!(
            thin.body.contains("id=\"floor-warning\"")
                && thin.body.contains("21.67%")
                && thin.body.contains("25%"),
            "{}",
            thin.body
        );
        assert!(
            thin.body.contains("¥3000.00")
                && thin.body.contains("¥36000.00")
                && thin.body.contains("12.00")
        );
        let healthy = reader.get(&app, "/shops/demo/estimate?face_value=10.00&threshold=99.00&quantity=1000&use_rate=30&aov=120&margin=40").await;
        assert!(!healthy.body.contains("id=\"floor-warning\"") && healthy.body.contains("31.67%"));
        let wrong = reader
            .get(
                &app,
                "/shops/demo/estimate?face_value=100&threshold=99&quantity=10",
            )
            .await;
        assert!(
            wrong.body.contains("id=\"face-value-error\"")
                && wrong.body.contains("面值必须小于门槛"),
            "{}",
            wrong.body
        );

        settings.profit_floor = None;
        store::shops::update_settings(db, shop.id, &settings)
            .await
            .unwrap();
        let no_floor = reader
            .get(
                &app,
                "/shops/demo/estimate?face_value=10.00&threshold=99.00&quantity=1000&margin=30",
            )
            .await;
        assert!(
            !no_floor.body.contains("id=\"floor-warning\""),
            "no floor, no warning"
        );
    }
}

/// SPEC §2: the form asks for 折 (1.0–9.9). A typo such as 0.5 is refused, not a
/// 99.5 %-off coupon; below 5折 staff confirm, seeing the largest discount one
/// order can get, before anything is saved.
#[tokio::test]
async fn a_percent_coupon_is_typed_in_zhe_and_a_deep_one_is_confirmed_first() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let csrf = operator.get(&app, "/shops/demo/coupons/new").await.csrf();
        let percent_form = |zhe: &'static str, cap: &'static str, confirm: bool| {
            let mut form: Vec<(&str, &str)> = coupon_form(&csrf, "10.00")
                .into_iter()
                .filter(|(name, _)| *name != "benefit.type" && *name != "_csrf")
                .collect();
            form.extend([
                ("_csrf", csrf.as_str()),
                ("benefit.type", "percent_off"),
                ("benefit.percent", zhe),
                ("benefit.min_quantity", "1"),
                ("benefit.max_discount", cap),
            ]);
            if confirm {
                form.push(("benefit.confirm_deep", "1"));
            }
            form
        };
        let stored = async || {
            let all = store::coupons::CouponFilter {
                limit: 10,
                ..Default::default()
            };
            store::coupons::list_coupons(db, shop.id, &all)
                .await
                .unwrap()
        };

        for typo in ["0.5", "85", "8.55", "10"] {
            let refused = operator
                .post(&app, "/shops/demo/coupons", &percent_form(typo, "", true))
                .await;
            assert_eq!(refused.status, 422, "{typo}");
            assert!(
                refused.body.contains("须为 1.0 到 9.9 折，最多一位小数"),
                "{typo}: {}",
                refused.body
            );
        }
        assert!(stored().await.is_empty(), "no typo was saved");

        // 4折 without a cap: confirm first, told the most one order can get.
        let asked = operator
            .post(&app, "/shops/demo/coupons", &percent_form("4", "", false))
            .await;
        assert_eq!(asked.status, 422);
        assert!(asked.body.contains("id=\"confirm-deep\""), "{}", asked.body);
        assert!(
            asked
                .body
                .contains("4 折低于 5 折且不封顶：每单最多优惠订单金额的 60%")
        );
        assert!(asked.body.contains("value=\"4\""), "what was typed is kept");
        assert!(stored().await.is_empty(), "nothing saved before confirming");
        // With a cap, the cap is the most.
        let capped = operator
            .post(
                &app,
                "/shops/demo/coupons",
                &percent_form("4", "30.00", false),
            )
            .await;
        assert!(
            capped.body.contains("每单最多优惠 ¥30.00"),
            "{}",
            capped.body
        );

        let confirmed = operator
            .post(
                &app,
                "/shops/demo/coupons",
                &percent_form("4", "30.00", true),
            )
            .await;
        assert_eq!(confirmed.status, 303);
        // 8.5折 needs no confirmation and is stored as 85 % paid.
        let usual = operator
            .post(&app, "/shops/demo/coupons", &percent_form("8.5", "", false))
            .await;
        assert_eq!(usual.status, 303);
        let mut percents: Vec<String> = stored()
            .await
            .iter()
            .map(|c| match c.coupon.benefit().spec() {
                domain::BenefitSpec::PercentOff { percent, .. } => percent.value().to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        percents.sort();
        assert_eq!(percents, ["40", "85"], "{}", database.backend);
        // Editing shows 折 again.
        for coupon in stored().await {
            let edit = operator
                .get(&app, &format!("/shops/demo/coupons/{}/edit", coupon.id))
                .await;
            assert!(
                edit.body.contains("name=\"benefit.percent\" value=\"8.5\"")
                    || edit.body.contains("name=\"benefit.percent\" value=\"4\""),
                "{}",
                edit.body
            );
        }
    }
}

/// SPEC §6: ending a coupon, removing staff and revoking a key ask first — the
/// button that does it sits behind a second step that says what cannot be
/// undone (works without JavaScript).
#[tokio::test]
async fn what_cannot_be_undone_asks_first() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let coupon = fixtures::coupon(db, &shop, json!({})).await;
    let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
    staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
    store::api_keys::create_api_key(db, shop.id, "storefront", now())
        .await
        .unwrap();
    let app = api::app(&database).await;
    let mut browser = signed_in(&app, "owner@example.com", &owner).await;
    let behind_a_step = |body: &str, action: &str, warning: &str| {
        let form = body
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("{action}: {body}"));
        let details = body[..form]
            .rfind("<details class=\"confirm\">")
            .expect(action);
        let closed = body[details..form].contains("</details>");
        assert!(!closed, "{action} is inside the confirmation");
        assert!(body[form..].contains(warning), "{action}: {warning}");
    };
    let page = browser
        .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
        .await;
    behind_a_step(
        &page.body,
        &format!("/shops/demo/coupons/{}/end", coupon.id),
        "结束后无法恢复",
    );
    // Pausing is undone by resuming: one click.
    assert!(page.body.contains("class=\"action-pause\""));
    let team = browser.get(&app, "/shops/demo/team").await;
    let key = store::api_keys::list_api_keys(db, shop.id).await.unwrap()[0].id;
    behind_a_step(
        &team.body,
        &format!("/shops/demo/team/keys/{key}/revoke"),
        "吊销后使用此密钥的店铺系统会立即无法调用接口",
    );
    let remove = team.body.find("/remove\"").expect("a remove form");
    let start = team.body[..remove].rfind("action=\"").unwrap() + "action=\"".len();
    behind_a_step(
        &team.body,
        &team.body[start..remove + "/remove".len()],
        "移出后此人立即失去本店的访问权限",
    );

    // Ending offers to revoke what customers hold unused, with the count.
    for customer in ["c-1", "c-2"] {
        fixtures::claim(
            db,
            shop.id,
            coupon.id,
            customer,
            domain::Channel::LiveRoom,
            now(),
        )
        .await;
    }
    let page = browser
        .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
        .await;
    assert!(
        page.body.contains("同时作废 2 张未使用的券"),
        "{}",
        page.body
    );
    let ended = browser
        .post(
            &app,
            &format!("/shops/demo/coupons/{}/end", coupon.id),
            &[("_csrf", &page.csrf()), ("revoke", "1")],
        )
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(
        store::claims::unused_count(db, coupon.id).await.unwrap(),
        0,
        "both revoked"
    );
    let after = browser
        .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
        .await;
    assert!(after.body.contains("已作废"), "the side card counts them");
    assert!(!after.body.contains("/revoke\""), "nothing left to revoke");
    let audit = browser.get(&app, "/shops/demo/audit").await;
    assert!(audit.body.contains("作废的券"), "the revocation is logged");
}

#[tokio::test]
async fn provinces_are_chosen_by_name() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let coupon = fixtures::coupon(db, &shop, json!({"regions": ["44"]})).await;
    let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
    let app = api::app(&database).await;
    let mut operator = signed_in(&app, "ops@example.com", &ops).await;
    let edit = operator
        .get(&app, &format!("/shops/demo/coupons/{}/edit", coupon.id))
        .await;
    assert!(
        edit.body
            .contains("<input type=\"checkbox\" name=\"regions\" value=\"44\" checked> 44 广东"),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("value=\"31\"> 31 上海"));
    assert!(
        edit.body.contains("<summary>地区: 44 广东</summary>")
            || edit.body.contains("44 广东</summary>")
    );
    let new = operator.get(&app, "/shops/demo/coupons/new").await;
    assert!(new.body.contains("全国（不勾选即不限"));
}
