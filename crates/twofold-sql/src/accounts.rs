//! Accounts: creating them, their password, and the lock and count that guard changes to their factors.

/// Implements `AccountReads` and `AccountTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! accounts {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            /// The one list of an account's columns, for both inserts.
            async fn insert_account_with(
                connection: &mut <<$tx as DialectTx>::Db as sqlx::Database>::Connection,
                statement: &'static str,
                a: &NewAccount,
            ) -> StoreResult<u64> {
                let done = sqlx::query(statement)
                    .bind(a.id.uuid())
                    .bind(a.email.as_str())
                    .bind(a.email.normalized())
                    .bind(a.role.as_str())
                    .bind(a.password_hash.as_deref())
                    .bind(a.created_at.unix())
                    .execute(connection)
                    .await
                    .map_err(store_error)?;
                Ok(done.rows_affected())
            }

            #[async_trait]
            impl AccountReads for $store {
                async fn count_accounts(&self) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
                        .fetch_one(self.reader())
                        .await
                        .map_err(store_error)?)
                }

                async fn account_by_email(
                    &self,
                    normalized_email: &str,
                ) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(
                            "SELECT id, email, role, password_hash, created_at, disabled_at FROM accounts WHERE email_normalized = $1",
                        )
                        .bind(normalized_email)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(store_error)?,
                    )
                }

                async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(
                            "SELECT id, email, role, password_hash, created_at, disabled_at FROM accounts WHERE id = $1",
                        )
                        .bind(id.uuid())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(store_error)?,
                    )
                }

                async fn list_accounts(
                    &self,
                    query: &AccountListQuery,
                ) -> StoreResult<Vec<AccountSummary>> {
                    // The last sign-in comes from the audit log, not the
                    // sessions: sign-out, expiry and an MFA reset delete
                    // sessions, while the log only grows.
                    let rows: Vec<AccountSummaryRow> = sqlx::query_as(
                        "SELECT a.id, a.email, a.email_normalized, a.role, a.created_at, a.disabled_at, \
                         (SELECT COUNT(*) FROM totp_authenticators t \
                          WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL) AS totp, \
                         (SELECT COUNT(*) FROM passkeys p WHERE p.account_id = a.id) AS passkeys, \
                         (SELECT COUNT(*) FROM recovery_codes r \
                          WHERE r.account_id = a.id AND r.used_at IS NULL) AS recovery_codes_left, \
                         (SELECT MAX(e.at) FROM audit_events e \
                          WHERE e.account_id = a.id AND e.kind = $7) AS last_sign_in \
                         FROM accounts a \
                         WHERE ($1 IS NULL OR a.email_normalized LIKE $1 ESCAPE '\\') \
                         AND ($2 IS NULL OR a.role = $2) \
                         AND ($3 IS NULL OR (EXISTS (SELECT 1 FROM totp_authenticators t \
                              WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL) \
                              OR EXISTS (SELECT 1 FROM passkeys p WHERE p.account_id = a.id)) = $3) \
                         AND ($4 IS NULL OR a.email_normalized > $4 \
                              OR (a.email_normalized = $4 AND a.id > $5)) \
                         AND ($8 IS NULL OR (a.disabled_at IS NOT NULL) = $8) \
                         ORDER BY a.email_normalized, a.id \
                         LIMIT $6",
                    )
                    .bind(query.email_contains.as_deref().map(contains_pattern))
                    .bind(query.role.map(|role| role.as_str()))
                    .bind(query.mfa)
                    .bind(query.after.as_ref().map(|(email, _)| email.as_str()))
                    .bind(query.after.as_ref().map(|(_, id)| id.uuid()))
                    .bind(i64::from(query.limit))
                    .bind(EventKind::SignInSucceeded.as_str())
                    .bind(query.disabled)
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    rows.into_iter().map(AccountSummary::try_from).collect()
                }
            }

            #[async_trait]
            impl AccountTx for $tx {
                async fn insert_account(&mut self, account: &NewAccount) -> StoreResult<()> {
                    insert_account_with(
                        self.connection(),
                        "INSERT INTO accounts \
                         (id, email, email_normalized, role, password_hash, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        account,
                    )
                    .await?;
                    Ok(())
                }

                async fn insert_first_account(
                    &mut self,
                    account: &NewAccount,
                ) -> StoreResult<bool> {
                    // Inserts only into an empty table: atomic under the
                    // dialect's guard (SQLite's write lock, PostgreSQL's
                    // table lock).
                    self.guard_first_account().await?;
                    let inserted = insert_account_with(
                        self.connection(),
                        "INSERT INTO accounts \
                         (id, email, email_normalized, role, password_hash, created_at) \
                         SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM accounts)",
                        account,
                    )
                    .await?;
                    Ok(inserted == 1)
                }

                async fn set_password_hash(
                    &mut self,
                    account: AccountId,
                    phc: &str,
                ) -> StoreResult<()> {
                    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                        .bind(phc)
                        .bind(account.uuid())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn lock_account(&mut self, account: AccountId) -> StoreResult<()> {
                    self.lock_account_row(account).await
                }

                async fn strong_factors(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<StrongFactors> {
                    // The strong factors: confirmed authenticators, then passkeys.
                    let (totp, passkeys): (i64, i64) = sqlx::query_as(
                        "SELECT \
                         (SELECT COUNT(*) FROM totp_authenticators WHERE account_id = $1 AND confirmed_at IS NOT NULL), \
                         (SELECT COUNT(*) FROM passkeys WHERE account_id = $1)",
                    )
                    .bind(account.uuid())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(StrongFactors {
                        totp: u64::try_from(totp).unwrap_or(0),
                        passkeys: u64::try_from(passkeys).unwrap_or(0),
                    })
                }

                async fn lock_roles(&mut self) -> StoreResult<()> {
                    self.lock_role_changes().await
                }

                async fn count_active_owners(&mut self) -> StoreResult<i64> {
                    let (owners,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM accounts WHERE role = 'owner' AND disabled_at IS NULL",
                    )
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(owners)
                }

                async fn set_role(&mut self, account: AccountId, role: Role) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query("UPDATE accounts SET role = $1 WHERE id = $2")
                            .bind(role.as_str())
                            .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn set_disabled(
                    &mut self,
                    account: AccountId,
                    disabled_at: Option<Timestamp>,
                ) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
                            .bind(disabled_at.map(|at| at.unix()))
                            .bind(account.uuid()),
                        self.connection()
                    ))
                }

                async fn account_in_tx(
                    &mut self,
                    id: AccountId,
                ) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(
                            "SELECT id, email, role, password_hash, created_at, disabled_at FROM accounts WHERE id = $1",
                        )
                        .bind(id.uuid())
                        .fetch_optional(self.connection())
                        .await
                        .map_err(store_error)?,
                    )
                }
            }
        };
    };
}
