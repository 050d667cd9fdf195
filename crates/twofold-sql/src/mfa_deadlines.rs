//! MFA required by role: each account's deadline, set once.

/// Implements `MfaDeadlineReads` and `MfaDeadlineTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! mfa_deadlines {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl MfaDeadlineReads for $store {
                async fn mfa_deadline(&self, account: AccountId) -> StoreResult<Option<Timestamp>> {
                    let due: Option<i64> = sqlx::query_scalar(
                        "SELECT due_at FROM mfa_deadlines WHERE account_id = $1",
                    )
                    .bind(account.uuid())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(due.map(Timestamp::from))
                }
            }

            #[async_trait]
            impl MfaDeadlineTx for $tx {
                async fn start_mfa_deadline(
                    &mut self,
                    account: AccountId,
                    due: Timestamp,
                ) -> StoreResult<Timestamp> {
                    // A stored deadline never moves; a concurrent first one
                    // waits on the key, then keeps the row that won.
                    sqlx::query(
                        "INSERT INTO mfa_deadlines (account_id, due_at) VALUES ($1, $2) \
                         ON CONFLICT (account_id) DO NOTHING",
                    )
                    .bind(account.uuid())
                    .bind(due.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    let stored: i64 = sqlx::query_scalar(
                        "SELECT due_at FROM mfa_deadlines WHERE account_id = $1",
                    )
                    .bind(account.uuid())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(Timestamp::from(stored))
                }
            }
        };
    };
}
