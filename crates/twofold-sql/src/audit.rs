//! The audit log.

/// Implements `AuditReads` and `AuditTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! audit {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl AuditReads for $store {
                async fn events(&self, query: &EventQuery) -> StoreResult<Vec<AuditEvent>> {
                    // Newest first; every filter is optional (NULL matches all).
                    let rows: Vec<AuditEventRow> = sqlx::query_as(
                        "SELECT id, at, account_id, actor_kind, actor_id, kind, ip, user_agent, detail \
                         FROM audit_events \
                         WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR id < $3) \
                         ORDER BY id DESC LIMIT $4",
                    )
                    .bind(query.account_id.map(AccountId::uuid))
                    .bind(query.kind.map(|k| k.as_str()))
                    .bind(query.before.map(EventId::uuid))
                    .bind(i64::from(query.limit))
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    rows.into_iter().map(AuditEvent::try_from).collect()
                }
            }

            #[async_trait]
            impl AuditTx for $tx {
                async fn insert_event(&mut self, e: &AuditEvent) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO audit_events \
                         (id, at, account_id, actor_kind, actor_id, kind, ip, user_agent, detail) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(e.id.uuid())
                    .bind(e.at.unix())
                    .bind(e.account_id.map(AccountId::uuid))
                    .bind(e.actor.kind())
                    .bind(e.actor.account().map(AccountId::uuid))
                    .bind(e.kind.as_str())
                    .bind(e.ip.as_deref())
                    .bind(e.user_agent.as_deref())
                    .bind(&e.detail)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }
            }
        };
    };
}
