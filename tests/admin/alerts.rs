//! SPEC §8's alerts end to end: the budget set on the coupon page, claims with
//! devices and shared phones over the API, the check-alerts pass raising each
//! alert once with one staff notification, the dashboard and the API showing
//! them, and an alert cleared once it is over.

use chrono::Duration;
use domain::roles::Role;
use scheduler::{JobName, run_pass};
use serde_json::json;
use store::orders::{ClaimChoice, NewOrder};

use super::{signed_in, staff_member};
use crate::support::api::{self, get, post, put};
use crate::support::{databases, db, fixtures, now};

#[tokio::test]
async fn alerts_are_raised_once_shown_notified_and_cleared() {
    for database in databases().await {
        let dbc = &database.db;
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        // Ten of ¥10 off ¥99, one each.
        let id = api::active_coupon(&app, key, json!({"quantity": 10})).await;

        // The budget over the API: a typo is refused, ¥15.00 kept.
        let (status, answer) = put(
            &format!("/api/v1/coupons/{id}/budget"),
            key,
            &json!({"budget": "15.001"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["field"], "budget");
        let (status, answer) = put(
            &format!("/api/v1/coupons/{id}/budget"),
            key,
            &json!({"budget": "15.00"}),
        )
        .send(&app)
        .await;
        assert_eq!(
            (status.as_u16(), answer["budget"].as_str()),
            (200, Some("15.00")),
            "{answer}"
        );

        // Eight customers claim: c0–c4 share a phone, c3–c7 claim from one device.
        for i in 0..8 {
            let customer = format!("c{i}");
            let phone = if i < 5 {
                "13800138000".to_owned()
            } else {
                format!("1390000000{i}")
            };
            let (status, _) = put(
                &format!("/api/v1/customers/{customer}"),
                key,
                &json!({"phone": phone}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 200);
            let mut body = json!({"customer": customer, "coupon_id": id, "channel": "live_room"});
            if i >= 3 {
                body["device"] = json!("dev-9");
            }
            let (status, answer) = post("/api/v1/claims", key, &body).send(&app).await;
            assert_eq!(status, 201, "{answer}");
        }
        // A device id with a space is refused like a customer id.
        let (status, _) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "x", "coupon_id": id, "channel": "live_room", "device": "a b"}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 422);
        // c0 and c1 pay ¥10 off each: ¥20 passes the ¥15 budget.
        for customer in ["c0", "c1"] {
            fixtures::paid_order(
                dbc,
                shop.shop.id,
                &format!("o-{customer}"),
                customer,
                vec![fixtures::line("A1", "99.00")],
                ClaimChoice::Best,
            )
            .await;
        }
        // An order placed three hours ago and never paid.
        store::orders::place_order(
            dbc,
            &NewOrder {
                shop_id: shop.shop.id,
                external_id: "o-late".into(),
                customer: "late".into(),
                lines: vec![fixtures::line("Z9", "30.00")],
                claims: ClaimChoice::Exactly(vec![]),
                platform_discount: domain::Money::ZERO,
                now: now() - Duration::hours(3),
            },
        )
        .await
        .unwrap();

        let ctx = crate::jobs::context(dbc, crate::jobs::small_batches(100));
        let pass = run_pass(&ctx, JobName::CheckAlerts, now()).await.unwrap();
        assert_eq!(pass.created, 5, "{}: five alerts raised", database.backend);
        let again = run_pass(&ctx, JobName::CheckAlerts, now()).await.unwrap();
        assert_eq!((again.created, again.purged), (0, 0), "raised once");
        assert_eq!(
            db::number(
                dbc,
                "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'alert' AND customer_id IS NULL",
                vec![],
            )
            .await,
            5,
            "one staff notification each"
        );

        let (_, listed) = get("/api/v1/alerts", key).send(&app).await;
        let alerts = listed["alerts"].as_array().unwrap();
        let find = |kind: &str| alerts.iter().find(|a| a["kind"] == kind).cloned().unwrap();
        assert_eq!(
            (
                find("over_budget")["figure"].as_i64(),
                find("over_budget")["limit"].as_i64()
            ),
            (Some(2000), Some(1500))
        );
        // 2 left at 8 claims in the last 10 minutes: 150 s.
        assert_eq!(
            (
                find("stock_out")["figure"].as_i64(),
                find("stock_out")["limit"].as_i64()
            ),
            (Some(150), Some(2))
        );
        assert_eq!(find("unpaid_orders")["figure"], 1);
        assert_eq!(
            (
                find("shared_phone")["subject"].as_str(),
                find("shared_phone")["figure"].as_i64()
            ),
            (Some("•••• 8000"), Some(5))
        );
        assert_eq!(
            (
                find("shared_device")["subject"].as_str(),
                find("shared_device")["figure"].as_i64()
            ),
            (Some("dev-9"), Some(5))
        );

        // The dashboard says each in words, with where to look.
        let owner = staff_member(dbc, shop.shop.id, "owner@example.com", Role::Owner).await;
        let mut browser = signed_in(&app, "owner@example.com", &owner).await;
        let page = browser.get(&app, "/shops/demo/dashboard").await;
        let body = &page.body;
        assert!(body.contains("实际成本 ¥20.00，已达预算 ¥15.00"), "{body}");
        assert!(body.contains("剩余 2 张"), "{body}");
        assert!(body.contains("1 笔订单下单超过 2 小时仍未付款"), "{body}");
        assert!(body.contains("/shops/demo/orders?status=created"));
        assert!(body.contains("手机号 •••• 8000 对应 5 个"), "{body}");
        assert!(
            body.contains("设备 dev-9 在 24 小时内为 5 个客户 ID 领券"),
            "{body}"
        );
        // The phone's customers are a search away.
        assert!(
            body.contains("/shops/demo/customers?q=13800138000"),
            "{body}"
        );

        // The budget on the coupon page: a typo is refused, a new one saved and logged.
        let coupon_page = browser
            .get(&app, &format!("/shops/demo/coupons/{id}"))
            .await;
        assert!(
            coupon_page
                .body
                .contains("¥15.00 (实际成本 ¥20.00 · 已用 133%)"),
            "{}",
            coupon_page.body
        );
        let csrf = coupon_page.csrf();
        let refused = browser
            .post(
                &app,
                &format!("/shops/demo/coupons/{id}/budget"),
                &[("_csrf", &csrf), ("budget", "5O0")],
            )
            .await;
        assert!(
            refused
                .location
                .as_deref()
                .unwrap_or_default()
                .contains("budget_error=1")
        );
        let saved = browser
            .post(
                &app,
                &format!("/shops/demo/coupons/{id}/budget"),
                &[("_csrf", &csrf), ("budget", "500")],
            )
            .await;
        assert_eq!(
            saved.location.as_deref(),
            Some(format!("/shops/demo/coupons/{id}").as_str())
        );
        assert_eq!(
            db::number(
                dbc,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'budget'",
                vec![]
            )
            .await,
            1
        );

        // Paid at last, and the budget raised: both alerts clear; the rest stay.
        store::orders::record_event(
            dbc,
            shop.shop.id,
            "o-late",
            domain::OrderEvent::Paid,
            now(),
            now(),
        )
        .await
        .unwrap();
        let later = run_pass(&ctx, JobName::CheckAlerts, now()).await.unwrap();
        assert_eq!((later.created, later.purged), (0, 2), "{later:?}");
        let (_, listed) = get("/api/v1/alerts", key).send(&app).await;
        assert_eq!(listed["alerts"].as_array().unwrap().len(), 3, "{listed}");

        // The staff notifications go out through the shop's channel (log).
        let delivered = run_pass(&ctx, JobName::DeliverNotifications, now())
            .await
            .unwrap();
        assert!(delivered.sent >= 5, "{delivered:?}");
        let outbox = browser.get(&app, "/shops/demo/notifications").await;
        assert!(
            outbox.body.contains("员工预警") && outbox.body.contains("超出预算"),
            "{}",
            outbox.body
        );
    }
}
