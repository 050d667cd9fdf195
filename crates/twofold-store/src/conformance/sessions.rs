//! Sessions: lookup by token hash, activity, revoking, and the step-up window.

use super::*;

pub async fn sessions_are_found_by_token_hash_until_they_expire(store: Arc<dyn Store>) {
    let owner = account("erin@example.com", Role::Owner);
    insert(&store, &owner).await.unwrap();
    let token = SessionToken::generate().unwrap();
    let expires = T0.plus(std::time::Duration::from_secs(3600));
    let new = session(owner.id, &token, expires);
    insert_session(&store, &new).await;

    let found = session_at(&store, &token, T0).await.expect("live session");
    assert_eq!(found.id, new.id);
    assert_eq!(found.account_id, owner.id);
    assert_eq!(found.account_email, "erin@example.com");
    assert_eq!(found.account_role, Role::Owner);
    assert_eq!(found.aal, Aal::One);
    assert_eq!(found.amr, vec![Amr::Pwd]);
    assert_eq!(found.last_seen_at, T0);
    assert_eq!(found.expires_at, expires);
    assert!(!found.remembered);
    assert_eq!(found.privileged_until, None);
    assert_eq!(found.ip.as_deref(), Some("192.0.2.1"));

    let remembered_token = SessionToken::generate().unwrap();
    insert_session(
        &store,
        &NewSession {
            remembered: true,
            ..session(owner.id, &remembered_token, expires)
        },
    )
    .await;
    let remembered = session_at(&store, &remembered_token, T0)
        .await
        .expect("live session");
    assert!(remembered.remembered);

    let other = SessionToken::generate().unwrap();
    assert!(session_at(&store, &other, T0).await.is_none());
    assert!(session_at(&store, &token, expires).await.is_none());
}

pub async fn touching_a_session_writes_only_when_stale(store: Arc<dyn Store>) {
    let owner = account("frank@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let token = SessionToken::generate().unwrap();
    insert_session(
        &store,
        &session(
            owner.id,
            &token,
            T0.plus(std::time::Duration::from_secs(86_400)),
        ),
    )
    .await;
    let id = session_at(&store, &token, T0).await.unwrap().id;
    let last_seen = |store: Arc<dyn Store>| {
        let hash = token.hash();
        async move {
            store
                .session_by_token(&hash, T0)
                .await
                .unwrap()
                .unwrap()
                .last_seen_at
                .unix()
        }
    };

    // Seen at T0: a touch that only writes when last seen before T0-1 does nothing.
    store
        .touch_session(id, T0.plus(secs(30)), T0.minus(secs(1)))
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.unix());
    store
        .touch_session(id, T0.plus(secs(60)), T0)
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.unix() + 60);
}

pub async fn a_session_is_deleted_only_by_its_account(store: Arc<dyn Store>) {
    let alice = account("gina@example.com", Role::Member);
    let bob = account("hank@example.com", Role::Member);
    insert(&store, &alice).await.unwrap();
    insert(&store, &bob).await.unwrap();
    let token = SessionToken::generate().unwrap();
    let new = session(alice.id, &token, T0.plus(secs(3600)));
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&new).await.unwrap();
    assert!(!tx.delete_session(bob.id, new.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(session_at(&store, &token, T0).await.is_some());

    let mut tx = store.begin().await.unwrap();
    assert!(tx.delete_session(alice.id, new.id).await.unwrap());
    assert!(!tx.delete_session(alice.id, new.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(session_at(&store, &token, T0).await.is_none());
}

pub async fn the_step_up_window_and_other_sessions(store: Arc<dyn Store>) {
    let owner = account("ivan@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let tokens: Vec<SessionToken> = (0..3).map(|_| SessionToken::generate().unwrap()).collect();
    let mut ids = Vec::new();
    let mut tx = store.begin().await.unwrap();
    for token in &tokens {
        let new = session(owner.id, token, T0.plus(secs(3600)));
        ids.push(new.id);
        tx.insert_session(&new).await.unwrap();
    }
    tx.set_privileged_until(ids[0], T0.plus(secs(300)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let first = session_at(&store, &tokens[0], T0).await.unwrap();
    assert_eq!(first.privileged_until, Some(T0.plus(secs(300))));
    let second = session_at(&store, &tokens[1], T0).await.unwrap();
    assert_eq!(second.privileged_until, None);
    assert_eq!(store.sessions_of(owner.id, T0).await.unwrap().len(), 3);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.delete_other_sessions(owner.id, ids[0]).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let left = store.sessions_of(owner.id, T0).await.unwrap();
    assert_eq!(left.iter().map(|s| s.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(
        store
            .sessions_of(owner.id, T0.plus(secs(3600)))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn other_sessions_below_an_assurance_level_are_deleted(store: Arc<dyn Store>) {
    let owner = account("ines@example.com", Role::Member);
    let bystander = account("igor@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &bystander).await.unwrap();
    let at_level = |account: AccountId, aal: Aal| NewSession {
        aal,
        ..session(
            account,
            &SessionToken::generate().unwrap(),
            T0.plus(secs(3600)),
        )
    };
    let current = at_level(owner.id, Aal::One);
    let weaker = at_level(owner.id, Aal::One);
    let stronger = at_level(owner.id, Aal::Two);
    let theirs = at_level(bystander.id, Aal::One);
    let mut tx = store.begin().await.unwrap();
    for new in [&current, &weaker, &stronger, &theirs] {
        tx.insert_session(new).await.unwrap();
    }
    assert_eq!(
        tx.delete_other_sessions_below_aal(owner.id, current.id, Aal::Two)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    let mut left: Vec<SessionId> = store
        .sessions_of(owner.id, T0)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    left.sort();
    let mut expected = vec![current.id, stronger.id];
    expected.sort();
    assert_eq!(left, expected, "the current one and the stronger one stay");
    assert_eq!(store.sessions_of(bystander.id, T0).await.unwrap().len(), 1);
}

pub async fn all_sessions_of_one_account_are_deleted(store: Arc<dyn Store>) {
    let owner = account("jana@example.com", Role::Member);
    let bystander = account("jonas@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &bystander).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for holder in [owner.id, owner.id, bystander.id] {
        let token = SessionToken::generate().unwrap();
        tx.insert_session(&session(holder, &token, T0.plus(secs(3600))))
            .await
            .unwrap();
    }
    assert_eq!(tx.delete_all_sessions(owner.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(store.sessions_of(owner.id, T0).await.unwrap().is_empty());
    assert_eq!(store.sessions_of(bystander.id, T0).await.unwrap().len(), 1);
}

pub async fn an_enrolment_only_session_is_cleared_once(store: Arc<dyn Store>) {
    let admin = account("olga@example.com", Role::Admin);
    insert(&store, &admin).await.unwrap();
    let expires = T0.plus(secs(3600));
    let limited_token = SessionToken::generate().unwrap();
    let limited = NewSession {
        enrolment_only: true,
        ..session(admin.id, &limited_token, expires)
    };
    let normal_token = SessionToken::generate().unwrap();
    let normal = session(admin.id, &normal_token, expires);
    insert_session(&store, &limited).await;
    insert_session(&store, &normal).await;
    assert!(
        session_at(&store, &limited_token, T0)
            .await
            .unwrap()
            .enrolment_only
    );
    assert!(
        !session_at(&store, &normal_token, T0)
            .await
            .unwrap()
            .enrolment_only
    );
    let listed = store.sessions_of(admin.id, T0).await.unwrap();
    assert_eq!(listed.iter().filter(|s| s.enrolment_only).count(), 1);

    let mut tx = store.begin().await.unwrap();
    assert!(tx.clear_enrolment_only(limited.id).await.unwrap());
    assert!(!tx.clear_enrolment_only(limited.id).await.unwrap());
    assert!(!tx.clear_enrolment_only(normal.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        !session_at(&store, &limited_token, T0)
            .await
            .unwrap()
            .enrolment_only
    );
}
