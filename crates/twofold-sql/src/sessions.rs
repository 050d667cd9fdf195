//! Sessions: the token lookup of every request, listing, revoking and the step-up window.

/// A session read: the columns of a `Session` and the join that brings its
/// account's email and role, then `$filter` (one literal, so each statement
/// stays a single `&'static str`).
#[doc(hidden)]
#[macro_export]
macro_rules! select_sessions {
    ($filter:literal) => {
        concat!(
            "SELECT s.id, s.account_id, a.email AS account_email, \
             a.role AS account_role, s.aal, s.amr, s.created_at, s.last_seen_at, s.expires_at, \
             s.remembered, s.privileged_until, s.ip, s.user_agent, s.enrolment_only \
             FROM sessions s JOIN accounts a ON a.id = s.account_id ",
            $filter
        )
    };
}

/// Implements `SessionReads` and `SessionTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! sessions {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl SessionReads for $store {
                async fn session_by_token(
                    &self,
                    token: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<Session>> {
                    let row: Option<SessionRow> = sqlx::query_as(
                        $crate::select_sessions!(
                            "WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL"
                        ),
                    )
                    .bind(token.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    row.map(Session::try_from).transpose()
                }

                async fn sessions_of(
                    &self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<Vec<Session>> {
                    let rows: Vec<SessionRow> = sqlx::query_as(
                        $crate::select_sessions!(
                            "WHERE s.account_id = $1 AND s.expires_at > $2 \
                             ORDER BY s.created_at DESC, s.id DESC"
                        ),
                    )
                    .bind(account.uuid())
                    .bind(now.unix())
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    rows.into_iter().map(Session::try_from).collect()
                }

                async fn touch_session(
                    &self,
                    id: SessionId,
                    now: Timestamp,
                    stale_before: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at <= $3",
                    )
                    .bind(now.unix())
                    .bind(id.uuid())
                    .bind(stale_before.unix())
                    .execute(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl SessionTx for $tx {
                async fn insert_session(&mut self, s: &NewSession) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO sessions \
                         (id, token_hash, account_id, aal, amr, created_at, last_seen_at, expires_at, remembered, ip, \
                         user_agent, enrolment_only) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(s.id.uuid())
                    .bind(s.token_hash.as_bytes())
                    .bind(s.account_id.uuid())
                    .bind(i64::from(u8::from(s.aal)))
                    .bind(amr_to_text(&s.amr))
                    .bind(s.created_at.unix())
                    .bind(s.expires_at.unix())
                    .bind(s.remembered)
                    .bind(s.ip.as_deref())
                    .bind(s.user_agent.as_deref())
                    .bind(s.enrolment_only)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn delete_session(
                    &mut self,
                    account: AccountId,
                    id: SessionId,
                ) -> StoreResult<bool> {
                    let deleted: Option<Uuid> = sqlx::query_scalar(
                        "DELETE FROM sessions WHERE id = $1 AND account_id = $2 RETURNING id",
                    )
                    .bind(id.uuid())
                    .bind(account.uuid())
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(deleted.is_some())
                }

                async fn set_privileged_until(
                    &mut self,
                    session: SessionId,
                    until: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query("UPDATE sessions SET privileged_until = $1 WHERE id = $2")
                        .bind(until.unix())
                        .bind(session.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn delete_other_sessions(
                    &mut self,
                    account: AccountId,
                    keep: SessionId,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
                        .bind(account.uuid())
                        .bind(keep.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected())
                }

                async fn delete_all_sessions(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected())
                }

                async fn clear_enrolment_only(&mut self, session: SessionId) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE sessions SET enrolment_only = $1 \
                             WHERE id = $2 AND enrolment_only = $3",
                        )
                        .bind(false)
                        .bind(session.uuid())
                        .bind(true),
                        self.connection()
                    ))
                }

                async fn delete_other_sessions_below_aal(
                    &mut self,
                    account: AccountId,
                    keep: SessionId,
                    aal: Aal,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query(
                        "DELETE FROM sessions WHERE account_id = $1 AND id <> $2 AND aal < $3",
                    )
                    .bind(account.uuid())
                    .bind(keep.uuid())
                    .bind(i64::from(u8::from(aal)))
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?
                    .rows_affected())
                }
            }
        };
    };
}
