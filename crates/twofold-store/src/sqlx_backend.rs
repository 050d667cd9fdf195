//! What both sqlx backends share: the `Store` and `Tx` implementations,
//! running the same SQL text (`crate::sql`) through each backend's pool and
//! transaction. A backend supplies only its dialect, as inherent methods:
//! `begin_write`, `run_migrations` (store) and `lock_account_row`,
//! `lock_counter_key`, `guard_first_account` (transaction).

/// Implements [`Store`](crate::Store) for `$store` (a struct with a `pool`
/// field) and [`Tx`](crate::Tx) for `$tx` (a struct with a `tx` field).
#[macro_export]
macro_rules! sqlx_backend {
    ($store:ident, $tx:ident, $pool:ty, $name:literal) => {
        mod shared_sql_backend {
            use ::async_trait::async_trait;
            use ::twofold_core::factor::StrongFactors;
            use ::twofold_core::session::{Aal, amr_to_text};
            use ::twofold_core::token::TokenHash;
            use ::twofold_core::{AccountId, Timestamp};
            use ::uuid::Uuid;
            use $crate::{
                Account, AccountRow, AuditEvent, AuditEventRow, Ceremony, EventQuery, Failures,
                MfaChallenge, MfaChallengeRow, NewAccount, NewSession, PasskeyRecord,
                RecoveryStatus, Session, SessionRow, Store, StoreResult, TotpAuthenticator,
                TotpRow, Tx, sql,
            };

            use super::{$store, $tx};

            impl $store {
                /// The pool, for a read outside any transaction; debug
                /// builds trip if this task has one open (`tx_guard`).
                fn reader(&self) -> &$pool {
                    $crate::tx_guard::assert_no_open_tx();
                    &self.pool
                }
            }

            fn account(row: Option<AccountRow>) -> StoreResult<Option<Account>> {
                row.map(Account::try_from).transpose()
            }

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $name
                }

                async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
                    Ok(Box::new(self.begin_write().await?))
                }

                async fn migrate(&self) -> StoreResult<()> {
                    self.run_migrations().await
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(self.reader()).await?;
                    Ok(())
                }

                async fn count_accounts(&self) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar(sql::COUNT_ACCOUNTS)
                        .fetch_one(self.reader())
                        .await?)
                }

                async fn account_by_email(
                    &self,
                    normalized_email: &str,
                ) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(sql::ACCOUNT_BY_EMAIL)
                            .bind(normalized_email)
                            .fetch_optional(self.reader())
                            .await?,
                    )
                }

                async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(sql::ACCOUNT_BY_ID)
                            .bind(id)
                            .fetch_optional(self.reader())
                            .await?,
                    )
                }

                async fn session_by_token(
                    &self,
                    token: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<Session>> {
                    let row: Option<SessionRow> = sqlx::query_as(sql::SESSION_BY_TOKEN)
                        .bind(token.as_bytes())
                        .bind(now.unix())
                        .fetch_optional(self.reader())
                        .await?;
                    row.map(Session::try_from).transpose()
                }

                async fn sessions_of(
                    &self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<Vec<Session>> {
                    let rows: Vec<SessionRow> = sqlx::query_as(sql::SESSIONS_OF_ACCOUNT)
                        .bind(account)
                        .bind(now.unix())
                        .fetch_all(self.reader())
                        .await?;
                    rows.into_iter().map(Session::try_from).collect()
                }

                async fn events(&self, query: &EventQuery) -> StoreResult<Vec<AuditEvent>> {
                    let rows: Vec<AuditEventRow> = sqlx::query_as(sql::EVENTS)
                        .bind(query.account_id)
                        .bind(query.kind.map(|k| k.as_str()))
                        .bind(query.before)
                        .bind(i64::from(query.limit))
                        .fetch_all(self.reader())
                        .await?;
                    rows.into_iter().map(AuditEvent::try_from).collect()
                }

                async fn totp_authenticators(
                    &self,
                    account: AccountId,
                ) -> StoreResult<Vec<TotpAuthenticator>> {
                    let rows: Vec<TotpRow> = sqlx::query_as(sql::TOTP_OF_ACCOUNT)
                        .bind(account)
                        .fetch_all(self.reader())
                        .await?;
                    Ok(rows.into_iter().map(TotpAuthenticator::from).collect())
                }

                async fn mfa_challenge(
                    &self,
                    id: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<MfaChallenge>> {
                    let row: Option<MfaChallengeRow> = sqlx::query_as(sql::MFA_CHALLENGE)
                        .bind(id.as_bytes())
                        .bind(now.unix())
                        .fetch_optional(self.reader())
                        .await?;
                    Ok(row.map(MfaChallenge::from))
                }

                async fn recovery_status(
                    &self,
                    account: AccountId,
                ) -> StoreResult<Option<RecoveryStatus>> {
                    let row = sqlx::query_as(sql::RECOVERY_STATUS)
                        .bind(account)
                        .fetch_one(self.reader())
                        .await?;
                    Ok(twofold_store::recovery_status(row))
                }

                async fn webauthn_user_id(&self, account: AccountId) -> StoreResult<Option<Uuid>> {
                    let id: Option<Option<Uuid>> = sqlx::query_scalar(sql::WEBAUTHN_USER_ID)
                        .bind(account)
                        .fetch_optional(self.reader())
                        .await?;
                    Ok(id.flatten())
                }

                async fn account_by_webauthn_user(
                    &self,
                    user: Uuid,
                ) -> StoreResult<Option<Account>> {
                    account(
                        sqlx::query_as(sql::ACCOUNT_BY_WEBAUTHN_USER)
                            .bind(user)
                            .fetch_optional(self.reader())
                            .await?,
                    )
                }

                async fn passkeys(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>> {
                    Ok(sqlx::query_as(sql::PASSKEYS_OF_ACCOUNT)
                        .bind(account)
                        .fetch_all(self.reader())
                        .await?)
                }

                async fn passkey_by_credential_id(
                    &self,
                    credential_id: &[u8],
                ) -> StoreResult<Option<PasskeyRecord>> {
                    Ok(sqlx::query_as(sql::PASSKEY_BY_CREDENTIAL_ID)
                        .bind(credential_id)
                        .fetch_optional(self.reader())
                        .await?)
                }

                async fn key_check(&self) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
                    Ok(sqlx::query_as(sql::KEY_CHECK)
                        .fetch_optional(self.reader())
                        .await?)
                }

                async fn touch_session(
                    &self,
                    id: Uuid,
                    now: Timestamp,
                    stale_before: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(sql::TOUCH_SESSION)
                        .bind(now.unix())
                        .bind(id)
                        .bind(stale_before.unix())
                        .execute(self.reader())
                        .await?;
                    Ok(())
                }
            }

            impl $tx {
                async fn insert_account_with(
                    &mut self,
                    statement: &'static str,
                    a: &NewAccount,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query(statement)
                        .bind(a.id)
                        .bind(a.email.as_str())
                        .bind(a.email.normalized())
                        .bind(a.role.as_str())
                        .bind(a.password_hash.as_deref())
                        .bind(a.created_at.unix())
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }
            }

            #[async_trait]
            impl Tx for $tx {
                async fn insert_first_account(
                    &mut self,
                    account: &NewAccount,
                ) -> StoreResult<bool> {
                    self.guard_first_account().await?;
                    Ok(self
                        .insert_account_with(sql::INSERT_FIRST_ACCOUNT, account)
                        .await?
                        == 1)
                }

                async fn lock_account(&mut self, account: AccountId) -> StoreResult<()> {
                    self.lock_account_row(account).await
                }

                async fn sweep_expired(
                    &mut self,
                    now: Timestamp,
                    audit_before: Timestamp,
                ) -> StoreResult<u64> {
                    sqlx::query(sql::ADVANCE_AUDIT_RETENTION)
                        .bind(audit_before.unix())
                        .execute(&mut *self.tx)
                        .await?;
                    let mut deleted = sqlx::query(sql::DELETE_OLD_EVENTS)
                        .bind(audit_before.unix())
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected();
                    for statement in sql::SWEEP {
                        deleted += sqlx::query(statement)
                            .bind(now.unix())
                            .execute(&mut *self.tx)
                            .await?
                            .rows_affected();
                    }
                    Ok(deleted)
                }

                async fn insert_account(&mut self, account: &NewAccount) -> StoreResult<()> {
                    self.insert_account_with(sql::INSERT_ACCOUNT, account)
                        .await?;
                    Ok(())
                }

                async fn set_password_hash(
                    &mut self,
                    account: AccountId,
                    phc: &str,
                ) -> StoreResult<()> {
                    sqlx::query(sql::SET_PASSWORD_HASH)
                        .bind(phc)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn insert_session(&mut self, s: &NewSession) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_SESSION)
                        .bind(s.id)
                        .bind(s.token_hash.as_bytes())
                        .bind(s.account_id)
                        .bind(i64::from(u8::from(s.aal)))
                        .bind(amr_to_text(&s.amr))
                        .bind(s.created_at.unix())
                        .bind(s.expires_at.unix())
                        .bind(s.remembered)
                        .bind(s.ip.as_deref())
                        .bind(s.user_agent.as_deref())
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn delete_session(
                    &mut self,
                    account: AccountId,
                    id: Uuid,
                ) -> StoreResult<bool> {
                    let deleted: Option<Uuid> = sqlx::query_scalar(sql::DELETE_SESSION)
                        .bind(id)
                        .bind(account)
                        .fetch_optional(&mut *self.tx)
                        .await?;
                    Ok(deleted.is_some())
                }

                async fn set_privileged_until(
                    &mut self,
                    session: Uuid,
                    until: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(sql::SET_PRIVILEGED_UNTIL)
                        .bind(until.unix())
                        .bind(session)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn delete_other_sessions(
                    &mut self,
                    account: AccountId,
                    keep: Uuid,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query(sql::DELETE_OTHER_SESSIONS)
                        .bind(account)
                        .bind(keep)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }

                async fn delete_other_sessions_below_aal(
                    &mut self,
                    account: AccountId,
                    keep: Uuid,
                    aal: Aal,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query(sql::DELETE_OTHER_SESSIONS_BELOW_AAL)
                        .bind(account)
                        .bind(keep)
                        .bind(i64::from(u8::from(aal)))
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }

                async fn insert_event(&mut self, e: &AuditEvent) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_EVENT)
                        .bind(e.id)
                        .bind(e.at.unix())
                        .bind(e.account_id)
                        .bind(e.actor.kind())
                        .bind(e.actor.account())
                        .bind(e.kind.as_str())
                        .bind(e.ip.as_deref())
                        .bind(e.user_agent.as_deref())
                        .bind(&e.detail)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn lock_counter(&mut self, key: &str) -> StoreResult<()> {
                    self.lock_counter_key(key).await
                }

                async fn failures(&mut self, key: &str, since: Timestamp) -> StoreResult<Failures> {
                    let (count, oldest): (i64, Option<i64>) = sqlx::query_as(sql::COUNT_FAILURES)
                        .bind(key)
                        .bind(since.unix())
                        .fetch_one(&mut *self.tx)
                        .await?;
                    Ok(Failures {
                        count: u64::try_from(count).unwrap_or(0),
                        oldest: oldest.map(Timestamp::from),
                    })
                }

                async fn record_failure(
                    &mut self,
                    key: &str,
                    attempt: Uuid,
                    at: Timestamp,
                    forget_before: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(sql::PRUNE_FAILURES)
                        .bind(key)
                        .bind(forget_before.unix())
                        .execute(&mut *self.tx)
                        .await?;
                    sqlx::query(sql::INSERT_FAILURE)
                        .bind(key)
                        .bind(at.unix())
                        .bind(attempt)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn release_attempt(&mut self, key: &str, attempt: Uuid) -> StoreResult<()> {
                    sqlx::query(sql::RELEASE_ATTEMPT)
                        .bind(key)
                        .bind(attempt)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn note_refusal(
                    &mut self,
                    key: &str,
                    now: Timestamp,
                    until: Timestamp,
                ) -> StoreResult<bool> {
                    let refused: i64 = sqlx::query_scalar(sql::NOTE_REFUSAL)
                        .bind(key)
                        .bind(until.unix())
                        .bind(now.unix())
                        .fetch_one(&mut *self.tx)
                        .await?;
                    Ok(refused == 1)
                }

                async fn insert_totp(&mut self, t: &TotpAuthenticator) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_TOTP)
                        .bind(t.id)
                        .bind(t.account_id)
                        .bind(&t.name)
                        .bind(&t.secret_sealed)
                        .bind(t.created_at.unix())
                        .bind(t.pending_until.map(Timestamp::unix))
                        .bind(t.pending_session_id)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn confirm_totp(
                    &mut self,
                    account: AccountId,
                    session: Uuid,
                    id: Uuid,
                    name: &str,
                    step: i64,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::CONFIRM_TOTP)
                        .bind(now.unix())
                        .bind(step)
                        .bind(name)
                        .bind(id)
                        .bind(account)
                        .bind(session)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn use_totp_step(
                    &mut self,
                    account: AccountId,
                    id: Uuid,
                    step: i64,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::USE_TOTP_STEP)
                        .bind(step)
                        .bind(now.unix())
                        .bind(id)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn rename_totp(
                    &mut self,
                    account: AccountId,
                    id: Uuid,
                    name: &str,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::RENAME_TOTP)
                        .bind(name)
                        .bind(id)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn delete_totp(&mut self, account: AccountId, id: Uuid) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::DELETE_TOTP)
                        .bind(id)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn delete_all_totp(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query(sql::DELETE_ALL_TOTP)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }

                async fn delete_expired_pending_totp(
                    &mut self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query(sql::DELETE_EXPIRED_PENDING_TOTP)
                        .bind(account)
                        .bind(now.unix())
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn count_live_totp(
                    &mut self,
                    account: AccountId,
                    now: Timestamp,
                ) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar(sql::COUNT_LIVE_TOTP)
                        .bind(account)
                        .bind(now.unix())
                        .fetch_one(&mut *self.tx)
                        .await?)
                }

                async fn insert_mfa_challenge(
                    &mut self,
                    id: &TokenHash,
                    c: &MfaChallenge,
                ) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_MFA_CHALLENGE)
                        .bind(id.as_bytes())
                        .bind(c.account_id)
                        .bind(c.created_at.unix())
                        .bind(c.expires_at.unix())
                        .bind(c.remember_me)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn consume_mfa_challenge(
                    &mut self,
                    id: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<MfaChallenge>> {
                    let row: Option<MfaChallengeRow> = sqlx::query_as(sql::CONSUME_MFA_CHALLENGE)
                        .bind(id.as_bytes())
                        .bind(now.unix())
                        .fetch_optional(&mut *self.tx)
                        .await?;
                    Ok(row.map(MfaChallenge::from))
                }

                async fn reserve_challenge_attempt(
                    &mut self,
                    id: &TokenHash,
                    now: Timestamp,
                    max: i64,
                ) -> StoreResult<Option<i64>> {
                    Ok(sqlx::query_scalar(sql::RESERVE_CHALLENGE_ATTEMPT)
                        .bind(id.as_bytes())
                        .bind(now.unix())
                        .bind(max)
                        .fetch_optional(&mut *self.tx)
                        .await?)
                }

                async fn delete_mfa_challenge(&mut self, id: &TokenHash) -> StoreResult<()> {
                    sqlx::query(sql::DELETE_MFA_CHALLENGE)
                        .bind(id.as_bytes())
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn delete_mfa_challenges_of(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query(sql::DELETE_MFA_CHALLENGES_OF_ACCOUNT)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }

                async fn reserve_totp_attempt(
                    &mut self,
                    account: AccountId,
                    max: i64,
                ) -> StoreResult<Option<i64>> {
                    Ok(sqlx::query_scalar(sql::RESERVE_TOTP_ATTEMPT)
                        .bind(account)
                        .bind(max)
                        .fetch_optional(&mut *self.tx)
                        .await?)
                }

                async fn reset_totp_failures(&mut self, account: AccountId) -> StoreResult<()> {
                    sqlx::query(sql::RESET_TOTP_FAILURES)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn replace_recovery_codes(
                    &mut self,
                    account: AccountId,
                    hashes: &[[u8; 32]],
                    now: Timestamp,
                ) -> StoreResult<()> {
                    self.delete_recovery_codes(account).await?;
                    for hash in hashes {
                        sqlx::query(sql::INSERT_RECOVERY_CODE)
                            .bind(account)
                            .bind(&hash[..])
                            .bind(now.unix())
                            .execute(&mut *self.tx)
                            .await?;
                    }
                    Ok(())
                }

                async fn delete_recovery_codes(&mut self, account: AccountId) -> StoreResult<()> {
                    sqlx::query(sql::DELETE_RECOVERY_CODES)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn use_recovery_code(
                    &mut self,
                    account: AccountId,
                    hash: &[u8; 32],
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::USE_RECOVERY_CODE)
                        .bind(now.unix())
                        .bind(account)
                        .bind(&hash[..])
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn recovery_status_in_tx(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<Option<RecoveryStatus>> {
                    let row = sqlx::query_as(sql::RECOVERY_STATUS)
                        .bind(account)
                        .fetch_one(&mut *self.tx)
                        .await?;
                    Ok(twofold_store::recovery_status(row))
                }

                async fn set_webauthn_user_id(
                    &mut self,
                    account: AccountId,
                    user: Uuid,
                ) -> StoreResult<()> {
                    sqlx::query(sql::SET_WEBAUTHN_USER_ID)
                        .bind(user)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn insert_passkey(&mut self, p: &PasskeyRecord) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_PASSKEY)
                        .bind(p.id)
                        .bind(p.account_id)
                        .bind(&p.credential_id)
                        .bind(&p.credential)
                        .bind(p.sign_count)
                        .bind(p.backup_eligible)
                        .bind(p.backup_state)
                        .bind(&p.transports)
                        .bind(&p.name)
                        .bind(p.created_at.unix())
                        .bind(p.aaguid)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn use_passkey(
                    &mut self,
                    id: Uuid,
                    sign_count: i64,
                    credential: &str,
                    backup_state: bool,
                    now: Timestamp,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::USE_PASSKEY)
                        .bind(sign_count)
                        .bind(credential)
                        .bind(backup_state)
                        .bind(now.unix())
                        .bind(id)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn rename_passkey(
                    &mut self,
                    account: AccountId,
                    id: Uuid,
                    name: &str,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::RENAME_PASSKEY)
                        .bind(name)
                        .bind(id)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn delete_passkey(
                    &mut self,
                    account: AccountId,
                    id: Uuid,
                ) -> StoreResult<bool> {
                    Ok(sqlx::query(sql::DELETE_PASSKEY)
                        .bind(id)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected()
                        == 1)
                }

                async fn delete_all_passkeys(&mut self, account: AccountId) -> StoreResult<u64> {
                    Ok(sqlx::query(sql::DELETE_ALL_PASSKEYS)
                        .bind(account)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected())
                }

                async fn strong_factors(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<StrongFactors> {
                    let (totp, passkeys): (i64, i64) = sqlx::query_as(sql::STRONG_FACTORS)
                        .bind(account)
                        .fetch_one(&mut *self.tx)
                        .await?;
                    Ok(StrongFactors {
                        totp: u64::try_from(totp).unwrap_or(0),
                        passkeys: u64::try_from(passkeys).unwrap_or(0),
                    })
                }

                async fn insert_ceremony(
                    &mut self,
                    id: &TokenHash,
                    c: &Ceremony,
                ) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_CEREMONY)
                        .bind(id.as_bytes())
                        .bind(&c.kind)
                        .bind(c.account_id)
                        .bind(c.session_id)
                        .bind(&c.state)
                        .bind(c.name.as_deref())
                        .bind(c.created_at.unix())
                        .bind(c.expires_at.unix())
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn consume_ceremony(
                    &mut self,
                    id: &TokenHash,
                    kind: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<Ceremony>> {
                    Ok(sqlx::query_as(sql::CONSUME_CEREMONY)
                        .bind(id.as_bytes())
                        .bind(kind)
                        .bind(now.unix())
                        .fetch_optional(&mut *self.tx)
                        .await?)
                }

                async fn prune_ceremonies(&mut self, now: Timestamp) -> StoreResult<()> {
                    sqlx::query(sql::PRUNE_CEREMONIES)
                        .bind(now.unix())
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn insert_key_check(
                    &mut self,
                    key_id: &[u8],
                    check: &[u8],
                ) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_KEY_CHECK)
                        .bind(key_id)
                        .bind(check)
                        .execute(&mut *self.tx)
                        .await?;
                    Ok(())
                }

                async fn commit(self: Box<Self>) -> StoreResult<()> {
                    self.tx.commit().await?;
                    Ok(())
                }
            }
        }
    };
}
