//! Set-password links: one per account, single use, found by token hash.

/// Implements `PasswordLinkReads` and `PasswordLinkTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! password_links {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl PasswordLinkReads for $store {
                async fn password_link(
                    &self,
                    token: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<PasswordLink>> {
                    let row: Option<(Uuid, i64, i64)> = sqlx::query_as(
                        "SELECT account_id, created_at, expires_at FROM password_links \
                         WHERE token_hash = $1 AND expires_at > $2",
                    )
                    .bind(token.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(row.map(|(account_id, created_at, expires_at)| PasswordLink {
                        account_id: AccountId::from_uuid(account_id),
                        created_at: created_at.into(),
                        expires_at: expires_at.into(),
                    }))
                }
            }

            #[async_trait]
            impl PasswordLinkTx for $tx {
                async fn replace_password_link(
                    &mut self,
                    token: &TokenHash,
                    link: &PasswordLink,
                ) -> StoreResult<()> {
                    // One row per account: a new link overwrites the old one,
                    // whose token then opens nothing.
                    sqlx::query(
                        "INSERT INTO password_links (account_id, token_hash, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, \
                         created_at = excluded.created_at, expires_at = excluded.expires_at",
                    )
                    .bind(link.account_id.uuid())
                    .bind(token.as_bytes())
                    .bind(link.created_at.unix())
                    .bind(link.expires_at.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn consume_password_link(
                    &mut self,
                    token: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<AccountId>> {
                    // Single use: exactly one caller gets the row back.
                    let row: Option<(Uuid,)> = sqlx::query_as(
                        "DELETE FROM password_links WHERE token_hash = $1 AND expires_at > $2 \
                         RETURNING account_id",
                    )
                    .bind(token.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(row.map(|(id,)| AccountId::from_uuid(id)))
                }

                async fn delete_password_links(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM password_links WHERE account_id = $1")
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected())
                }
            }
        };
    };
}
