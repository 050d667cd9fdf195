//! MFA challenges: single use, limited tries, and ending together.

use super::*;

pub async fn an_mfa_challenge_is_consumed_once(store: Arc<dyn Store>) {
    let owner = account("lee@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let id = ChallengeId::generate().unwrap().hash();
    let challenge = challenge(owner.id, T0.plus(secs(300)), true);
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&id, &challenge).await.unwrap();
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0.plus(secs(300)), 3)
            .await
            .unwrap(),
        None,
        "expired"
    );
    tx.commit().await.unwrap();
    let found = store.mfa_challenge(&id, T0).await.unwrap().unwrap();
    assert_eq!(
        (found.account_id, found.failures, found.remember_me),
        (owner.id, 2, true)
    );
    assert!(
        store
            .mfa_challenge(&id, T0.plus(secs(300)))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.consume_mfa_challenge(&id, T0).await.unwrap();
            tx.commit().await.unwrap();
            got.is_some()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert!(store.mfa_challenge(&id, T0).await.unwrap().is_none());
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        None
    );
    tx.commit().await.unwrap();
}

pub async fn a_challenge_gives_at_most_its_tries_under_concurrency(store: Arc<dyn Store>) {
    let owner = account("tries@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let id = ChallengeId::generate().unwrap().hash();
    let challenge = challenge(owner.id, T0.plus(secs(300)), false);
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&id, &challenge).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.reserve_challenge_attempt(&id, T0, 5).await.unwrap();
            tx.commit().await.unwrap();
            got.is_some()
        }));
    }
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap());
    }
    assert_eq!(granted, 5);
}

pub async fn the_mfa_challenges_of_an_account_end_together(store: Arc<dyn Store>) {
    let owner = account("lou@example.com", Role::Member);
    let bystander = account("lyn@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &bystander).await.unwrap();
    let challenge = |account| challenge(account, T0.plus(secs(300)), false);
    let ids: Vec<_> = (0..3)
        .map(|_| ChallengeId::generate().unwrap().hash())
        .collect();
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&ids[0], &challenge(owner.id))
        .await
        .unwrap();
    tx.insert_mfa_challenge(&ids[1], &challenge(owner.id))
        .await
        .unwrap();
    tx.insert_mfa_challenge(&ids[2], &challenge(bystander.id))
        .await
        .unwrap();
    assert_eq!(tx.delete_mfa_challenges_of(owner.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(store.mfa_challenge(&ids[0], T0).await.unwrap().is_none());
    assert!(store.mfa_challenge(&ids[1], T0).await.unwrap().is_none());
    assert!(store.mfa_challenge(&ids[2], T0).await.unwrap().is_some());
}
