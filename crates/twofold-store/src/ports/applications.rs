//! Applications allowed to introspect tokens.

use async_trait::async_trait;

use twofold_core::ApplicationId;

use crate::{ApplicationRecord, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait ApplicationReads: Send + Sync {
    async fn application(&self, id: ApplicationId) -> StoreResult<Option<ApplicationRecord>>;

    /// Every application, oldest first.
    async fn applications(&self) -> StoreResult<Vec<ApplicationRecord>>;
}

/// Writes inside one use case's transaction.
#[async_trait]
pub trait ApplicationTx: Send {
    async fn insert_application(&mut self, application: &ApplicationRecord) -> StoreResult<()>;

    /// Returns whether it existed.
    async fn delete_application(&mut self, id: ApplicationId) -> StoreResult<bool>;
}
