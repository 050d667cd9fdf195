//! Attempt limits, held under any concurrency: an attempt is *reserved*
//! (counted) in one short transaction before the work it limits (a password
//! hash, a code check, a passkey verification), and refused there when a
//! counter is full. A success gives its reservation back; a failure simply
//! keeps it. So however many requests arrive at once, on however many
//! instances, at most `max` of them per window are ever evaluated.
//!
//! Refusals are audited once per lockout (the first one); the rest only add
//! to the lockout's count, so a flood of refused requests writes no rows.

use std::time::Duration;

use serde_json::json;
use twofold_core::AccountId;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::throttle::{Counter, CounterKey, limits};
use twofold_core::token::TokenHash;
use twofold_store::Tx;
use uuid::Uuid;

use crate::{App, AppError, AppResult, RequestContext};

/// A reserved attempt: counted under its keys until released.
#[must_use = "a successful attempt must be released; a failed one is dropped"]
pub(crate) struct Attempt {
    id: Uuid,
    keys: Vec<CounterKey>,
    /// This attempt used the MFA challenge's last try: a failure ends it.
    pub(crate) spends_challenge: bool,
}

/// What an attempt reserves, besides its counter keys.
#[derive(Default)]
pub(crate) struct Reserve<'a> {
    pub keys: Vec<CounterKey>,
    /// One of the MFA challenge's five tries.
    pub challenge: Option<&'a TokenHash>,
    /// One of the account's consecutive TOTP tries (NIST's cap).
    pub consecutive_totp: Option<AccountId>,
}

/// How a refusal is audited: which kind of event, about whom.
#[derive(Clone, Copy)]
pub(crate) struct Refusal {
    pub kind: EventKind,
    pub account: Option<AccountId>,
    pub actor: Actor,
}

impl Reserve<'_> {
    /// One attempt of this client address on `counter` (nothing to count
    /// for a client without an address).
    pub(crate) fn per_address(counter: Counter, ctx: &RequestContext) -> Self {
        Self {
            keys: ctx.address_key(counter).into_iter().collect(),
            ..Self::default()
        }
    }
}

impl Refusal {
    /// A refused attempt of a signed-in person on their own account.
    pub(crate) fn signed_in(account: AccountId) -> Self {
        Self {
            kind: EventKind::AttemptsThrottled,
            account: Some(account),
            actor: Actor::Myself,
        }
    }

    /// A refused attempt by someone not signed in, about no known account.
    pub(crate) fn anonymous() -> Self {
        Self {
            kind: EventKind::AttemptsThrottled,
            account: None,
            actor: Actor::Anonymous,
        }
    }
}

/// A full counter: its key, its stable name, and the wait until it frees.
struct Full {
    key: String,
    counter: &'static str,
    retry_after: Duration,
}

impl App {
    /// Reserves one attempt, atomically across requests and instances, or
    /// refuses: `RateLimited` when a counter is full, `ChallengeExpired`
    /// when the MFA challenge has no try left (or is gone), `TotpLocked`
    /// at the consecutive TOTP cap.
    pub(crate) async fn reserve(
        &self,
        mut reserve: Reserve<'_>,
        refusal: Refusal,
        ctx: &RequestContext,
    ) -> AppResult<Attempt> {
        let now = self.clock.now();
        let id = self.new_id();
        // One lock order for every request, so two reservations sharing
        // keys can never wait on each other.
        reserve.keys.sort_by(|a, b| a.key.cmp(&b.key));
        reserve.keys.dedup_by(|a, b| a.key == b.key);
        if reserve.keys.is_empty()
            && reserve.challenge.is_none()
            && reserve.consecutive_totp.is_none()
        {
            // Nothing to count (e.g. a client without an address).
            return Ok(Attempt {
                id,
                keys: Vec::new(),
                spends_challenge: false,
            });
        }

        let mut tx = self.store.begin().await?;
        let mut full = Vec::new();
        for counter in &reserve.keys {
            tx.lock_counter(&counter.key).await?;
            let limit = counter.limit();
            let failures = tx.failures(&counter.key, limit.window_start(now)).await?;
            if let Err(retry_after) = limit.check(failures, now) {
                full.push(Full {
                    key: counter.key.clone(),
                    counter: counter.counter.name(),
                    retry_after,
                });
            }
        }
        if !full.is_empty() {
            drop(tx);
            return Err(self.refuse(full, refusal, ctx).await?);
        }
        let mut spends_challenge = false;
        if let Some(challenge) = reserve.challenge {
            let max = limits::CODES_PER_CHALLENGE;
            match tx.reserve_challenge_attempt(challenge, now, max).await? {
                Some(tries) => spends_challenge = tries >= max,
                None => return Err(AppError::ChallengeExpired),
            }
        }
        if let Some(account) = reserve.consecutive_totp {
            let max = limits::TOTP_CONSECUTIVE_FAILURES;
            if tx.reserve_totp_attempt(account, max).await?.is_none() {
                drop(tx);
                let locked = Full {
                    key: format!("totp-consecutive:acct:{account}"),
                    counter: "totp_consecutive",
                    retry_after: limits::CODES_PER_ACCOUNT.window,
                };
                self.refuse(vec![locked], refusal, ctx).await?;
                return Err(AppError::TotpLocked);
            }
        }
        for counter in &reserve.keys {
            let limit = counter.limit();
            tx.record_failure(&counter.key, id, now, limit.window_start(now))
                .await?;
        }
        tx.commit().await?;
        Ok(Attempt {
            id,
            keys: reserve.keys,
            spends_challenge,
        })
    }

    /// Counts the refusals and audits the first one of each lockout; the
    /// error to answer with.
    async fn refuse(
        &self,
        full: Vec<Full>,
        refusal: Refusal,
        ctx: &RequestContext,
    ) -> AppResult<AppError> {
        let now = self.clock.now();
        let retry_after = full
            .iter()
            .map(|f| f.retry_after)
            .max()
            .unwrap_or(Duration::from_secs(1));
        let mut tx = self.store.begin().await?;
        for f in &full {
            let until = now.plus(f.retry_after);
            if tx.note_refusal(&f.key, now, until).await? {
                tracing::warn!(target: "security", counter = f.counter, account_id = ?refusal.account, "attempts refused: limit reached");
                let event = self.event(
                    refusal.kind,
                    refusal.account,
                    refusal.actor,
                    ctx,
                    json!({ "counter": f.counter, "retry_after": f.retry_after.as_secs() }),
                );
                self.audit(&mut *tx, event).await?;
            }
        }
        tx.commit().await?;
        Ok(AppError::RateLimited { retry_after })
    }

    /// Gives a successful attempt's reservation back, inside the use case's
    /// transaction (it commits with the success).
    pub(crate) async fn release(&self, tx: &mut dyn Tx, attempt: Attempt) -> AppResult<()> {
        for counter in &attempt.keys {
            tx.release_attempt(&counter.key, attempt.id).await?;
        }
        Ok(())
    }

    /// Settles an attempt whose work failed for a reason that is not a wrong
    /// guess (the hashing queue is full, the database failed, a new password
    /// broke the rules): the reservation is given back and the error passed
    /// on.
    pub(crate) async fn unless_failed<T>(
        &self,
        attempt: Attempt,
        work: AppResult<T>,
    ) -> AppResult<(Attempt, T)> {
        match work {
            Ok(value) => Ok((attempt, value)),
            Err(e) if attempt.keys.is_empty() => Err(e),
            Err(e) => {
                let mut tx = self.store.begin().await?;
                self.release(&mut *tx, attempt).await?;
                tx.commit().await?;
                Err(e)
            }
        }
    }
}
