//! MFA challenges: a sign-in waiting for its second factor, single use.

/// Implements `ChallengeReads` and `ChallengeTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! challenges {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl ChallengeReads for $store {
                async fn mfa_challenge(
                    &self,
                    id: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<MfaChallenge>> {
                    let row: Option<MfaChallengeRow> = sqlx::query_as(
                        "SELECT account_id, created_at, expires_at, failures, remember_me \
                         FROM mfa_challenges WHERE id_hash = $1 AND expires_at > $2",
                    )
                    .bind(id.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    Ok(row.map(MfaChallenge::from))
                }
            }

            #[async_trait]
            impl ChallengeTx for $tx {
                async fn insert_mfa_challenge(
                    &mut self,
                    id: &TokenHash,
                    c: &MfaChallenge,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO mfa_challenges \
                         (id_hash, account_id, created_at, expires_at, failures, remember_me) VALUES ($1, $2, $3, $4, 0, $5)",
                    )
                    .bind(id.as_bytes())
                    .bind(c.account_id.uuid())
                    .bind(c.created_at.unix())
                    .bind(c.expires_at.unix())
                    .bind(c.remember_me)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn consume_mfa_challenge(
                    &mut self,
                    id: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<MfaChallenge>> {
                    // Single use: exactly one caller gets the row back.
                    let row: Option<MfaChallengeRow> = sqlx::query_as(
                        "DELETE FROM mfa_challenges WHERE id_hash = $1 AND expires_at > $2 \
                         RETURNING account_id, created_at, expires_at, failures, remember_me",
                    )
                    .bind(id.as_bytes())
                    .bind(now.unix())
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(row.map(MfaChallenge::from))
                }

                async fn reserve_challenge_attempt(
                    &mut self,
                    id: &TokenHash,
                    now: Timestamp,
                    max: i64,
                ) -> StoreResult<Option<i64>> {
                    // Reserves one of the challenge's attempts: no row back means it is
                    // unknown, expired, or out of attempts.
                    Ok(sqlx::query_scalar(
                        "UPDATE mfa_challenges SET failures = failures + 1 \
                         WHERE id_hash = $1 AND expires_at > $2 AND failures < $3 RETURNING failures",
                    )
                    .bind(id.as_bytes())
                    .bind(now.unix())
                    .bind(max)
                    .fetch_optional(self.connection())
                    .await
                    .map_err(store_error)?)
                }

                async fn delete_mfa_challenge(&mut self, id: &TokenHash) -> StoreResult<()> {
                    sqlx::query("DELETE FROM mfa_challenges WHERE id_hash = $1")
                        .bind(id.as_bytes())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn delete_mfa_challenges_of(
                    &mut self,
                    account: AccountId,
                ) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM mfa_challenges WHERE account_id = $1")
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
