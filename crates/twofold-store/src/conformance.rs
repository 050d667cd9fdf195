//! The conformance suite: what every backend must do, run against SQLite
//! and PostgreSQL alike (see the `store_conformance` tests). Each case takes
//! a fresh, migrated store and panics on a broken rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use twofold_core::email::Email;
use twofold_core::factor::StrongFactors;
use twofold_core::session::{Aal, Amr};
use twofold_core::token::SessionToken;
use twofold_core::{Role, Timestamp};
use uuid::Uuid;

use twofold_core::audit::{Actor, EventKind};

use crate::{
    AuditEvent, Ceremony, EventQuery, Failures, MfaChallenge, NewAccount, NewSession,
    PasskeyRecord, Store, StoreError, TotpAuthenticator,
};

const T0: Timestamp = Timestamp::from_unix(1_700_000_000);

fn account(email: &str, role: Role) -> NewAccount {
    NewAccount {
        id: Uuid::now_v7(),
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

fn session(account: Uuid, token: &SessionToken, expires_at: Timestamp) -> NewSession {
    NewSession {
        id: Uuid::now_v7(),
        token_hash: token.hash(),
        account_id: account,
        aal: Aal::One,
        amr: vec![Amr::Pwd],
        created_at: T0,
        expires_at,
        remembered: false,
        ip: Some("192.0.2.1".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
    }
}

pub async fn accounts_round_trip(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    let new = account("Alice@Example.com", Role::Admin);
    insert(&store, &new).await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 1);

    let found = store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .expect("found by normalized email");
    assert_eq!(found.id, new.id);
    assert_eq!(found.email, "Alice@Example.com");
    assert_eq!(found.role, Role::Admin);
    assert_eq!(found.created_at, T0);
    assert_eq!(found.password_hash, new.password_hash);
    assert_eq!(
        store.account_by_id(new.id).await.unwrap().unwrap().id,
        new.id
    );
    assert!(
        store
            .account_by_email("bob@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.account_by_id(Uuid::now_v7()).await.unwrap().is_none());

    let mut tx = store.begin().await.unwrap();
    tx.set_password_hash(new.id, "$argon2id$new").await.unwrap();
    tx.commit().await.unwrap();
    let found = store.account_by_id(new.id).await.unwrap().unwrap();
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$new"));
}

pub async fn emails_are_unique_whatever_their_case(store: Arc<dyn Store>) {
    insert(&store, &account("carol@example.com", Role::Member))
        .await
        .unwrap();
    let again = insert(&store, &account("CAROL@example.COM", Role::Member)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.count_accounts().await.unwrap(), 1);
}

pub async fn a_dropped_transaction_changes_nothing(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_account(&account("dave@example.com", Role::Member))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    // And the database is usable afterwards (no lock left behind).
    insert(&store, &account("dave@example.com", Role::Member))
        .await
        .unwrap();
}

pub async fn only_one_first_account_under_concurrency(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let created = tx
                .insert_first_account(&account(&format!("owner{i}@example.com"), Role::Owner))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            created
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert_eq!(store.count_accounts().await.unwrap(), 1);
}

pub async fn sessions_are_found_by_token_hash_until_they_expire(store: Arc<dyn Store>) {
    let owner = account("erin@example.com", Role::Owner);
    insert(&store, &owner).await.unwrap();
    let token = SessionToken::generate().unwrap();
    let expires = T0.plus(std::time::Duration::from_secs(3600));
    let new = session(owner.id, &token, expires);
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&new).await.unwrap();
    tx.commit().await.unwrap();

    let found = store
        .session_by_token(&token.hash(), T0)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(found.id, new.id);
    assert_eq!(found.account_id, owner.id);
    assert_eq!(found.account_email, "erin@example.com");
    assert_eq!(found.account_role, Role::Owner);
    assert_eq!(found.aal, Aal::One);
    assert_eq!(found.amr, vec![Amr::Pwd]);
    assert_eq!(found.last_seen_at, T0);
    assert_eq!(found.expires_at, expires);
    assert!(!found.remembered);
    assert_eq!(found.privileged_until, None);
    assert_eq!(found.ip.as_deref(), Some("192.0.2.1"));

    let remembered_token = SessionToken::generate().unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&NewSession {
        remembered: true,
        ..session(owner.id, &remembered_token, expires)
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let remembered = store
        .session_by_token(&remembered_token.hash(), T0)
        .await
        .unwrap()
        .expect("live session");
    assert!(remembered.remembered);

    let other = SessionToken::generate().unwrap();
    assert!(
        store
            .session_by_token(&other.hash(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_by_token(&token.hash(), expires)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn touching_a_session_writes_only_when_stale(store: Arc<dyn Store>) {
    let owner = account("frank@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let token = SessionToken::generate().unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&session(
        owner.id,
        &token,
        T0.plus(std::time::Duration::from_secs(86_400)),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let id = store
        .session_by_token(&token.hash(), T0)
        .await
        .unwrap()
        .unwrap()
        .id;
    let last_seen = |store: Arc<dyn Store>| {
        let hash = token.hash();
        async move {
            store
                .session_by_token(&hash, T0)
                .await
                .unwrap()
                .unwrap()
                .last_seen_at
                .unix()
        }
    };

    // Seen at T0: a touch that only writes when last seen before T0-1 does nothing.
    store
        .touch_session(id, T0.plus(secs(30)), T0.minus(secs(1)))
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.unix());
    store
        .touch_session(id, T0.plus(secs(60)), T0)
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.unix() + 60);
}

pub async fn a_session_is_deleted_only_by_its_account(store: Arc<dyn Store>) {
    let alice = account("gina@example.com", Role::Member);
    let bob = account("hank@example.com", Role::Member);
    insert(&store, &alice).await.unwrap();
    insert(&store, &bob).await.unwrap();
    let token = SessionToken::generate().unwrap();
    let new = session(alice.id, &token, T0.plus(secs(3600)));
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&new).await.unwrap();
    assert!(!tx.delete_session(bob.id, new.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        store
            .session_by_token(&token.hash(), T0)
            .await
            .unwrap()
            .is_some()
    );

    let mut tx = store.begin().await.unwrap();
    assert!(tx.delete_session(alice.id, new.id).await.unwrap());
    assert!(!tx.delete_session(alice.id, new.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        store
            .session_by_token(&token.hash(), T0)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn migrations_can_run_twice(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

pub async fn the_step_up_window_and_other_sessions(store: Arc<dyn Store>) {
    let owner = account("ivan@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let tokens: Vec<SessionToken> = (0..3).map(|_| SessionToken::generate().unwrap()).collect();
    let mut ids = Vec::new();
    let mut tx = store.begin().await.unwrap();
    for token in &tokens {
        let new = session(owner.id, token, T0.plus(secs(3600)));
        ids.push(new.id);
        tx.insert_session(&new).await.unwrap();
    }
    tx.set_privileged_until(ids[0], T0.plus(secs(300)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let first = store
        .session_by_token(&tokens[0].hash(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.privileged_until, Some(T0.plus(secs(300))));
    let second = store
        .session_by_token(&tokens[1].hash(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.privileged_until, None);
    assert_eq!(store.sessions_of(owner.id, T0).await.unwrap().len(), 3);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.delete_other_sessions(owner.id, ids[0]).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let left = store.sessions_of(owner.id, T0).await.unwrap();
    assert_eq!(left.iter().map(|s| s.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(
        store
            .sessions_of(owner.id, T0.plus(secs(3600)))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn other_sessions_below_an_assurance_level_are_deleted(store: Arc<dyn Store>) {
    let owner = account("ines@example.com", Role::Member);
    let bystander = account("igor@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &bystander).await.unwrap();
    let at_level = |account: Uuid, aal: Aal| NewSession {
        aal,
        ..session(
            account,
            &SessionToken::generate().unwrap(),
            T0.plus(secs(3600)),
        )
    };
    let current = at_level(owner.id, Aal::One);
    let weaker = at_level(owner.id, Aal::One);
    let stronger = at_level(owner.id, Aal::Two);
    let theirs = at_level(bystander.id, Aal::One);
    let mut tx = store.begin().await.unwrap();
    for new in [&current, &weaker, &stronger, &theirs] {
        tx.insert_session(new).await.unwrap();
    }
    assert_eq!(
        tx.delete_other_sessions_below_aal(owner.id, current.id, Aal::Two)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    let mut left: Vec<Uuid> = store
        .sessions_of(owner.id, T0)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    left.sort();
    let mut expected = vec![current.id, stronger.id];
    expected.sort();
    assert_eq!(left, expected, "the current one and the stronger one stay");
    assert_eq!(store.sessions_of(bystander.id, T0).await.unwrap().len(), 1);
}

fn event(account_id: Option<Uuid>, kind: EventKind, at: Timestamp) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
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

pub async fn the_audit_log_filters_pages_and_only_grows(store: Arc<dyn Store>) {
    let alice = Uuid::now_v7();
    let bob = Uuid::now_v7();
    let mut written = Vec::new();
    let mut tx = store.begin().await.unwrap();
    for (i, (who, kind)) in [
        (Some(alice), EventKind::AccountCreated),
        (Some(alice), EventKind::SignInSucceeded),
        (None, EventKind::SignInFailed),
        (Some(bob), EventKind::SignInSucceeded),
        (Some(alice), EventKind::PasswordChanged),
    ]
    .into_iter()
    .enumerate()
    {
        let e = event(who, kind, T0.plus(secs(i as u64)));
        tx.insert_event(&e).await.unwrap();
        written.push(e);
    }
    tx.commit().await.unwrap();

    let all = store
        .events(&EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].id, written[4].id, "newest first");
    assert_eq!(all[0].detail, r#"{"amr":["pwd"]}"#);
    assert_eq!(all[2].actor, Actor::Anonymous);
    assert_eq!(all[2].account_id, None);

    let mine = store
        .events(&EventQuery {
            account_id: Some(alice),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![
            EventKind::PasswordChanged,
            EventKind::SignInSucceeded,
            EventKind::AccountCreated
        ]
    );
    let sign_ins = store
        .events(&EventQuery {
            kind: Some(EventKind::SignInSucceeded),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 2);
    let page = store
        .events(&EventQuery {
            account_id: Some(alice),
            before: Some(mine[0].id),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![mine[1].id]
    );
}

pub async fn failures_count_inside_their_window(store: Arc<dyn Store>) {
    let key = "pwd:acct:x@example.com";
    let mut tx = store.begin().await.unwrap();
    for at in [0, 100, 200] {
        tx.record_failure(key, Uuid::now_v7(), T0.plus(secs(at)), T0.minus(secs(3600)))
            .await
            .unwrap();
    }
    tx.record_failure("other", Uuid::now_v7(), T0, T0.minus(secs(3600)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let all = tx.failures(key, T0.minus(secs(1))).await.unwrap();
    assert_eq!(
        all,
        Failures {
            count: 3,
            oldest: Some(T0)
        }
    );
    let later = tx.failures(key, T0).await.unwrap();
    assert_eq!(
        later,
        Failures {
            count: 2,
            oldest: Some(T0.plus(secs(100)))
        }
    );
    assert_eq!(
        tx.failures("nobody", T0.minus(secs(1))).await.unwrap(),
        Failures::default()
    );

    // Old failures are forgotten when a new one is recorded.
    tx.record_failure(key, Uuid::now_v7(), T0.plus(secs(300)), T0.plus(secs(100)))
        .await
        .unwrap();
    let pruned = tx.failures(key, T0.minus(secs(10_000))).await.unwrap();
    assert_eq!(
        pruned,
        Failures {
            count: 2,
            oldest: Some(T0.plus(secs(200)))
        }
    );
    tx.commit().await.unwrap();
}

pub async fn a_released_attempt_no_longer_counts(store: Arc<dyn Store>) {
    let (kept, released) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = store.begin().await.unwrap();
    for attempt in [kept, released] {
        for key in ["a", "b"] {
            tx.record_failure(key, attempt, T0, T0.minus(secs(60)))
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.release_attempt("a", released).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let since = T0.minus(secs(1));
    assert_eq!(tx.failures("a", since).await.unwrap().count, 1);
    assert_eq!(
        tx.failures("b", since).await.unwrap().count,
        2,
        "other keys keep theirs"
    );
}

/// The reservation every limit relies on: lock the key, count, add one if
/// under the limit, commit. Run by 32 tasks at once, exactly `max` win.
pub async fn reservations_never_exceed_the_limit_under_concurrency(store: Arc<dyn Store>) {
    const MAX: u64 = 5;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            tx.lock_counter("shared").await.unwrap();
            let failures = tx.failures("shared", T0.minus(secs(60))).await.unwrap();
            if failures.count >= MAX {
                return false;
            }
            tx.record_failure("shared", Uuid::now_v7(), T0, T0.minus(secs(60)))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            true
        }));
    }
    let mut reserved = 0;
    for task in tasks {
        reserved += u64::from(task.await.unwrap());
    }
    assert_eq!(reserved, MAX);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.failures("shared", T0.minus(secs(60)))
            .await
            .unwrap()
            .count,
        MAX
    );
}

pub async fn a_lockout_is_noted_once_then_only_counted(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.unwrap();
    let until = T0.plus(secs(600));
    assert!(
        tx.note_refusal("k", T0, until).await.unwrap(),
        "first refusal"
    );
    assert!(!tx.note_refusal("k", T0.plus(secs(1)), until).await.unwrap());
    assert!(
        !tx.note_refusal("k", T0.plus(secs(599)), until)
            .await
            .unwrap()
    );
    assert!(tx.note_refusal("other", T0, until).await.unwrap());
    // After the lockout ends, the next refusal starts a new one.
    assert!(
        tx.note_refusal("k", T0.plus(secs(600)), T0.plus(secs(1200)))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

/// The session that starts the enrolments of these cases.
const ENROLLING_SESSION: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);

fn totp(account: Uuid, pending_until: Option<Timestamp>) -> TotpAuthenticator {
    TotpAuthenticator {
        id: Uuid::now_v7(),
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

pub async fn a_pending_authenticator_is_confirmed_once_before_it_expires(store: Arc<dyn Store>) {
    let owner = account("jane@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let pending = totp(owner.id, Some(T0.plus(secs(600))));
    let late = totp(owner.id, Some(T0.plus(secs(10))));
    let mut tx = store.begin().await.unwrap();
    tx.insert_totp(&pending).await.unwrap();
    tx.insert_totp(&late).await.unwrap();
    assert_eq!(tx.strong_factors(owner.id).await.unwrap().totp, 0);
    assert_eq!(tx.count_live_totp(owner.id, T0).await.unwrap(), 2);
    assert_eq!(
        tx.count_live_totp(owner.id, T0.plus(secs(10)))
            .await
            .unwrap(),
        1,
        "an expired enrolment does not count"
    );
    let s = ENROLLING_SESSION;
    assert!(
        !tx.confirm_totp(owner.id, s, late.id, "Late", 5, T0.plus(secs(10)))
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !tx.confirm_totp(Uuid::now_v7(), s, pending.id, "x", 5, T0)
            .await
            .unwrap(),
        "another account's"
    );
    assert!(
        !tx.confirm_totp(owner.id, Uuid::now_v7(), pending.id, "x", 5, T0)
            .await
            .unwrap(),
        "another session's"
    );
    assert!(
        tx.confirm_totp(owner.id, s, pending.id, "Work phone", 5, T0)
            .await
            .unwrap()
    );
    assert!(
        !tx.confirm_totp(owner.id, s, pending.id, "Again", 6, T0)
            .await
            .unwrap(),
        "only once"
    );
    assert_eq!(
        tx.strong_factors(owner.id).await.unwrap(),
        StrongFactors {
            totp: 1,
            passkeys: 0
        }
    );
    assert_eq!(
        tx.count_live_totp(owner.id, T0.plus(secs(10)))
            .await
            .unwrap(),
        1,
        "a confirmed one counts whatever the time"
    );
    tx.delete_expired_pending_totp(owner.id, T0.plus(secs(10)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = store.totp_authenticators(owner.id).await.unwrap();
    assert_eq!(all.len(), 1, "the expired pending one is gone");
    assert_eq!(all[0].name, "Work phone");
    assert_eq!(all[0].confirmed_at, Some(T0));
    assert_eq!(all[0].pending_until, None);
    assert_eq!(all[0].pending_session_id, None);
    assert_eq!(all[0].last_used_step, Some(5));
    assert_eq!(all[0].secret_sealed, vec![1, 2, 3]);
}

pub async fn a_totp_step_is_accepted_once_under_concurrency(store: Arc<dyn Store>) {
    let owner = account("kim@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let t = totp(owner.id, Some(T0.plus(secs(600))));
    let mut tx = store.begin().await.unwrap();
    tx.insert_totp(&t).await.unwrap();
    assert!(
        !tx.use_totp_step(owner.id, t.id, 10, T0).await.unwrap(),
        "pending cannot be used"
    );
    assert!(
        tx.confirm_totp(owner.id, ENROLLING_SESSION, t.id, "Phone", 10, T0)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let (account, id) = (owner.id, t.id);
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let won = tx
                .use_totp_step(account, id, 11, T0.plus(secs(30)))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            won
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.use_totp_step(owner.id, t.id, 11, T0).await.unwrap(),
        "replay"
    );
    assert!(
        !tx.use_totp_step(owner.id, t.id, 10, T0).await.unwrap(),
        "older step"
    );
    assert!(
        tx.use_totp_step(owner.id, t.id, 12, T0.plus(secs(60)))
            .await
            .unwrap()
    );
    assert!(tx.rename_totp(owner.id, t.id, "Renamed").await.unwrap());
    assert!(
        !tx.rename_totp(Uuid::now_v7(), t.id, "Theirs")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let stored = &store.totp_authenticators(owner.id).await.unwrap()[0];
    assert_eq!(
        (stored.last_used_step, stored.last_used_at),
        (Some(12), Some(T0.plus(secs(60))))
    );
    assert_eq!(stored.name, "Renamed");
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.delete_totp(Uuid::now_v7(), t.id).await.unwrap());
    assert!(tx.delete_totp(owner.id, t.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        store
            .totp_authenticators(owner.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn an_mfa_challenge_is_consumed_once(store: Arc<dyn Store>) {
    let owner = account("lee@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let id = SessionToken::generate().unwrap().hash();
    let challenge = MfaChallenge {
        account_id: owner.id,
        created_at: T0,
        expires_at: T0.plus(secs(300)),
        failures: 0,
        remember_me: true,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&id, &challenge).await.unwrap();
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0.plus(secs(300)), 3)
            .await
            .unwrap(),
        None,
        "expired"
    );
    tx.commit().await.unwrap();
    let found = store.mfa_challenge(&id, T0).await.unwrap().unwrap();
    assert_eq!(
        (found.account_id, found.failures, found.remember_me),
        (owner.id, 2, true)
    );
    assert!(
        store
            .mfa_challenge(&id, T0.plus(secs(300)))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.consume_mfa_challenge(&id, T0).await.unwrap();
            tx.commit().await.unwrap();
            got.is_some()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert!(store.mfa_challenge(&id, T0).await.unwrap().is_none());
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.reserve_challenge_attempt(&id, T0, 3).await.unwrap(),
        None
    );
    tx.commit().await.unwrap();
}

pub async fn a_challenge_gives_at_most_its_tries_under_concurrency(store: Arc<dyn Store>) {
    let owner = account("tries@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let id = SessionToken::generate().unwrap().hash();
    let challenge = MfaChallenge {
        account_id: owner.id,
        created_at: T0,
        expires_at: T0.plus(secs(300)),
        failures: 0,
        remember_me: false,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&id, &challenge).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.reserve_challenge_attempt(&id, T0, 5).await.unwrap();
            tx.commit().await.unwrap();
            got.is_some()
        }));
    }
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap());
    }
    assert_eq!(granted, 5);
}

pub async fn the_mfa_challenges_of_an_account_end_together(store: Arc<dyn Store>) {
    let owner = account("lou@example.com", Role::Member);
    let bystander = account("lyn@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    insert(&store, &bystander).await.unwrap();
    let challenge = |account_id: Uuid| MfaChallenge {
        account_id,
        created_at: T0,
        expires_at: T0.plus(secs(300)),
        failures: 0,
        remember_me: false,
    };
    let ids: Vec<_> = (0..3)
        .map(|_| SessionToken::generate().unwrap().hash())
        .collect();
    let mut tx = store.begin().await.unwrap();
    tx.insert_mfa_challenge(&ids[0], &challenge(owner.id))
        .await
        .unwrap();
    tx.insert_mfa_challenge(&ids[1], &challenge(owner.id))
        .await
        .unwrap();
    tx.insert_mfa_challenge(&ids[2], &challenge(bystander.id))
        .await
        .unwrap();
    assert_eq!(tx.delete_mfa_challenges_of(owner.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(store.mfa_challenge(&ids[0], T0).await.unwrap().is_none());
    assert!(store.mfa_challenge(&ids[1], T0).await.unwrap().is_none());
    assert!(store.mfa_challenge(&ids[2], T0).await.unwrap().is_some());
}

pub async fn consecutive_totp_failures_count_and_reset(store: Arc<dyn Store>) {
    let owner = account("max@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.reserve_totp_attempt(owner.id, 2).await.unwrap(), Some(1));
    assert_eq!(tx.reserve_totp_attempt(owner.id, 2).await.unwrap(), Some(2));
    assert_eq!(
        tx.reserve_totp_attempt(owner.id, 2).await.unwrap(),
        None,
        "at the cap"
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.reset_totp_failures(owner.id).await.unwrap();
    assert_eq!(
        tx.reserve_totp_attempt(owner.id, 2).await.unwrap(),
        Some(1),
        "a success starts the count again"
    );
    tx.commit().await.unwrap();
}

pub async fn the_key_check_is_set_once(store: Arc<dyn Store>) {
    assert_eq!(store.key_check().await.unwrap(), None);
    for check in [b"first", b"other"] {
        let mut tx = store.begin().await.unwrap();
        tx.insert_key_check(b"id", check).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        store.key_check().await.unwrap(),
        Some((b"id".to_vec(), b"first".to_vec()))
    );
}

fn passkey(account: Uuid, credential_id: &[u8], sign_count: i64) -> PasskeyRecord {
    PasskeyRecord {
        id: Uuid::now_v7(),
        account_id: account,
        credential_id: credential_id.to_vec(),
        credential: "{}".into(),
        sign_count,
        backup_eligible: true,
        backup_state: false,
        transports: "internal".into(),
        aaguid: Some(Uuid::now_v7()),
        name: "Laptop".into(),
        created_at: T0,
        last_used_at: None,
    }
}

pub async fn passkey_ids_are_unique_and_counters_only_move_forward(store: Arc<dyn Store>) {
    let alice = account("nina@example.com", Role::Member);
    let bob = account("otto@example.com", Role::Member);
    insert(&store, &alice).await.unwrap();
    insert(&store, &bob).await.unwrap();
    let counted = passkey(alice.id, b"cred-1", 5);
    let uncounted = passkey(alice.id, b"cred-2", 0);
    let mut tx = store.begin().await.unwrap();
    tx.insert_passkey(&counted).await.unwrap();
    tx.insert_passkey(&uncounted).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let taken = tx.insert_passkey(&passkey(bob.id, b"cred-1", 0)).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict)),
        "a credential id belongs to one account"
    );
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.use_passkey(counted.id, 5, "{}", false, T0)
            .await
            .unwrap(),
        "equal"
    );
    assert!(
        !tx.use_passkey(counted.id, 3, "{}", false, T0)
            .await
            .unwrap(),
        "back"
    );
    assert!(
        tx.use_passkey(counted.id, 6, r#"{"n":6}"#, true, T0.plus(secs(1)))
            .await
            .unwrap()
    );
    assert!(
        tx.use_passkey(uncounted.id, 0, "{}", false, T0)
            .await
            .unwrap(),
        "no counter"
    );
    assert!(
        tx.use_passkey(uncounted.id, 0, "{}", false, T0)
            .await
            .unwrap(),
        "still none"
    );
    assert_eq!(tx.strong_factors(alice.id).await.unwrap().passkeys, 2);
    tx.commit().await.unwrap();

    let found = store
        .passkey_by_credential_id(b"cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.sign_count, found.backup_state),
        (counted.id, 6, true)
    );
    assert_eq!(found.credential, r#"{"n":6}"#);
    assert_eq!(found.last_used_at, Some(T0.plus(secs(1)).unix()));
    assert_eq!(found.aaguid, counted.aaguid);
    assert!(
        store
            .passkey_by_credential_id(b"nope")
            .await
            .unwrap()
            .is_none()
    );
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.delete_passkey(bob.id, counted.id).await.unwrap(),
        "not bob's"
    );
    assert!(
        tx.rename_passkey(alice.id, counted.id, "Work")
            .await
            .unwrap()
    );
    assert_eq!(tx.delete_all_passkeys(alice.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(store.passkeys(alice.id).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    let user = Uuid::new_v4();
    tx.set_webauthn_user_id(alice.id, user).await.unwrap();
    tx.set_webauthn_user_id(alice.id, Uuid::new_v4())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.webauthn_user_id(alice.id).await.unwrap(),
        Some(user),
        "set once"
    );
    assert_eq!(
        store
            .account_by_webauthn_user(user)
            .await
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );
}

pub async fn a_ceremony_is_consumed_once_and_only_as_its_kind(store: Arc<dyn Store>) {
    let id = SessionToken::generate().unwrap().hash();
    let ceremony = Ceremony {
        kind: "passwordless".into(),
        account_id: None,
        session_id: None,
        state: r#"{"state":1}"#.into(),
        name: None,
        created_at: T0,
        expires_at: T0.plus(secs(300)),
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_ceremony(&id, &ceremony).await.unwrap();
    assert!(
        tx.consume_ceremony(&id, "mfa", T0).await.unwrap().is_none(),
        "another kind"
    );
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.consume_ceremony(&id, "passwordless", T0).await.unwrap();
            tx.commit().await.unwrap();
            got.map(|c| c.state)
        }));
    }
    let mut states = Vec::new();
    for task in tasks {
        states.extend(task.await.unwrap());
    }
    assert_eq!(states, vec![r#"{"state":1}"#.to_owned()]);

    let late = SessionToken::generate().unwrap().hash();
    let mut tx = store.begin().await.unwrap();
    tx.insert_ceremony(&late, &ceremony).await.unwrap();
    assert!(
        tx.consume_ceremony(&late, "passwordless", T0.plus(secs(300)))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    tx.prune_ceremonies(T0.plus(secs(300))).await.unwrap();
    assert!(
        tx.consume_ceremony(&late, "passwordless", T0)
            .await
            .unwrap()
            .is_none(),
        "pruned"
    );
    tx.commit().await.unwrap();
}

pub async fn expired_rows_are_swept_and_live_ones_stay(store: Arc<dyn Store>) {
    let owner = account("pia@example.com", Role::Member);
    insert(&store, &owner).await.unwrap();
    let (old, live) = (
        SessionToken::generate().unwrap(),
        SessionToken::generate().unwrap(),
    );
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&session(owner.id, &old, T0.plus(secs(10))))
        .await
        .unwrap();
    tx.insert_session(&session(owner.id, &live, T0.plus(secs(3600))))
        .await
        .unwrap();
    tx.insert_totp(&totp(owner.id, Some(T0.plus(secs(10)))))
        .await
        .unwrap();
    tx.insert_totp(&totp(owner.id, Some(T0.plus(secs(3600)))))
        .await
        .unwrap();
    let challenge = MfaChallenge {
        account_id: owner.id,
        created_at: T0,
        expires_at: T0.plus(secs(10)),
        failures: 0,
        remember_me: false,
    };
    tx.insert_mfa_challenge(&SessionToken::generate().unwrap().hash(), &challenge)
        .await
        .unwrap();
    tx.record_failure(
        "old",
        Uuid::now_v7(),
        T0.minus(secs(86_400)),
        T0.minus(secs(100_000)),
    )
    .await
    .unwrap();
    tx.record_failure("recent", Uuid::now_v7(), T0, T0.minus(secs(100_000)))
        .await
        .unwrap();
    tx.note_refusal("ended", T0, T0.plus(secs(5)))
        .await
        .unwrap();
    tx.note_refusal("running", T0, T0.plus(secs(600)))
        .await
        .unwrap();
    let old_event = event(
        Some(owner.id),
        EventKind::SignInFailed,
        T0.minus(secs(1000)),
    );
    let new_event = event(Some(owner.id), EventKind::SignInFailed, T0.minus(secs(10)));
    tx.insert_event(&old_event).await.unwrap();
    tx.insert_event(&new_event).await.unwrap();
    tx.commit().await.unwrap();

    let audit_before = T0.minus(secs(100));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.sweep_expired(T0.plus(secs(10)), audit_before)
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        tx.sweep_expired(T0.plus(secs(10)), audit_before)
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    let events = store
        .events(&EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![new_event.id],
        "only events older than the retention go"
    );
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.note_refusal("running", T0.plus(secs(11)), T0.plus(secs(900)))
            .await
            .unwrap(),
        "a running lockout survives the sweep"
    );
    tx.commit().await.unwrap();
    // The retention never moves back: an older cutoff deletes nothing more,
    // and newer rows stay append-only.
    let mut tx = store.begin().await.unwrap();
    tx.sweep_expired(T0.plus(secs(10)), T0.minus(secs(5000)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.sessions_of(owner.id, T0).await.unwrap().len(), 1);
    assert!(
        store
            .session_by_token(&live.hash(), T0)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.totp_authenticators(owner.id).await.unwrap().len(), 1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.failures("recent", T0.minus(secs(1)))
            .await
            .unwrap()
            .count,
        1
    );
    assert_eq!(
        tx.failures("old", T0.minus(secs(200_000)))
            .await
            .unwrap()
            .count,
        0
    );
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
        $run!(sessions_are_found_by_token_hash_until_they_expire);
        $run!(touching_a_session_writes_only_when_stale);
        $run!(a_session_is_deleted_only_by_its_account);
        $run!(migrations_can_run_twice);
        $run!(the_step_up_window_and_other_sessions);
        $run!(other_sessions_below_an_assurance_level_are_deleted);
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
    };
}
