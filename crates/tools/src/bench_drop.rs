//! `merchant-ops bench drop`: a live-room drop fired at the real server over real
//! keep-alive HTTP connections. The load generator is inside the bench: each
//! connection sends `POST /api/v1/claims` for a new customer as soon as its last
//! answer arrived, for a fixed time. Afterwards the database is checked: claims
//! issued = min(stock, attempts), and the coupon's counter equals its rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::bench::percentile;

pub struct DropSettings {
    pub connections: usize,
    pub seconds: u64,
    pub stock: u32,
    /// Servers to run (each its own process on PostgreSQL; 1 in process otherwise).
    pub processes: usize,
}

/// What one drop did.
pub struct DropReport {
    pub attempts: u64,
    pub claimed: u64,
    pub refused: u64,
    pub other: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    /// Claims the database holds for the coupon, and its counter.
    pub rows: u64,
    pub counter: u64,
    pub stock: u32,
    /// Seconds until the stock ran out, if it did.
    pub sold_out_after: Option<f64>,
}

impl DropReport {
    pub fn lines(&self) -> Vec<String> {
        let secs = self.elapsed.as_secs_f64();
        let ms = |p: f64| percentile(&self.latencies, p).as_secs_f64() * 1000.0;
        let expected = u64::from(self.stock).min(self.attempts);
        vec![
            format!(
                "attempts {} in {:.1} s: claimed {}, refused {}, other {}",
                self.attempts, secs, self.claimed, self.refused, self.other
            ),
            format!(
                "{:.0} claims answered/s, {:.0} claims granted/s{}; latency p50 {:.1} ms, p99 {:.1} ms",
                self.attempts as f64 / secs,
                self.claimed as f64 / self.sold_out_after.unwrap_or(secs).max(f64::EPSILON),
                self.sold_out_after
                    .map(|s| format!(" (until sold out after {s:.1} s)"))
                    .unwrap_or_default(),
                ms(0.5),
                ms(0.99),
            ),
            format!(
                "check: claims issued {} = min(stock {}, attempts {}) = {} {}; counter {} = rows {} {}",
                self.claimed,
                self.stock,
                self.attempts,
                expected,
                if self.claimed == expected {
                    "ok"
                } else {
                    "WRONG"
                },
                self.counter,
                self.rows,
                if self.counter == self.rows && self.rows == self.claimed {
                    "ok"
                } else {
                    "WRONG"
                },
            ),
        ]
    }

    pub fn exact(&self) -> bool {
        self.claimed == u64::from(self.stock).min(self.attempts)
            && self.counter == self.rows
            && self.rows == self.claimed
            && self.other == 0
    }
}

/// Runs a drop against `database` (a scratch database: it writes a shop of its own).
pub async fn drop(
    db: &store::DatabaseConnection,
    database: &str,
    settings: &DropSettings,
) -> anyhow::Result<DropReport> {
    let now = Utc::now();
    let shop = store::shops::create_shop(
        db,
        &format!("drop-{}", now.timestamp_micros()),
        "drop benchmark",
        chrono_tz::Asia::Shanghai,
        now,
    )
    .await?;
    store::shops::set_monthly_cap(db, shop.id, None).await?;
    let coupon = store::coupons::create_coupon(
        db,
        shop.id,
        &store::bench::drop_coupon(settings.stock, now),
        domain::CouponStatus::Active,
        now,
    )
    .await?;
    let (_, key) = store::api_keys::create_api_key(db, shop.id, "drop", now).await?;

    // The servers: in this process, or (several, PostgreSQL) processes of their own.
    let mut children = Vec::new();
    let mut ports = Vec::new();
    let mut handle = None;
    if settings.processes <= 1 {
        let app = web::spawn_app(web::AppState::new(db.clone())).await?;
        ports.push(app.port);
        handle = Some(app.handle);
    } else {
        anyhow::ensure!(
            !database.starts_with("sqlite"),
            "several processes share a PostgreSQL database; SQLite has one writer"
        );
        for _ in 0..settings.processes {
            let port = free_port()?;
            let child = tokio::process::Command::new(std::env::current_exe()?)
                .args(["serve", "--no-scheduler"])
                .env("DATABASE_URL", database)
                .env("MERCHANT_OPS_BIND", format!("127.0.0.1:{port}"))
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()?;
            children.push(child);
            ports.push(port);
        }
        for &port in &ports {
            wait_for(port).await?;
        }
    }

    let attempts = Arc::new(AtomicU64::new(0));
    let claimed = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let sold_out = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.seconds);
    let mut tasks = Vec::new();
    for connection in 0..settings.connections {
        let port = ports[connection % ports.len()];
        let (key, coupon_id) = (key.clone(), coupon.id);
        let (attempts, claimed, refused, other, sold_out, stop) = (
            attempts.clone(),
            claimed.clone(),
            refused.clone(),
            other.clone(),
            sold_out.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut stream = connect(port).await?;
            while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                let n = attempts.fetch_add(1, Ordering::Relaxed);
                let body = format!(
                    "{{\"customer\":\"fan-{n}\",\"coupon_id\":{coupon_id},\"channel\":\"live_room\"}}"
                );
                let request = format!(
                    "POST /api/v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let sent = Instant::now();
                let (status, answer) = match exchange(&mut stream, &request).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        // The connection broke: count it, open another.
                        other.fetch_add(1, Ordering::Relaxed);
                        stream = connect(port).await?;
                        continue;
                    }
                };
                latencies.push(sent.elapsed());
                match status {
                    201 => {
                        claimed.fetch_add(1, Ordering::Relaxed);
                    }
                    409 => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        if answer.contains("\"sold_out\"") {
                            let at = started.elapsed().as_micros() as u64;
                            let _ = sold_out.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    if let Some(handle) = handle {
        handle.stop(true).await;
    }
    for mut child in children {
        let _ = child.kill().await;
    }

    let rows = store::claims::unused_claims_of_coupon(db, coupon.id)
        .await?
        .len() as u64;
    let counter = store::coupons::get_coupon(db, shop.id, coupon.id)
        .await?
        .claimed;
    let sold = sold_out.load(Ordering::Relaxed);
    Ok(DropReport {
        attempts: claimed.load(Ordering::Relaxed)
            + refused.load(Ordering::Relaxed)
            + other.load(Ordering::Relaxed),
        claimed: claimed.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        other: other.load(Ordering::Relaxed),
        elapsed,
        latencies,
        rows,
        counter,
        stock: settings.stock,
        sold_out_after: (sold > 0).then(|| sold as f64 / 1e6),
    })
}

pub(crate) async fn connect(port: u16) -> anyhow::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// One request and its answer on a keep-alive connection: (status, body).
pub(crate) async fn exchange(
    stream: &mut BufReader<TcpStream>,
    request: &str,
) -> anyhow::Result<(u16, String)> {
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line: {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) async fn wait_for(port: u16) -> anyhow::Result<()> {
    for _ in 0..300 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server on port {port} did not start")
}
