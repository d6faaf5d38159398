//! Connecting to SQLite or PostgreSQL from one URL, migrating, and beginning write
//! transactions the way each backend needs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::StoreError;

/// The embedded default (SPEC §9).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/merchant-ops.db?mode=rwc";

/// Bytes of the database file SQLite maps into memory for reading.
const SQLITE_MMAP_BYTES: u64 = 256 * 1024 * 1024;
/// Page cache per connection, in KiB as SQLite's negative `cache_size` (16 MiB;
/// the default is 2 MiB).
const SQLITE_CACHE_KIB: i64 = 16 * 1024;

/// Every pragma a SQLite connection of ours runs with, as one statement: what the
/// benchmarks' bare loop opens its connection with too, so both write alike.
pub(crate) fn sqlite_pragmas() -> String {
    format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = {}; PRAGMA mmap_size = {SQLITE_MMAP_BYTES}; \
         PRAGMA cache_size = -{SQLITE_CACHE_KIB};",
        SQLITE_BUSY_TIMEOUT.as_millis()
    )
}

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connection pool settings; the defaults suit one web or scheduler process.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
        }
    }
}

/// Opens the database `url` names — `sqlite://PATH?mode=rwc` (the file and its
/// folder are created) or `postgres://…` — and configures it: for SQLite, WAL,
/// `synchronous = NORMAL`, foreign keys on and a busy timeout on every connection.
pub async fn connect(url: &str, pool: &PoolSettings) -> Result<DatabaseConnection, StoreError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    // A connection whose COMMIT or ROLLBACK failed (a full disk, a lost server) can
    // come back still inside its transaction; reused, its next "transaction" would
    // be a savepoint that never commits. Such a connection is closed, never pooled.
    options
        .map_sqlx_sqlite_pool_opts(|pool| {
            // A local file does not hang up: no round trip to test each connection
            // before it is handed out (the release hook still checks its state).
            pool.test_before_acquire(false)
                .after_release(|conn, _| Box::pin(async move { Ok(!in_transaction(conn)) }))
                .before_acquire(|conn, _| Box::pin(async move { Ok(!in_transaction(conn)) }))
        })
        .map_sqlx_postgres_pool_opts(|pool| {
            pool.after_release(|conn, _| Box::pin(async move { Ok(!in_transaction(conn)) }))
                .before_acquire(|conn, _| Box::pin(async move { Ok(!in_transaction(conn)) }))
        });
    if url.starts_with("sqlite:") {
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each connection would get its own empty database.
            options.max_connections(1);
        } else if let Some(folder) =
            sqlite_path(url).and_then(|p| p.parent().map(Path::to_path_buf))
            && !folder.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&folder).map_err(|e| {
                StoreError::Config(format!("cannot create {}: {e}", folder.display()))
            })?;
        }
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .create_if_missing(true)
                // Reads through the OS page cache, shared by every connection,
                // instead of copying pages into each connection's own cache.
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        });
    } else if !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
        return Err(StoreError::Config(format!(
            "unsupported database URL {}: use sqlite://PATH?mode=rwc or postgres://…",
            redact(url)
        )));
    }
    let db = Database::connect(options).await.map_err(|e| {
        StoreError::Config(format!("cannot open the database {}: {e}", redact(url)))
    })?;
    Ok(db)
}

fn in_transaction(conn: &impl sea_orm::sqlx::Connection) -> bool {
    let open = conn.is_in_transaction();
    if open {
        tracing::warn!("a connection left inside a transaction is closed, not reused");
    }
    open
}

/// Brings the schema up to date; running it again changes nothing.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    Migrator::up(db, None).await?;
    crate::rollups::rebuild_pending(db, chrono::Utc::now()).await?;
    Ok(())
}

/// Connects and migrates: what every command that touches data does first.
pub async fn open(url: &str, pool: &PoolSettings) -> Result<DatabaseConnection, StoreError> {
    let db = connect(url, pool).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Answers when the database does.
pub async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    db.ping().await?;
    Ok(())
}

/// Proves the database takes a write now (`/healthz`). Normally one small row of
/// `health_probes` is written and committed, the way every write is. After a
/// write failed for a storage reason (a full disk can still fit one small row
/// when it no longer fits a claim), the probe writes and removes a row as large
/// as several claims, and only its success says the storage is back.
pub async fn probe_write(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let heavy = storage_faulted(db);
    write(db, async |tx| {
        let backend = tx.get_database_backend();
        let p = |n: usize| placeholder(backend, n);
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO health_probes (id, probed_at) VALUES (1, {}) \
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                p(1)
            ),
            [now.into()],
        ))
        .await?;
        if heavy {
            let ballast = " ".repeat(PROBE_BYTES);
            tx.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO health_probes (id, probed_at, ballast) VALUES (2, {}, {})",
                    p(1),
                    p(2)
                ),
                [now.into(), ballast.into()],
            ))
            .await?;
            tx.execute_raw(Statement::from_string(
                backend,
                "DELETE FROM health_probes WHERE id = 2".to_owned(),
            ))
            .await?;
        }
        Ok(())
    })
    .await
}

/// What the capacity probe writes: more than a burst of claims needs.
const PROBE_BYTES: usize = 256 * 1024;

/// Databases (by file or server) whose last write failed for a storage reason.
fn faulted() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static FAULTED: OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    FAULTED.get_or_init(Default::default)
}

/// Which database `db` writes to: its file, or its server and database.
pub(crate) fn database_key(db: &DatabaseConnection) -> String {
    match db.get_database_backend() {
        DbBackend::Sqlite => db
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .display()
            .to_string(),
        _ => {
            let options = db.get_postgres_connection_pool().connect_options();
            format!(
                "{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            )
        }
    }
}

fn storage_faulted(db: &DatabaseConnection) -> bool {
    faulted()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&database_key(db))
}

fn note_storage(db: &DatabaseConnection, fault: bool) {
    let mut set = faulted().lock().unwrap_or_else(|p| p.into_inner());
    if fault {
        set.insert(database_key(db));
    } else if !set.is_empty() {
        set.remove(&database_key(db));
    }
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, so it
/// takes the write lock at once and waits its turn, instead of failing with
/// SQLITE_BUSY when a read later upgrades to a write.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, StoreError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Runs `work` in a write transaction (see [`begin_write`]): commits when it
/// returns `Ok`, rolls back at once when it returns `Err`, so no lock outlives
/// a failed request waiting for a background rollback.
pub async fn write<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let gate = sqlite_writer_gate(db);
    let _turn = match &gate {
        Some(gate) => Some(gate.lock().await),
        None => None,
    };
    let outcome = async {
        let tx = begin_write(db).await?;
        match work(&tx).await {
            // Acknowledged only once the commit succeeded; a failed commit's
            // connection is closed by the pool (see `connect`), never reused.
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(%rollback, "rollback after a failed write");
                }
                Err(error)
            }
        }
    }
    .await;
    match &outcome {
        Ok(_) => note_storage(db, false),
        Err(StoreError::Unavailable(_)) => note_storage(db, true),
        Err(_) => {}
    }
    outcome
}

/// SQLite has one writer at a time. Writers of this process queue here, in
/// order, instead of polling the file lock with sleeps (the busy timeout still
/// covers other processes). One gate per database file.
fn sqlite_writer_gate(db: &DatabaseConnection) -> Option<Arc<tokio::sync::Mutex<()>>> {
    static GATES: OnceLock<std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(gates.entry(file).or_default().clone())
}

/// The n-th bind parameter in the backend's spelling: `$n` or `?n`.
pub(crate) fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

/// Runs one SQL statement with no result: for the few things the query builder
/// does not express (schema set-up in tests, benchmarks' baselines).
pub async fn execute_raw(db: &impl ConnectionTrait, sql: &str) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(Statement::from_string(backend, sql.to_owned()))
        .await?;
    Ok(result.rows_affected())
}

fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| Path::new(path))
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs one chunk of a long background write (a code batch, an import) and then
/// rests as long as it took: the database — SQLite's one writer above all — is
/// free at least half the time for the claims queued behind it, and the chunk's
/// CPU work never crowds them out. The long write takes about twice as long.
pub async fn paced<T>(
    chunk: impl std::future::Future<Output = crate::error::Result<T>>,
) -> crate::error::Result<T> {
    let started = std::time::Instant::now();
    let done = chunk.await?;
    tokio::time::sleep(started.elapsed()).await;
    Ok(done)
}

/// The connection pool right now: (open connections, of which idle). For
/// `/metrics`; reads counters, never the database.
pub fn pool_status(db: &DatabaseConnection) -> (u32, u32) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    (size, u32::try_from(idle).unwrap_or(u32::MAX))
}

/// Every row `sql` answers, with `values` bound to its placeholders
/// ([`placeholder`]) — the one way the store runs a hand-written query.
pub(crate) async fn rows(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
    let backend = db.get_database_backend();
    Ok(db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_path("sqlite://data/merchant-ops.db?mode=rwc"),
            Some(Path::new("data/merchant-ops.db"))
        );
        assert_eq!(sqlite_path("sqlite:x.db"), Some(Path::new("x.db")));
        assert_eq!(sqlite_path("postgres://x"), None);
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://shop:secret@db:5432/ops"),
            "postgres://shop:***@db:5432/ops"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
