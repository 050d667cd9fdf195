//! Personal access tokens: found by their keyed hash, listed, revoked.

/// The columns of an `AccessTokenRow`, each after `$t` (the table's alias
/// and a dot in a join; nothing in a `RETURNING`, which names no alias).
#[doc(hidden)]
#[macro_export]
macro_rules! access_token_columns {
    ($t:literal) => {
        concat!(
            $t,
            "id, ",
            $t,
            "account_id, ",
            $t,
            "name, ",
            $t,
            "prefix, ",
            $t,
            "scopes, ",
            $t,
            "aal, ",
            $t,
            "created_at, ",
            $t,
            "expires_at, ",
            $t,
            "last_used_at, ",
            $t,
            "last_used_ip"
        )
    };
}

/// Implements `AccessTokenReads` and `AccessTokenTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! access_tokens {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl AccessTokenReads for $store {
                async fn access_token_by_hash(
                    &self,
                    hash: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<AccessTokenGrant>> {
                    let row: Option<AccessTokenGrantRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::access_token_columns!("t."),
                        ", a.email AS account_email, a.role AS account_role \
                         FROM access_tokens t JOIN accounts a ON a.id = t.account_id \
                         WHERE t.token_hash = $1 AND t.expires_at > $2 AND a.disabled_at IS NULL"
                    ))
                    .bind(hash.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    row.map(AccessTokenGrant::try_from).transpose()
                }

                async fn access_tokens_of(
                    &self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<Vec<AccessTokenRecord>> {
                    let rows: Vec<AccessTokenRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::access_token_columns!(""),
                        " FROM access_tokens WHERE account_id = $1 AND expires_at > $2 \
                         ORDER BY created_at DESC, id DESC"
                    ))
                    .bind(account.uuid())
                    .bind(now.unix())
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    rows.into_iter().map(AccessTokenRecord::try_from).collect()
                }

                async fn record_access_token_use(
                    &self,
                    id: AccessTokenId,
                    seen: Option<Timestamp>,
                    at: Timestamp,
                    ip: Option<&str>,
                ) -> StoreResult<bool> {
                    // `seen` NULL matches only a token never used (`= NULL` is never true).
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE access_tokens SET last_used_at = $1, last_used_ip = $2 \
                             WHERE id = $3 AND (last_used_at = $4 OR ($4 IS NULL AND last_used_at IS NULL))",
                        )
                        .bind(at.unix())
                        .bind(ip)
                        .bind(id.uuid())
                        .bind(seen.map(Timestamp::unix)),
                        self.reader()
                    ))
                }
            }

            #[async_trait]
            impl AccessTokenTx for $tx {
                async fn insert_access_token(&mut self, t: &NewAccessToken) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO access_tokens \
                         (id, account_id, token_hash, prefix, name, scopes, aal, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(t.id.uuid())
                    .bind(t.account_id.uuid())
                    .bind(t.token_hash.as_bytes())
                    .bind(&t.prefix)
                    .bind(&t.name)
                    .bind(t.scopes.to_text())
                    .bind(i64::from(u8::from(t.aal)))
                    .bind(t.created_at.unix())
                    .bind(t.expires_at.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn count_access_tokens(
                    &mut self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<u64> {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM access_tokens WHERE account_id = $1 AND expires_at > $2",
                    )
                    .bind(account.uuid())
                    .bind(now.unix())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(u64::try_from(n).unwrap_or(0))
                }

                async fn delete_access_token(
                    &mut self,
                    account: AccountId,
                    id: AccessTokenId,
                ) -> StoreResult<Option<AccessTokenRecord>> {
                    let row: Option<AccessTokenRow> = sqlx::query_as(concat!(
                        "DELETE FROM access_tokens WHERE id = $1 AND account_id = $2 RETURNING ",
                        $crate::access_token_columns!("")
                    ))
                    .bind(id.uuid())
                    .bind(account.uuid())
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?;
                    row.map(AccessTokenRecord::try_from).transpose()
                }

                async fn delete_all_access_tokens(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM access_tokens WHERE account_id = $1")
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
