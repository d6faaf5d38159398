use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::DatabaseConnection;
use serde_json::json;
use sha2::Sha256;

use super::{claim_at, context, small_batches};

/// A message in the outbox as stored.
#[derive(Debug)]
struct Stored {
    id: i64,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
}

/// The outbox, in id order.
async fn outbox(db: &DatabaseConnection) -> Vec<Stored> {
    let sql =
        "SELECT id, status, attempts, last_error, next_attempt_at FROM notifications ORDER BY id";
    db::select(db, sql, vec![])
        .await
        .into_iter()
        .map(|row| Stored {
            id: row.try_get("", "id").unwrap(),
            status: row.try_get("", "status").unwrap(),
            attempts: row.try_get("", "attempts").unwrap(),
            last_error: row.try_get("", "last_error").unwrap(),
            next_attempt_at: row.try_get("", "next_attempt_at").unwrap(),
        })
        .collect()
}
use crate::support::{databases, db, fixtures, now};

/// What the webhook receiver saw: (timestamp, signature, delivery id, body).
type Seen = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A local webhook receiver that fails the first `fail_first` requests.
async fn receiver(fail_first: usize) -> (String, Seen, actix_web::dev::ServerHandle) {
    slow_receiver(fail_first, std::time::Duration::ZERO).await
}

/// The same, answering each request after `delay`.
async fn slow_receiver(
    fail_first: usize,
    delay: std::time::Duration,
) -> (String, Seen, actix_web::dev::ServerHandle) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String| {
                let state = state.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    let mut seen = state.lock().unwrap();
                    seen.push((
                        header("X-MerchantOps-Timestamp"),
                        header("X-MerchantOps-Signature"),
                        header("X-MerchantOps-Delivery"),
                        body,
                    ));
                    if seen.len() <= fail_first {
                        HttpResponse::InternalServerError().finish()
                    } else {
                        HttpResponse::Ok().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, seen, handle)
}

/// A shop sending webhooks to `url`, with `count` claims reminded at `now()`.
async fn reminded(db: &DatabaseConnection, url: &str, count: usize) -> i64 {
    let shop = fixtures::shop(db, "demo").await;
    store::shops::set_monthly_cap(db, shop.id, None)
        .await
        .unwrap();
    store::notifications::configure(
        db,
        shop.id,
        domain::shop::NotificationChannel::Webhook,
        Some(url),
        super::test_rig(),
    )
    .await
    .unwrap();
    store::notifications::rotate_secret(db, shop.id)
        .await
        .unwrap();
    let coupon = fixtures::coupon(
        db,
        &shop,
        json!({"validity": {"type": "relative", "days": 1}, "per_customer_limit": null}),
    )
    .await;
    for i in 0..count {
        claim_at(db, shop.id, &format!("c-{i}"), coupon.id, now()).await;
    }
    let report = scheduler::run_pass(
        &context(db, small_batches(100)),
        scheduler::JobName::ExpiryReminders,
        now() + Duration::hours(1),
    )
    .await
    .unwrap();
    assert_eq!(report.created, count as u64);
    shop.id
}

async fn deliver(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    max_attempts: u32,
) -> scheduler::PassReport {
    let settings = scheduler::JobSettings {
        max_attempts,
        ..small_batches(50)
    };
    scheduler::run_pass(
        &context(db, settings),
        scheduler::JobName::DeliverNotifications,
        at,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_fails_twice_gets_the_message_on_the_third_attempt_signed() {
    for database in databases().await {
        let db = &database.db;
        let (url, seen, server) = receiver(2).await;
        let shop_id = reminded(db, &url, 1).await;
        let t0 = now() + Duration::hours(1);
        assert_eq!(deliver(db, t0, 5).await.retried, 1, "{}", database.backend);
        assert_eq!(
            deliver(db, t0 + Duration::seconds(29), 5).await.created,
            0,
            "backing off"
        );
        // A backoff counts from the failed answer, a moment after the pass began.
        let t1 = t0 + Duration::seconds(31);
        assert_eq!(deliver(db, t1, 5).await.retried, 1);
        assert_eq!(
            deliver(db, t1 + Duration::seconds(59), 5).await.created,
            0,
            "backing off longer"
        );
        let t2 = t1 + Duration::seconds(61);
        assert_eq!(deliver(db, t2, 5).await.sent, 1);

        let received = seen.lock().unwrap().clone();
        assert_eq!(received.len(), 3);
        let (timestamp, signature, delivery, body) = received.last().unwrap();
        assert_eq!(timestamp, &t2.timestamp().to_string());
        let secret = store::notifications::settings(db, shop_id)
            .await
            .unwrap()
            .webhook_secret
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{body}").as_bytes());
        assert_eq!(
            signature,
            &format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        );
        let payload: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["kind"], "expiry_reminder");
        assert_eq!(payload["customer"], "c-0");
        assert!(
            received.iter().all(|r| &r.2 == delivery),
            "retries repeat the delivery id"
        );
        let stored = outbox(db).await.remove(0);
        assert_eq!((stored.status.as_str(), stored.attempts), ("sent", 3));
        server.stop(false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_always_fails_ends_failed_and_can_be_retried() {
    for database in databases().await {
        let db = &database.db;
        let (url, seen, server) = receiver(usize::MAX).await;
        let shop_id = reminded(db, &url, 1).await;
        let mut at = now() + Duration::hours(1);
        for _ in 0..3 {
            deliver(db, at, 3).await;
            at += Duration::hours(1);
        }
        let stored = outbox(db).await.remove(0);
        assert_eq!(
            (stored.status.as_str(), stored.attempts),
            ("failed", 3),
            "{}",
            database.backend
        );
        assert_eq!(
            stored.last_error.as_deref(),
            Some("webhook answered HTTP 500")
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
        assert_eq!(deliver(db, at, 3).await.created, 0, "failed stays failed");
        store::notifications::retry_notification(db, shop_id, stored.id, at)
            .await
            .unwrap();
        assert_eq!(
            deliver(db, at, 3).await.retried,
            1,
            "staff's retry queues it again"
        );
        server.stop(false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_delivery_passes_send_each_notification_once() {
    for database in databases().await {
        let db = &database.db;
        let (url, seen, server) = receiver(0).await;
        reminded(db, &url, 12).await;
        let at = now() + Duration::hours(1);
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let pool = store::connect(&database.url, &store::PoolSettings { max_connections: 3 })
                .await
                .unwrap();
            tasks.push(tokio::spawn(async move {
                let settings = small_batches(4);
                scheduler::run_pass(
                    &context(&pool, settings),
                    scheduler::JobName::DeliverNotifications,
                    at,
                )
                .await
                .unwrap()
                .sent
            }));
        }
        let mut sent = 0;
        for task in tasks {
            sent += task.await.unwrap();
        }
        assert_eq!(sent, 12, "{}", database.backend);
        let mut ids: Vec<String> = seen.lock().unwrap().iter().map(|r| r.2.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(
            (seen.lock().unwrap().len(), ids.len()),
            (12, 12),
            "no duplicates"
        );
        server.stop(false).await;
    }
}

/// A long pass takes the clock at each item: a lease is never born expired, a
/// backoff never lands in the past (it counts from the failed answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_notification_of_a_long_pass_is_timed_when_it_is_sent() {
    for database in databases().await {
        let db = &database.db;
        let delay = std::time::Duration::from_millis(400);
        let (url, seen, server) = slow_receiver(usize::MAX, delay).await;
        reminded(db, &url, 3).await;
        let at = now() + Duration::hours(1);
        assert_eq!(deliver(db, at, 5).await.retried, 3, "{}", database.backend);
        let mut stored = outbox(db).await;
        stored.sort_by_key(|n| n.next_attempt_at);
        let first = stored[0].next_attempt_at;
        let last = stored[2].next_attempt_at;
        assert!(
            first >= at + Duration::seconds(30) + Duration::milliseconds(350),
            "the first retry counts from its own failed answer: {first}"
        );
        assert!(
            last - first >= Duration::milliseconds(700),
            "each later item is timed later: {first} .. {last}"
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
        server.stop(false).await;
    }
}

/// SPEC §5: quiet hours hold at the moment of sending — a late pass at 23:30
/// Shanghai time holds a customer's reminder until 08:00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_pass_holds_reminders_until_the_quiet_hours_end() {
    for database in databases().await {
        let db = &database.db;
        let (url, seen, server) = receiver(0).await;
        reminded(db, &url, 1).await;
        // Queued at 17:00 local; the delivery pass only runs at 23:30 local.
        let late = now() + Duration::minutes(7 * 60 + 30);
        let report = deliver(db, late, 5).await;
        assert_eq!(
            (report.sent, report.deferred),
            (0, 1),
            "{}",
            database.backend
        );
        assert!(
            seen.lock().unwrap().is_empty(),
            "nothing sent in quiet hours"
        );
        let stored = outbox(db).await.remove(0);
        let morning: DateTime<Utc> = "2026-11-24T00:00:00Z".parse().unwrap();
        assert_eq!(
            (
                stored.status.as_str(),
                stored.attempts,
                stored.next_attempt_at
            ),
            ("queued", 0, morning),
            "held until 08:00 local, the attempt not counted"
        );
        assert_eq!(deliver(db, morning, 5).await.sent, 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
        server.stop(false).await;
    }
}

/// SPEC §5: by default a webhook goes to https and public addresses only — a URL
/// stored before the rule, or one on loopback, is refused at sending; and a
/// redirect is never followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_go_only_where_the_operator_allows() {
    for database in databases().await {
        let db = &database.db;
        let (url, seen, server) = receiver(0).await;
        reminded(db, &url, 1).await;
        let strict = scheduler::JobSettings {
            webhooks: Default::default(),
            ..small_batches(10)
        };
        let report = scheduler::run_pass(
            &context(db, strict),
            scheduler::JobName::DeliverNotifications,
            now() + Duration::hours(1),
        )
        .await
        .unwrap();
        assert_eq!(report.retried, 1, "{}", database.backend);
        let stored = outbox(db).await.remove(0);
        assert!(
            stored
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("webhook URL refused"),
            "{stored:?}"
        );
        assert!(seen.lock().unwrap().is_empty(), "nothing reached loopback");
        server.stop(false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_redirect_is_not_followed() {
    for database in databases().await {
        let db = &database.db;
        let (target, seen, target_server) = receiver(0).await;
        let redirector = HttpServer::new(move || {
            let target = target.clone();
            App::new().route(
                "/hook",
                web::post().to(move || {
                    let target = target.clone();
                    async move {
                        HttpResponse::TemporaryRedirect()
                            .insert_header(("Location", target))
                            .finish()
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}/hook", redirector.addrs()[0]);
        let redirector = redirector.run();
        let handle = redirector.handle();
        tokio::spawn(redirector);
        reminded(db, &url, 1).await;
        let report = deliver(db, now() + Duration::hours(1), 5).await;
        assert_eq!(report.retried, 1, "{}", database.backend);
        assert!(
            seen.lock().unwrap().is_empty(),
            "the redirect's target got nothing"
        );
        handle.stop(false).await;
        target_server.stop(false).await;
    }
}

/// A revoked claim's notice goes out (the claim is no longer open, which drops
/// a reminder, but this message is about exactly that).
#[tokio::test]
async fn the_notice_of_a_revoked_claim_is_sent() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({})).await;
        claim_at(db, shop.id, "c-1", coupon.id, now()).await;
        store::coupons::apply_action(db, shop.id, coupon.id, domain::LifecycleAction::End, now())
            .await
            .unwrap();
        let revoked = store::claims::revoke_unused(db, shop.id, coupon.id, now())
            .await
            .unwrap();
        assert_eq!(revoked, 1);
        // Quiet hours (the shop's default 22:00–08:00 Shanghai) may defer it; by
        // midday it is out.
        let midday = now() + Duration::hours(4);
        deliver(db, midday, 5).await;
        let sent = outbox(db).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].status, "sent", "{}: {sent:?}", database.backend);
    }
}
