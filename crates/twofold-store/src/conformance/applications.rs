//! Applications allowed to introspect tokens.

use super::*;

use twofold_core::ApplicationId;
use twofold_core::token::ApplicationSecret;

use crate::ApplicationRecord;

pub async fn applications_are_stored_listed_and_deleted(store: Arc<dyn Store>) {
    let secret = ApplicationSecret::generate().unwrap();
    let first = ApplicationRecord {
        id: ApplicationId::from_uuid(ordered_id()),
        name: "wiki".into(),
        secret_hash: secret.hash(),
        created_at: T0,
    };
    let second = ApplicationRecord {
        id: ApplicationId::from_uuid(ordered_id()),
        name: "billing".into(),
        secret_hash: ApplicationSecret::generate().unwrap().hash(),
        created_at: T0.plus(secs(1)),
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_application(&first).await.unwrap();
    tx.insert_application(&second).await.unwrap();
    tx.commit().await.unwrap();

    let found = store.application(first.id).await.unwrap().expect("stored");
    assert_eq!(found.name, "wiki");
    assert_eq!(found.secret_hash, secret.hash());
    assert_eq!(found.created_at, T0);
    let names: Vec<_> = store
        .applications()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["wiki", "billing"]);

    let mut tx = store.begin().await.unwrap();
    assert!(tx.delete_application(first.id).await.unwrap());
    assert!(!tx.delete_application(first.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(store.application(first.id).await.unwrap().is_none());
    assert_eq!(store.applications().await.unwrap().len(), 1);
}
