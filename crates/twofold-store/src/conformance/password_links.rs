//! Set-password links: one per account, found until they expire, consumed
//! exactly once.

use std::sync::Arc;

use twofold_core::Role;
use twofold_core::token::PasswordLinkToken;

use super::{T0, account, insert, secs};
use crate::{PasswordLink, Store};

pub async fn a_password_link_is_found_until_it_expires_and_a_new_one_replaces_it(
    store: Arc<dyn Store>,
) {
    let member = account("link@example.com", Role::Member);
    let other = account("other-link@example.com", Role::Member);
    insert(&store, &member).await.unwrap();
    insert(&store, &other).await.unwrap();
    let first = PasswordLinkToken::generate().unwrap().hash();
    let link = PasswordLink {
        account_id: member.id,
        created_at: T0,
        expires_at: T0.plus(secs(86_400)),
    };
    let mut tx = store.begin().await.unwrap();
    tx.replace_password_link(&first, &link).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.password_link(&first, T0).await.unwrap(), Some(link));
    let last_second = T0.plus(secs(86_399));
    assert!(
        store
            .password_link(&first, last_second)
            .await
            .unwrap()
            .is_some()
    );
    let expiry = T0.plus(secs(86_400));
    assert!(
        store.password_link(&first, expiry).await.unwrap().is_none(),
        "expired"
    );
    let unknown = PasswordLinkToken::generate().unwrap().hash();
    assert!(store.password_link(&unknown, T0).await.unwrap().is_none());

    // A second link replaces the first: the old token opens nothing.
    let second = PasswordLinkToken::generate().unwrap().hash();
    let newer = PasswordLink {
        created_at: T0.plus(secs(60)),
        expires_at: T0.plus(secs(60 + 86_400)),
        ..link
    };
    let mut tx = store.begin().await.unwrap();
    tx.replace_password_link(&second, &newer).await.unwrap();
    assert_eq!(tx.consume_password_link(&first, T0).await.unwrap(), None);
    tx.commit().await.unwrap();
    assert!(store.password_link(&first, T0).await.unwrap().is_none());
    assert_eq!(store.password_link(&second, T0).await.unwrap(), Some(newer));

    // Another account's link lives beside it; deleting one account's
    // links leaves the other's.
    let others = PasswordLinkToken::generate().unwrap().hash();
    let mut tx = store.begin().await.unwrap();
    tx.replace_password_link(
        &others,
        &PasswordLink {
            account_id: other.id,
            ..link
        },
    )
    .await
    .unwrap();
    assert_eq!(tx.delete_password_links(member.id).await.unwrap(), 1);
    assert_eq!(tx.delete_password_links(member.id).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert!(store.password_link(&second, T0).await.unwrap().is_none());
    assert!(store.password_link(&others, T0).await.unwrap().is_some());

    // An expired link is not consumed.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.consume_password_link(&others, expiry).await.unwrap(),
        None
    );
    assert_eq!(
        tx.consume_password_link(&others, T0).await.unwrap(),
        Some(other.id)
    );
    assert_eq!(tx.consume_password_link(&others, T0).await.unwrap(), None);
    tx.commit().await.unwrap();
}

/// Many consumers of one link at once: exactly one gets the account.
pub async fn a_password_link_is_consumed_once_under_concurrency(store: Arc<dyn Store>) {
    let member = account("race-link@example.com", Role::Member);
    insert(&store, &member).await.unwrap();
    let token = PasswordLinkToken::generate().unwrap().hash();
    let mut tx = store.begin().await.unwrap();
    tx.replace_password_link(
        &token,
        &PasswordLink {
            account_id: member.id,
            created_at: T0,
            expires_at: T0.plus(secs(86_400)),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut tx = store.begin().await.unwrap();
            let got = tx.consume_password_link(&token, T0).await.unwrap();
            tx.commit().await.unwrap();
            got
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    assert_eq!(winners, vec![member.id]);
    assert!(store.password_link(&token, T0).await.unwrap().is_none());
}
