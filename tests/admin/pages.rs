//! The dashboard, customers, orders, the outbox, staff and keys, and the audit
//! log, over HTTP through the real application.

use chrono::Duration;
use domain::roles::Role;
use domain::{Channel, Money};
use serde_json::json;
use store::orders::ClaimChoice;

use super::{joined, signed_in, staff_member};
use crate::support::{api, databases, db, fixtures, now};

async fn claim(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    customer: &str,
) -> i64 {
    fixtures::claim(db, shop_id, coupon_id, customer, Channel::LiveRoom, now())
        .await
        .id
}

/// ¥60 + ¥40 with the best claims, paid.
async fn paid_order(
    db: &sea_orm::DatabaseConnection,
    shop_id: i64,
    id: &str,
    customer: &str,
) -> i64 {
    let lines = vec![fixtures::line("A1", "60.00"), fixtures::line("B2", "40.00")];
    fixtures::paid_order(db, shop_id, id, customer, lines, ClaimChoice::Best).await
}

async fn audit_count(db: &sea_orm::DatabaseConnection) -> usize {
    db::number(db, "SELECT COUNT(*) AS n FROM audit_log", vec![]).await as usize
}

#[tokio::test]
async fn the_dashboard_shows_today_charts_and_health() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        claim(db, shop.id, coupon.id, "c-1").await;
        claim(db, shop.id, coupon.id, "c-2").await;
        paid_order(db, shop.id, "o-1", "c-1").await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = signed_in(&app, "viewer@example.com", &viewer).await;

        let home = browser.get(&app, "/").await;
        assert_eq!(home.location.as_deref(), Some("/shops/demo/dashboard"));
        let page = browser.get(&app, "/shops/demo/dashboard").await;
        assert_eq!(page.status, 200, "{}", database.backend);
        let body = &page.body;
        // Three 30-day column charts and the channel bars, drawn as SVG.
        assert_eq!(body.matches("<svg class=\"chart").count(), 4, "{body}");
        assert_eq!(body.matches("class=\"bar\"").count(), 3 * 30);
        // Live room: one of two claims used, below the 65 % target.
        assert!(
            body.contains("class=\"bar low\"><title>直播间: 50.00% (1/2)</title>"),
            "{body}"
        );
        assert!(body.contains("<title>11-23: 2</title>"), "two claims today");
        assert!(
            body.contains("<title>11-23: ¥10.00</title>"),
            "today's cost"
        );
        // Claims row: today, 7 and 30 days.
        assert!(body.contains("<th>领取</th><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">2</td>"), "{body}");
        // One of two claims used: 50 % is below the 65 % target.
        assert!(
            body.contains("50.00% (1/2)") && body.contains("verdict low"),
            "{body}"
        );
        // No order without a coupon yet: the AOV check has no data.
        assert!(body.contains("verdict none"));
        // Another shop's dashboard does not exist for this viewer.
        fixtures::shop(db, "other").await;
        assert_eq!(
            browser.get(&app, "/shops/other/dashboard").await.status,
            404
        );
    }
}

/// SPEC §10: the dashboard counts members and their share of coupon GMV; a
/// customer's page says whether they are one.
#[tokio::test]
async fn the_dashboard_counts_members_and_their_share_of_coupon_gmv() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        for customer in ["m-1", "p-1"] {
            claim(db, shop.id, coupon.id, customer).await;
            paid_order(db, shop.id, &format!("o-{customer}"), customer).await;
        }
        store::members::join(db, shop.id, "m-1", Some("金卡"), now())
            .await
            .unwrap();
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut staff = signed_in(&app, "owner@example.com", &owner).await;
        let page = staff.get(&app, "/shops/demo/dashboard").await.body;
        assert!(
            page.contains("<div class=\"kpi-value\" id=\"members\">1</div>"),
            "{page}"
        );
        assert!(
            page.contains(
                "<div class=\"kpi-note\" id=\"members-gmv\">50.0% (¥90.00 / ¥180.00)</div>"
            ),
            "{}: {page}",
            database.backend
        );
        let member = store::customers::find_customer(db, shop.id, "m-1")
            .await
            .unwrap()
            .unwrap();
        let page = staff
            .get(&app, &format!("/shops/demo/customers/{}", member.id))
            .await
            .body;
        assert!(page.contains("金卡 · 入会于"), "{page}");
    }
}

/// SPEC §8: a coupon's figures by day and channel download as CSV, days on
/// the shop's clock; uses and cost on the day the order was paid.
#[tokio::test]
async fn a_coupons_metrics_download_by_day_and_channel() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"per_customer_limit": null})).await;
        let yesterday = now() - Duration::days(1);
        for (customer, channel, at) in [
            ("a", Channel::LiveRoom, yesterday),
            ("b", Channel::ShortVideo, yesterday),
            ("c", Channel::LiveRoom, now()),
        ] {
            fixtures::claim(db, shop.id, coupon.id, customer, channel, at).await;
        }
        for customer in ["a", "c"] {
            paid_order(db, shop.id, &format!("o-{customer}"), customer).await;
        }
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut staff = signed_in(&app, "owner@example.com", &owner).await;
        let page = staff
            .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
            .await
            .body;
        let link = format!("/shops/demo/coupons/{}/metrics.csv", coupon.id);
        assert!(page.contains(&link), "the page links it");
        let csv = staff.get(&app, &link).await.body;
        assert_eq!(
            csv,
            "date (Asia/Shanghai),channel,claimed,used,actual_cost\n\
             2026-11-22,live_room,1,0,0.00\n\
             2026-11-22,short_video,1,0,0.00\n\
             2026-11-23,live_room,1,2,20.00\n",
            "{}",
            database.backend
        );
    }
}

/// SPEC §8: the dashboard's 30 days download as CSV, a row per local day.
#[tokio::test]
async fn the_dashboards_thirty_days_download_as_csv() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        claim(db, shop.id, coupon.id, "a").await;
        paid_order(db, shop.id, "o-a", "a").await;
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut staff = signed_in(&app, "owner@example.com", &owner).await;
        let page = staff.get(&app, "/shops/demo/dashboard").await.body;
        assert!(page.contains("/shops/demo/dashboard.csv"), "linked");
        let csv = staff.get(&app, "/shops/demo/dashboard.csv").await.body;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "date (Asia/Shanghai),claims,redemptions,actual_cost,coupon_orders,coupon_gmv,plain_orders,plain_gmv"
        );
        assert_eq!(lines.len(), 31, "a header and 30 days");
        assert_eq!(lines[1], "2026-10-25,0,0,0.00,0,0.00,0,0.00");
        assert_eq!(
            lines[30], "2026-11-23,1,1,10.00,1,90.00,0,0.00",
            "{}",
            database.backend
        );
    }
}

/// SPEC §6: pages name customers — by name, else by their phone's last four
/// digits — with the storefront's id as secondary text; staff find them by name.
#[tokio::test]
async fn customers_are_named_by_name_or_phone_tail_not_by_id() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        for (id, name, phone) in [
            ("dy-1", Some("小美"), Some("138-0013-5678")),
            ("dy-2", None, Some("13900021234")),
            ("dy-3", None, None),
        ] {
            let profile = store::customers::CustomerProfile {
                phone: Some(phone.map(str::to_owned)),
                name: Some(name.map(str::to_owned)),
                ..Default::default()
            };
            store::customers::upsert_customer(db, shop.id, id, &profile, now())
                .await
                .unwrap();
            paid_order(db, shop.id, &format!("o-{id}"), id).await;
        }
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut staff = signed_in(&app, "owner@example.com", &owner).await;

        let orders = staff.get(&app, "/shops/demo/orders").await.body;
        for shown in [
            "小美 · 尾号 5678 <span class=\"sub\">dy-1</span>",
            "尾号 1234 <span class=\"sub\">dy-2</span>",
            ">dy-3</td>",
        ] {
            assert!(orders.contains(shown), "{shown}: {orders}");
        }
        let customers = staff.get(&app, "/shops/demo/customers").await.body;
        assert!(customers.contains("小美 · 尾号 5678"), "{customers}");
        let found = staff
            .get(&app, "/shops/demo/customers?q=%E5%B0%8F%E7%BE%8E")
            .await
            .body;
        assert!(
            found.contains("小美 · 尾号 5678") && !found.contains("尾号 1234"),
            "{found}"
        );
        let named = store::customers::find_customer(db, shop.id, "dy-1")
            .await
            .unwrap()
            .unwrap();
        let page = staff
            .get(&app, &format!("/shops/demo/customers/{}", named.id))
            .await
            .body;
        assert!(
            page.contains("<h1>小美 · 尾号 5678 <span class=\"sub\">dy-1</span>"),
            "{page}"
        );
        let csrf = staff.get(&app, "/shops/demo/orders").await.csrf();
        staff
            .post(
                &app,
                "/locale",
                &[("_csrf", &csrf), ("locale", "en"), ("back", "/")],
            )
            .await;
        let orders = staff.get(&app, "/shops/demo/orders").await.body;
        assert!(orders.contains("phone …1234"), "{orders}");
    }
}

#[tokio::test]
async fn a_customer_page_shows_claims_and_grants_by_hand_under_the_rules() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let once = fixtures::coupon(db, &shop, json!({"name": "一人一张"})).await;
        let gift = fixtures::coupon(
            db,
            &shop,
            json!({"name": "客服补偿券", "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "5.00"}}),
        )
        .await;
        claim(db, shop.id, once.id, "c-1").await;
        let customer = store::customers::find_customer(db, shop.id, "c-1")
            .await
            .unwrap()
            .unwrap();
        let operator = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut ops = signed_in(&app, "ops@example.com", &operator).await;

        let list = ops.get(&app, "/shops/demo/customers?q=c-1").await;
        let detail_path = format!("/shops/demo/customers/{}", customer.id);
        assert!(
            list.body.contains(&format!("href=\"{detail_path}\"")),
            "{}",
            list.body
        );
        let nobody = ops.get(&app, "/shops/demo/customers?q=nobody").await;
        assert!(nobody.body.contains("没有找到顾客"));

        let page = ops.get(&app, &detail_path).await;
        assert!(
            page.body.contains("一人一张")
                && page.body.contains("未使用")
                && page.body.contains("直播间"),
            "{}",
            page.body
        );
        let csrf = page.csrf();
        let audits = audit_count(db).await;

        // The per-customer limit refuses a second one: the reason is shown, nothing written.
        let refused = ops
            .post(
                &app,
                &format!("{detail_path}/grant"),
                &[("_csrf", &csrf), ("coupon_id", &once.id.to_string())],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", database.backend);
        assert!(
            refused.body.contains("id=\"grant-refusal\"")
                && refused.body.contains("已达每人限领张数"),
            "{}",
            refused.body
        );
        let held = store::claims::of_customer(db, customer.id, 50)
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(
            audit_count(db).await,
            audits,
            "a refused grant logs nothing"
        );

        let granted = ops
            .post(
                &app,
                &format!("{detail_path}/grant"),
                &[("_csrf", &csrf), ("coupon_id", &gift.id.to_string())],
            )
            .await;
        assert_eq!(granted.status, 303);
        let held = store::claims::of_customer(db, customer.id, 50)
            .await
            .unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(
            (held[0].claim.channel, held[0].source.as_str()),
            (Channel::CustomerService, "manual")
        );
        let after = ops.get(&app, granted.location.as_deref().unwrap()).await;
        assert!(
            after.body.contains("已发放")
                && after.body.contains("客服补偿券")
                && after.body.contains("客服发放")
        );
        let entries = store::audit::entries(db, shop.id, &Default::default())
            .await
            .unwrap();
        assert_eq!(
            (entries[0].action.as_str(), entries[0].entity.as_str()),
            ("grant", "claim")
        );

        // Viewers see the page without the form, and a forged grant is refused.
        let mut reader = signed_in(&app, "viewer@example.com", &viewer).await;
        let seen = reader.get(&app, &detail_path).await;
        assert!(!seen.body.contains("/grant\""));
        let forged = reader
            .post(
                &app,
                &format!("{detail_path}/grant"),
                &[("_csrf", &seen.csrf()), ("coupon_id", &gift.id.to_string())],
            )
            .await;
        assert_eq!(forged.status, 403);
        assert_eq!(
            store::claims::of_customer(db, customer.id, 50)
                .await
                .unwrap()
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn an_order_page_shows_lines_claims_split_and_events() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"name": "满99减10"})).await;
        claim(db, shop.id, coupon.id, "c-1").await;
        let order_id = paid_order(db, shop.id, "o-1", "c-1").await;
        // o-2 is placed and never paid.
        store::orders::place_order(
            db,
            &store::orders::NewOrder {
                shop_id: shop.id,
                external_id: "o-2".into(),
                customer: "c-2".into(),
                lines: vec![fixtures::line("A1", "60.00")],
                claims: ClaimChoice::Best,
                platform_discount: Money::ZERO,
                now: now(),
            },
        )
        .await
        .unwrap();
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = signed_in(&app, "viewer@example.com", &viewer).await;

        let all = browser.get(&app, "/shops/demo/orders").await;
        assert!(all.body.contains(">o-1<") && all.body.contains(">o-2<"));
        let paid = browser.get(&app, "/shops/demo/orders?status=paid").await;
        assert!(
            paid.body.contains(">o-1<") && !paid.body.contains(">o-2<"),
            "{}",
            paid.body
        );
        let found = browser.get(&app, "/shops/demo/orders?q=o-2").await;
        assert!(found.body.contains(">o-2<") && !found.body.contains(">o-1<"));

        let page = browser
            .get(&app, &format!("/shops/demo/orders/{order_id}"))
            .await;
        assert_eq!(page.status, 200, "{}", database.backend);
        // ¥10 off ¥100 split 60:40 across the two lines.
        assert!(page.body.contains("#1 ¥6.00 + #2 ¥4.00"), "{}", page.body);
        assert!(page.body.contains("¥90.00") && page.body.contains("满99减10"));
        assert!(page.body.contains("<td>已付款</td>"), "the paid event");
        assert_eq!(
            browser.get(&app, "/shops/demo/orders/999999").await.status,
            404
        );
    }
}

#[tokio::test]
async fn the_outbox_filters_by_status_and_retries_a_failed_one() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        let claim_id = claim(db, shop.id, coupon.id, "c-1").await;
        let customer = store::customers::find_customer(db, shop.id, "c-1")
            .await
            .unwrap()
            .unwrap();
        let failed = db::select(
            db,
            "INSERT INTO notifications (shop_id, customer_id, claim_id, kind, lead_hours, \
             channel, payload, status, attempts, next_attempt_at, last_error, created_at) \
             VALUES ($1, $2, $3, 'expiry_reminder', 24, 'webhook', '{}', 'failed', 5, $4, \
             'HTTP 502 from the webhook', $5) RETURNING id",
            vec![
                shop.id.into(),
                customer.id.into(),
                claim_id.into(),
                (now() - Duration::hours(1)).into(),
                (now() - Duration::hours(2)).into(),
            ],
        )
        .await[0]
            .try_get::<i64>("", "id")
            .unwrap();
        let operator = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut ops = signed_in(&app, "ops@example.com", &operator).await;

        let queued = ops
            .get(&app, "/shops/demo/notifications?status=queued")
            .await;
        assert!(queued.body.contains("没有消息"), "{}", queued.body);
        let list = ops
            .get(&app, "/shops/demo/notifications?status=failed")
            .await;
        assert!(
            list.body.contains("HTTP 502 from the webhook") && list.body.contains("发送失败"),
            "{}",
            list.body
        );
        let retry = ops
            .post(
                &app,
                &format!("/shops/demo/notifications/{failed}/retry"),
                &[
                    ("_csrf", &list.csrf()),
                    ("back", "/shops/demo/notifications?status=failed"),
                ],
            )
            .await;
        assert_eq!(
            retry.location.as_deref(),
            Some("/shops/demo/notifications?status=failed")
        );
        let (row, _) = store::notifications::outbox(db, shop.id, None, Default::default())
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            (row.status.as_str(), row.attempts),
            ("queued", 0),
            "{}",
            database.backend
        );
        let entries = store::audit::entries(db, shop.id, &Default::default())
            .await
            .unwrap();
        assert_eq!(entries[0].action, "retry");
        assert!(
            entries[0]
                .changes()
                .iter()
                .any(|(field, before, after)| field == "status"
                    && before.as_ref().unwrap() == "failed"
                    && after.as_ref().unwrap() == "queued")
        );
    }
}

#[tokio::test]
async fn owners_manage_staff_and_keys_and_a_shop_keeps_an_owner() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let operator = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;

        let mut ops = signed_in(&app, "ops@example.com", &operator).await;
        assert_eq!(ops.get(&app, "/shops/demo/team").await.status, 403);
        assert_eq!(ops.get(&app, "/shops/demo/audit").await.status, 403);
        let coupons = ops.get(&app, "/shops/demo/coupons").await;
        assert!(
            !coupons.body.contains("/shops/demo/team"),
            "no link for operators"
        );

        let mut boss = signed_in(&app, "owner@example.com", &owner).await;
        let page = boss.get(&app, "/shops/demo/team").await;
        assert_eq!(page.status, 200, "{}", database.backend);
        let csrf = page.csrf();
        let added = boss
            .post(
                &app,
                "/shops/demo/team/staff",
                &[
                    ("_csrf", &csrf),
                    ("email", "New@Example.com"),
                    ("name", "小李"),
                    ("role", "viewer"),
                ],
            )
            .await;
        assert_eq!(added.status, 200, "{}", added.body);
        let code = added
            .body
            .split("<code>")
            .nth(1)
            .unwrap()
            .split("</code>")
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(code.len(), 16);
        joined(&app, "new@example.com", &code, "小李的新密码，够长了").await;
        let again = boss
            .post(
                &app,
                "/shops/demo/team/staff",
                &[
                    ("_csrf", &csrf),
                    ("email", "new@example.com"),
                    ("role", "viewer"),
                ],
            )
            .await;
        assert_eq!(again.status, 409);
        assert!(
            again.body.contains("此人已在本店") && again.body.contains("value=\"new@example.com\"")
        );
        let bad = boss
            .post(
                &app,
                "/shops/demo/team/staff",
                &[
                    ("_csrf", &csrf),
                    ("email", "not-an-email"),
                    ("role", "viewer"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);

        let members = store::staff::shop_staff(db, shop.id).await.unwrap();
        let find = |email: &str| members.iter().find(|(s, _)| s.email == email).unwrap().0.id;
        let (new_id, owner_id) = (find("new@example.com"), find("owner@example.com"));
        let promoted = boss
            .post(
                &app,
                &format!("/shops/demo/team/staff/{new_id}/role"),
                &[("_csrf", &csrf), ("role", "operator")],
            )
            .await;
        assert_eq!(promoted.status, 200);
        // The only owner cannot step down or leave.
        let demoted = boss
            .post(
                &app,
                &format!("/shops/demo/team/staff/{owner_id}/role"),
                &[("_csrf", &csrf), ("role", "viewer")],
            )
            .await;
        assert_eq!(demoted.status, 409);
        assert!(demoted.body.contains("店铺至少要保留一位店主"));
        let left = boss
            .post(
                &app,
                &format!("/shops/demo/team/staff/{owner_id}/remove"),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(left.status, 409);
        let removed = boss
            .post(
                &app,
                &format!("/shops/demo/team/staff/{new_id}/remove"),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(removed.status, 200);
        let roles: Vec<(String, Role)> = store::staff::shop_staff(db, shop.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(s, r)| (s.email, r))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("ops@example.com".to_owned(), Role::Operator),
                ("owner@example.com".to_owned(), Role::Owner)
            ]
        );

        // An API key is shown once, works, and stops working when revoked.
        let created = boss
            .post(
                &app,
                "/shops/demo/team/keys",
                &[("_csrf", &csrf), ("label", "小程序")],
            )
            .await;
        let key = created
            .body
            .split("<code>")
            .nth(1)
            .unwrap()
            .split("</code>")
            .next()
            .unwrap()
            .to_owned();
        let (status, _) = api::get("/api/v1/products", &key).send(&app).await;
        assert_eq!(status, 200, "the new key works (and is now remembered)");
        let listed = boss.get(&app, "/shops/demo/team").await;
        assert!(!listed.body.contains(&key), "never shown again");
        let key_id = store::api_keys::list_api_keys(db, shop.id).await.unwrap()[0].id;
        boss.post(
            &app,
            &format!("/shops/demo/team/keys/{key_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
        assert_eq!(store::api_keys::shop_for_key(db, &key).await.unwrap(), None);
        let (status, _) = api::get("/api/v1/products", &key).send(&app).await;
        assert_eq!(status, 401, "a revoked key is not taken on trust");

        // Every change is in the log, secrets hidden.
        let log = boss.get(&app, "/shops/demo/audit").await;
        assert!(
            log.body.contains("吊销") && log.body.contains("修改角色") && log.body.contains("移出"),
            "{}",
            log.body
        );
        assert!(!log.body.contains(&key[key.len() - 10..]));
        let keys_only = boss.get(&app, "/shops/demo/audit?entity=api_key").await;
        assert!(keys_only.body.contains("API 密钥") && !keys_only.body.contains("修改角色"));
    }
}

#[tokio::test]
async fn every_staff_change_is_logged_with_before_and_after() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"name": "旧名字"})).await;
        let owner = staff_member(db, shop.id, "owner@example.com", Role::Owner).await;
        let app = api::app(&database).await;
        let mut boss = signed_in(&app, "owner@example.com", &owner).await;
        let page = boss
            .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
            .await;
        let csrf = page.csrf();
        let paused = boss
            .post(
                &app,
                &format!("/shops/demo/coupons/{}/pause", coupon.id),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(paused.status, 303, "{}", paused.body);
        let settings = boss.get(&app, "/shops/demo/settings").await;
        assert_eq!(settings.status, 200);
        let saved = boss
            .post(
                &app,
                "/shops/demo/settings",
                &[
                    ("_csrf", &csrf),
                    ("time_zone", "Asia/Shanghai"),
                    ("reminder_lead_hours", "48"),
                    ("quiet_start", "22:00"),
                    ("quiet_end", "08:00"),
                    ("monthly_cap", "3"),
                    ("profit_floor", "20"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let settings_form = [
            ("_csrf", csrf.as_str()),
            ("time_zone", "Asia/Shanghai"),
            ("reminder_lead_hours", "48"),
            ("quiet_start", "22:00"),
            ("quiet_end", "08:00"),
            ("monthly_cap", "3"),
            ("profit_floor", "20"),
        ];
        // Saved again unchanged: not a change, not logged.
        let again = boss
            .post(&app, "/shops/demo/settings", &settings_form)
            .await;
        assert_eq!(again.status, 303);
        boss.post(
            &app,
            "/shops/demo/products",
            &[
                ("_csrf", &csrf),
                ("sku", "A1"),
                ("name", "羊毛围巾"),
                ("price", "99.00"),
            ],
        )
        .await;

        let entries = store::audit::entries(db, shop.id, &Default::default())
            .await
            .unwrap();
        let done: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.action.as_str(), e.entity.as_str()))
            .collect();
        assert_eq!(
            done,
            vec![
                ("create", "product"),
                ("update", "shop"),
                ("pause", "coupon")
            ],
            "{}",
            database.backend
        );
        let pause = &entries[2];
        assert!(pause.changes().iter().any(|(f, b, a)| f == "status"
            && b.as_ref().unwrap() == "active"
            && a.as_ref().unwrap() == "paused"));
        let shop_change = &entries[1];
        let fields: Vec<String> = shop_change
            .changes()
            .into_iter()
            .map(|(f, _, _)| f)
            .collect();
        assert!(
            fields.contains(&"monthly_cap".to_string())
                && fields.contains(&"reminder_lead_hours".to_string()),
            "{fields:?}"
        );
        assert_eq!(entries[0].staff_name.as_deref(), Some("owner"));

        let log = boss.get(&app, "/shops/demo/audit?entity=coupon").await;
        assert!(
            log.body.contains("暂停")
                && log
                    .body
                    .contains("状态: <del>进行中</del> → <ins>已暂停</ins>"),
            "{}",
            log.body
        );
        assert!(!log.body.contains("店铺设置 #"));
    }
}

#[tokio::test]
async fn lists_page_newest_first_and_keep_their_filters() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        for i in 0..25 {
            let customer = format!("c-{i:02}");
            let order = format!("o-{i:02}");
            let paid = fixtures::paid_order(
                db,
                shop.id,
                &order,
                &customer,
                vec![fixtures::line("A1", "10.00")],
                ClaimChoice::Exactly(vec![]),
            )
            .await;
            assert!(paid > 0);
        }
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = signed_in(&app, "viewer@example.com", &viewer).await;

        let first = browser.get(&app, "/shops/demo/orders?status=paid").await;
        assert_eq!(first.body.matches("href=\"/shops/demo/orders/").count(), 20);
        assert!(first.body.contains(">o-24<") && !first.body.contains(">o-04<"));
        let next = first
            .body
            .split("class=\"pager\"><a href=\"")
            .nth(1)
            .expect("a next page")
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        assert!(
            next.contains("before=") && next.ends_with("&status=paid"),
            "{next}"
        );
        let second = browser.get(&app, &next).await;
        assert_eq!(
            second.body.matches("href=\"/shops/demo/orders/").count(),
            5,
            "{}",
            database.backend
        );
        assert!(second.body.contains(">o-04<") && second.body.contains(">o-00<"));
        assert!(!second.body.contains("class=\"pager\""), "the last page");

        let customers = browser.get(&app, "/shops/demo/customers").await;
        assert_eq!(
            customers
                .body
                .matches("href=\"/shops/demo/customers/")
                .count(),
            20
        );
        assert!(customers.body.contains("class=\"pager\""));
        // Nothing of another status.
        let cancelled = browser
            .get(&app, "/shops/demo/orders?status=cancelled")
            .await;
        assert!(cancelled.body.contains("没有找到订单"));
    }
}

#[tokio::test]
async fn the_split_lists_each_claim_once_even_across_lines() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let shop_wide = fixtures::coupon(
            db,
            &shop,
            json!({"name": "满50减5", "benefit": {"type": "amount_off", "threshold": "50.00", "amount": "5.00"}}),
        )
        .await;
        let item = fixtures::coupon(
            db,
            &shop,
            json!({"name": "B2立减10", "scope": {"type": "items", "skus": ["B2"]},
                   "benefit": {"type": "amount_off", "threshold": "0.00", "amount": "10.00"}}),
        )
        .await;
        claim(db, shop.id, shop_wide.id, "c-1").await;
        claim(db, shop.id, item.id, "c-1").await;
        store::products::upsert_product(
            db,
            shop.id,
            &domain::Sku::parse("B2").unwrap(),
            "碎花连衣裙",
            Money::yuan(40),
            now(),
        )
        .await
        .unwrap();
        // The item coupon takes the middle line; the shop coupon the two around it.
        let lines = vec![
            fixtures::line("A1", "60.00"),
            fixtures::line("B2", "40.00"),
            fixtures::line("C3", "30.00"),
        ];
        let order_id =
            fixtures::paid_order(db, shop.id, "o-1", "c-1", lines, ClaimChoice::Best).await;
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = signed_in(&app, "viewer@example.com", &viewer).await;
        let page = browser
            .get(&app, &format!("/shops/demo/orders/{order_id}"))
            .await;
        let split = page
            .body
            .split("class=\"list split\"")
            .nth(1)
            .expect("the split table");
        assert_eq!(
            split.matches(">满50减5</a>").count(),
            1,
            "{}: {split}",
            database.backend
        );
        assert!(split.contains("#1 ¥3.33 + #3 ¥1.67"), "{split}");
        assert!(split.contains(">B2立减10</a>") && split.contains("#2 ¥10.00"));
        // Lines name their products, the SKU beside; one the catalogue lacks
        // shows its SKU.
        assert!(
            page.body
                .contains("<td>碎花连衣裙 <span class=\"hint\">B2</span></td>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<td>A1</td>"));
    }
}

/// SPEC §6: the live drop console shows stock left, the pace, when it sells out
/// and refusals by reason; it reloads itself every 2 seconds while the coupon
/// can be claimed, and only for staff of the shop.
#[tokio::test]
async fn the_live_drop_console_follows_a_drop() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"quantity": 10})).await;
        let second_ago = |customer: &str| store::claims::ClaimRequest {
            device: None,
            shop_id: shop.id,
            customer: customer.into(),
            target: store::claims::ClaimTarget::Coupon(coupon.id),
            channel: Channel::LiveRoom,
            source: store::claims::ClaimSource::Claim,
            now: now() - Duration::seconds(1),
        };
        for customer in ["c-1", "c-2", "c-3", "c-4"] {
            store::claims::claim(db, &second_ago(customer))
                .await
                .unwrap();
        }
        assert!(store::claims::claim(db, &second_ago("c-1")).await.is_err());
        let viewer = staff_member(db, shop.id, "viewer@example.com", Role::Viewer).await;
        let app = api::app(&database).await;
        let mut browser = signed_in(&app, "viewer@example.com", &viewer).await;

        let path = format!("/shops/demo/coupons/{}/live", coupon.id);
        let coupon_page = browser
            .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
            .await;
        assert!(coupon_page.body.contains(&format!("href=\"{path}\"")));
        let page = browser.get(&app, &path).await;
        assert_eq!(page.status, 200, "{}", database.backend);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        let body = &page.body;
        assert!(body.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
        let figure = |id: &str| {
            let at = body.find(&format!("id=\"{id}\"")).expect(id);
            let big = body[at..].find("class=\"big").unwrap() + at;
            let start = body[big..].find('>').unwrap() + big + 1;
            body[start..start + body[start..].find('<').unwrap()].to_owned()
        };
        // 10 in stock, 4 claimed in the second before now: 0.40 a second over
        // the last 10 s, so the 6 left go in 15 s.
        assert_eq!(figure("live-remaining"), "6");
        assert_eq!(figure("live-pace"), "0.40");
        assert_eq!(figure("live-sell-out"), "约 15 秒");
        assert_eq!(figure("live-minute"), "4");
        assert!(
            body.contains(
                "<tr data-reason=\"customer_limit\"><td>已达每人限领张数</td><td class=\"num\">1</td><td class=\"num\">1</td></tr>"
            ),
            "{body}"
        );
        // The chart has a column for each of the last 60 seconds.
        assert_eq!(body.matches("class=\"bar\"").count(), 60);
        assert!(body.contains("<title>1 秒前: 4</title>"), "{body}");

        // Ended, it stops reloading and has no link from the coupon page.
        store::coupons::apply_action(db, shop.id, coupon.id, domain::LifecycleAction::End, now())
            .await
            .unwrap();
        let page = browser.get(&app, &path).await;
        assert!(!page.body.contains("http-equiv=\"refresh\""));
        assert!(page.body.contains("本页不再自动刷新"));
        let coupon_page = browser
            .get(&app, &format!("/shops/demo/coupons/{}", coupon.id))
            .await;
        assert!(!coupon_page.body.contains(&format!("href=\"{path}\"")));
        // Another shop's coupon is not there.
        let other = fixtures::shop(db, "other").await;
        let theirs = fixtures::coupon(db, &other, json!({})).await;
        let page = browser
            .get(&app, &format!("/shops/demo/coupons/{}/live", theirs.id))
            .await;
        assert_eq!(page.status, 404);
    }
}

/// A real catalogue (10,000 products) is picked by searching, not from a wall
/// of checkboxes; the picker without JavaScript takes typed SKUs.
#[tokio::test]
async fn a_big_catalogue_is_searched_in_the_coupon_form() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let rows: Vec<(domain::Sku, String, Money)> = (0..10_000)
            .map(|i| {
                (
                    domain::Sku::parse(&format!("P{i:05}")).unwrap(),
                    format!("商品 第{i}号{}", if i == 9_999 { " 100%纯棉" } else { "" }),
                    Money::yuan(10),
                )
            })
            .collect();
        store::products::import(db, shop.id, &rows, now())
            .await
            .unwrap();
        let ops = staff_member(db, shop.id, "ops@example.com", Role::Operator).await;
        let app = api::app(&database).await;
        let mut operator = signed_in(&app, "ops@example.com", &ops).await;
        let form = operator.get(&app, "/shops/demo/coupons/new").await;
        assert_eq!(form.status, 200);
        assert_eq!(
            form.body.matches("name=\"scope.skus\"").count(),
            1,
            "only the typed-SKU field, no wall of checkboxes"
        );
        assert!(form.body.contains("id=\"product-search\""));
        // By name (LIKE's own characters match themselves) and by SKU prefix.
        let found = operator
            .get(&app, "/shops/demo/products/search?q=100%25%E7%BA%AF")
            .await;
        let products: serde_json::Value = serde_json::from_str(&found.body).unwrap();
        assert_eq!(
            products,
            json!([{"sku": "P09999", "name": "商品 第9999号 100%纯棉", "price": "10.00"}])
        );
        let by_sku = operator
            .get(&app, "/shops/demo/products/search?q=p0001")
            .await;
        let products: serde_json::Value = serde_json::from_str(&by_sku.body).unwrap();
        assert_eq!(
            products.as_array().unwrap().len(),
            10,
            "{}",
            database.backend
        );
        let many = operator
            .get(&app, "/shops/demo/products/search?q=%E5%95%86%E5%93%81")
            .await;
        let products: serde_json::Value = serde_json::from_str(&many.body).unwrap();
        assert_eq!(products.as_array().unwrap().len(), 20, "bounded");
        // Typed SKUs choose the products.
        let mut fields = form.form_as_shown("/shops/demo/coupons");
        fields.retain(|(k, _)| !matches!(k.as_str(), "scope.type" | "scope.skus" | "name"));
        fields.extend([
            ("name".to_owned(), "纯棉立减".to_owned()),
            ("scope.type".to_owned(), "items".to_owned()),
            ("scope.skus".to_owned(), "P09999, P00001".to_owned()),
            ("status".to_owned(), "draft".to_owned()),
        ]);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let created = operator.post(&app, "/shops/demo/coupons", &pairs).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let coupon = &store::coupons::list_coupons(db, shop.id, &Default::default())
            .await
            .unwrap()[0];
        assert_eq!(
            coupon.coupon.scope(),
            &domain::Scope::Items {
                skus: vec![
                    domain::Sku::parse("P00001").unwrap(),
                    domain::Sku::parse("P09999").unwrap()
                ]
            }
        );
        // Editing it lists the chosen products, by name.
        let edit = operator
            .get(&app, &format!("/shops/demo/coupons/{}/edit", coupon.id))
            .await;
        assert!(
            edit.body
                .contains("value=\"P09999\" checked> 商品 第9999号 100%纯棉 P09999"),
            "{}",
            edit.body
        );
    }
}
