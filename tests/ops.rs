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
