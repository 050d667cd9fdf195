//! Housekeeping: the expiry sweep and the server key check.

/// Implements `MaintenanceReads` and `MaintenanceTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! maintenance {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl MaintenanceReads for $store {
                async fn key_check(&self) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
                    Ok(sqlx::query_as(
                        "SELECT key_id, check_value FROM server_key_check WHERE id = 1",
                    )
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?)
                }
            }

            #[async_trait]
            impl MaintenanceTx for $tx {
                async fn sweep_expired(
                    &mut self,
                    now: Timestamp,
                    audit_before: Timestamp,
                ) -> StoreResult<u64> {
                    // The retention sweep: the triggers refuse to delete any audit row at or
                    // after `keep_after`, which only moves forward.
                    sqlx::query(
                        "UPDATE audit_retention SET keep_after = $1 WHERE id = 1 AND keep_after < $1",
                    )
                    .bind(audit_before.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    let mut deleted = sqlx::query("DELETE FROM audit_events WHERE at < $1")
                        .bind(audit_before.unix())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected();
                    // Rows that can never be used again.
                    for statement in [
                        "DELETE FROM sessions WHERE expires_at <= $1",
                        "DELETE FROM access_tokens WHERE expires_at <= $1",
                        "DELETE FROM mfa_challenges WHERE expires_at <= $1",
                        "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1",
                        "DELETE FROM totp_authenticators \
                         WHERE confirmed_at IS NULL AND pending_until <= $1",
                        // Failures older than a day count in no window (the
                        // longest is 15 minutes).
                        "DELETE FROM throttle_failures WHERE at <= $1 - 86400",
                        "DELETE FROM throttle_lockouts WHERE until <= $1",
                    ] {
                        deleted += sqlx::query(statement)
                            .bind(now.unix())
                            .execute(self.connection())
                            .await
                            .map_err(store_error)?
                            .rows_affected();
                    }
                    Ok(deleted)
                }

                async fn insert_key_check(
                    &mut self,
                    key_id: &[u8],
                    check: &[u8],
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO server_key_check (id, key_id, check_value) VALUES (1, $1, $2) \
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(key_id)
                    .bind(check)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }
            }
        };
    };
}
