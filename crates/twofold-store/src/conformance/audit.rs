//! The audit log: filters, paging, and rows that never leave early.

use super::*;

pub async fn the_audit_log_filters_pages_and_only_grows(store: Arc<dyn Store>) {
    let alice = AccountId::from_uuid(ordered_id());
    let bob = AccountId::from_uuid(ordered_id());
    let mut written = Vec::new();
    let mut tx = store.begin().await.unwrap();
    for (i, (who, kind)) in [
        (Some(alice), EventKind::AccountCreated),
        (Some(alice), EventKind::SignInSucceeded),
        (None, EventKind::SignInFailed),
        (Some(bob), EventKind::SignInSucceeded),
        (Some(alice), EventKind::PasswordChanged),
    ]
    .into_iter()
    .enumerate()
    {
        let e = event(who, kind, T0.plus(secs(i as u64)));
        tx.insert_event(&e).await.unwrap();
        written.push(e);
    }
    tx.commit().await.unwrap();

    let all = store
        .events(&EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].id, written[4].id, "newest first");
    assert_eq!(all[0].detail, r#"{"amr":["pwd"]}"#);
    assert_eq!(all[2].actor, Actor::Anonymous);
    assert_eq!(all[2].account_id, None);

    let mine = store
        .events(&EventQuery {
            account_id: Some(alice),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![
            EventKind::PasswordChanged,
            EventKind::SignInSucceeded,
            EventKind::AccountCreated
        ]
    );
    let sign_ins = store
        .events(&EventQuery {
            kind: Some(EventKind::SignInSucceeded),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 2);
    let page = store
        .events(&EventQuery {
            account_id: Some(alice),
            before: Some(mine[0].id),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![mine[1].id]
    );
}
