//! Personal access tokens: found by their keyed hash until they expire,
//! their use recorded once per look, revoked one by one or all at once.

use super::*;

use twofold_core::AccessTokenId;
use twofold_core::access_token::{AccessToken, Scopes};
use twofold_core::key::ServerKey;

use crate::NewAccessToken;

fn access_token(
    key: &ServerKey,
    account: AccountId,
    name: &str,
    created_at: Timestamp,
) -> (AccessToken, NewAccessToken) {
    let token = AccessToken::generate().unwrap();
    let new = NewAccessToken {
        id: AccessTokenId::from_uuid(ordered_id()),
        account_id: account,
        token_hash: token.hash(key),
        prefix: token.display_prefix().to_owned(),
        name: name.to_owned(),
        scopes: Scopes::parse(["read"]).unwrap(),
        aal: Aal::Two,
        created_at,
        expires_at: created_at.plus(secs(3600)),
    };
    (token, new)
}

async fn insert_token(store: &Arc<dyn Store>, new: &NewAccessToken) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_access_token(new).await.unwrap();
    tx.commit().await.unwrap();
}

pub async fn access_tokens_are_found_by_keyed_hash_until_they_expire(store: Arc<dyn Store>) {
    let key = ServerKey::generate().unwrap();
    let owner = account("tina@example.com", Role::Admin);
    insert(&store, &owner).await.unwrap();
    let (token, new) = access_token(&key, owner.id, "CI deploy", T0);
    insert_token(&store, &new).await;
    let (_, newer) = access_token(&key, owner.id, "Backup script", T0.plus(secs(1)));
    insert_token(&store, &newer).await;

    let grant = store
        .access_token_by_hash(&token.hash(&key), T0)
        .await
        .unwrap()
        .expect("live token");
    assert_eq!(grant.account_email, "tina@example.com");
    assert_eq!(grant.account_role, Role::Admin);
    let record = grant.token;
    assert_eq!(record.id, new.id);
    assert_eq!(record.account_id, owner.id);
    assert_eq!(record.name, "CI deploy");
    assert_eq!(record.prefix, token.display_prefix());
    assert_eq!(record.scopes, Scopes::parse(["read"]).unwrap());
    assert_eq!(record.aal, Aal::Two);
    assert_eq!(record.expires_at, T0.plus(secs(3600)));
    assert_eq!(record.last_used_at, None);

    // Another key's hash of the same token finds nothing: the hash is keyed.
    let other_key = ServerKey::generate().unwrap();
    assert!(
        store
            .access_token_by_hash(&token.hash(&other_key), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .access_token_by_hash(&token.hash(&key), T0.plus(secs(3600)))
            .await
            .unwrap()
            .is_none()
    );

    let listed = store.access_tokens_of(owner.id, T0).await.unwrap();
    let names: Vec<_> = listed.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Backup script", "CI deploy"]);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.count_access_tokens(owner.id, T0).await.unwrap(), 2);
    assert_eq!(
        tx.count_access_tokens(owner.id, T0.plus(secs(3600)))
            .await
            .unwrap(),
        1
    );
}

pub async fn an_access_token_use_is_recorded_once_per_look(store: Arc<dyn Store>) {
    let key = ServerKey::generate().unwrap();
    let owner = account("uma@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let (token, new) = access_token(&key, owner.id, "cron", T0);
    insert_token(&store, &new).await;

    let at = T0.plus(secs(5));
    assert!(
        store
            .record_access_token_use(new.id, None, at, Some("192.0.2.9"))
            .await
            .unwrap()
    );
    // A second request that read the token before the first wrote loses.
    assert!(
        !store
            .record_access_token_use(new.id, None, at, Some("192.0.2.9"))
            .await
            .unwrap()
    );
    let later = T0.plus(secs(120));
    assert!(
        store
            .record_access_token_use(new.id, Some(at), later, None)
            .await
            .unwrap()
    );
    let seen = store
        .access_token_by_hash(&token.hash(&key), later)
        .await
        .unwrap()
        .unwrap()
        .token;
    assert_eq!(seen.last_used_at, Some(later));
    assert_eq!(seen.last_used_ip, None);
}

pub async fn access_tokens_are_revoked_only_by_their_account(store: Arc<dyn Store>) {
    let key = ServerKey::generate().unwrap();
    let owner = account("vera@example.com", Role::Member);
    let other = account("walt@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &other).await.unwrap();
    let (token, new) = access_token(&key, owner.id, "one", T0);
    insert_token(&store, &new).await;
    for name in ["two", "three"] {
        insert_token(&store, &access_token(&key, owner.id, name, T0).1).await;
    }
    let (_, others) = access_token(&key, other.id, "theirs", T0);
    insert_token(&store, &others).await;

    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.delete_access_token(other.id, new.id)
            .await
            .unwrap()
            .is_none()
    );
    let deleted = tx.delete_access_token(owner.id, new.id).await.unwrap();
    assert_eq!(deleted.map(|t| t.name), Some("one".to_owned()));
    assert!(
        tx.delete_access_token(owner.id, new.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(tx.delete_all_access_tokens(owner.id).await.unwrap(), 2);
    tx.commit().await.unwrap();

    assert!(
        store
            .access_token_by_hash(&token.hash(&key), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .access_tokens_of(owner.id, T0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.access_tokens_of(other.id, T0).await.unwrap().len(), 1);

    // The sweep removes expired tokens and keeps live ones.
    let mut tx = store.begin().await.unwrap();
    tx.sweep_expired(T0.plus(secs(3600)), T0).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.count_access_tokens(other.id, T0).await.unwrap(), 0);
}
