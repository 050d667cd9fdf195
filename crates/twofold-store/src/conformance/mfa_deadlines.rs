//! MFA deadlines: set once, never moved, one under concurrency.

use super::*;

pub async fn an_mfa_deadline_is_set_once_and_never_moves(store: Arc<dyn Store>) {
    let admin = account("mona@example.com", Role::Admin);
    let other = account("otto@example.com", Role::Admin);
    insert(&store, &admin).await.unwrap();
    insert(&store, &other).await.unwrap();
    assert_eq!(store.mfa_deadline(admin.id).await.unwrap(), None);

    let first = T0.plus(secs(7 * 86_400));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.start_mfa_deadline(admin.id, first).await.unwrap(), first);
    tx.commit().await.unwrap();
    assert_eq!(store.mfa_deadline(admin.id).await.unwrap(), Some(first));

    // A later sign-in finds the stored deadline; it does not move.
    let later = first.plus(secs(86_400));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.start_mfa_deadline(admin.id, later).await.unwrap(), first);
    tx.commit().await.unwrap();
    assert_eq!(store.mfa_deadline(admin.id).await.unwrap(), Some(first));

    // A rolled-back start leaves nothing; the other account is untouched.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.start_mfa_deadline(other.id, later).await.unwrap(), later);
    drop(tx);
    assert_eq!(store.mfa_deadline(other.id).await.unwrap(), None);
}

pub async fn one_mfa_deadline_under_concurrency(store: Arc<dyn Store>) {
    let admin = account("nina@example.com", Role::Owner);
    insert(&store, &admin).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = Vec::new();
    for i in 0..4u64 {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut tx = store.begin().await.unwrap();
            let due = tx
                .start_mfa_deadline(admin.id, T0.plus(secs(86_400 + i)))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            due
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    let stored = store.mfa_deadline(admin.id).await.unwrap().unwrap();
    assert!(
        seen.iter().all(|due| *due == stored),
        "every sign-in got the one stored deadline: {seen:?} vs {stored:?}"
    );
}
