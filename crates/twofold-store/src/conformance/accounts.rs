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
    assert_eq!(found.disabled_at, None);
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

pub async fn roles_change_and_owners_are_counted(store: Arc<dyn Store>) {
    let owner = account("owner@example.com", Role::Owner);
    let member = account("member@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &member).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.lock_roles().await.unwrap();
    assert_eq!(tx.count_active_owners().await.unwrap(), 1);
    assert!(tx.set_role(member.id, Role::Owner).await.unwrap());
    assert_eq!(tx.count_active_owners().await.unwrap(), 2);
    let unknown = AccountId::from_uuid(ordered_id());
    assert!(!tx.set_role(unknown, Role::Admin).await.unwrap());
    tx.commit().await.unwrap();
    let stored = store.account_by_id(member.id).await.unwrap().unwrap();
    assert_eq!(stored.role, Role::Owner);
}

/// Two owners demoting each other at once, each keeping its change only if
/// an owner remains: the role lock lets exactly one of them through.
pub async fn role_changes_keep_an_owner_under_concurrency(store: Arc<dyn Store>) {
    let first = account("first@example.com", Role::Owner);
    let second = account("second@example.com", Role::Owner);
    insert(&store, &first).await.unwrap();
    insert(&store, &second).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let mut tasks = Vec::new();
    for target in [first.id, second.id] {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut tx = store.begin().await.unwrap();
            tx.lock_roles().await.unwrap();
            assert!(tx.set_role(target, Role::Admin).await.unwrap());
            if tx.count_active_owners().await.unwrap() == 0 {
                return false;
            }
            tx.commit().await.unwrap();
            true
        }));
    }
    let mut kept = 0;
    for task in tasks {
        kept += usize::from(task.await.unwrap());
    }
    assert_eq!(kept, 1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.count_active_owners().await.unwrap(), 1);
}

/// The administration list: its counts, its filters and keyset paging.
pub async fn the_account_list_counts_filters_and_pages(store: Arc<dyn Store>) {
    let owner = account("Olga@example.com", Role::Owner);
    let underscored = account("b_x@example.com", Role::Member);
    let wildcard_bait = account("bax@example.com", Role::Member);
    let keyed = account("kim@example.com", Role::Admin);
    for new in [&owner, &underscored, &wildcard_bait, &keyed] {
        insert(&store, new).await.unwrap();
    }
    let later = Timestamp::from_unix(T0.unix() + 60);
    let pending = totp(underscored.id, Some(later));
    let confirmed = totp(underscored.id, Some(later));
    let mut tx = store.begin().await.unwrap();
    tx.insert_totp(&pending).await.unwrap();
    tx.insert_totp(&confirmed).await.unwrap();
    assert!(
        tx.confirm_totp(
            underscored.id,
            ENROLLING_SESSION,
            confirmed.id,
            "Phone",
            1,
            T0
        )
        .await
        .unwrap()
    );
    tx.replace_recovery_codes(underscored.id, &[[1; 32], [2; 32], [3; 32]], T0)
        .await
        .unwrap();
    tx.insert_passkey(&super::passkeys::passkey(keyed.id, b"kim-1", 0))
        .await
        .unwrap();
    tx.insert_event(&event(Some(owner.id), EventKind::SignInSucceeded, T0))
        .await
        .unwrap();
    tx.insert_event(&event(Some(owner.id), EventKind::SignInSucceeded, later))
        .await
        .unwrap();
    tx.insert_event(&event(Some(keyed.id), EventKind::SignInFailed, later))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let list = |query: AccountListQuery| {
        let store = store.clone();
        async move { store.list_accounts(&query).await.unwrap() }
    };
    let emails =
        |rows: &[AccountSummary]| rows.iter().map(|row| row.email.clone()).collect::<Vec<_>>();
    let everyone = list(AccountListQuery {
        limit: 10,
        ..Default::default()
    })
    .await;
    assert_eq!(
        emails(&everyone),
        [
            "b_x@example.com",
            "bax@example.com",
            "kim@example.com",
            "Olga@example.com"
        ]
    );
    let b_x = &everyone[0];
    assert_eq!(
        (b_x.id, b_x.role, b_x.created_at),
        (underscored.id, Role::Member, T0)
    );
    assert_eq!((b_x.totp, b_x.passkeys, b_x.recovery_codes_left), (1, 0, 3));
    assert!(b_x.mfa());
    assert_eq!(b_x.last_sign_in, None);
    assert_eq!((everyone[2].totp, everyone[2].passkeys), (0, 1));
    assert_eq!(
        everyone[2].last_sign_in, None,
        "a failed sign-in is no sign-in"
    );
    assert!(!everyone[1].mfa());
    assert_eq!(everyone[3].last_sign_in, Some(later));
    assert_eq!(everyone[3].email_normalized, "olga@example.com");

    let search = |text: &str| AccountListQuery {
        email_contains: Some(text.into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(emails(&list(search("B_X")).await), ["b_x@example.com"]);
    assert_eq!(emails(&list(search("OLGA@")).await), ["Olga@example.com"]);
    assert!(list(search("%")).await.is_empty(), "% is literal");
    assert!(everyone.iter().all(|row| row.disabled_at.is_none()));
    let by_role = list(AccountListQuery {
        role: Some(Role::Member),
        limit: 10,
        ..Default::default()
    })
    .await;
    assert_eq!(emails(&by_role), ["b_x@example.com", "bax@example.com"]);
    let with_mfa = list(AccountListQuery {
        mfa: Some(true),
        limit: 10,
        ..Default::default()
    })
    .await;
    assert_eq!(emails(&with_mfa), ["b_x@example.com", "kim@example.com"]);
    let without_mfa = list(AccountListQuery {
        mfa: Some(false),
        limit: 10,
        ..Default::default()
    })
    .await;
    assert_eq!(
        emails(&without_mfa),
        ["bax@example.com", "Olga@example.com"]
    );

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = list(AccountListQuery {
            after: after.clone(),
            limit: 3,
            ..Default::default()
        })
        .await;
        seen.extend(emails(&page));
        match page.last() {
            Some(last) if page.len() == 3 => {
                after = Some((last.email_normalized.clone(), last.id));
            }
            _ => break,
        }
    }
    assert_eq!(seen, emails(&everyone), "pages neither skip nor repeat");
}

/// Disabling and enabling: the stored time, the list's status filter, the
/// in-transaction read, and an unknown account.
pub async fn accounts_are_disabled_and_enabled(store: Arc<dyn Store>) {
    let owner = account("owner@example.com", Role::Owner);
    let member = account("member@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &member).await.unwrap();
    let at = T0.plus(secs(60));
    let mut tx = store.begin().await.unwrap();
    tx.lock_account(member.id).await.unwrap();
    let before = tx.account_in_tx(member.id).await.unwrap().unwrap();
    assert_eq!(
        (before.email.as_str(), before.disabled_at),
        ("member@example.com", None)
    );
    assert!(tx.set_disabled(member.id, Some(at)).await.unwrap());
    let after = tx.account_in_tx(member.id).await.unwrap().unwrap();
    assert_eq!(
        after.disabled_at,
        Some(at),
        "the transaction sees its own write"
    );
    let unknown = AccountId::from_uuid(ordered_id());
    assert!(!tx.set_disabled(unknown, Some(at)).await.unwrap());
    assert!(tx.account_in_tx(unknown).await.unwrap().is_none());
    tx.commit().await.unwrap();

    let stored = store.account_by_id(member.id).await.unwrap().unwrap();
    assert_eq!(stored.disabled_at, Some(at));
    assert!(stored.is_disabled());
    let by_email = store
        .account_by_email("member@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.disabled_at, Some(at));

    let list = |disabled: Option<bool>| {
        let store = store.clone();
        async move {
            store
                .list_accounts(&AccountListQuery {
                    disabled,
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_iter()
                .map(|row| (row.email, row.disabled_at))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(None).await,
        [
            ("member@example.com".to_owned(), Some(at)),
            ("owner@example.com".to_owned(), None)
        ]
    );
    assert_eq!(
        list(Some(true)).await,
        [("member@example.com".to_owned(), Some(at))]
    );
    assert_eq!(
        list(Some(false)).await,
        [("owner@example.com".to_owned(), None)]
    );

    let mut tx = store.begin().await.unwrap();
    assert!(tx.set_disabled(member.id, None).await.unwrap());
    tx.commit().await.unwrap();
    let stored = store.account_by_id(member.id).await.unwrap().unwrap();
    assert_eq!(stored.disabled_at, None);
    assert_eq!(list(Some(true)).await, []);
}

/// A disabled owner is no longer counted: demoting the last active owner
/// leaves none.
pub async fn only_active_owners_are_counted(store: Arc<dyn Store>) {
    let first = account("first@example.com", Role::Owner);
    let second = account("second@example.com", Role::Owner);
    insert(&store, &first).await.unwrap();
    insert(&store, &second).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.lock_roles().await.unwrap();
    assert_eq!(tx.count_active_owners().await.unwrap(), 2);
    assert!(tx.set_disabled(second.id, Some(T0)).await.unwrap());
    assert_eq!(tx.count_active_owners().await.unwrap(), 1);
    assert!(tx.set_role(first.id, Role::Admin).await.unwrap());
    assert_eq!(tx.count_active_owners().await.unwrap(), 0);
}

/// The token lookup never returns a session of a disabled account, however
/// the session got there (disabling deletes them too, under the account
/// lock; this is the guard every instance applies on every request).
pub async fn a_disabled_account_has_no_session_by_token(store: Arc<dyn Store>) {
    let member = account("gina@example.com", Role::Member);
    insert(&store, &member).await.unwrap();
    let token = SessionToken::generate().unwrap();
    insert_session(&store, &session(member.id, &token, T0.plus(secs(3600)))).await;
    assert!(session_at(&store, &token, T0).await.is_some());
    let mut tx = store.begin().await.unwrap();
    assert!(tx.set_disabled(member.id, Some(T0)).await.unwrap());
    tx.commit().await.unwrap();
    assert!(session_at(&store, &token, T0).await.is_none());
}
