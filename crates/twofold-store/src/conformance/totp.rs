//! Authenticator apps: confirmation, the replay guard, and the consecutive-failure cap.

use super::*;

pub async fn a_pending_authenticator_is_confirmed_once_before_it_expires(store: Arc<dyn Store>) {
    let owner = account("jane@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let pending = totp(owner.id, Some(T0.plus(secs(600))));
    let late = totp(owner.id, Some(T0.plus(secs(10))));
    let mut tx = store.begin().await.unwrap();
    tx.insert_totp(&pending).await.unwrap();
    tx.insert_totp(&late).await.unwrap();
    assert_eq!(tx.strong_factors(owner.id).await.unwrap().totp, 0);
    assert_eq!(tx.count_live_totp(owner.id, T0).await.unwrap(), 2);
    assert_eq!(
        tx.count_live_totp(owner.id, T0.plus(secs(10)))
            .await
            .unwrap(),
        1,
        "an expired enrolment does not count"
    );
    let s = ENROLLING_SESSION;
    assert!(
        !tx.confirm_totp(owner.id, s, late.id, "Late", 5, T0.plus(secs(10)))
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !tx.confirm_totp(
            AccountId::from_uuid(ordered_id()),
            s,
            pending.id,
            "x",
            5,
            T0
        )
        .await
        .unwrap(),
        "another account's"
    );
    assert!(
        !tx.confirm_totp(
            owner.id,
            SessionId::from_uuid(ordered_id()),
            pending.id,
            "x",
            5,
            T0
        )
        .await
        .unwrap(),
        "another session's"
    );
    assert!(
        tx.confirm_totp(owner.id, s, pending.id, "Work phone", 5, T0)
            .await
            .unwrap()
    );
    assert!(
        !tx.confirm_totp(owner.id, s, pending.id, "Again", 6, T0)
            .await
            .unwrap(),
        "only once"
    );
    assert_eq!(
        tx.strong_factors(owner.id).await.unwrap(),
        StrongFactors {
            totp: 1,
            passkeys: 0
        }
    );
    assert_eq!(
        tx.count_live_totp(owner.id, T0.plus(secs(10)))
            .await
            .unwrap(),
        1,
        "a confirmed one counts whatever the time"
    );
    tx.delete_expired_pending_totp(owner.id, T0.plus(secs(10)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = store.totp_authenticators(owner.id).await.unwrap();
    assert_eq!(all.len(), 1, "the expired pending one is gone");
    assert_eq!(all[0].name, "Work phone");
    assert_eq!(all[0].confirmed_at, Some(T0));
    assert_eq!(all[0].pending_until, None);
    assert_eq!(all[0].pending_session_id, None);
    assert_eq!(all[0].last_used_step, Some(5));
    assert_eq!(all[0].secret_sealed, vec![1, 2, 3]);
}

pub async fn a_totp_step_is_accepted_once_under_concurrency(store: Arc<dyn Store>) {
    let owner = account("kim@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let t = totp(owner.id, Some(T0.plus(secs(600))));
    let mut tx = store.begin().await.unwrap();
    tx.insert_totp(&t).await.unwrap();
    assert!(
        !tx.use_totp_step(owner.id, t.id, 10, T0).await.unwrap(),
        "pending cannot be used"
    );
    assert!(
        tx.confirm_totp(owner.id, ENROLLING_SESSION, t.id, "Phone", 10, T0)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let (account, id) = (owner.id, t.id);
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let won = tx
                .use_totp_step(account, id, 11, T0.plus(secs(30)))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            won
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.use_totp_step(owner.id, t.id, 11, T0).await.unwrap(),
        "replay"
    );
    assert!(
        !tx.use_totp_step(owner.id, t.id, 10, T0).await.unwrap(),
        "older step"
    );
    assert!(
        tx.use_totp_step(owner.id, t.id, 12, T0.plus(secs(60)))
            .await
            .unwrap()
    );
    assert!(tx.rename_totp(owner.id, t.id, "Renamed").await.unwrap());
    assert!(
        !tx.rename_totp(AccountId::from_uuid(ordered_id()), t.id, "Theirs")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let stored = &store.totp_authenticators(owner.id).await.unwrap()[0];
    assert_eq!(
        (stored.last_used_step, stored.last_used_at),
        (Some(12), Some(T0.plus(secs(60))))
    );
    assert_eq!(stored.name, "Renamed");
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.delete_totp(AccountId::from_uuid(ordered_id()), t.id)
            .await
            .unwrap()
    );
    assert!(tx.delete_totp(owner.id, t.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        store
            .totp_authenticators(owner.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn consecutive_totp_failures_count_and_reset(store: Arc<dyn Store>) {
    let owner = account("max@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.reserve_totp_attempt(owner.id, 2).await.unwrap(), Some(1));
    assert_eq!(tx.reserve_totp_attempt(owner.id, 2).await.unwrap(), Some(2));
    assert_eq!(
        tx.reserve_totp_attempt(owner.id, 2).await.unwrap(),
        None,
        "at the cap"
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.reset_totp_failures(owner.id).await.unwrap();
    assert_eq!(
        tx.reserve_totp_attempt(owner.id, 2).await.unwrap(),
        Some(1),
        "a success starts the count again"
    );
    tx.commit().await.unwrap();
}
