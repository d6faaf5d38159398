//! The `merchant-ops` command line (SPEC §9). Secrets and JSON go to stdout,
//! messages to stderr, so scripts can capture what they need.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use web::Application;
use web::Config;

#[derive(Debug, Parser)]
#[command(
    name = "merchant-ops",
    version,
    about = "The coupon back office for live-stream and short-video shops",
    long_about = "The coupon back office for live-stream and short-video shops.\n\n\
        Configuration comes from merchant-ops.toml (optional) and the environment: \
        DATABASE_URL (default sqlite://data/merchant-ops.db?mode=rwc), \
        MERCHANT_OPS_BIND (default 127.0.0.1:8080), MERCHANT_OPS_MAX_CONNECTIONS."
)]
pub struct Cli {
    /// A configuration file to read instead of ./merchant-ops.toml.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the admin UI and the API (the default command), with the scheduler.
    Serve {
        /// Run no scheduled jobs here (for extra web instances).
        #[arg(long)]
        no_scheduler: bool,
    },
    /// Run the scheduled jobs alone, until SIGINT or SIGTERM.
    Scheduler {
        /// Serve this process's /metrics and /healthz here (e.g. 127.0.0.1:9464).
        #[arg(long, value_name = "ADDR", env = "MERCHANT_OPS_METRICS_BIND")]
        metrics_bind: Option<std::net::SocketAddr>,
    },
    /// One pass of a job, now or as of --now, printing what it did as JSON.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Create or update the database schema, then exit.
    Migrate,
    /// A consistent copy of the (running) SQLite database, opened and checked;
    /// prints what it holds as JSON. For PostgreSQL, use pg_dump.
    Backup {
        /// The new file to write (never overwritten).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Load the demo shop (products, coupons of every kind, customers, orders) and
    /// print its owner's sign-in once.
    Demo,
    /// Shops: `shop create --slug S --name N [--tz Z]`.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// Staff: `staff create --email E --role R --shop S` prints a generated password
    /// once; `staff password --email E` resets one; `staff unlock --email E`.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// API keys: `api-key create --shop S` prints a new key, once, alone on stdout.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Measure performance against a scratch database (writes a shop of its own).
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Run one pass: expire-claims, expiry-reminders, repurchase-grants,
    /// deliver-notifications or check-alerts.
    Run {
        #[arg(value_parser = parse_job)]
        job: scheduler::JobName,
        /// The moment the pass runs as of (RFC 3339), for system cron and tests.
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_job(text: &str) -> Result<scheduler::JobName, String> {
    scheduler::JobName::parse(text).ok_or_else(|| {
        "expected expire-claims, expiry-reminders, repurchase-grants, deliver-notifications or check-alerts"
            .to_owned()
    })
}

fn parse_now(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

#[derive(Debug, Subcommand)]
enum ShopCommand {
    /// Create a shop (time zone default Asia/Shanghai); prints its slug.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Asia/Shanghai.
        #[arg(long, default_value = "Asia/Shanghai")]
        tz: String,
    },
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Create a staff member of a shop; the generated password is printed alone on stdout.
    Create {
        #[arg(long)]
        email: String,
        /// owner, operator or viewer.
        #[arg(long, value_parser = parse_role)]
        role: domain::roles::Role,
        /// The shop's slug.
        #[arg(long)]
        shop: String,
        /// The name shown in the admin UI (default: the email's first part).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// The way back in: a new generated password, printed alone on stdout, to be
    /// replaced at the next sign-in; every session of the account ends.
    Password {
        #[arg(long)]
        email: String,
    },
    /// Lift every sign-in delay on an account, from any address.
    Unlock {
        #[arg(long)]
        email: String,
    },
}

fn parse_role(text: &str) -> Result<domain::roles::Role, String> {
    text.parse()
        .map_err(|e: domain::vocab::UnknownWord| e.to_string())
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create an API key for the shop; the key is printed once and stored hashed.
    Create {
        /// The shop's slug.
        #[arg(long)]
        shop: String,
        /// What the key is for (shown to staff).
        #[arg(long, default_value = "storefront")]
        label: String,
    },
}

/// A claim load: where, how many clients, how many claims.
#[derive(Debug, clap::Args)]
struct ClaimLoad {
    /// The database to measure (sqlite://PATH?mode=rwc or postgres://…).
    #[arg(long, value_name = "URL")]
    database: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    clients: u16,
    /// Claims per run.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    claims: u32,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Claims per second through the full claiming rules and the batching writer,
    /// next to the bare claim transaction on the driver.
    Claims(ClaimLoad),
    /// Claim latency alone, then beside a 100,000-code batch and a 300,000-line
    /// product import (both written in chunks).
    LongWrites(ClaimLoad),
    /// Time one reminder pass and one expiry pass over a database of many claims.
    Reminders {
        /// The database to build (default: a new SQLite file in the temporary folder).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Claims to build; one in ten is due for a reminder, one in ten expired.
        #[arg(long, default_value_t = 1_000_000)]
        claims: u64,
        /// Rows per batch in the passes.
        #[arg(long, default_value_t = 1000)]
        batch_size: u64,
    },
    /// Time every admin page on one shop of 100 k coupons, 1 M claims and 200 k orders.
    Admin {
        /// The database to build (default: a new SQLite file in the temporary folder).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Coupons to build.
        #[arg(long, default_value_t = 100_000)]
        coupons: u64,
        /// Claims to build, spread over the coupons, customers and the past year.
        #[arg(long, default_value_t = 1_000_000)]
        claims: u64,
        /// Orders to build.
        #[arg(long, default_value_t = 200_000)]
        orders: u64,
        /// Timed requests per page.
        #[arg(long, default_value_t = 50)]
        requests: usize,
    },
    /// A live-room drop: the real server on loopback, keep-alive connections
    /// claiming one coupon, each request a new customer; then the counts checked.
    Drop {
        /// The database to measure (sqlite://PATH?mode=rwc or postgres://…).
        #[arg(long, value_name = "URL")]
        database: String,
        /// Keep-alive connections firing claims.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..=10_000))]
        connections: u16,
        /// How long the drop lasts.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// The coupon's stock.
        #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..))]
        stock: u32,
        /// Servers sharing the load (several need PostgreSQL).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
        processes: u8,
    },
    /// Claims per second through the HTTP server on loopback, next to the store-level figure.
    HttpClaims(ClaimLoad),
    /// Servers and schedulers on one PostgreSQL database under a claim storm and
    /// order events, one process SIGKILLed at random moments and restarted; then
    /// every invariant checked with SQL. Exits non-zero on any violation.
    Soak {
        /// The PostgreSQL database (postgres://…); the soak writes a shop of its own.
        #[arg(long, value_name = "URL")]
        database: String,
        /// How long the load and the kills last.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        seconds: u64,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
        servers: u8,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
        schedulers: u8,
        /// Concurrent storefront clients.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
        clients: u16,
        /// The drop coupon's stock.
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        stock: u32,
    },
}

pub async fn main() -> ExitCode {
    main_with(std::env::args_os()).await
}

/// The command line with these arguments (the first is the program's name).
pub async fn main_with(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> ExitCode {
    match run_with(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// What `merchant-ops ARGS…` does, its failure returned.
pub async fn run_with(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> anyhow::Result<()> {
    let cli = Cli::parse_from(args);
    init_logging();
    web::install_crypto();
    run(cli).await
}

/// Logs on stderr: readable text, or with `MERCHANT_OPS_LOG_FORMAT=json` one
/// JSON object per line, each with the request's or the pass's span (its `id`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sea_orm=warn,sqlx=warn,tokio_cron_scheduler=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match std::env::var("MERCHANT_OPS_LOG_FORMAT").as_deref() {
        Ok("json") => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        _ => builder.try_init(),
    };
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_environment(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve {
        no_scheduler: false,
    }) {
        Command::Serve { no_scheduler } => serve(&config, !no_scheduler).await,
        Command::Scheduler { metrics_bind } => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let metrics = match metrics_bind {
                Some(bind) => {
                    let server = web::metrics_server(bind, web::AppState::new(db.clone()))?;
                    let handle = server.handle();
                    tokio::spawn(server);
                    eprintln!("metrics on http://{bind}/metrics");
                    Some(handle)
                }
                None => None,
            };
            let (ctx, stop) = scheduler::Context::new(db, config.jobs.clone());
            let running = scheduler::start(ctx, stop, &config.schedules)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("scheduler running; stop with Ctrl-C or SIGTERM");
            shutdown_signal().await;
            eprintln!("stopping: passes finish their current batch");
            running.shutdown().await;
            if let Some(metrics) = metrics {
                metrics.stop(true).await;
            }
            Ok(())
        }
        Command::Jobs(JobsCommand::Run { job, now }) => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let (ctx, _stop) = scheduler::Context::new(db, config.jobs.clone());
            let report =
                scheduler::run_pass(&ctx, job, now.unwrap_or_else(chrono::Utc::now)).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Migrate => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            db.close().await?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Backup { to } => {
            let db = store::connect(&config.database_url, &config.pool()).await?;
            let report = store::backup::sqlite_copy(&db, &to).await?;
            eprintln!(
                "backup written to {} ({} bytes) and checked: it opens and passes its integrity check",
                report.path.display(),
                report.bytes
            );
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Demo => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let demo = crate::demo::load(&db, chrono::Utc::now()).await?;
            print_demo_sign_in(&config, &demo);
            Ok(())
        }
        Command::Shop(ShopCommand::Create { slug, name, tz }) => {
            let tz = domain::calendar::parse_time_zone(&tz).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = store::open(&config.database_url, &config.pool()).await?;
            let shop = store::shops::create_shop(&db, &slug, &name, tz, chrono::Utc::now()).await?;
            eprintln!(
                "shop {} created ({}, {})",
                shop.slug, shop.name, shop.time_zone
            );
            println!("{}", shop.slug);
            Ok(())
        }
        Command::Staff(StaffCommand::Create {
            email,
            role,
            shop,
            name,
        }) => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let shop = store::shops::shop_by_slug(&db, &shop).await?;
            let (staff, password) =
                store::staff::create_staff(&db, &email, &name, role, shop.id, chrono::Utc::now())
                    .await?;
            eprintln!(
                "{} is now {} of {} — the password is shown once; sign in at /login:",
                staff.email, role, shop.slug
            );
            println!("{password}");
            Ok(())
        }
        Command::Staff(StaffCommand::Password { email }) => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let password = store::staff::reset_password(&db, &email).await?;
            eprintln!(
                "{email}: a new password, shown once; it must be replaced at the next sign-in:"
            );
            println!("{password}");
            Ok(())
        }
        Command::Staff(StaffCommand::Unlock { email }) => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let lifted = store::staff::unlock(&db, &email).await?;
            eprintln!("{email}: sign-in delays lifted from {lifted} address(es)");
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create { shop, label }) => {
            let db = store::open(&config.database_url, &config.pool()).await?;
            let shop = store::shops::shop_by_slug(&db, &shop).await?;
            let (_, key) =
                store::api_keys::create_api_key(&db, shop.id, &label, chrono::Utc::now()).await?;
            eprintln!("API key for shop {} — shown once; store it now:", shop.slug);
            println!("{key}");
            Ok(())
        }
        Command::Bench(Bench::Claims(ClaimLoad {
            database,
            clients,
            claims,
        })) => {
            let clients = usize::from(clients);
            let (db, backend) = open_for_bench(&database, clients as u32 + 2).await?;
            let (rules, bare) = crate::bench::claims(&db, &database, clients, claims).await?;
            println!("claims benchmark: {backend}, {clients} clients, {claims} claims per run");
            let bare_label = if backend == "sqlite" {
                "bare loop (SQLite C API, one connection)".to_owned()
            } else {
                format!("bare transactions ({clients} connections)")
            };
            println!("{}", bare.line(&bare_label));
            println!("{}", rules.line("store::claims::claim (rules, batches)"));
            println!(
                "ratio store / bare: {:.2} (targets: SQLite >= 0.50, PostgreSQL >= 2)",
                rules.per_second() / bare.per_second()
            );
            Ok(())
        }
        Command::Bench(Bench::LongWrites(ClaimLoad {
            database,
            clients,
            claims,
        })) => {
            let clients = usize::from(clients);
            let (db, backend) = open_for_bench(&database, clients as u32 + 4).await?;
            let run = crate::bench::long_writes(&db, clients, claims).await?;
            println!(
                "long writes beside claims: {backend}, {clients} clients, {claims} claims per run"
            );
            println!("{}", run.quiet.line("claims, quiet"));
            println!("{}", run.beside.line("claims beside codes + import"));
            println!(
                "100,000 codes + 300,000 products written in {:.2} s; p99 beside − quiet: {:+.1} ms",
                run.writes.as_secs_f64(),
                (run.beside.percentile(0.99).as_secs_f64()
                    - run.quiet.percentile(0.99).as_secs_f64())
                    * 1000.0
            );
            Ok(())
        }
        Command::Bench(Bench::Admin {
            database,
            coupons,
            claims,
            orders,
            requests,
        }) => {
            let database =
                database.unwrap_or_else(|| scratch_sqlite("merchant-ops-bench-admin.db"));
            let (db, backend) = open_for_bench(&database, config.max_connections).await?;
            let scale = store::bench_admin::AdminScale {
                coupons,
                claims,
                orders,
                ..store::bench_admin::AdminScale::default()
            };
            let (built, pages) = crate::bench::admin(&db, scale, requests).await?;
            println!(
                "admin pages benchmark: {backend}, {coupons} coupons, {claims} claims, {orders} orders \
                 (built in {:.1} s), {requests} requests per page",
                built.as_secs_f64()
            );
            for page in &pages {
                println!("{}", page.line());
            }
            let p95 = |label: &str| {
                pages
                    .iter()
                    .find(|p| p.label == label)
                    .map(|p| p.percentile(0.95).as_secs_f64() * 1000.0)
                    .unwrap_or(f64::NAN)
            };
            let floor = p95("floor: estimate form");
            println!(
                "dashboard p95 {:.1} ms = {:.1} × the floor, {:.1} × its SQL alone; \
                 coupon page p95 {:.1} ms = {:.1} × the floor, {:.1} × its SQL alone",
                p95("dashboard"),
                p95("dashboard") / floor,
                p95("dashboard") / p95("SQL alone: dashboard"),
                p95("coupon page"),
                p95("coupon page") / floor,
                p95("coupon page") / p95("SQL alone: coupon page"),
            );
            println!(
                "target: list pages p95 < 50 ms, dashboard p95 < 50 ms, coupon page p95 < 20 ms (SQLite)"
            );
            Ok(())
        }
        Command::Bench(Bench::Reminders {
            database,
            claims,
            batch_size,
        }) => {
            let database =
                database.unwrap_or_else(|| scratch_sqlite("merchant-ops-bench-reminders.db"));
            let (db, backend) = open_for_bench(&database, config.max_connections).await?;
            let (built, reminders, expiry) =
                crate::bench::reminders(&db, claims, batch_size).await?;
            println!(
                "reminders benchmark: {backend}, {claims} claims built in {:.1} s, batches of {batch_size}",
                built.as_secs_f64()
            );
            println!("{}", reminders.line());
            println!("{}", expiry.line());
            println!("target: each pass under 10 s, memory bounded by the batch size");
            Ok(())
        }
        Command::Bench(Bench::Drop {
            database,
            connections,
            seconds,
            stock,
            processes,
        }) => {
            let (db, backend) = open_for_bench(&database, 16).await?;
            let settings = crate::bench_drop::DropSettings {
                connections: usize::from(connections),
                seconds,
                stock,
                processes: usize::from(processes),
            };
            println!(
                "drop benchmark: {backend}, {processes} server(s), {connections} connections, \
                 {seconds} s, stock {stock}"
            );
            let report = crate::bench_drop::drop(&db, &database, &settings).await?;
            for line in report.lines() {
                println!("{line}");
            }
            println!(
                "targets (SQLite, 256 connections): >= 8000 claims/s, p99 < 50 ms, 0 oversold"
            );
            anyhow::ensure!(report.exact(), "the drop's counts do not add up");
            Ok(())
        }
        Command::Bench(Bench::Soak {
            database,
            seconds,
            servers,
            schedulers,
            clients,
            stock,
        }) => {
            let (db, backend) = open_for_bench(&database, 4).await?;
            let settings = crate::soak::SoakSettings {
                seconds,
                servers: usize::from(servers),
                schedulers: usize::from(schedulers),
                clients: usize::from(clients),
                stock,
            };
            println!(
                "soak: {backend}, {servers} servers + {schedulers} schedulers, {clients} clients, \
                 {seconds} s, a random process SIGKILLed every 0.3–1.5 s"
            );
            let exe = std::env::current_exe()?;
            let launch: crate::soak::Launch = std::sync::Arc::new(move |args: &[&str]| {
                let mut command = tokio::process::Command::new(&exe);
                command.args(args);
                command
            });
            let report = crate::soak::run(&db, &database, &settings, launch).await?;
            for line in report.lines() {
                println!("{line}");
            }
            anyhow::ensure!(report.violations() == 0, "the soak found violations");
            Ok(())
        }
        Command::Bench(Bench::HttpClaims(ClaimLoad {
            database,
            clients,
            claims,
        })) => {
            let clients = usize::from(clients);
            let (db, backend) = open_for_bench(&database, clients as u32 + 2).await?;
            let (http, store_level) = crate::bench::http_claims(&db, clients, claims).await?;
            println!(
                "http-claims benchmark: {backend}, {clients} clients, {claims} claims per run"
            );
            println!("{}", http.line("http (POST /api/v1/claims)"));
            println!("{}", store_level.line("store (store::claims::claim)"));
            println!(
                "ratio http / store: {:.2} (target >= 0.50)",
                http.per_second() / store_level.per_second()
            );
            Ok(())
        }
    }
}

/// The demo owner's sign-in, shown once: the password is stored only hashed.
fn print_demo_sign_in(config: &Config, demo: &crate::demo::DemoShop) {
    eprintln!("demo shop loaded. Sign in once with:");
    eprintln!("  url:      http://{}/login", config.bind);
    eprintln!("  email:    {}", demo.owner_email);
    eprintln!("  password: {}", demo.owner_password);
}

async fn serve(config: &Config, with_scheduler: bool) -> anyhow::Result<()> {
    let db = store::open(&config.database_url, &config.pool()).await?;
    // First run: a database without any shop gets the demo; one with a shop is never touched.
    if let Some(demo) = crate::demo::load_on_first_run(&db, chrono::Utc::now()).await? {
        print_demo_sign_in(config, &demo);
    }
    let running = if with_scheduler {
        let (ctx, stop) = scheduler::Context::new(db.clone(), config.jobs.clone());
        Some(
            scheduler::start(ctx, stop, &config.schedules)
                .await
                .map_err(|e| anyhow::anyhow!(e))?,
        )
    } else {
        None
    };
    let app = Application::build(config, web::AppState::new(db)).await?;
    eprintln!(
        "merchant-ops listening on http://{}:{} (health: /healthz){}",
        config.bind.ip(),
        app.port(),
        if with_scheduler {
            ", with the scheduler"
        } else {
            ""
        }
    );
    // actix stops on SIGINT/SIGTERM; then the scheduler's passes finish their batch.
    let served = app.run_until_stopped().await;
    if let Some(running) = running {
        running.shutdown().await;
    }
    served?;
    Ok(())
}

/// A new, empty SQLite database in the temporary folder (an old one is removed).
fn scratch_sqlite(name: &str) -> String {
    let path = std::env::temp_dir().join(name);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Opens the benchmark's database with a connection per client, and names its backend.
async fn open_for_bench(
    url: &str,
    connections: u32,
) -> anyhow::Result<(store::DatabaseConnection, String)> {
    let pool = store::PoolSettings {
        max_connections: connections,
    };
    let db = store::open(url, &pool).await?;
    let backend = format!("{:?}", db.get_database_backend()).to_lowercase();
    Ok((db, backend))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM can be watched");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
