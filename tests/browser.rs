//! The admin UI in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) against the real server on loopback. Screenshots go to
//! `test-artifacts/`.
//!
//! `.ci/run` installs Chromium and sets `MERCHANT_OPS_BROWSER_TESTS=required`, so
//! CI always runs this; elsewhere it is skipped, saying so, when no browser is
//! installed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use domain::roles::Role;
use serde_json::{Value, json};

use crate::support::{databases, fixtures, now};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// W3C's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn browser_available() -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var("MERCHANT_OPS_BROWSER_TESTS").as_deref() != Ok("required"),
            "browser tests are required here but chromium or chromedriver is missing"
        );
        eprintln!("skipped: install chromium and chromium-driver to run the browser test");
    }
    present
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    async fn session(&self) -> Session<'_> {
        self.session_with(json!({})).await
    }

    /// A phone of `width` CSS pixels (Chromium's device emulation: a headless
    /// window cannot be narrower than 500 px).
    async fn phone(&self, width: u32) -> Session<'_> {
        self.session_with(
            json!({"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1}}),
        )
        .await
    }

    async fn session_with(&self, mobile: Value) -> Session<'_> {
        let mut options = json!({"binary": CHROMIUM, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1000", "--lang=zh-CN"
        ]});
        if mobile != json!({}) {
            options["mobileEmulation"] = mobile;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options
        }}});
        let value = self
            .call(reqwest::Method::POST, "/session", Some(capabilities))
            .await;
        Session {
            driver: self,
            id: value["sessionId"]
                .as_str()
                .expect("a browser session")
                .to_owned(),
        }
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
            .await
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn find(&self, css: &str) -> Option<String> {
        let value = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        value[ELEMENT].as_str().map(str::to_owned)
    }

    /// The element, waiting up to five seconds for the page to show it.
    async fn must(&self, css: &str) -> String {
        for _ in 0..50 {
            if let Some(element) = self.find(css).await {
                return element;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css}")
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.must(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.must(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Waits up to five seconds for `css` to be on the page: a click that
    /// submits a form may return before the next page has loaded.
    async fn wait_for(&self, css: &str) -> bool {
        for _ in 0..50 {
            if self.find(css).await.is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Waits up to five seconds for the page to show `needle`; the page's text.
    async fn wait_for_text(&self, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..50 {
            text = self.text().await;
            if text.contains(needle) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        text
    }

    async fn text(&self) -> String {
        let body = self.must("body").await;
        self.call(reqwest::Method::GET, &format!("/element/{body}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn screenshot(&self, name: &str) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap();
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-artifacts");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(name), png).unwrap();
    }

    async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.go(&format!("{base}/login")).await;
        self.type_into("input[name=email]", email).await;
        self.type_into("input[name=password]", password).await;
        self.click("button[type=submit]").await;
        // Signed in once a page offers signing out.
        assert!(
            self.wait_for("form[action=\"/logout\"]").await,
            "{email} is signed in"
        );
    }

    async fn end(self) {
        self.call(reqwest::Method::DELETE, "", None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_run_coupons_dashboard_customers_and_estimate_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    web::install_crypto();
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let (_, owner) = fixtures::staff(db, "owner@example.com", "小鹿", Role::Owner, shop.id).await;
    let (_, viewer) =
        fixtures::staff(db, "viewer@example.com", "小王", Role::Viewer, shop.id).await;
    let app = web::spawn_app(web::AppState::at(db.clone(), now()))
        .await
        .unwrap();
    let (base, handle) = (app.base, app.handle);
    let driver = Driver::start().await;

    let browser = driver.session().await;
    browser.sign_in(&base, "owner@example.com", &owner).await;
    browser.go(&format!("{base}/shops/demo/coupons/new")).await;
    browser.type_into("input[name=name]", "满99减10").await;
    // The coupon in words, live, before anything is saved.
    let live = "满99减10，共1000张，每人限领1张，领取后7天有效";
    assert!(
        browser.wait_for_text(live).await.contains(live),
        "the live summary"
    );
    browser.screenshot("coupon-form.png").await;

    // An amount over the threshold: the reason appears next to the field.
    browser
        .type_into("input[name=\"benefit.amount\"]", "120")
        .await;
    browser.click("button.action-activate").await;
    assert!(
        browser.wait_for("#amount-error").await,
        "the amount's error is shown: {}",
        browser.text().await
    );
    assert!(
        browser
            .wait_for_text("减的金额必须小于门槛")
            .await
            .contains("减的金额必须小于门槛")
    );
    browser.screenshot("coupon-form-error.png").await;

    // Corrected, it is created and active.
    browser
        .type_into("input[name=\"benefit.amount\"]", "10")
        .await;
    browser.click("button.action-activate").await;
    let summary = "满99减10，共1000张，每人限领1张，领取后7天有效";
    assert!(browser.wait_for_text(summary).await.contains(summary));
    // A customer claims it and uses it on a paid order.
    let coupon_id = store::coupons::list_coupons(db, shop.id, &Default::default())
        .await
        .unwrap()[0]
        .id;
    let claim = |customer: &str| store::claims::ClaimRequest {
        device: None,
        shop_id: shop.id,
        customer: customer.into(),
        target: store::claims::ClaimTarget::Coupon(coupon_id),
        channel: domain::Channel::LiveRoom,
        source: store::claims::ClaimSource::Claim,
        now: now(),
    };
    store::claims::claim(db, &claim("c-1")).await.unwrap();
    store::claims::claim(db, &claim("c-2")).await.unwrap();
    store::orders::place_order(
        db,
        &store::orders::NewOrder {
            shop_id: shop.id,
            external_id: "o-1".into(),
            customer: "c-1".into(),
            lines: vec![domain::QuoteLine {
                sku: domain::Sku::parse("A1").unwrap(),
                unit_price: domain::Money::yuan(120),
                activity_price: None,
                quantity: 1,
            }],
            claims: store::orders::ClaimChoice::Best,
            platform_discount: domain::Money::ZERO,
            now: now(),
        },
    )
    .await
    .unwrap();
    store::orders::record_event(db, shop.id, "o-1", domain::OrderEvent::Paid, now(), now())
        .await
        .unwrap();
    browser.go(&format!("{base}/shops/demo/coupons")).await;
    let list = browser.wait_for_text("进行中").await;
    assert!(
        list.contains("满99减10") && list.contains("进行中"),
        "{list}"
    );
    browser.screenshot("coupon-list.png").await;

    // Open it from the list and pause it.
    browser.click("table.list a").await;
    assert!(
        browser.wait_for("button.action-pause").await,
        "the coupon's page"
    );
    browser.click("button.action-pause").await;
    assert!(browser.wait_for_text("已暂停").await.contains("已暂停"));
    browser.screenshot("coupon-paused.png").await;

    // The dashboard draws its charts on the server: they are there as SVG.
    browser.go(&format!("{base}/shops/demo/dashboard")).await;
    assert!(
        browser.wait_for("svg.chart.claims rect.bar").await,
        "the claims chart"
    );
    for chart in ["svg.chart.redemptions", "svg.chart.cost", "svg.chart.bars"] {
        assert!(browser.find(chart).await.is_some(), "{chart}");
    }
    let dashboard = browser.text().await;
    assert!(
        dashboard.contains("近 30 天每日领取") && dashboard.contains("50.00% (1/2)"),
        "{dashboard}"
    );
    browser.screenshot("dashboard.png").await;

    // A customer's page shows their claim; a second one by hand is refused by
    // the per-customer limit, with the reason.
    store::coupons::apply_action(
        db,
        shop.id,
        coupon_id,
        domain::LifecycleAction::Resume,
        now(),
    )
    .await
    .unwrap();
    browser
        .go(&format!("{base}/shops/demo/customers?q=c-2"))
        .await;
    browser.click("table.list a").await;
    let customer = browser.wait_for_text("未使用").await;
    assert!(
        customer.contains("满99减10") && customer.contains("直播间"),
        "{customer}"
    );
    browser.click(".grant button").await;
    assert!(
        browser.wait_for("#grant-refusal").await,
        "the refusal is shown"
    );
    assert!(browser.text().await.contains("未能发放：已达每人限领张数"));
    browser.screenshot("customer.png").await;
    store::coupons::apply_action(
        db,
        shop.id,
        coupon_id,
        domain::LifecycleAction::Pause,
        now(),
    )
    .await
    .unwrap();

    // The estimate warns below the shop's profit floor.
    store::shops::update_settings(
        db,
        shop.id,
        &domain::shop::ShopSettings {
            time_zone: shop.time_zone,
            reminder_lead_hours: vec![24],
            quiet_start_minute: 22 * 60,
            quiet_end_minute: 8 * 60,
            monthly_cap: None,
            profit_floor: Some("25".parse().unwrap()),
        },
    )
    .await
    .unwrap();
    browser
        .go(&format!(
            "{base}/shops/demo/estimate?face_value=10&threshold=99&quantity=1000&use_rate=30&aov=120&margin=30"
        ))
        .await;
    assert!(
        browser.wait_for("#floor-warning").await,
        "the profit-floor warning"
    );
    assert!(browser.text().await.contains("21.67%"));
    browser.screenshot("estimate-warning.png").await;
    browser.end().await;

    // A viewer sees the coupon but no button to change it.
    let reader = driver.session().await;
    reader.sign_in(&base, "viewer@example.com", &viewer).await;
    reader.go(&format!("{base}/shops/demo/coupons")).await;
    assert!(reader.find("a.button").await.is_none(), "no create button");
    reader.click("table.list a").await;
    assert!(reader.wait_for("p.summary").await, "the coupon's page");
    assert!(reader.wait_for_text("已暂停").await.contains("已暂停"));
    assert!(
        reader.find(".actions button").await.is_none(),
        "no edit buttons"
    );

    // The live drop console, open on a phone during a small drop: it reloads
    // itself and the numbers move without anyone touching the page.
    let drop = crate::support::fixtures::coupon(db, &shop, json!({"name": "直播间秒杀"})).await;
    let drop_claim = |customer: &str| store::claims::ClaimRequest {
        device: None,
        target: store::claims::ClaimTarget::Coupon(drop.id),
        now: now() - chrono::Duration::seconds(1),
        ..claim(customer)
    };
    for customer in ["c-1", "c-2"] {
        store::claims::claim(db, &drop_claim(customer))
            .await
            .unwrap();
    }
    reader
        .call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 390, "height": 844})),
        )
        .await;
    reader
        .go(&format!("{base}/shops/demo/coupons/{}", drop.id))
        .await;
    reader.click("a.live-link").await;
    let console = reader.wait_for_text("直播实时看板").await;
    assert!(
        console.contains("998") && console.contains("0.20"),
        "{console}"
    );
    for customer in ["live-1", "live-2", "live-3"] {
        store::claims::claim(db, &drop_claim(customer))
            .await
            .unwrap();
    }
    let mut moved = String::new();
    for _ in 0..50 {
        moved = reader.text().await;
        if moved.contains("995") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        moved.contains("995") && moved.contains("0.50") && moved.contains("约 33 分 10 秒"),
        "the console reloaded with the drop: {moved}"
    );
    reader.screenshot("live-console-phone.png").await;
    reader.end().await;

    let stored = store::coupons::list_coupons(
        db,
        shop.id,
        &store::coupons::CouponFilter {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let designed = stored.iter().find(|c| c.id == coupon_id).unwrap();
    assert_eq!(designed.status, domain::CouponStatus::Paused);
    handle.stop(false).await;
}

/// SPEC §2 and §6 as a merchant meets them: each kind made from its own form,
/// a catalogue searched for the item coupon, the 0.5 typo refused, 4折 only
/// once confirmed, and a coupon ended with its unused claims revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_makes_each_kind_and_is_kept_from_costly_mistakes_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    web::install_crypto();
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let (_, owner) = fixtures::staff(db, "owner@example.com", "小鹿", Role::Owner, shop.id).await;
    // A catalogue too big to list: the item form searches it.
    for n in 0..45 {
        let sku = domain::Sku::parse(&format!("P-{n:02}")).unwrap();
        store::products::upsert_product(
            db,
            shop.id,
            &sku,
            &format!("连衣裙 {n}"),
            domain::Money::yuan(199),
            now(),
        )
        .await
        .unwrap();
    }
    let lipstick = domain::Sku::parse("LIP-03").unwrap();
    store::products::upsert_product(
        db,
        shop.id,
        &lipstick,
        "玫瑰口红",
        domain::Money::yuan(89),
        now(),
    )
    .await
    .unwrap();
    let app = web::spawn_app(web::AppState::at(db.clone(), now()))
        .await
        .unwrap();
    let (base, handle) = (app.base, app.handle);
    let driver = Driver::start().await;
    let browser = driver.session().await;
    browser.sign_in(&base, "owner@example.com", &owner).await;

    // Each kind from the list's menu, its own form: only its own sections.
    let kinds = [
        ("shop", "店铺满减"),
        ("item", "口红专享券"),
        ("new_customer", "新人见面礼"),
        ("follower", "关注有礼"),
        ("repurchase", "回购券"),
        ("private", "主播口令券"),
        ("member", "入会有礼"),
        ("reward", "满199返20"),
        ("share", "3人助力得券"),
    ];
    for (preset, name) in kinds {
        browser.go(&format!("{base}/shops/demo/coupons")).await;
        browser.click("details.new-menu summary").await;
        browser
            .click(&format!("details.new-menu a[href$=\"kind={preset}\"]"))
            .await;
        browser.type_into("input[name=name]", name).await;
        let visible = browser
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": "return [...document.querySelectorAll('fieldset[data-kind]')].filter(f => !f.hidden).map(f => f.dataset.kind)", "args": []})),
            )
            .await;
        let own: Vec<&str> = match preset {
            "follower" | "repurchase" | "private" | "member" | "reward" | "share" => vec![preset],
            _ => vec![],
        };
        assert_eq!(visible, json!(own), "{preset}: only its own sections");
        let picker = browser
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": "return getComputedStyle(document.querySelector('.scope-items')).display", "args": []})),
            )
            .await;
        assert_eq!(
            picker == json!("none"),
            preset != "item",
            "{preset}: the product picker only for chosen products"
        );
        match preset {
            "item" => {
                browser.type_into("#product-search", "玫瑰").await;
                browser
                    .click("#product-results input[value=\"LIP-03\"]")
                    .await;
            }
            "private" => {
                browser
                    .type_into("input[name=\"private.code\"]", "LIVE2026")
                    .await
            }
            "share" => {
                browser
                    .type_into("input[name=\"share.friends\"]", "5")
                    .await;
                browser.screenshot("coupon-form-share.png").await;
            }
            "reward" => browser.screenshot("coupon-form-reward.png").await,
            "new_customer" | "follower" | "member" => {
                let shown = browser
                    .call(
                        reqwest::Method::POST,
                        "/execute/sync",
                        Some(json!({"script": "return [document.querySelector('.audience-fixed').hidden, document.querySelector('.audience-choice').hidden]", "args": []})),
                    )
                    .await;
                assert_eq!(
                    shown,
                    json!([false, true]),
                    "{preset}: the kind decides who"
                );
                assert!(browser.text().await.contains("人群由类型决定"));
            }
            _ => {}
        }
        if preset == "item" {
            browser.screenshot("coupon-form-item-search.png").await;
        }
        browser.click("button.action-activate").await;
        assert!(
            browser.wait_for("button.action-pause").await,
            "{preset} created: {}",
            browser.text().await
        );
    }
    let all = store::coupons::CouponFilter {
        limit: 50,
        ..Default::default()
    };
    let made = store::coupons::list_coupons(db, shop.id, &all)
        .await
        .unwrap();
    for (preset, name) in kinds {
        let coupon = made
            .iter()
            .find(|c| c.coupon.name() == name)
            .unwrap_or_else(|| {
                panic!(
                    "{name}: {:?}",
                    made.iter().map(|c| c.coupon.name()).collect::<Vec<_>>()
                )
            });
        let kind = match preset {
            "item" => "shop",
            other => other,
        };
        assert_eq!(coupon.coupon.kind().as_str(), kind, "{name}");
        assert_eq!(coupon.status, domain::CouponStatus::Active);
        match preset {
            "item" => assert_eq!(
                coupon.coupon.scope(),
                &domain::Scope::Items {
                    skus: vec![lipstick.clone()]
                }
            ),
            "new_customer" => assert_eq!(coupon.coupon.audience(), &domain::Audience::NewCustomers),
            "follower" => assert_eq!(coupon.coupon.audience(), &domain::Audience::Followers),
            "member" => assert_eq!(
                coupon.coupon.rules(),
                &domain::KindRules::Member(domain::coupon::MemberRules { join_gift: true })
            ),
            "reward" => assert_eq!(
                coupon.coupon.rules(),
                &domain::KindRules::Reward(domain::coupon::RewardRules {
                    min_paid: domain::Money::yuan(199),
                    trigger: domain::RewardTrigger::Paid,
                    members_only: false,
                })
            ),
            "share" => assert_eq!(
                coupon.coupon.rules(),
                &domain::KindRules::Share(domain::coupon::ShareRules {
                    friends: 5,
                    new_customers_only: true,
                    friend_coupon_id: None,
                })
            ),
            _ => {}
        }
    }

    // 0.5 meant as 5折 would be 99.5 % off: refused, with the field's reason.
    browser
        .go(&format!("{base}/shops/demo/coupons/new?kind=shop"))
        .await;
    browser.type_into("input[name=name]", "直播间折扣").await;
    browser
        .click("input[name=\"benefit.type\"][value=\"percent_off\"]")
        .await;
    browser
        .type_into("input[name=\"benefit.percent\"]", "0.5")
        .await;
    browser.click("button.action-activate").await;
    assert!(
        browser.wait_for("#percent-error").await,
        "the typo is refused"
    );
    assert!(
        browser.text().await.contains("须为 1.0 到 9.9 折"),
        "{}",
        browser.text().await
    );
    browser.screenshot("coupon-form-typo.png").await;
    // 4折 is possible, once the worst case has been read and ticked.
    browser
        .type_into("input[name=\"benefit.percent\"]", "4")
        .await;
    browser.click("button.action-activate").await;
    assert!(browser.wait_for("#confirm-deep").await, "4折 asks first");
    assert!(browser.text().await.contains("低于 5 折"));
    browser.screenshot("coupon-form-confirm-deep.png").await;
    browser.click("#confirm-deep input").await;
    browser.click("button.action-activate").await;
    assert!(
        browser.wait_for("button.action-pause").await,
        "confirmed, it is made: {}",
        browser.text().await
    );
    let deep = store::coupons::list_coupons(db, shop.id, &all)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.coupon.name() == "直播间折扣")
        .unwrap();

    // Ending it takes the unused claims back: a held 4折 is not left usable.
    let held = fixtures::claim(
        db,
        shop.id,
        deep.id,
        "c-9",
        domain::Channel::LiveRoom,
        now(),
    )
    .await;
    browser
        .go(&format!("{base}/shops/demo/coupons/{}", deep.id))
        .await;
    browser.click("details.confirm summary.action-end").await;
    browser
        .click("form[action$=\"/end\"] input[name=revoke]")
        .await;
    browser.screenshot("coupon-end-revoke.png").await;
    browser
        .click("form[action$=\"/end\"] button.action-end")
        .await;
    assert!(browser.wait_for_text("已结束").await.contains("已结束"));
    let after = store::claims::of_customer(db, held.customer_id, 10)
        .await
        .unwrap();
    assert_eq!(after[0].claim.state, domain::ClaimState::Revoked);
    browser.end().await;
    handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_choose_their_password_and_join_with_an_invitation_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    web::install_crypto();
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let other =
        store::shops::create_shop(db, "other", "隔壁小店", chrono_tz::Asia::Shanghai, now())
            .await
            .unwrap();
    let (_, owner) = fixtures::staff(db, "owner@example.com", "小鹿", Role::Owner, shop.id).await;
    // An account made with a generated password, in another shop.
    let (_, generated) =
        store::staff::create_staff(db, "ann@example.com", "安", Role::Owner, other.id, now())
            .await
            .unwrap();
    let app = web::spawn_app(web::AppState::at(db.clone(), now()))
        .await
        .unwrap();
    let (base, handle) = (app.base, app.handle);
    let driver = Driver::start().await;

    // Ann's first sign-in lands on her account page: her own password first.
    let ann = driver.session().await;
    ann.sign_in(&base, "ann@example.com", &generated).await;
    assert!(ann.wait_for("#must-change").await, "{}", ann.text().await);
    ann.go(&format!("{base}/shops/other/dashboard")).await;
    assert!(ann.wait_for("#must-change").await, "nothing else first");
    ann.screenshot("account-first-sign-in.png").await;
    ann.type_into("input[name=current]", &generated).await;
    ann.type_into("input[name=new]", "安的新密码 2026").await;
    ann.type_into("input[name=repeat]", "安的新密码 2026").await;
    ann.click("form[action=\"/account/password\"] button[type=submit]")
        .await;
    assert!(
        ann.wait_for_text("隔壁小店").await.contains("隔壁小店"),
        "on to her shop"
    );

    // The owner of another shop invites her, and is shown a code, whatever
    // her account.
    let boss = driver.session().await;
    boss.sign_in(&base, "owner@example.com", &owner).await;
    boss.go(&format!("{base}/shops/demo/team")).await;
    boss.type_into("form.add-form input[name=email]", "ann@example.com")
        .await;
    boss.click("form.add-form button[type=submit]").await;
    let invited = boss.wait_for_text("已邀请 ann@example.com").await;
    assert!(invited.contains("未使用的邀请"), "{invited}");
    assert!(
        !invited.contains("隔壁小店"),
        "nothing about her other shop"
    );
    boss.screenshot("team-invitation.png").await;
    let code_element = boss.must("#shown-once code").await;
    let code = boss
        .call(
            reqwest::Method::GET,
            &format!("/element/{code_element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned();
    boss.end().await;

    // She joins with it and her own password.
    ann.go(&format!("{base}/join")).await;
    ann.type_into("input[name=email]", "ann@example.com").await;
    ann.type_into("input[name=code]", &code).await;
    ann.type_into("input[name=password]", "安的新密码 2026")
        .await;
    ann.screenshot("join.png").await;
    ann.click("form[action=\"/join\"] button[type=submit]")
        .await;
    assert!(
        ann.wait_for("a[href=\"/shops/demo/coupons\"]").await,
        "the invited shop's pages: {}",
        ann.text().await
    );
    ann.end().await;
    let (person, _) =
        store::staff::sign_in(db, "ann@example.com", "安的新密码 2026", "127.0.0.1", now())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        store::staff::memberships(db, person.id)
            .await
            .unwrap()
            .len(),
        2
    );

    // On a 360 px phone no page scrolls sideways: wide lists become cards.
    let phone = driver.phone(360).await;
    phone.sign_in(&base, "owner@example.com", &owner).await;
    let seen_on_phone = fixtures::coupon(db, &shop, json!({"name": "手机上看的券"})).await;
    let coupon_page = format!("coupons/{}", seen_on_phone.id);
    let order = store::orders::place_order(
        db,
        &store::orders::NewOrder {
            shop_id: shop.id,
            external_id: "phone-1".into(),
            customer: "c-1".into(),
            lines: vec![domain::QuoteLine {
                sku: domain::Sku::parse("A1").unwrap(),
                unit_price: domain::Money::yuan(120),
                activity_price: None,
                quantity: 1,
            }],
            claims: store::orders::ClaimChoice::Best,
            platform_discount: domain::Money::ZERO,
            now: now(),
        },
    )
    .await
    .unwrap();
    let order_page = format!("orders/{}", order.id);
    for page in [
        coupon_page.as_str(),
        order_page.as_str(),
        "dashboard",
        "coupons",
        "coupons/new",
        "orders",
        "customers",
        "notifications",
        "team",
        "settings",
        "audit",
    ] {
        phone.go(&format!("{base}/shops/demo/{page}")).await;
        assert!(phone.wait_for("main").await);
        let widths = phone
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": "return [document.documentElement.scrollWidth, window.innerWidth]", "args": []})),
            )
            .await;
        // An emulated phone widens its viewport to whatever overflows: both
        // must stay the phone's width.
        assert_eq!(
            widths,
            json!([360, 360]),
            "{page} scrolls sideways on a phone"
        );
        if ["coupons", "dashboard", "coupons/new"].contains(&page) {
            let file = page.replace('/', "-");
            phone.screenshot(&format!("{file}-phone-360.png")).await;
        }
    }
    phone.end().await;
    handle.stop(false).await;
}
