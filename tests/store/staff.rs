//! Staff accounts, sign-in brakes and sessions.

use chrono::Duration;
use domain::roles::Role;
use store::StoreError;
use store::staff::{
    ACCOUNT_FAILURES, LOCK_FOR, SESSION_LASTS, SignInError, create_staff, memberships, session,
    sign_in, sign_out,
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
async fn repeated_failures_lock_the_account_for_a_while() {
    for database in databases().await {
        let db = &database.db;
        let shop = fixtures::shop(db, "demo").await;
        let (_, password) =
            create_staff(db, "owner@example.com", "店主", Role::Owner, shop.id, now())
                .await
                .unwrap();
        for i in 0..ACCOUNT_FAILURES {
            let address = format!("10.0.0.{i}");
            let failed = sign_in(db, "owner@example.com", "guess", &address, now())
                .await
                .unwrap();
            assert_eq!(failed, Err(SignInError::WrongCredentials));
        }
        // Locked: even the right password is refused until the lock ends.
        let locked = sign_in(db, "owner@example.com", &password, "10.0.1.1", now())
            .await
            .unwrap();
        assert_eq!(
            locked,
            Err(SignInError::Locked(now() + LOCK_FOR)),
            "{}",
            database.backend
        );
        let later = now() + LOCK_FOR + Duration::seconds(1);
        assert!(
            sign_in(db, "owner@example.com", &password, "10.0.1.1", later)
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
        for i in 0..store::staff::ADDRESS_FAILURES {
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
