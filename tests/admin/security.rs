//! Staff accounts as an attacker would try them (SPEC §11): headers on every
//! page, sign-in delays per address that forged headers cannot dodge or aim,
//! a generated password replaced first, invitations, HTTPS cookies.

use domain::roles::Role;
use serde_json::json;

use super::{Browser, signed_in, staff_member};
use crate::support::{api, databases, fixtures, now};

/// Sign-in as a browser at `browser` would: the page's token, then the form.
async fn try_sign_in<S, B>(app: &S, browser: &mut Browser, email: &str, password: &str) -> u16
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let login = browser.get(app, "/login").await;
    let csrf = login.csrf();
    browser
        .post(
            app,
            "/login",
            &[("email", email), ("password", password), ("_csrf", &csrf)],
        )
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn every_admin_page_says_how_it_may_be_used() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let coupon = fixtures::coupon(db, &shop, json!({})).await;
    let password = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
    let app = api::app(&database).await;
    let mut signed_out = Browser::new();
    let login = signed_out.get(&app, "/login").await;
    let mut owner = signed_in(&app, "owner@example.com", &password).await;
    let mut pages = vec![login];
    for path in [
        "/account".to_owned(),
        "/join".into(),
        "/shops/demo/dashboard".into(),
        "/shops/demo/coupons".into(),
        "/shops/demo/coupons/new".into(),
        format!("/shops/demo/coupons/{}", coupon.id),
        format!("/shops/demo/coupons/{}/live", coupon.id),
        format!("/shops/demo/coupons/{}/edit", coupon.id),
        "/shops/demo/products".into(),
        "/shops/demo/customers".into(),
        "/shops/demo/orders".into(),
        "/shops/demo/notifications".into(),
        "/shops/demo/estimate".into(),
        "/shops/demo/settings".into(),
        "/shops/demo/team".into(),
        "/shops/demo/audit".into(),
        "/shops/other/dashboard".into(),
    ] {
        pages.push(owner.get(&app, &path).await);
    }
    // A page that shows a password once.
    let team = owner.get(&app, "/shops/demo/team").await;
    let added = owner
        .post(
            &app,
            "/shops/demo/team/staff",
            &[
                ("_csrf", &team.csrf()),
                ("email", "new@example.com"),
                ("name", ""),
                ("role", "viewer"),
            ],
        )
        .await;
    assert!(added.body.contains("shown-once"));
    pages.push(added);
    for page in &pages {
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("referrer-policy"), Some("same-origin"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(
            !page.body.contains("<script>"),
            "no inline script: the policy would block it"
        );
        assert!(page.header("strict-transport-security").is_none());
    }
}

#[tokio::test]
async fn guessing_from_one_address_holds_back_only_that_address() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let password = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        // The attacker at 127.0.0.2 writes the owner's address into the
        // forwarding headers, which count only from a trusted proxy (none here).
        let mut attacker = Browser::at("127.0.0.2");
        attacker
            .headers
            .push(("x-forwarded-for", "127.0.0.1".into()));
        attacker.headers.push(("forwarded", "for=127.0.0.1".into()));
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(try_sign_in(&app, &mut attacker, "owner@example.com", "guess").await);
        }
        assert_eq!(statuses, [200, 200, 200, 200, 429], "{}", database.backend);
        // Rotating the forwarded address does not start a fresh count.
        attacker.headers = vec![("x-forwarded-for", "198.51.100.77".into())];
        assert_eq!(
            try_sign_in(&app, &mut attacker, "owner@example.com", &password).await,
            429,
            "the right password waits too, from the guessing address"
        );
        // The owner, at 127.0.0.1, is not held back.
        let mut owner = Browser::at("127.0.0.1");
        assert_eq!(
            try_sign_in(&app, &mut owner, "owner@example.com", &password).await,
            303,
            "{}",
            database.backend
        );
        assert_eq!(owner.get(&app, "/shops/demo/dashboard").await.status, 200);
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_can() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let password = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
    let mut state = web::AppState::at(db.clone(), now());
    state.trusted_proxies = vec!["10.0.0.1".parse().unwrap()].into();
    let app = api::app_with(state).await;
    // Behind the proxy, two clients: the guesser's waits are theirs alone.
    let mut guesser = Browser::at("10.0.0.1");
    guesser
        .headers
        .push(("x-forwarded-for", "127.0.0.1, 203.0.113.9".into()));
    for _ in 0..4 {
        try_sign_in(&app, &mut guesser, "owner@example.com", "guess").await;
    }
    assert_eq!(
        try_sign_in(&app, &mut guesser, "owner@example.com", &password).await,
        429
    );
    // The leftmost entry is whatever the client wrote: the proxy's own view
    // (the rightmost) is the one counted, so the guesser could not aim at 127.0.0.1.
    let mut owner = Browser::at("10.0.0.1");
    owner
        .headers
        .push(("x-forwarded-for", "198.51.100.2".into()));
    assert_eq!(
        try_sign_in(&app, &mut owner, "owner@example.com", &password).await,
        303
    );
    let mut direct = Browser::at("127.0.0.1");
    assert_eq!(
        try_sign_in(&app, &mut direct, "owner@example.com", &password).await,
        303
    );
}

#[tokio::test]
async fn a_generated_password_is_replaced_before_anything_else() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (_, generated) = store::staff::create_staff(
            db,
            "new@example.com",
            "小新",
            Role::Operator,
            shop.id,
            now(),
        )
        .await
        .unwrap();
        let app = api::app(&database).await;
        let mut person = signed_in(&app, "new@example.com", &generated).await;
        let dashboard = person.get(&app, "/shops/demo/dashboard").await;
        assert_eq!(dashboard.status, 303);
        assert_eq!(dashboard.location.as_deref(), Some("/account"));
        let account = person.get(&app, "/account").await;
        assert!(account.body.contains("must-change"), "{}", account.body);
        let csrf = account.csrf();
        let short = person
            .post(
                &app,
                "/account/password",
                &[
                    ("_csrf", &csrf),
                    ("current", &generated),
                    ("new", "short"),
                    ("repeat", "short"),
                ],
            )
            .await;
        assert_eq!(short.status, 422);
        assert!(short.body.contains("10 到 128"), "{}", short.body);
        let done = person
            .post(
                &app,
                "/account/password",
                &[
                    ("_csrf", &csrf),
                    ("current", &generated),
                    ("new", "my own password"),
                    ("repeat", "my own password"),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", database.backend);
        assert_eq!(person.get(&app, "/shops/demo/dashboard").await.status, 200);
        let mut again = Browser::new();
        assert_eq!(
            try_sign_in(&app, &mut again, "new@example.com", "my own password").await,
            303
        );
    }
}

#[tokio::test]
async fn an_invitation_tells_the_owner_nothing_and_its_code_joins() {
    for database in databases().await {
        let db = &database.db;
        let first =
            store::shops::create_shop(db, "first", "安的小店", chrono_tz::Asia::Shanghai, now())
                .await
                .unwrap();
        let second = fixtures::shop(db, "second").await;
        let ann = staff_member(db, first.id, "ann@example.com", Role::Owner).await;
        let bo = staff_member(db, second.id, "bo@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut owner = signed_in(&app, "bo@example.com", &bo).await;
        let mut invite = async |email: &str| {
            let team = owner.get(&app, "/shops/second/team").await;
            let page = owner
                .post(
                    &app,
                    "/shops/second/team/staff",
                    &[
                        ("_csrf", &team.csrf()),
                        ("email", email),
                        ("role", "operator"),
                    ],
                )
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            let code = page
                .body
                .split("<code>")
                .nth(1)
                .and_then(|rest| rest.split("</code>").next())
                .unwrap()
                .to_owned();
            (page.body, code)
        };
        let (to_ann, ann_code) = invite("ann@example.com").await;
        let (to_new, _) = invite("cy@example.com").await;
        // An email with an account and one without read alike, and nothing
        // about the other shop shows.
        let shape = |body: &str, email: &str, code: &str| {
            body.replace(email, "EMAIL").replace(code, "CODE")
        };
        let notice = |body: &str| {
            body.split("id=\"shown-once\"")
                .nth(1)
                .and_then(|rest| rest.split("</div>").next())
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            shape(&notice(&to_ann), "ann@example.com", &ann_code),
            shape(
                &notice(&to_new),
                "cy@example.com",
                notice(&to_new)
                    .split("<code>")
                    .nth(1)
                    .unwrap()
                    .split("</code>")
                    .next()
                    .unwrap()
            ),
            "{}",
            database.backend
        );
        assert!(!to_ann.contains("安的小店") && !to_ann.contains("/shops/first"));
        // Not a member before using the code.
        let mut person = signed_in(&app, "ann@example.com", &ann).await;
        assert_eq!(
            person.get(&app, "/shops/second/dashboard").await.status,
            404
        );
        let mut joined = super::joined(&app, "ann@example.com", &ann_code, &ann).await;
        assert_eq!(
            joined.get(&app, "/shops/second/dashboard").await.status,
            200
        );
        assert_eq!(
            person.get(&app, "/shops/second/dashboard").await.status,
            200
        );
        let audit = owner.get(&app, "/shops/second/audit").await;
        assert!(audit.body.contains("ann@example.com"));
        // A wrong code answers like a wrong password, and is counted.
        let mut guesser = Browser::at("127.0.0.9");
        let page = guesser.get(&app, "/join").await;
        let refused = guesser
            .post(
                &app,
                "/join",
                &[
                    ("_csrf", &page.csrf()),
                    ("email", "cy@example.com"),
                    ("code", "NOT-THE-CODE"),
                    ("password", "a new password"),
                    ("name", ""),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("邮箱、邀请码或密码不正确"),
            "{}",
            refused.body
        );
    }
}

#[tokio::test]
async fn over_https_cookies_are_host_only_and_secure() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let password = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
    let mut state = web::AppState::at(db.clone(), now());
    state.secure_cookies = true;
    let app = api::app_with(state).await;
    let mut browser = Browser::new();
    let login = browser.get(&app, "/login").await;
    let token = login
        .set_cookies
        .iter()
        .find(|c| c.name() == "__Host-mo_login_csrf")
        .expect("the sign-in token cookie");
    assert_eq!(token.secure(), Some(true));
    assert_eq!(token.path(), Some("/"));
    assert!(
        login
            .header("strict-transport-security")
            .is_some_and(|h| h.starts_with("max-age="))
    );
    let done = browser
        .post(
            &app,
            "/login",
            &[
                ("email", "owner@example.com"),
                ("password", &password),
                ("_csrf", &login.csrf()),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let session = done
        .set_cookies
        .iter()
        .find(|c| c.name() == "__Host-mo_session")
        .expect("the session cookie");
    assert_eq!(session.secure(), Some(true));
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(browser.get(&app, "/shops/demo/dashboard").await.status, 200);
}
