//! Housekeeping: migrations, the key check, and the expiry sweep.

use super::*;

pub async fn migrations_can_run_twice(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

pub async fn the_key_check_is_set_once(store: Arc<dyn Store>) {
    assert_eq!(store.key_check().await.unwrap(), None);
    for check in [b"first", b"other"] {
        let mut tx = store.begin().await.unwrap();
        tx.insert_key_check(b"id", check).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        store.key_check().await.unwrap(),
        Some((b"id".to_vec(), b"first".to_vec()))
    );
}

pub async fn expired_rows_are_swept_and_live_ones_stay(store: Arc<dyn Store>) {
    let owner = account("pia@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let (old, live) = (
        SessionToken::generate().unwrap(),
        SessionToken::generate().unwrap(),
    );
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&session(owner.id, &old, T0.plus(secs(10))))
        .await
        .unwrap();
    tx.insert_session(&session(owner.id, &live, T0.plus(secs(3600))))
        .await
        .unwrap();
    tx.insert_totp(&totp(owner.id, Some(T0.plus(secs(10)))))
        .await
        .unwrap();
    tx.insert_totp(&totp(owner.id, Some(T0.plus(secs(3600)))))
        .await
        .unwrap();
    let challenge = challenge(owner.id, T0.plus(secs(10)), false);
    tx.insert_mfa_challenge(&ChallengeId::generate().unwrap().hash(), &challenge)
        .await
        .unwrap();
    tx.record_failure(
        "old",
        ordered_id(),
        T0.minus(secs(86_400)),
        T0.minus(secs(100_000)),
    )
    .await
    .unwrap();
    tx.record_failure("recent", ordered_id(), T0, T0.minus(secs(100_000)))
        .await
        .unwrap();
    tx.note_refusal("ended", T0, T0.plus(secs(5)))
        .await
        .unwrap();
    tx.note_refusal("running", T0, T0.plus(secs(600)))
        .await
        .unwrap();
    let old_event = event(
        Some(owner.id),
        EventKind::SignInFailed,
        T0.minus(secs(1000)),
    );
    let new_event = event(Some(owner.id), EventKind::SignInFailed, T0.minus(secs(10)));
    tx.insert_event(&old_event).await.unwrap();
    tx.insert_event(&new_event).await.unwrap();
    tx.commit().await.unwrap();

    let audit_before = T0.minus(secs(100));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.sweep_expired(T0.plus(secs(10)), audit_before)
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        tx.sweep_expired(T0.plus(secs(10)), audit_before)
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    let events = store
        .events(&EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![new_event.id],
        "only events older than the retention go"
    );
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.note_refusal("running", T0.plus(secs(11)), T0.plus(secs(900)))
            .await
            .unwrap(),
        "a running lockout survives the sweep"
    );
    tx.commit().await.unwrap();
    // The retention never moves back: an older cutoff deletes nothing more,
    // and newer rows stay append-only.
    let mut tx = store.begin().await.unwrap();
    tx.sweep_expired(T0.plus(secs(10)), T0.minus(secs(5000)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.sessions_of(owner.id, T0).await.unwrap().len(), 1);
    assert!(session_at(&store, &live, T0).await.is_some());
    assert_eq!(store.totp_authenticators(owner.id).await.unwrap().len(), 1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.failures("recent", T0.minus(secs(1)))
            .await
            .unwrap()
            .count,
        1
    );
    assert_eq!(
        tx.failures("old", T0.minus(secs(200_000)))
            .await
            .unwrap()
            .count,
        0
    );
}
