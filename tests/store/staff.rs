//! Staff accounts, sign-in brakes and sessions.

use domain::roles::Role;
use domain::throttle::{FREE_ADDRESS_FAILURES, FREE_PAIR_FAILURES, MAX_WAIT};
use store::StoreError;
use store::staff::{
    JoinRefused, JoinRequest, Joining, PasswordRefused, SESSION_LASTS, SignInError,
    change_password, create_staff, invite, join, memberships, reset_password, session,
    shop_invitations, sign_in, sign_out, unlock,
};

use crate::support::{databases, fixtures, now};

#[tokio::test]
async fn a_generated_password_signs_in_and_the_session_ends_on_sign_out() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (staff, password) = create_staff(
            db,
            "Ops@Example.com",
            "运营",
            Role::Operator,
            shop.id,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(staff.email, "ops@example.com");
        assert_eq!(password.len(), 16);
        let again = create_staff(db, "ops@example.com", "", Role::Viewer, shop.id, now()).await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}",
            database.backend
        );
        assert_eq!(
            memberships(db, staff.id).await.unwrap()[0].1,
            Role::Operator
        );

        let (who, opened) = sign_in(db, "OPS@example.com ", &password, "10.0.0.1", now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who.id, staff.id);
        let (found, csrf) = session(db, &opened.token, now()).await.unwrap().unwrap();
        assert_eq!(
            (found.id, csrf.as_str()),
            (staff.id, opened.csrf_token.as_str())
        );
        assert!(
            session(db, &opened.token, now() + SESSION_LASTS)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(session(db, "forged", now()).await.unwrap().is_none());
        sign_out(db, &opened.token).await.unwrap();
        assert!(session(db, &opened.token, now()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn guesses_wait_longer_each_time_but_never_lock_the_owner_out() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (_, password) =
            create_staff(db, "owner@example.com", "店主", Role::Owner, shop.id, now())
                .await
                .unwrap();
        let attacker = "203.0.113.7";
        let mut at = now();
        for _ in 0..FREE_PAIR_FAILURES {
            let failed = sign_in(db, "owner@example.com", "guess", attacker, at)
                .await
                .unwrap();
            assert_eq!(failed, Err(SignInError::WrongCredentials));
        }
        // The next failure makes the next try wait 2 s, then 4 s, 8 s …
        let mut waits = Vec::new();
        for _ in 0..4 {
            sign_in(db, "owner@example.com", "guess", attacker, at)
                .await
                .unwrap()
                .unwrap_err();
            let Err(SignInError::Locked(until)) =
                sign_in(db, "owner@example.com", &password, attacker, at)
                    .await
                    .unwrap()
            else {
                panic!("{}: the attacker's address waits", database.backend);
            };
            waits.push((until - at).num_seconds());
            at = until;
        }
        assert_eq!(waits, [2, 4, 8, 16], "{}", database.backend);
        // The owner, from their own address, is not held back at all.
        assert!(
            sign_in(db, "owner@example.com", &password, "198.51.100.20", at)
                .await
                .unwrap()
                .is_ok(),
            "{}",
            database.backend
        );
        // Nor from the attacker's address once the wait is over, which never
        // exceeds the cap however many guesses came before.
        for _ in 0..30 {
            sign_in(db, "owner@example.com", "guess", attacker, at)
                .await
                .unwrap()
                .unwrap_err();
            at += MAX_WAIT;
        }
        let Err(SignInError::Locked(until)) =
            sign_in(db, "owner@example.com", &password, attacker, at - MAX_WAIT)
                .await
                .unwrap()
        else {
            panic!("waiting");
        };
        assert!(until - (at - MAX_WAIT) <= MAX_WAIT);
        // `staff unlock` lifts the waits at once.
        assert!(unlock(db, "owner@example.com").await.unwrap() >= 1);
        assert!(
            sign_in(db, "owner@example.com", &password, attacker, at - MAX_WAIT)
                .await
                .unwrap()
                .is_ok()
        );
    }
}

#[tokio::test]
async fn an_address_guessing_many_accounts_is_locked() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (_, password) =
            create_staff(db, "viewer@example.com", "", Role::Viewer, shop.id, now())
                .await
                .unwrap();
        for i in 0..=FREE_ADDRESS_FAILURES {
            sign_in(
                db,
                &format!("nobody{i}@example.com"),
                "guess",
                "203.0.113.9",
                now(),
            )
            .await
            .unwrap()
            .unwrap_err();
        }
        let locked = sign_in(db, "viewer@example.com", &password, "203.0.113.9", now())
            .await
            .unwrap();
        assert!(
            matches!(locked, Err(SignInError::Locked(_))),
            "{}",
            database.backend
        );
        assert!(
            sign_in(db, "viewer@example.com", &password, "198.51.100.1", now())
                .await
                .unwrap()
                .is_ok(),
            "other addresses are not"
        );
    }
}

#[tokio::test]
async fn a_generated_password_is_replaced_by_one_of_their_own() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (staff, generated) =
            create_staff(db, "ops@example.com", "", Role::Operator, shop.id, now())
                .await
                .unwrap();
        let (who, first) = sign_in(db, "ops@example.com", &generated, "10.0.0.1", now())
            .await
            .unwrap()
            .unwrap();
        assert!(who.must_change_password);
        let (_, other) = sign_in(db, "ops@example.com", &generated, "10.0.0.2", now())
            .await
            .unwrap()
            .unwrap();
        let refused = |r| matches!(r, Ok(Err(PasswordRefused::Invalid(_))));
        assert!(refused(
            change_password(db, staff.id, &generated, "short", &first.token).await
        ));
        assert!(refused(
            change_password(db, staff.id, &generated, &generated, &first.token).await
        ));
        assert!(matches!(
            change_password(db, staff.id, "not it", "a long new one", &first.token).await,
            Ok(Err(PasswordRefused::WrongCurrent))
        ));
        change_password(db, staff.id, &generated, "a long new one", &first.token)
            .await
            .unwrap()
            .unwrap();
        let (me, _) = session(db, &first.token, now()).await.unwrap().unwrap();
        assert!(!me.must_change_password, "{}", database.backend);
        assert!(
            session(db, &other.token, now()).await.unwrap().is_none(),
            "the other device is signed out"
        );
        assert!(
            sign_in(db, "ops@example.com", &generated, "10.0.0.3", now())
                .await
                .unwrap()
                .is_err()
        );
        // The way back in: a new generated password, to be replaced again.
        let reset = reset_password(db, "ops@example.com").await.unwrap();
        assert!(session(db, &first.token, now()).await.unwrap().is_none());
        let (who, _) = sign_in(db, "ops@example.com", &reset, "10.0.0.4", now())
            .await
            .unwrap()
            .unwrap();
        assert!(who.must_change_password);
    }
}

#[tokio::test]
async fn an_invitation_code_joins_an_account_or_makes_one_once() {
    for database in databases().await {
        let db = &database.db;
        let first = fixtures::shop(db, "first").await;
        let second = fixtures::shop(db, "second").await;
        let (ann, ann_password) =
            fixtures::staff(db, "ann@example.com", "Ann", Role::Owner, first.id).await;
        let (owner, _) = fixtures::staff(db, "bo@example.com", "Bo", Role::Owner, second.id).await;
        let invite_as = |email: &'static str, role| {
            let db = db.clone();
            async move {
                store::db::write(&db, async |tx| {
                    invite(tx, Joining { email, role }, second.id, owner.id, now()).await
                })
                .await
                .unwrap()
            }
        };
        let to_ann = invite_as("ANN@example.com", Role::Operator).await;
        let to_new = invite_as("cy@example.com", Role::Viewer).await;
        // The same answer for an account and for an email without one.
        assert_eq!(to_ann.email, "ann@example.com");
        assert_eq!((to_ann.code.len(), to_new.code.len()), (16, 16));
        assert_eq!(shop_invitations(db, &second).await.unwrap().len(), 2);
        // Not a member until the code is used.
        assert_eq!(memberships(db, ann.id).await.unwrap().len(), 1);

        let ask = |email, code, password| JoinRequest {
            email,
            code,
            password,
            name: "",
        };
        // The wrong password, another's code: refused, and counted.
        let refused = join(
            db,
            ask("ann@example.com", &to_ann.code, "guess"),
            "10.0.0.9",
            now(),
        )
        .await
        .unwrap();
        assert_eq!(refused.unwrap_err(), JoinRefused::WrongDetails);
        let crossed = join(
            db,
            ask("ann@example.com", &to_new.code, &ann_password),
            "10.0.0.8",
            now(),
        )
        .await
        .unwrap();
        assert_eq!(crossed.unwrap_err(), JoinRefused::WrongDetails);
        // Her own password and her code: she is in, with the invited role.
        let (who, _, shop) = join(
            db,
            ask("ann@example.com", &to_ann.code, &ann_password),
            "10.0.0.7",
            now(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            (who.id, shop.id),
            (ann.id, second.id),
            "{}",
            database.backend
        );
        assert!(
            memberships(db, ann.id)
                .await
                .unwrap()
                .iter()
                .any(|(s, r)| s.id == second.id && *r == Role::Operator)
        );
        // Used once.
        let again = join(
            db,
            ask("ann@example.com", &to_ann.code, &ann_password),
            "10.0.0.7",
            now(),
        )
        .await
        .unwrap();
        assert_eq!(again.unwrap_err(), JoinRefused::WrongDetails);
        // A new email makes its account with the password chosen, which must
        // follow the rule; no change is asked for at the next sign-in.
        let short = join(
            db,
            ask("cy@example.com", &to_new.code, "short"),
            "10.0.0.6",
            now(),
        )
        .await
        .unwrap();
        assert!(matches!(short, Err(JoinRefused::Password(_))));
        let (cy, _, _) = join(
            db,
            ask("cy@example.com", &to_new.code, "cy's own password"),
            "10.0.0.6",
            now(),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(!cy.must_change_password);
        assert_eq!(memberships(db, cy.id).await.unwrap()[0].1, Role::Viewer);
        assert!(shop_invitations(db, &second).await.unwrap().is_empty());
        // An expired code does nothing.
        let late = invite_as("late@example.com", Role::Viewer).await;
        let expired = join(
            db,
            ask("late@example.com", &late.code, "late's own password"),
            "10.0.0.5",
            now() + store::staff::INVITATION_LASTS,
        )
        .await
        .unwrap();
        assert_eq!(expired.unwrap_err(), JoinRefused::WrongDetails);
    }
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (a, _) = create_staff(db, "a@example.com", "", Role::Owner, shop.id, now())
            .await
            .unwrap();
        let (b, _) = create_staff(db, "b@example.com", "", Role::Owner, shop.id, now())
            .await
            .unwrap();
        for _ in 0..5 {
            let demote = |who: i64| {
                let db = db.clone();
                tokio::spawn(async move {
                    store::db::write(&db, async |tx| {
                        store::staff::change_role(tx, who, shop.id, Role::Viewer).await
                    })
                    .await
                })
            };
            let (first, second) = tokio::join!(demote(a.id), demote(b.id));
            let results = [first.unwrap(), second.unwrap()];
            let refused = results
                .iter()
                .filter(|r| matches!(r, Err(StoreError::Conflict(store::Conflict::LastOwner))))
                .count();
            assert_eq!(refused, 1, "{}: {results:?}", database.backend);
            let owners = store::staff::shop_staff(db, shop.id)
                .await
                .unwrap()
                .into_iter()
                .filter(|(_, role)| *role == Role::Owner)
                .count();
            assert_eq!(owners, 1, "{}", database.backend);
            // Both owners again for the next round.
            for who in [a.id, b.id] {
                store::db::write(db, async |tx| {
                    store::staff::change_role(tx, who, shop.id, Role::Owner).await
                })
                .await
                .unwrap();
            }
        }
    }
}

/// An owner cannot pile up invitations without bound (the team page lists
/// them); expired ones are purged by the expire pass.
#[tokio::test]
async fn waiting_invitations_are_bounded_and_expired_ones_purged() {
    let database = databases().await.remove(0);
    let db = &database.db;
    let shop = fixtures::shop(db, "demo").await;
    let (owner, _) = fixtures::staff(db, "bo@example.com", "Bo", Role::Owner, shop.id).await;
    let max = store::staff::MAX_WAITING_INVITATIONS;
    for i in 0..=max {
        let email = format!("p{i}@example.com");
        let invited = store::db::write(db, async |tx| {
            invite(
                tx,
                Joining {
                    email: &email,
                    role: Role::Viewer,
                },
                shop.id,
                owner.id,
                now(),
            )
            .await
        })
        .await;
        assert_eq!(invited.is_ok(), i < max, "invitation {i}");
    }
    // Inviting someone already waiting again only renews their code.
    store::db::write(db, async |tx| {
        invite(
            tx,
            Joining {
                email: "p0@example.com",
                role: Role::Viewer,
            },
            shop.id,
            owner.id,
            now(),
        )
        .await
    })
    .await
    .unwrap();
    let later = now() + store::staff::INVITATION_LASTS;
    assert_eq!(
        store::staff::purge_invitations(db, later).await.unwrap(),
        u64::from(max)
    );
    assert!(shop_invitations(db, &shop).await.unwrap().is_empty());
}

/// A huge "email" is counted like any other guess (on PostgreSQL the delay key
/// has a length limit it must stay within), so it cannot buy unthrottled hashing.
#[tokio::test]
async fn an_enormous_email_is_still_throttled() {
    for database in databases().await {
        let db = &database.db;
        let huge = "x".repeat(16_000);
        let mut statuses = Vec::new();
        for _ in 0..=FREE_PAIR_FAILURES {
            statuses.push(
                sign_in(db, &huge, "guess", "203.0.113.50", now())
                    .await
                    .unwrap(),
            );
        }
        assert!(
            matches!(statuses.last(), Some(Err(SignInError::WrongCredentials))),
            "{}",
            database.backend
        );
        assert!(
            matches!(
                sign_in(db, &huge, "guess", "203.0.113.50", now())
                    .await
                    .unwrap(),
                Err(SignInError::Locked(_))
            ),
            "{}: the guesses were counted",
            database.backend
        );
    }
}
