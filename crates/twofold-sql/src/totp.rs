//! Authenticator apps: enrolment, the replay guard, and the consecutive-failure cap.

/// Implements `TotpReads` and `TotpTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! totp {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl TotpReads for $store {
                async fn totp_authenticators(
                    &self,
                    account: AccountId,
                ) -> StoreResult<Vec<TotpAuthenticator>> {
                    let rows: Vec<TotpRow> = sqlx::query_as(
                        "SELECT id, account_id, name, secret_sealed, created_at, pending_until, \
                         pending_session_id, confirmed_at, last_used_step, last_used_at FROM totp_authenticators \
                         WHERE account_id = $1 ORDER BY created_at, id",
                    )
                    .bind(account.uuid())
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(rows.into_iter().map(TotpAuthenticator::from).collect())
                }
            }

            #[async_trait]
            impl TotpTx for $tx {
                async fn insert_totp(&mut self, t: &TotpAuthenticator) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO totp_authenticators \
                         (id, account_id, name, secret_sealed, created_at, pending_until, pending_session_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(t.id.uuid())
                    .bind(t.account_id.uuid())
                    .bind(&t.name)
                    .bind(&t.secret_sealed)
                    .bind(t.created_at.unix())
                    .bind(t.pending_until.map(Timestamp::unix))
                    .bind(t.pending_session_id.map(SessionId::uuid))
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn confirm_totp(
                    &mut self,
                    account: AccountId,
                    session: SessionId,
                    id: TotpId,
                    name: &str,
                    step: i64,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    // Confirms a pending authenticator, from the session that started it, with
                    // the step its code matched.
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE totp_authenticators \
                             SET confirmed_at = $1, pending_until = NULL, pending_session_id = NULL, last_used_step = $2, \
                             last_used_at = $1, name = $3 \
                             WHERE id = $4 AND account_id = $5 AND pending_session_id = $6 AND confirmed_at IS NULL \
                             AND pending_until > $1",
                        )
                        .bind(now.unix())
                        .bind(step)
                        .bind(name)
                        .bind(id.uuid())
                        .bind(account.uuid())
                        .bind(session.uuid()),
                        self.connection()
                    ))
                }

                async fn use_totp_step(
                    &mut self,
                    account: AccountId,
                    id: TotpId,
                    step: i64,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    // The replay guard: a step is accepted only if it is later than the last one.
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE totp_authenticators SET last_used_step = $1, last_used_at = $2 \
                             WHERE id = $3 AND account_id = $4 AND confirmed_at IS NOT NULL \
                             AND (last_used_step IS NULL OR last_used_step < $1)",
                        )
                        .bind(step)
                        .bind(now.unix())
                        .bind(id.uuid())
                        .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn rename_totp(
                    &mut self,
                    account: AccountId,
                    id: TotpId,
                    name: &str,
                ) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE totp_authenticators SET name = $1 \
                             WHERE id = $2 AND account_id = $3 AND confirmed_at IS NOT NULL",
                        )
                        .bind(name)
                        .bind(id.uuid())
                        .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn delete_totp(&mut self, account: AccountId, id: TotpId) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "DELETE FROM totp_authenticators WHERE id = $1 AND account_id = $2",
                        )
                        .bind(id.uuid())
                        .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn delete_all_totp(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM totp_authenticators WHERE account_id = $1")
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected())
                }

                async fn delete_expired_pending_totp(
                    &mut self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "DELETE FROM totp_authenticators \
                         WHERE account_id = $1 AND confirmed_at IS NULL AND pending_until <= $2",
                    )
                    .bind(account.uuid())
                    .bind(now.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn count_live_totp(
                    &mut self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<i64> {
                    // Confirmed authenticators and unexpired enrolments: what the cap counts.
                    Ok(sqlx::query_scalar(
                        "SELECT COUNT(*) FROM totp_authenticators \
                         WHERE account_id = $1 AND (confirmed_at IS NOT NULL OR pending_until > $2)",
                    )
                    .bind(account.uuid())
                    .bind(now.unix())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?)
                }

                async fn reserve_totp_attempt(
                    &mut self,
                    account: AccountId,
                    max: i64,
                ) -> StoreResult<Option<i64>> {
                    // Reserves one consecutive TOTP attempt: no row back means the account is
                    // at the cap (or gone).
                    Ok(sqlx::query_scalar(
                        "UPDATE accounts SET totp_failures = totp_failures + 1 \
                         WHERE id = $1 AND totp_failures < $2 RETURNING totp_failures",
                    )
                    .bind(account.uuid())
                    .bind(max)
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?)
                }

                async fn reset_totp_failures(&mut self, account: AccountId) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE accounts SET totp_failures = 0 WHERE id = $1 AND totp_failures <> 0",
                    )
                    .bind(account.uuid())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }
            }
        };
    };
}
