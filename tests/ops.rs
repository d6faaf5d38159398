//! Running it as a service (SPEC §9): backups of a running database, graceful
//! shutdown, several processes sharing one PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use crate::support::{databases, fixtures, now};

/// A copy of a SQLite database taken while claims are written is consistent
/// (its counters match its rows), opens, and holds every row; PostgreSQL is
/// sent to pg_dump; an existing file is never overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_database_opens_and_holds_every_row() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let coupon = fixtures::coupon(db, &shop, json!({"quantity": 100000})).await;
        let folder = std::env::temp_dir().join("merchant-ops-tests");
        std::fs::create_dir_all(&folder).unwrap();
        let to = folder.join(format!("backup-{}-{}.db", std::process::id(), coupon.id));
        let _ = std::fs::remove_file(&to);
        if database.backend != "sqlite" {
            let refused = store::backup::sqlite_copy(db, &to).await.unwrap_err();
            assert!(refused.to_string().contains("pg_dump"), "{refused}");
            assert!(!to.exists());
            continue;
        }
        // Claims go on being written while the copy is taken.
        let writing = Arc::new(AtomicBool::new(true));
        let writer = tokio::spawn({
            let (db, writing) = (db.clone(), writing.clone());
            let shop_id = shop.id;
            async move {
                let mut n = 0;
                while writing.load(Ordering::Relaxed) {
                    fixtures::claim(
                        &db,
                        shop_id,
                        coupon.id,
                        &format!("b-{n}"),
                        domain::Channel::LiveRoom,
                        now(),
                    )
                    .await;
                    n += 1;
                }
                n
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let during = store::backup::sqlite_copy(db, &to).await.unwrap();
        writing.store(false, Ordering::Relaxed);
        let written = writer.await.unwrap();
        assert!(written > 0);
        let copy_url = format!("sqlite://{}?mode=rwc", to.display());
        let copy = store::open(&copy_url, &crate::support::db::pool())
            .await
            .unwrap();
        let held = store::coupons::get_coupon(&copy, shop.id, coupon.id)
            .await
            .unwrap();
        assert_eq!(
            held.claimed, during.tables["claims"],
            "one moment: the counter and the rows agree"
        );
        assert!(during.tables["claims"] > 0 && during.bytes > 0);
        copy.close().await.unwrap();

        // Quiet, a second copy holds exactly what the database holds.
        let again = to.with_extension("again.db");
        let _ = std::fs::remove_file(&again);
        let quiet = store::backup::sqlite_copy(db, &again).await.unwrap();
        assert_eq!(quiet.tables["claims"], written, "every claim");
        assert_eq!(quiet.tables, store::backup::row_counts(db).await.unwrap());
        // Never over an existing file.
        let before = std::fs::metadata(&again).unwrap().len();
        assert!(store::backup::sqlite_copy(db, &again).await.is_err());
        assert_eq!(std::fs::metadata(&again).unwrap().len(), before);
        for file in [&to, &again] {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// Not a test: the entry of the child processes the soak and shutdown tests
/// start — this test binary, run as `--ignored --exact ops::merchant_ops_process`
/// — standing in for the `merchant-ops` binary with the arguments given in
/// `MERCHANT_OPS_CHILD_ARGS`.
#[test]
#[ignore = "the entry of a child process the soak and shutdown tests start"]
fn merchant_ops_process() {
    let Ok(args) = std::env::var("MERCHANT_OPS_CHILD_ARGS") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let args =
        std::iter::once("merchant-ops".to_owned()).chain(args.split('\u{1f}').map(str::to_owned));
    let ran = runtime.block_on(tools::cli::run_with(args));
    std::process::exit(if ran.is_ok() { 0 } else { 1 });
}

/// How the tests start a `merchant-ops` process: this binary, at the entry above.
fn launch() -> tools::soak::Launch {
    let exe = std::env::current_exe().unwrap();
    Arc::new(move |args: &[&str]| {
        let mut command = tokio::process::Command::new(&exe);
        command
            .args([
                "--ignored",
                "--exact",
                "ops::merchant_ops_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MERCHANT_OPS_CHILD_ARGS", args.join("\u{1f}"));
        command
    })
}

/// SPEC §9 and issue #16: two servers and two schedulers on one PostgreSQL
/// database, a claim storm and order events through both servers, every job on
/// both schedulers, one process SIGKILLed every 0.3–1.5 s and restarted — and
/// afterwards every invariant holds (`store::soak`), the storefront's answers
/// match the database and every notification marked sent was received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soak_keeps_every_invariant_while_processes_are_killed() {
    let Some(database) = crate::support::db::TestDb::postgres().await else {
        eprintln!("soak skipped: it runs on PostgreSQL (set TEST_DATABASE_URL)");
        return;
    };
    let settings = tools::soak::SoakSettings {
        seconds: 20,
        stock: 1000,
        ..Default::default()
    };
    let report = tools::soak::run(&database.db, &database.url, &settings, launch())
        .await
        .unwrap();
    for line in report.lines() {
        eprintln!("{line}");
    }
    assert!(report.kills >= 5, "killed often: {}", report.kills);
    assert!(
        report.claimed > 100
            && report.orders > 20
            && report.repurchase_grants > 0
            && report.reminders > 0
            && report.notifications_sent > 0,
        "every kind of work was done: {report:?}"
    );
    assert_eq!(report.violations(), 0, "{:#?}", report.checks);
}

/// SPEC §9: on SIGTERM a server stops taking connections and finishes the
/// requests it has begun — a claim whose body is still arriving is answered
/// and stored — then exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_told_to_stop_finishes_the_requests_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    // The server runs on the real clock.
    let real = chrono::Utc::now();
    let coupon = fixtures::coupon(
        db,
        &shop,
        json!({"claim_from": real - chrono::Duration::hours(1),
               "claim_until": real + chrono::Duration::days(1),
               "validity": {"type": "relative", "days": 7}}),
    )
    .await;
    let (_, key) = store::api_keys::create_api_key(db, shop.id, "tests", now())
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = launch()(&["serve", "--no-scheduler"])
        .env("DATABASE_URL", &database.url)
        .env("MERCHANT_OPS_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut connection = None;
    for _ in 0..300 {
        if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            connection = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut connection = connection.expect("the server starts");

    // A claim begins: its headers and half its body are sent …
    let body = format!(
        "{{\"customer\":\"late-1\",\"coupon_id\":{},\"channel\":\"live_room\"}}",
        coupon.id
    );
    let (first, rest) = body.split_at(body.len() / 2);
    let head = format!(
        "POST /api/v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // … the server is told to stop …
    let pid = server.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // … and takes no new connection, while the claim's body ends and is answered.
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "no new connection after SIGTERM"
    );
    connection.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        connection.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let exited = tokio::time::timeout(std::time::Duration::from_secs(30), server.wait())
        .await
        .expect("the server exits once the request is done")
        .unwrap();
    assert!(exited.success(), "{exited:?}");
    let customer = store::customers::find_customer(db, shop.id, "late-1")
        .await
        .unwrap()
        .expect("the claim was stored");
    assert_eq!(
        store::claims::of_customer(db, customer.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
