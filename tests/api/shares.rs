//! Share to unlock (分享N人领券, SPEC §10) over the API and in the store: each
//! friend counts once per share coupon (never the sharer or their phone; new
//! customers only when asked), friends get the friend coupon, the sharer gets
//! the coupon exactly once — even when the last friends join at one moment.

use serde_json::{Value, json};

use crate::support::api::{self, get, post, put};
use crate::support::{databases, fixtures, now};

#[tokio::test]
async fn friends_unlock_the_sharers_coupon_once() {
    for database in databases().await {
        let shop = api::shop_with_key(&database, "demo").await;
        let app = api::app(&database).await;
        let key = shop.key.as_str();
        let gift = api::active_coupon(
            &app,
            key,
            json!({"name": "好友助力礼", "per_customer_limit": 1}),
        )
        .await;
        let share = api::active_coupon(
            &app,
            key,
            json!({"name": "3人助力得20元", "kind": "share", "quantity": null, "per_customer_limit": null,
                   "share": {"friends": 3, "new_customers_only": true, "friend_coupon_id": gift}}),
        )
        .await;
        // A friend coupon must be another coupon of this shop.
        let mut wrong = fixtures::coupon_body(json!({"kind": "share",
            "share": {"friends": 2, "friend_coupon_id": share}}));
        wrong["status"] = json!("active");
        let (status, refused) = post("/api/v1/coupons", key, &wrong).send(&app).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["field"], "share.friend_coupon_id");
        // Nobody claims a share coupon.
        let (_, refused) = post(
            "/api/v1/claims",
            key,
            &json!({"customer": "s", "coupon_id": share, "channel": "live_room"}),
        )
        .send(&app)
        .await;
        assert_eq!(refused["error"]["code"], "grant_only");

        put("/api/v1/customers/s", key, &json!({"phone": "13800135678"}))
            .send(&app)
            .await;
        let (status, started) = post(
            "/api/v1/shares",
            key,
            &json!({"customer": "s", "coupon_id": share}),
        )
        .send(&app)
        .await;
        assert_eq!(status, 201, "{started}");
        assert_eq!(
            (started["needed"].clone(), started["joined"].clone()),
            (json!(3), json!(0))
        );
        let code = started["code"].as_str().unwrap().to_owned();
        let (_, again) = post(
            "/api/v1/shares",
            key,
            &json!({"customer": "s", "coupon_id": share}),
        )
        .send(&app)
        .await;
        assert_eq!(
            again["code"],
            code.as_str(),
            "one share per sharer and coupon"
        );

        let join = async |friend: &str| -> Value {
            let (status, answer) = post(
                &format!("/api/v1/shares/{code}/join"),
                key,
                &json!({"customer": friend, "channel": "short_video"}),
            )
            .send(&app)
            .await;
            assert_eq!(status, 200, "{answer}");
            answer
        };
        assert_eq!(join("s").await["reason"], "sharer");
        put(
            "/api/v1/customers/twin",
            key,
            &json!({"phone": "138 0013 5678"}),
        )
        .send(&app)
        .await;
        assert_eq!(join("twin").await["reason"], "same_phone");
        // A friend who bought before does not count for a new-customers share.
        post(
            "/api/v1/orders",
            key,
            &json!({"external_id": "o-1", "customer": "old", "claim_ids": [],
                    "lines": [{"sku": "A1", "unit_price": "10.00", "quantity": 1}]}),
        )
        .send(&app)
        .await;
        post("/api/v1/orders/o-1/events", key, &json!({"type": "paid"}))
            .send(&app)
            .await;
        assert_eq!(join("old").await["reason"], "not_new_customer");
        let first = join("f-1").await;
        assert_eq!(first["counted"], true, "{first}");
        assert_eq!(first["granted"][0]["coupon_id"], gift, "the friend's gift");
        assert_eq!(join("f-1").await["reason"], "already_counted");
        let (_, progress) = get(&format!("/api/v1/shares/{code}"), key).send(&app).await;
        assert_eq!(
            (progress["joined"].clone(), progress["completed"].clone()),
            (json!(1), json!(false))
        );
        join("f-2").await;
        let last = join("f-3").await;
        assert_eq!(last["share"]["completed"], true, "{last}");
        let sharer = store::customers::find_customer(&database.db, shop.shop.id, "s")
            .await
            .unwrap()
            .unwrap();
        let held = store::claims::of_customer(&database.db, sharer.id, 10)
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].claim.coupon_id, held[0].source.as_str()),
            (share, "share")
        );
        // A friend of a completed share still counts once, but grants the sharer nothing more.
        join("f-4").await;
        assert_eq!(
            store::claims::of_customer(&database.db, sharer.id, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        // Counted for this coupon already: not again for another sharer's share of it.
        let (_, other) = post(
            "/api/v1/shares",
            key,
            &json!({"customer": "s2", "coupon_id": share}),
        )
        .send(&app)
        .await;
        let (_, twice) = post(
            &format!("/api/v1/shares/{}/join", other["code"].as_str().unwrap()),
            key,
            &json!({"customer": "f-1", "channel": "live_room"}),
        )
        .send(&app)
        .await;
        assert_eq!(twice["reason"], "already_counted");
        let (status, _) = get("/api/v1/shares/NOSUCHCODE", key).send(&app).await;
        assert_eq!(status, 404);
    }
}

/// The last friends join at the same moment, each on a connection of its own:
/// the sharer is granted the coupon exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_friends_joining_at_once_unlock_the_coupon_once() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let share = fixtures::coupon(
            db,
            &shop,
            json!({"kind": "share", "quantity": null, "per_customer_limit": null,
                   "share": {"friends": 5, "new_customers_only": false}}),
        )
        .await;
        for round in 0..5 {
            let sharer = format!("s-{round}");
            let started = store::shares::start(db, shop.id, &sharer, share.id, now())
                .await
                .unwrap();
            // Separate pools, as separate server processes would have.
            let mut joins = Vec::new();
            for friend in 0..8 {
                let url = database.url.clone();
                let code = started.code.clone();
                let shop_id = shop.id;
                joins.push(tokio::spawn(async move {
                    let pool = store::connect(&url, &crate::support::db::pool())
                        .await
                        .unwrap();
                    let joined = store::shares::join(
                        &pool,
                        shop_id,
                        &code,
                        &format!("f-{round}-{friend}"),
                        domain::Channel::LiveRoom,
                        now(),
                    )
                    .await
                    .unwrap();
                    pool.close().await.unwrap();
                    joined.sharer_claim.is_some()
                }));
            }
            let mut unlocked = 0;
            for join in joins {
                unlocked += usize::from(join.await.unwrap());
            }
            assert_eq!(unlocked, 1, "{} round {round}", database.backend);
            let customer = store::customers::find_customer(db, shop.id, &sharer)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                store::claims::of_customer(db, customer.id, 10)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            let progress = store::shares::find(db, shop.id, &started.code)
                .await
                .unwrap();
            assert_eq!((progress.joined, progress.completed), (8, true));
        }
        let figures = store::shares::figures(db, share.id).await.unwrap();
        assert_eq!(
            (
                figures.started,
                figures.completed,
                figures.friends,
                figures.new_customers
            ),
            (5, 5, 40, 40)
        );
    }
}
