//! Throttle counters: failed attempts under a key, their reservations, and lockouts.

/// Implements `ThrottleTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! throttle {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl ThrottleTx for $tx {
                async fn lock_counter(&mut self, key: &str) -> StoreResult<()> {
                    self.lock_counter_key(key).await
                }

                async fn failures(&mut self, key: &str, since: Timestamp) -> StoreResult<Failures> {
                    let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                        "SELECT COUNT(*) AS count, MIN(at) AS oldest FROM throttle_failures WHERE key = $1 AND at > $2",
                    )
                    .bind(key)
                    .bind(since.unix())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
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
                    sqlx::query("DELETE FROM throttle_failures WHERE key = $1 AND at <= $2")
                        .bind(key)
                        .bind(forget_before.unix())
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    // A failed (or reserved, in-flight) attempt; `attempt` names the
                    // reservation so a success can release exactly it.
                    sqlx::query(
                        "INSERT INTO throttle_failures (key, at, attempt) VALUES ($1, $2, $3)",
                    )
                    .bind(key)
                    .bind(at.unix())
                    .bind(attempt)
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn release_attempt(&mut self, key: &str, attempt: Uuid) -> StoreResult<()> {
                    // A success gives its reservation back.
                    sqlx::query("DELETE FROM throttle_failures WHERE key = $1 AND attempt = $2")
                        .bind(key)
                        .bind(attempt)
                        .execute(self.connection())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn note_refusal(
                    &mut self,
                    key: &str,
                    now: Timestamp,
                    until: Timestamp,
                ) -> StoreResult<bool> {
                    // Counts a refusal under `key`: a refusal after the last lockout ended
                    // starts a new one (`refused` = 1, the caller audits it); refusals inside
                    // it only add to its count, so a flood writes no new rows.
                    let refused: i64 = sqlx::query_scalar(
                        "INSERT INTO throttle_lockouts (key, until, refused) VALUES ($1, $2, 1) \
                         ON CONFLICT (key) DO UPDATE SET \
                         refused = CASE WHEN throttle_lockouts.until > $3 THEN throttle_lockouts.refused + 1 ELSE 1 END, \
                         until = CASE WHEN throttle_lockouts.until > $3 THEN throttle_lockouts.until ELSE excluded.until END \
                         RETURNING refused",
                    )
                    .bind(key)
                    .bind(until.unix())
                    .bind(now.unix())
                    .fetch_one(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(refused == 1)
                }
            }
        };
    };
}
