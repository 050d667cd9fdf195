//! The server key check: the database remembers a check value of the key it
//! was set up with, so a wrong key is noticed at start rather than at every
//! TOTP sign-in later.

use twofold_core::key::ServerKey;
use twofold_store::{Store, StoreResult};

/// Does `key` match the check value stored on the first start? With none
/// stored yet (the first start), stores this key's and answers yes.
pub async fn server_key_matches(store: &dyn Store, key: &ServerKey) -> StoreResult<bool> {
    match store.key_check().await? {
        Some((_, check)) => Ok(check.as_slice() == key.check_value().as_slice()),
        None => {
            let mut tx = store.begin().await?;
            tx.insert_key_check(&key.id(), &key.check_value()).await?;
            tx.commit().await?;
            Ok(true)
        }
    }
}
