//! `merchant-ops bench soak` (SPEC §9, issue #16): several `serve` and
//! `scheduler` processes on one PostgreSQL database, a claim storm and orders
//! through every server, reminder, grant and delivery passes on every
//! scheduler — and one process killed with SIGKILL at random moments and
//! restarted, again and again. Afterwards every invariant is checked with SQL
//! (`store::soak`), the storefront's view is compared with the database's, and
//! the webhook receiver's with the outbox's.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};
use store::DatabaseConnection;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use crate::bench_drop::{free_port, wait_for};

/// How a process of ours is started with given arguments: the binary itself
/// (`merchant-ops serve …`), or a test harness standing in for it.
pub type Launch = Arc<dyn Fn(&[&str]) -> tokio::process::Command + Send + Sync>;

#[derive(Debug, Clone)]
pub struct SoakSettings {
    /// How long the load and the kills last.
    pub seconds: u64,
    pub servers: usize,
    pub schedulers: usize,
    /// Concurrent storefront clients.
    pub clients: usize,
    /// The drop coupon's stock.
    pub stock: u32,
}

impl Default for SoakSettings {
    fn default() -> Self {
        SoakSettings {
            seconds: 30,
            servers: 2,
            schedulers: 2,
            clients: 8,
            stock: 2000,
        }
    }
}

#[derive(Debug, Default)]
pub struct SoakReport {
    pub seconds: f64,
    pub kills: u64,
    pub claims_answered: u64,
    pub claimed: u64,
    pub orders: u64,
    pub events: u64,
    /// Requests that never got a definite answer, whatever the retries.
    pub unanswered: u64,
    pub claims_in_database: u64,
    pub reminders: u64,
    pub repurchase_grants: u64,
    pub notifications_sent: u64,
    pub deliveries_received: u64,
    /// Notifications the receiver got more than once, with the same delivery
    /// id (a sender killed between sending and recording it).
    pub redelivered: u64,
    /// (invariant, rows breaking it).
    pub checks: Vec<(&'static str, u64)>,
}

impl SoakReport {
    pub fn violations(&self) -> u64 {
        self.checks.iter().map(|(_, n)| n).sum()
    }

    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{:.1} s, {} kills (SIGKILL, then restarted)",
                self.seconds, self.kills
            ),
            format!(
                "storefront: {} claims answered ({} claimed), {} orders, {} order events, {} unanswered",
                self.claims_answered, self.claimed, self.orders, self.events, self.unanswered
            ),
            format!(
                "database: {} claims, {} reminders, {} repurchase grants, {} notifications sent",
                self.claims_in_database,
                self.reminders,
                self.repurchase_grants,
                self.notifications_sent
            ),
            format!(
                "webhook receiver: {} deliveries, {} notifications redelivered under the same id",
                self.deliveries_received, self.redelivered
            ),
        ];
        for (rule, n) in &self.checks {
            lines.push(format!(
                "  {} {rule}: {n}",
                if *n == 0 { "ok " } else { "BAD" }
            ));
        }
        lines.push(format!("violations: {}", self.violations()));
        lines
    }
}

/// One of our processes: how to start it again after a kill.
struct Process {
    args: Vec<&'static str>,
    env: Vec<(String, String)>,
    child: tokio::process::Child,
}

impl Process {
    fn start(
        launch: &Launch,
        args: Vec<&'static str>,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Process> {
        let child = spawn(launch, &args, &env)?;
        Ok(Process { args, env, child })
    }

    async fn kill_and_restart(&mut self, launch: &Launch) -> anyhow::Result<()> {
        self.child.start_kill()?; // SIGKILL: no chance to finish anything
        self.child.wait().await?;
        self.child = spawn(launch, &self.args, &self.env)?;
        Ok(())
    }

    /// SIGTERM, then up to 30 s to finish.
    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn spawn(
    launch: &Launch,
    args: &[&str],
    env: &[(String, String)],
) -> anyhow::Result<tokio::process::Child> {
    let mut command = launch(args);
    command
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    Ok(command.spawn()?)
}

/// What the storefront saw.
#[derive(Default)]
struct Seen {
    claims_answered: AtomicU64,
    claimed: AtomicU64,
    orders: AtomicU64,
    events: AtomicU64,
    unanswered: AtomicU64,
}

pub async fn run(
    db: &DatabaseConnection,
    database_url: &str,
    settings: &SoakSettings,
    launch: Launch,
) -> anyhow::Result<SoakReport> {
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "the soak runs several processes on one PostgreSQL database"
    );
    web::install_crypto();
    let now = Utc::now();
    let (shop_id, key, drop_id) = prepare(db, settings, now).await?;

    // The shop's webhook receiver: counts each delivery id it is sent.
    let received: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sink_port = sink.local_addr()?.port();
    tokio::spawn(receive(sink, received.clone()));
    store::notifications::configure(
        db,
        shop_id,
        domain::shop::NotificationChannel::Webhook,
        Some(&format!("http://127.0.0.1:{sink_port}/merchant-ops")),
        domain::shop::WebhookPolicy {
            allow_http: true,
            allow_private: true,
        },
    )
    .await?;
    store::notifications::rotate_secret(db, shop_id).await?;

    let common = vec![
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
        ("MERCHANT_OPS_MAX_CONNECTIONS".to_owned(), "8".to_owned()),
    ];
    let mut ports = Vec::new();
    let mut processes = Vec::new();
    for _ in 0..settings.servers {
        let port = free_port()?;
        let mut env = common.clone();
        env.push(("MERCHANT_OPS_BIND".into(), format!("127.0.0.1:{port}")));
        processes.push(Process::start(
            &launch,
            vec!["serve", "--no-scheduler"],
            env,
        )?);
        ports.push(port);
    }
    for _ in 0..settings.schedulers {
        let mut env = common.clone();
        for job in [
            "EXPIRE_CLAIMS",
            "EXPIRY_REMINDERS",
            "REPURCHASE_GRANTS",
            "DELIVER_NOTIFICATIONS",
        ] {
            env.push((
                format!("MERCHANT_OPS_SCHEDULE_{job}"),
                "*/1 * * * * *".into(),
            ));
        }
        env.push(("MERCHANT_OPS_NOTIFICATION_LEASE_SECONDS".into(), "5".into()));
        env.push(("MERCHANT_OPS_JOB_BATCH_SIZE".into(), "50".into()));
        env.push(("MERCHANT_OPS_WEBHOOK_ALLOW_HTTP".into(), "true".into()));
        env.push(("MERCHANT_OPS_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()));
        processes.push(Process::start(&launch, vec!["scheduler"], env)?);
    }
    for &port in &ports {
        wait_for(port).await?;
    }

    // The storm, through every server, while processes are killed.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.seconds);
    let seen = Arc::new(Seen::default());
    let holders: Arc<Mutex<Vec<String>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut clients = Vec::new();
    for client in 0..settings.clients {
        let storefront = Storefront {
            http: http.clone(),
            ports: ports.clone(),
            key: key.clone(),
            turn: client,
        };
        let (seen, holders, next) = (seen.clone(), holders.clone(), next.clone());
        let customers = u64::from(settings.stock) * 2;
        clients.push(tokio::spawn(async move {
            let mut storefront = storefront;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let holder = if n % 4 == 3 {
                    holders.lock().await.pop()
                } else {
                    None
                };
                match holder {
                    Some(customer) => storefront.order(&customer, n, &seen).await,
                    None => {
                        let customer = format!("soak-{}", rand::random::<u64>() % customers);
                        if storefront.claim(&customer, drop_id, n, &seen).await {
                            holders.lock().await.push(customer);
                        }
                    }
                }
            }
        }));
    }
    let stop_killing = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn({
        let (stop_killing, launch) = (stop_killing.clone(), launch.clone());
        async move {
            let mut kills = 0u64;
            while !stop_killing.load(Ordering::Relaxed) {
                let pause = 300 + rand::random::<u64>() % 1200;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                if stop_killing.load(Ordering::Relaxed) {
                    break;
                }
                let victim = (rand::random::<u64>() as usize) % processes.len();
                processes[victim].kill_and_restart(&launch).await?;
                kills += 1;
            }
            anyhow::Ok((processes, kills))
        }
    });
    for client in clients {
        client.await?;
    }
    stop_killing.store(true, Ordering::Relaxed);
    let (processes, kills) = killer.await??;
    for &port in &ports {
        wait_for(port).await?;
    }

    // The schedulers finish what is due: leases run out, reminders go, grants
    // are decided. Up to a minute.
    let settle = Instant::now();
    let mut checks = store::soak::violations(db, shop_id).await?;
    while settle.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        checks = store::soak::violations(db, shop_id).await?;
        let decided = store::soak::counts(db, shop_id).await?;
        if checks.iter().all(|(_, n)| *n == 0) && decided.undecided_deliveries == 0 {
            break;
        }
    }
    for process in processes {
        process.stop().await;
    }
    let elapsed = started.elapsed();

    // The storefront's view and the receiver's, against the database.
    let counts = store::soak::counts(db, shop_id).await?;
    let answered = seen.claimed.load(Ordering::Relaxed);
    let unanswered = seen.unanswered.load(Ordering::Relaxed);
    let drop_claims = counts.claims_of(drop_id);
    // Every claim answered 201 is in the database; at most the unanswered
    // ones more (their answer was lost with a killed server).
    let missing = answered.saturating_sub(drop_claims);
    let unexplained = drop_claims.saturating_sub(answered + unanswered);
    checks.push(("every claim the storefront was told of is stored", missing));
    checks.push(("no claim stored that no request asked for", unexplained));
    let received = received.lock().await.clone();
    let sent = store::soak::sent_ids(db, shop_id).await?;
    let never_received = sent.iter().filter(|id| !received.contains_key(id)).count() as u64;
    checks.push((
        "every notification marked sent reached the receiver",
        never_received,
    ));
    checks.push((
        "every repurchase-eligible order got its grant decision",
        counts.undecided_deliveries,
    ));
    Ok(SoakReport {
        seconds: elapsed.as_secs_f64(),
        kills,
        claims_answered: seen.claims_answered.load(Ordering::Relaxed),
        claimed: answered,
        orders: seen.orders.load(Ordering::Relaxed),
        events: seen.events.load(Ordering::Relaxed),
        unanswered,
        claims_in_database: counts.claims,
        reminders: counts.reminders,
        repurchase_grants: counts.repurchase_grants,
        notifications_sent: sent.len() as u64,
        deliveries_received: received.values().map(|n| u64::from(*n)).sum(),
        redelivered: received.values().filter(|n| **n > 1).count() as u64,
        checks,
    })
}

/// The soak's shop: no quiet hours, reminders a day ahead, a drop coupon valid
/// for a day (so every claim is due for its reminder at once) and a repurchase
/// coupon granted a day after delivery (the storefront reports each delivery
/// as a day and ten seconds ago, so grants are due at once).
async fn prepare(
    db: &DatabaseConnection,
    settings: &SoakSettings,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<(i64, String, i64)> {
    let slug = format!("soak-{}", now.timestamp_millis());
    let shop =
        store::shops::create_shop(db, &slug, "压测小店", chrono_tz::Asia::Shanghai, now).await?;
    store::shops::update_settings(
        db,
        shop.id,
        &domain::shop::ShopSettings {
            time_zone: shop.time_zone,
            reminder_lead_hours: vec![24],
            quiet_start_minute: 0,
            quiet_end_minute: 0,
            monthly_cap: None,
            profit_floor: None,
        },
    )
    .await?;
    let sku = domain::Sku::parse("SOAK-1").map_err(|e| anyhow::anyhow!("{e}"))?;
    store::products::upsert_product(
        db,
        shop.id,
        &sku,
        "压测连衣裙",
        domain::Money::yuan(120),
        now,
    )
    .await?;
    let window = json!({"claim_from": now - chrono::Duration::minutes(1),
                        "claim_until": now + chrono::Duration::days(1)});
    let mut drop = json!({"name": "直播间秒杀", "benefit": crate::demo::amount_off("99.00", "10.00"),
        "quantity": settings.stock, "per_customer_limit": 1,
        "validity": {"type": "relative", "days": 1}});
    let mut again = json!({"name": "复购券", "kind": "repurchase",
        "benefit": crate::demo::amount_off("100.00", "15.00"),
        "repurchase": {"trigger": "delivered", "days_after": 1, "only_purchased_items": false},
        "quantity": null, "per_customer_limit": null});
    for body in [&mut drop, &mut again] {
        for (k, v) in window.as_object().expect("an object") {
            body[k] = v.clone();
        }
    }
    let drop = store::coupons::create_coupon(
        db,
        shop.id,
        &crate::demo::coupon(now, drop)?,
        domain::CouponStatus::Active,
        now,
    )
    .await?;
    store::coupons::create_coupon(
        db,
        shop.id,
        &crate::demo::coupon(now, again)?,
        domain::CouponStatus::Active,
        now,
    )
    .await?;
    let (_, key) = store::api_keys::create_api_key(db, shop.id, "soak", now).await?;
    Ok((shop.id, key, drop.id))
}

/// A storefront client: every write carries an Idempotency-Key and is retried
/// on the next server until one gives a definite answer.
struct Storefront {
    http: reqwest::Client,
    ports: Vec<u16>,
    key: String,
    turn: usize,
}

impl Storefront {
    async fn post(
        &mut self,
        path: &str,
        idempotency: &str,
        body: &Value,
        seen: &Seen,
    ) -> Option<(u16, Value)> {
        for _ in 0..40 {
            self.turn += 1;
            let port = self.ports[self.turn % self.ports.len()];
            let sent = self
                .http
                .post(format!("http://127.0.0.1:{port}{path}"))
                .bearer_auth(&self.key)
                .header("Idempotency-Key", idempotency)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(response) if response.status().as_u16() < 500 => {
                    let status = response.status().as_u16();
                    // 409 "in progress" is not an answer yet: ask again.
                    let answer: Value = response.json().await.unwrap_or(Value::Null);
                    if status == 409 && answer["error"]["code"] == "idempotency_key_in_progress" {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    return Some((status, answer));
                }
                // A server killed or starting again: the next one.
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        seen.unanswered.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// True when the customer now holds the drop coupon.
    async fn claim(&mut self, customer: &str, coupon_id: i64, n: u64, seen: &Seen) -> bool {
        let body = json!({"customer": customer, "coupon_id": coupon_id, "channel": "live_room"});
        match self
            .post("/api/v1/claims", &format!("claim-{n}"), &body, seen)
            .await
        {
            Some((status, _)) => {
                seen.claims_answered.fetch_add(1, Ordering::Relaxed);
                if status == 201 {
                    seen.claimed.fetch_add(1, Ordering::Relaxed);
                }
                status == 201
            }
            None => false,
        }
    }

    /// An order with the best claims, then paid and delivered.
    async fn order(&mut self, customer: &str, n: u64, seen: &Seen) {
        let external_id = format!("SOAK{n}");
        let body = json!({"external_id": external_id, "customer": customer,
            "lines": [{"sku": "SOAK-1", "unit_price": "120.00", "quantity": 1}]});
        let Some((201, _)) = self
            .post("/api/v1/orders", &format!("order-{n}"), &body, seen)
            .await
        else {
            return;
        };
        seen.orders.fetch_add(1, Ordering::Relaxed);
        let delivered_at = Utc::now() - chrono::Duration::days(1) - chrono::Duration::seconds(10);
        for (event, body) in [
            ("paid", json!({"type": "paid"})),
            (
                "delivered",
                json!({"type": "delivered", "at": delivered_at}),
            ),
        ] {
            let path = format!("/api/v1/orders/{external_id}/events");
            if let Some((status, _)) = self.post(&path, &format!("{event}-{n}"), &body, seen).await
                && status < 300
            {
                seen.events.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A webhook receiver that answers 200 to everything and counts delivery ids.
async fn receive(listener: tokio::net::TcpListener, received: Arc<Mutex<HashMap<i64, u32>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let received = received.clone();
        tokio::spawn(async move {
            let mut stream = BufReader::new(stream);
            loop {
                let mut line = String::new();
                if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let (mut length, mut delivery) = (0usize, None);
                loop {
                    line.clear();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let header = line.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap_or(0);
                        } else if name.eq_ignore_ascii_case(scheduler::delivery::DELIVERY_HEADER) {
                            delivery = value.trim().parse::<i64>().ok();
                        }
                    }
                }
                let mut body = vec![0u8; length.min(1 << 20)];
                if stream.read_exact(&mut body).await.is_err() {
                    return;
                }
                if let Some(id) = delivery {
                    *received.lock().await.entry(id).or_default() += 1;
                }
                let answered = stream
                    .get_mut()
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .await;
                if answered.is_err() {
                    return;
                }
            }
        });
    }
}
