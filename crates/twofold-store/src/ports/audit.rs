//! The audit log: appended to inside the transaction of the change it records.

use async_trait::async_trait;

use crate::{AuditEvent, EventQuery, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait AuditReads: Send + Sync {
    /// Audit events, newest first.
    async fn events(&self, query: &EventQuery) -> StoreResult<Vec<AuditEvent>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait AuditTx: Send {
    /// Appends to the audit log.
    async fn insert_event(&mut self, event: &AuditEvent) -> StoreResult<()>;
}
