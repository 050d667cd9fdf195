//! Recovery codes: one sheet per account, each code single use.

/// Implements `RecoveryReads` and `RecoveryTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! recovery {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            /// Codes on the sheet, codes left, and when it was made: read by
            /// the store and inside a transaction alike.
            async fn recovery_status<'e, E>(
                db: E,
                account: AccountId,
            ) -> StoreResult<Option<RecoveryStatus>>
            where
                E: 'e + sqlx::Executor<'e, Database = <$store as Dialect>::Db>,
            {
                let (total, remaining, generated_at): (i64, i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*) AS total, COUNT(*) - COUNT(used_at) AS remaining, \
                     MIN(generated_at) AS generated_at FROM recovery_codes WHERE account_id = $1",
                )
                .bind(account.uuid())
                .fetch_one(db)
                .await
                .map_err(store_error)?;
                Ok((total > 0).then(|| RecoveryStatus {
                    remaining,
                    generated_at: Timestamp::from(generated_at.unwrap_or(0)),
                }))
            }

            #[async_trait]
            impl RecoveryReads for $store {
                async fn recovery_status(
                    &self,
                    account: AccountId,
                ) -> StoreResult<Option<RecoveryStatus>> {
                    recovery_status(self.reader(), account).await
                }
            }

            #[async_trait]
            impl RecoveryTx for $tx {
                async fn replace_recovery_codes(
                    &mut self,
                    account: AccountId,
                    hashes: &[[u8; 32]],
                    now: Timestamp,
                ) -> StoreResult<()> {
                    self.delete_recovery_codes(account).await?;
                    for hash in hashes {
                        sqlx::query(
                            "INSERT INTO recovery_codes (account_id, code_hash, generated_at) VALUES ($1, $2, $3)",
                        )
                        .bind(account.uuid())
                        .bind(&hash[..])
                        .bind(now.unix())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    }
                    Ok(())
                }

                async fn delete_recovery_codes(&mut self, account: AccountId) -> StoreResult<()> {
                    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn use_recovery_code(
                    &mut self,
                    account: AccountId,
                    hash: &[u8; 32],
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    // Single use: one conditional update, so one code signs in exactly once.
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE recovery_codes SET used_at = $1 \
                             WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
                        )
                        .bind(now.unix())
                        .bind(account.uuid())
                        .bind(&hash[..]),
                        self.connection()
                    ))
                }

                async fn recovery_status_in_tx(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<Option<RecoveryStatus>> {
                    recovery_status(self.connection(), account).await
                }
            }
        };
    };
}
