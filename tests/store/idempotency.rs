//! Idempotency keys at the store: first use, replay, mismatch, a dead first request.

use chrono::Duration;
use store::idempotency::{ABANDONED_AFTER, Attempt, KEEP_FOR, begin, finish, purge};

use crate::support::{databases, fixtures, now};

#[tokio::test]
async fn keys_replay_refuse_and_recover() {
    for database in databases().await {
        let shop = fixtures::shop(&database.db, "demo").await;
        let db = &database.db;
        assert_eq!(
            begin(db, shop.id, "k", "h1", now()).await.unwrap(),
            Attempt::Fresh
        );
        assert_eq!(
            begin(db, shop.id, "k", "h1", now()).await.unwrap(),
            Attempt::InProgress
        );
        assert_eq!(
            begin(db, shop.id, "k", "h2", now()).await.unwrap(),
            Attempt::Mismatch
        );
        finish(db, shop.id, "k", 201, "{\"id\":1}").await.unwrap();
        assert_eq!(
            begin(db, shop.id, "k", "h1", now()).await.unwrap(),
            Attempt::Replay {
                status: 201,
                body: "{\"id\":1}".into()
            }
        );
        // Forgotten after KEEP_FOR: the key starts afresh.
        let later = now() + KEEP_FOR + Duration::seconds(1);
        assert_eq!(
            begin(db, shop.id, "k", "h2", later).await.unwrap(),
            Attempt::Fresh,
            "{}",
            database.backend
        );

        // A first request that never answered is taken over once, after a minute.
        assert_eq!(
            begin(db, shop.id, "dead", "h", now()).await.unwrap(),
            Attempt::Fresh
        );
        let soon = now() + Duration::seconds(10);
        assert_eq!(
            begin(db, shop.id, "dead", "h", soon).await.unwrap(),
            Attempt::InProgress
        );
        let late = now() + ABANDONED_AFTER + Duration::seconds(1);
        assert_eq!(
            begin(db, shop.id, "dead", "h", late).await.unwrap(),
            Attempt::Fresh
        );
        assert_eq!(
            begin(db, shop.id, "dead", "h", late).await.unwrap(),
            Attempt::InProgress
        );

        // "k" was taken afresh at `later`; both keys are older than KEEP_FOR by then.
        assert_eq!(
            purge(db, later + KEEP_FOR + Duration::seconds(1))
                .await
                .unwrap(),
            2
        );
    }
}
