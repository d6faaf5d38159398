//! `merchant-ops backup --to FILE` (SPEC §9): a consistent copy of a running
//! SQLite database, made by `VACUUM INTO` — one read transaction, so the copy is
//! the database as of one moment while claims go on being written — then
//! opened and checked. PostgreSQL has its own tool for this (`pg_dump`).

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::error::{Result, StoreError};

/// What the copy holds, read from the copy itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// Every table and its rows, by name.
    pub tables: std::collections::BTreeMap<String, u64>,
}

/// Writes the copy to `to` (which must not exist yet), opens it, checks its
/// integrity and counts its rows.
pub async fn sqlite_copy(db: &DatabaseConnection, to: &Path) -> Result<BackupReport> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(StoreError::Config(
            "backup copies a SQLite database; for PostgreSQL use pg_dump \
             (pg_dump --format=custom --file=FILE \"$DATABASE_URL\")"
                .into(),
        ));
    }
    if to.exists() {
        return Err(StoreError::Config(format!(
            "{} exists already; a backup never overwrites a file",
            to.display()
        )));
    }
    let target = to
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path must be UTF-8".into()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await?;
    // Opened as a reader would, read-only: none of the server's settings
    // (WAL, …) are written into the copy.
    let mut options = sea_orm::ConnectOptions::new(format!("sqlite://{target}?mode=ro"));
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let copy = sea_orm::Database::connect(options).await?;
    let checked = verify(&copy).await;
    copy.close().await?;
    let tables = checked?;
    Ok(BackupReport {
        path: to.to_owned(),
        bytes: std::fs::metadata(to)
            .map_err(|e| StoreError::Corrupt(format!("the backup cannot be read: {e}")))?
            .len(),
        tables,
    })
}

/// `PRAGMA integrity_check` says ok, and every table's rows are counted.
async fn verify(copy: &DatabaseConnection) -> Result<std::collections::BTreeMap<String, u64>> {
    let integrity = copy
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .map(|row| row.try_get_by_index::<String>(0))
        .transpose()?;
    if integrity.as_deref() != Some("ok") {
        return Err(StoreError::Corrupt(format!(
            "the backup failed its integrity check: {integrity:?}"
        )));
    }
    row_counts(copy).await
}

/// Every table of a SQLite database and its rows, by name.
pub async fn row_counts(
    db: &DatabaseConnection,
) -> Result<std::collections::BTreeMap<String, u64>> {
    let copy = db;
    let names: Vec<String> = copy
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        ))
        .await?
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<std::result::Result<_, _>>()?;
    let mut tables = std::collections::BTreeMap::new();
    for name in names {
        // Table names come from the copy's own catalogue; quoted all the same.
        let quoted = name.replace('"', "\"\"");
        let rows = copy
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT COUNT(*) FROM \"{quoted}\""),
            ))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        tables.insert(name, rows as u64);
    }
    Ok(tables)
}
