//! Passkeys and the WebAuthn ceremonies that register and use them.

/// Implements `PasskeyReads` and `PasskeyTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! passkeys {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl PasskeyReads for $store {
                async fn webauthn_user_id(&self, account: AccountId) -> StoreResult<Option<Uuid>> {
                    let id: Option<Option<Uuid>> = sqlx::query_scalar(
                        "SELECT webauthn_user_id FROM accounts WHERE id = $1",
                    )
                    .bind(account.uuid())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(id.flatten())
                }

                async fn account_by_webauthn_user(
                    &self,
                    user: Uuid,
                ) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(
                            "SELECT id, email, role, password_hash, created_at, disabled_at FROM accounts WHERE webauthn_user_id = $1",
                        )
                        .bind(user)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(store_error)?,
                    )
                }

                async fn passkeys(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>> {
                    let rows: Vec<PasskeyRow> = sqlx::query_as(
                        "SELECT id, account_id, credential_id, credential, sign_count, \
                         backup_eligible, backup_state, transports, aaguid, name, created_at, last_used_at \
                         FROM passkeys WHERE account_id = $1 ORDER BY created_at, id",
                    )
                    .bind(account.uuid())
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(rows.into_iter().map(PasskeyRecord::from).collect())
                }

                async fn passkey_by_credential_id(
                    &self,
                    credential_id: &[u8],
                ) -> StoreResult<Option<PasskeyRecord>> {
                    let row: Option<PasskeyRow> = sqlx::query_as(
                        "SELECT id, account_id, credential_id, credential, sign_count, \
                         backup_eligible, backup_state, transports, aaguid, name, created_at, last_used_at \
                         FROM passkeys WHERE credential_id = $1",
                    )
                    .bind(credential_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(row.map(PasskeyRecord::from))
                }
            }

            #[async_trait]
            impl PasskeyTx for $tx {
                async fn set_webauthn_user_id(
                    &mut self,
                    account: AccountId,
                    user: Uuid,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE accounts SET webauthn_user_id = $1 WHERE id = $2 AND webauthn_user_id IS NULL",
                    )
                    .bind(user)
                    .bind(account.uuid())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn insert_passkey(&mut self, p: &PasskeyRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO passkeys \
                         (id, account_id, credential_id, credential, sign_count, backup_eligible, backup_state, transports, \
                         name, created_at, aaguid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(p.id.uuid())
                    .bind(p.account_id.uuid())
                    .bind(&p.credential_id)
                    .bind(&p.credential)
                    .bind(p.sign_count)
                    .bind(p.backup_eligible)
                    .bind(p.backup_state)
                    .bind(&p.transports)
                    .bind(&p.name)
                    .bind(p.created_at.unix())
                    .bind(p.aaguid)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn use_passkey(
                    &mut self,
                    id: PasskeyId,
                    sign_count: i64,
                    credential: &str,
                    backup_state: bool,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    // The counter only moves forward (authenticators without a counter report 0
                    // every time): a stale copy from another instance can never win.
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE passkeys SET sign_count = $1, credential = $2, backup_state = $3, \
                             last_used_at = $4 WHERE id = $5 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))",
                        )
                        .bind(sign_count)
                        .bind(credential)
                        .bind(backup_state)
                        .bind(now.unix())
                        .bind(id.uuid()),
                        self.connection()
                    ))
                }

                async fn rename_passkey(
                    &mut self,
                    account: AccountId,
                    id: PasskeyId,
                    name: &str,
                ) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query(
                            "UPDATE passkeys SET name = $1 WHERE id = $2 AND account_id = $3",
                        )
                        .bind(name)
                        .bind(id.uuid())
                        .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn delete_passkey(
                    &mut self,
                    account: AccountId,
                    id: PasskeyId,
                ) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query("DELETE FROM passkeys WHERE id = $1 AND account_id = $2")
                            .bind(id.uuid())
                            .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn delete_all_passkeys(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM passkeys WHERE account_id = $1")
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?
                        .rows_affected())
                }

                async fn insert_ceremony(
                    &mut self,
                    id: &TokenHash,
                    c: &Ceremony,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO webauthn_ceremonies \
                         (id_hash, kind, account_id, session_id, state, name, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id.as_bytes())
                    .bind(c.kind.as_str())
                    .bind(c.account_id.map(AccountId::uuid))
                    .bind(c.session_id.map(SessionId::uuid))
                    .bind(&c.state)
                    .bind(c.name.as_deref())
                    .bind(c.created_at.unix())
                    .bind(c.expires_at.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn consume_ceremony(
                    &mut self,
                    id: &TokenHash,
                    kind: CeremonyKind,
                    now: Timestamp,
                ) -> StoreResult<Option<Ceremony>> {
                    // Single use: exactly one caller gets the state back.
                    let row: Option<CeremonyRow> = sqlx::query_as(
                        "DELETE FROM webauthn_ceremonies \
                         WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
                         RETURNING kind, account_id, session_id, state, name, created_at, expires_at",
                    )
                    .bind(id.as_bytes())
                    .bind(kind.as_str())
                    .bind(now.unix())
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?;
                    row.map(Ceremony::try_from).transpose()
                }

                async fn prune_ceremonies(&mut self, now: Timestamp) -> StoreResult<()> {
                    sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1")
                        .bind(now.unix())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }
            }
        };
    };
}
