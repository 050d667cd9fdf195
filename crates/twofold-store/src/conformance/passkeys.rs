//! Passkeys and ceremonies: unique credentials, forward-only counters, single-use ceremonies.

use super::*;

pub(super) fn passkey(account: AccountId, credential_id: &[u8], sign_count: i64) -> PasskeyRecord {
    PasskeyRecord {
        id: PasskeyId::from_uuid(ordered_id()),
        account_id: account,
        credential_id: credential_id.to_vec(),
        credential: "{}".into(),
        sign_count,
        backup_eligible: true,
        backup_state: false,
        transports: "internal".into(),
        aaguid: Some(ordered_id()),
        name: "Laptop".into(),
        created_at: T0,
        last_used_at: None,
    }
}

pub async fn passkey_ids_are_unique_and_counters_only_move_forward(store: Arc<dyn Store>) {
    let alice = account("nina@example.com", Role::Member);
    let bob = account("otto@example.com", Role::Member);
    insert(&store, &alice).await.unwrap();
    insert(&store, &bob).await.unwrap();
    let counted = passkey(alice.id, b"cred-1", 5);
    let uncounted = passkey(alice.id, b"cred-2", 0);
    let mut tx = store.begin().await.unwrap();
    tx.insert_passkey(&counted).await.unwrap();
    tx.insert_passkey(&uncounted).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let taken = tx.insert_passkey(&passkey(bob.id, b"cred-1", 0)).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict)),
        "a credential id belongs to one account"
    );
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.use_passkey(counted.id, 5, "{}", false, T0)
            .await
            .unwrap(),
        "equal"
    );
    assert!(
        !tx.use_passkey(counted.id, 3, "{}", false, T0)
            .await
            .unwrap(),
        "back"
    );
    assert!(
        tx.use_passkey(counted.id, 6, r#"{"n":6}"#, true, T0.plus(secs(1)))
            .await
            .unwrap()
    );
    assert!(
        tx.use_passkey(uncounted.id, 0, "{}", false, T0)
            .await
            .unwrap(),
        "no counter"
    );
    assert!(
        tx.use_passkey(uncounted.id, 0, "{}", false, T0)
            .await
            .unwrap(),
        "still none"
    );
    assert_eq!(tx.strong_factors(alice.id).await.unwrap().passkeys, 2);
    tx.commit().await.unwrap();

    let found = store
        .passkey_by_credential_id(b"cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.sign_count, found.backup_state),
        (counted.id, 6, true)
    );
    assert_eq!(found.credential, r#"{"n":6}"#);
    assert_eq!(found.last_used_at, Some(T0.plus(secs(1))));
    assert_eq!(found.aaguid, counted.aaguid);
    assert!(
        store
            .passkey_by_credential_id(b"nope")
            .await
            .unwrap()
            .is_none()
    );
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.delete_passkey(bob.id, counted.id).await.unwrap(),
        "not bob's"
    );
    assert!(
        tx.rename_passkey(alice.id, counted.id, "Work")
            .await
            .unwrap()
    );
    assert_eq!(tx.delete_all_passkeys(alice.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(store.passkeys(alice.id).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    let user = Uuid::new_v4();
    tx.set_webauthn_user_id(alice.id, user).await.unwrap();
    tx.set_webauthn_user_id(alice.id, Uuid::new_v4())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.webauthn_user_id(alice.id).await.unwrap(),
        Some(user),
        "set once"
    );
    assert_eq!(
        store
            .account_by_webauthn_user(user)
            .await
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );
}

pub async fn a_ceremony_is_consumed_once_and_only_as_its_kind(store: Arc<dyn Store>) {
    let id = CeremonyId::generate().unwrap().hash();
    let ceremony = Ceremony {
        kind: CeremonyKind::Passwordless,
        account_id: None,
        session_id: None,
        state: r#"{"state":1}"#.into(),
        name: None,
        created_at: T0,
        expires_at: T0.plus(secs(300)),
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_ceremony(&id, &ceremony).await.unwrap();
    assert!(
        tx.consume_ceremony(&id, CeremonyKind::Mfa, T0)
            .await
            .unwrap()
            .is_none(),
        "another kind"
    );
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx
                .consume_ceremony(&id, CeremonyKind::Passwordless, T0)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got.map(|c| c.state)
        }));
    }
    let mut states = Vec::new();
    for task in tasks {
        states.extend(task.await.unwrap());
    }
    assert_eq!(states, vec![r#"{"state":1}"#.to_owned()]);

    let late = CeremonyId::generate().unwrap().hash();
    let mut tx = store.begin().await.unwrap();
    tx.insert_ceremony(&late, &ceremony).await.unwrap();
    assert!(
        tx.consume_ceremony(&late, CeremonyKind::Passwordless, T0.plus(secs(300)))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    tx.prune_ceremonies(T0.plus(secs(300))).await.unwrap();
    assert!(
        tx.consume_ceremony(&late, CeremonyKind::Passwordless, T0)
            .await
            .unwrap()
            .is_none(),
        "pruned"
    );
    tx.commit().await.unwrap();
}
