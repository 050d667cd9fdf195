//! Accounts: creation, unique emails, rollback, and the one first account.

use super::*;

pub async fn accounts_round_trip(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    let new = account("Alice@Example.com", Role::Admin);
    insert(&store, &new).await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 1);

    let found = store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .expect("found by normalized email");
    assert_eq!(found.id, new.id);
    assert_eq!(found.email, "Alice@Example.com");
    assert_eq!(found.role, Role::Admin);
    assert_eq!(found.created_at, T0);
    assert_eq!(found.password_hash, new.password_hash);
    assert_eq!(
        store.account_by_id(new.id).await.unwrap().unwrap().id,
        new.id
    );
    assert!(
        store
            .account_by_email("bob@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .account_by_id(AccountId::from_uuid(ordered_id()))
            .await
            .unwrap()
            .is_none()
    );

    let mut tx = store.begin().await.unwrap();
    tx.set_password_hash(new.id, "$argon2id$new").await.unwrap();
    tx.commit().await.unwrap();
    let found = store.account_by_id(new.id).await.unwrap().unwrap();
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$new"));
}

pub async fn emails_are_unique_whatever_their_case(store: Arc<dyn Store>) {
    insert(&store, &account("carol@example.com", Role::Member))
        .await
        .unwrap();
    let again = insert(&store, &account("CAROL@example.COM", Role::Member)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.count_accounts().await.unwrap(), 1);
}

pub async fn a_dropped_transaction_changes_nothing(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_account(&account("dave@example.com", Role::Member))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    // And the database is usable afterwards (no lock left behind).
    insert(&store, &account("dave@example.com", Role::Member))
        .await
        .unwrap();
}

pub async fn only_one_first_account_under_concurrency(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let created = tx
                .insert_first_account(&account(&format!("owner{i}@example.com"), Role::Owner))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            created
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert_eq!(store.count_accounts().await.unwrap(), 1);
}
