//! A database of one's own for each test: a temporary SQLite file, and a fresh
//! PostgreSQL schema when `TEST_DATABASE_URL` is set. Both are migrated and
//! removed when the test is done, so tests run in parallel without meeting.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::DatabaseConnection;
use store::PoolSettings;

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct TestDb {
    pub db: DatabaseConnection,
    /// The URL that reaches this very database (another pool, another process).
    pub url: String,
    pub backend: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema { admin_url: String, schema: String },
}

fn unique_name() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("t_{secs}_{}_{n}", std::process::id())
}

/// Pool size for tests: enough for the concurrency tests' separate connections.
pub fn pool() -> PoolSettings {
    PoolSettings {
        max_connections: 32,
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let folder = std::env::temp_dir().join("merchant-ops-tests");
        std::fs::create_dir_all(&folder).expect("temp folder");
        let path = folder.join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = store::open(&url, &pool()).await.expect("sqlite opens");
        TestDb {
            db,
            url,
            backend: "sqlite",
            cleanup: Cleanup::File(path),
        }
    }

    /// `None` unless `TEST_DATABASE_URL` names a PostgreSQL server.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())?;
        let admin = store::connect(&admin_url, &PoolSettings { max_connections: 1 })
            .await
            .expect("TEST_DATABASE_URL answers");
        sweep_stale_schemas(&admin).await;
        let schema = unique_name();
        store::db::execute_raw(&admin, &format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        admin.close().await.ok();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        // Tagged with the schema's name, so cleanup can end this test's sessions.
        let url = format!(
            "{admin_url}{separator}options[search_path]={schema}&application_name={schema}"
        );
        let db = store::open(&url, &pool()).await.expect("postgres opens");
        Some(TestDb {
            db,
            url,
            backend: "postgres",
            cleanup: Cleanup::Schema { admin_url, schema },
        })
    }
}

/// Every backend this run tests on.
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![TestDb::sqlite().await];
    all.extend(TestDb::postgres().await);
    all
}

/// Schemas a crashed run left behind (older than an hour) are dropped.
async fn sweep_stale_schemas(admin: &DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    let cutoff = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        - 3600;
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'".to_owned(),
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "nspname") else {
            continue;
        };
        let stale = name
            .split('_')
            .nth(1)
            .and_then(|secs| secs.parse::<u64>().ok())
            .is_some_and(|secs| secs < cutoff);
        if stale {
            let _ = store::db::execute_raw(admin, &format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                // Drop runs inside the test's runtime: do the async work on a thread of its own.
                let (admin_url, schema) = (admin_url.clone(), schema.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async {
                        if let Ok(admin) =
                            store::connect(&admin_url, &PoolSettings { max_connections: 1 }).await
                        {
                            // Sessions of this test still open (pools not closed yet,
                            // rollbacks not yet flushed) would block the drop.
                            let _ = store::db::execute_raw(
                                &admin,
                                &format!(
                                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                                     WHERE application_name = '{schema}'"
                                ),
                            )
                            .await;
                            let _ = store::db::execute_raw(
                                &admin,
                                &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                            )
                            .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Tests look at what is stored as an operator would, with SQL (the store's
/// tables are its own business). Placeholders are written `$1`, `$2`, …
pub async fn select(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Vec<sea_orm::QueryResult> {
    use sea_orm::ConnectionTrait;
    db.query_all_raw(statement(db, sql, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The single whole number `sql` selects, as `n`.
pub async fn number(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    let rows = select(db, sql, values).await;
    rows[0].try_get::<i64>("", "n").unwrap()
}

fn statement(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}
