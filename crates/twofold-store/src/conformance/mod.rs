//! The conformance suite: what every backend must do, run against SQLite
//! and PostgreSQL alike (see the `store_conformance` tests). Each case takes
//! a fresh, migrated store and panics on a broken rule. One file per
//! aggregate, as the ports are; the helpers they share live here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_tokens;
mod accounts;
mod applications;
mod audit;
mod challenges;
mod maintenance;
mod mfa_deadlines;
mod passkeys;
mod password_links;
mod sessions;
mod throttle;
mod totp;

pub use access_tokens::*;
pub use accounts::*;
pub use applications::*;
pub use audit::*;
pub use challenges::*;
pub use maintenance::*;
pub use mfa_deadlines::*;
pub use passkeys::*;
pub use password_links::*;
pub use sessions::*;
pub use throttle::*;
pub use totp::*;

use std::sync::Arc;

use twofold_core::email::Email;
use twofold_core::factor::StrongFactors;
use twofold_core::session::{Aal, Amr};
use twofold_core::token::{CeremonyId, ChallengeId, SessionToken};
use twofold_core::{AccountId, EventId, PasskeyId, Role, SessionId, Timestamp, TotpId};
use uuid::Uuid;

use twofold_core::audit::{Actor, EventKind};
use twofold_core::ceremony::CeremonyKind;

use crate::{
    AccountListQuery, AccountSummary, AuditEvent, Ceremony, EventQuery, Failures, MfaChallenge,
    NewAccount, NewSession, PasskeyRecord, Session, Store, StoreError, TotpAuthenticator,
};

const T0: Timestamp = Timestamp::from_unix(1_700_000_000);

fn account(email: &str, role: Role) -> NewAccount {
    NewAccount {
        id: AccountId::from_uuid(ordered_id()),
        email: Email::parse(email).unwrap(),
        role,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        created_at: T0,
    }
}

async fn insert(store: &Arc<dyn Store>, new: &NewAccount) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    tx.insert_account(new).await?;
    tx.commit().await
}

fn session(account: AccountId, token: &SessionToken, expires_at: Timestamp) -> NewSession {
    NewSession {
        id: SessionId::from_uuid(ordered_id()),
        token_hash: token.hash(),
        account_id: account,
        aal: Aal::One,
        amr: vec![Amr::Pwd],
        created_at: T0,
        expires_at,
        remembered: false,
        enrolment_only: false,
        ip: Some("192.0.2.1".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
    }
}

/// An open MFA challenge for `account`, created at `T0`, with no failures.
fn challenge(account: AccountId, expires_at: Timestamp, remember_me: bool) -> MfaChallenge {
    MfaChallenge {
        account_id: account,
        created_at: T0,
        expires_at,
        failures: 0,
        remember_me,
    }
}

/// Stores `new` in a transaction of its own.
async fn insert_session(store: &Arc<dyn Store>, new: &NewSession) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(new).await.unwrap();
    tx.commit().await.unwrap();
}

/// The live session `token` opens at `at`, if any.
async fn session_at(
    store: &Arc<dyn Store>,
    token: &SessionToken,
    at: Timestamp,
) -> Option<Session> {
    store.session_by_token(&token.hash(), at).await.unwrap()
}

fn event(account_id: Option<AccountId>, kind: EventKind, at: Timestamp) -> AuditEvent {
    AuditEvent {
        id: EventId::from_uuid(ordered_id()),
        at,
        account_id,
        actor: if account_id.is_some() {
            Actor::Myself
        } else {
            Actor::Anonymous
        },
        kind,
        ip: Some("198.51.100.7".into()),
        user_agent: None,
        detail: r#"{"amr":["pwd"]}"#.into(),
    }
}

/// The session that starts the enrolments of these cases.
const ENROLLING_SESSION: SessionId =
    SessionId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));

fn totp(account: AccountId, pending_until: Option<Timestamp>) -> TotpAuthenticator {
    TotpAuthenticator {
        id: TotpId::from_uuid(ordered_id()),
        account_id: account,
        name: "Phone".into(),
        secret_sealed: vec![1, 2, 3],
        created_at: T0,
        pending_until,
        pending_session_id: pending_until.map(|_| ENROLLING_SESSION),
        confirmed_at: None,
        last_used_step: None,
        last_used_at: None,
    }
}

/// A fresh id that sorts after the ones made before it, as the audit log's
/// paging and the listings' tie-breaks expect. The store takes ids as given,
/// so the wall clock is fine here: these cases never compare ids with times.
#[allow(clippy::disallowed_methods)]
fn ordered_id() -> Uuid {
    Uuid::now_v7()
}

fn secs(n: u64) -> std::time::Duration {
    std::time::Duration::from_secs(n)
}

/// Every case, by name, for the backends' test runners.
#[macro_export]
macro_rules! conformance_cases {
    ($run:ident) => {
        $run!(accounts_round_trip);
        $run!(emails_are_unique_whatever_their_case);
        $run!(a_dropped_transaction_changes_nothing);
        $run!(only_one_first_account_under_concurrency);
        $run!(roles_change_and_owners_are_counted);
        $run!(role_changes_keep_an_owner_under_concurrency);
        $run!(the_account_list_counts_filters_and_pages);
        $run!(accounts_are_disabled_and_enabled);
        $run!(only_active_owners_are_counted);
        $run!(a_disabled_account_has_no_session_by_token);
        $run!(sessions_are_found_by_token_hash_until_they_expire);
        $run!(touching_a_session_writes_only_when_stale);
        $run!(a_session_is_deleted_only_by_its_account);
        $run!(migrations_can_run_twice);
        $run!(the_step_up_window_and_other_sessions);
        $run!(other_sessions_below_an_assurance_level_are_deleted);
        $run!(all_sessions_of_one_account_are_deleted);
        $run!(an_enrolment_only_session_is_cleared_once);
        $run!(the_audit_log_filters_pages_and_only_grows);
        $run!(failures_count_inside_their_window);
        $run!(a_released_attempt_no_longer_counts);
        $run!(reservations_never_exceed_the_limit_under_concurrency);
        $run!(a_lockout_is_noted_once_then_only_counted);
        $run!(a_challenge_gives_at_most_its_tries_under_concurrency);
        $run!(a_pending_authenticator_is_confirmed_once_before_it_expires);
        $run!(a_totp_step_is_accepted_once_under_concurrency);
        $run!(an_mfa_challenge_is_consumed_once);
        $run!(the_mfa_challenges_of_an_account_end_together);
        $run!(consecutive_totp_failures_count_and_reset);
        $run!(the_key_check_is_set_once);
        $run!(passkey_ids_are_unique_and_counters_only_move_forward);
        $run!(a_ceremony_is_consumed_once_and_only_as_its_kind);
        $run!(expired_rows_are_swept_and_live_ones_stay);
        $run!(an_mfa_deadline_is_set_once_and_never_moves);
        $run!(one_mfa_deadline_under_concurrency);
        $run!(a_password_link_is_found_until_it_expires_and_a_new_one_replaces_it);
        $run!(a_password_link_is_consumed_once_under_concurrency);
        $run!(access_tokens_are_found_by_keyed_hash_until_they_expire);
        $run!(an_access_token_use_is_recorded_once_per_look);
        $run!(access_tokens_are_revoked_only_by_their_account);
        $run!(applications_are_stored_listed_and_deleted);
    };
}
