//! Throttle counters: windows, released reservations, limits under concurrency, lockouts.

use super::*;

pub async fn failures_count_inside_their_window(store: Arc<dyn Store>) {
    let key = "pwd:acct:x@example.com";
    let mut tx = store.begin().await.unwrap();
    for at in [0, 100, 200] {
        tx.record_failure(key, ordered_id(), T0.plus(secs(at)), T0.minus(secs(3600)))
            .await
            .unwrap();
    }
    tx.record_failure("other", ordered_id(), T0, T0.minus(secs(3600)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let all = tx.failures(key, T0.minus(secs(1))).await.unwrap();
    assert_eq!(
        all,
        Failures {
            count: 3,
            oldest: Some(T0)
        }
    );
    let later = tx.failures(key, T0).await.unwrap();
    assert_eq!(
        later,
        Failures {
            count: 2,
            oldest: Some(T0.plus(secs(100)))
        }
    );
    assert_eq!(
        tx.failures("nobody", T0.minus(secs(1))).await.unwrap(),
        Failures::default()
    );

    // Old failures are forgotten when a new one is recorded.
    tx.record_failure(key, ordered_id(), T0.plus(secs(300)), T0.plus(secs(100)))
        .await
        .unwrap();
    let pruned = tx.failures(key, T0.minus(secs(10_000))).await.unwrap();
    assert_eq!(
        pruned,
        Failures {
            count: 2,
            oldest: Some(T0.plus(secs(200)))
        }
    );
    tx.commit().await.unwrap();
}

pub async fn a_released_attempt_no_longer_counts(store: Arc<dyn Store>) {
    let (kept, released) = (ordered_id(), ordered_id());
    let mut tx = store.begin().await.unwrap();
    for attempt in [kept, released] {
        for key in ["a", "b"] {
            tx.record_failure(key, attempt, T0, T0.minus(secs(60)))
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.release_attempt("a", released).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let since = T0.minus(secs(1));
    assert_eq!(tx.failures("a", since).await.unwrap().count, 1);
    assert_eq!(
        tx.failures("b", since).await.unwrap().count,
        2,
        "other keys keep theirs"
    );
}

/// The reservation every limit relies on: lock the key, count, add one if
/// under the limit, commit. Run by 32 tasks at once, exactly `max` win.
pub async fn reservations_never_exceed_the_limit_under_concurrency(store: Arc<dyn Store>) {
    const MAX: u64 = 5;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            tx.lock_counter("shared").await.unwrap();
            let failures = tx.failures("shared", T0.minus(secs(60))).await.unwrap();
            if failures.count >= MAX {
                return false;
            }
            tx.record_failure("shared", ordered_id(), T0, T0.minus(secs(60)))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            true
        }));
    }
    let mut reserved = 0;
    for task in tasks {
        reserved += u64::from(task.await.unwrap());
    }
    assert_eq!(reserved, MAX);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.failures("shared", T0.minus(secs(60)))
            .await
            .unwrap()
            .count,
        MAX
    );
}

pub async fn a_lockout_is_noted_once_then_only_counted(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.unwrap();
    let until = T0.plus(secs(600));
    assert!(
        tx.note_refusal("k", T0, until).await.unwrap(),
        "first refusal"
    );
    assert!(!tx.note_refusal("k", T0.plus(secs(1)), until).await.unwrap());
    assert!(
        !tx.note_refusal("k", T0.plus(secs(599)), until)
            .await
            .unwrap()
    );
    assert!(tx.note_refusal("other", T0, until).await.unwrap());
    // After the lockout ends, the next refusal starts a new one.
    assert!(
        tx.note_refusal("k", T0.plus(secs(600)), T0.plus(secs(1200)))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}
