//! The use cases called directly, without HTTP: an `App` over a real SQLite
//! store in a temporary folder, with a clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use tempfile::TempDir;
use twofold_app::{
    App, AppError, IssuedSession, MfaMethod, MfaProof, PasswordHashing, Policy, Proof,
    RequestContext, Session, SignInOutcome,
};
use twofold_core::key::ServerKey;
use twofold_core::password::PasswordHasher;
use twofold_core::session::{Aal, Amr};
use twofold_core::throttle::limits;
use twofold_core::totp::TotpSecret;
use twofold_core::{Clock, Timestamp};
use twofold_sqlite::SqliteStore;
use twofold_store::Store as _;

const EMAIL: &str = "owner@example.com";
const PASSWORD: &str = "correct horse battery";

/// A clock that moves only when the test says so.
struct TestClock(AtomicI64);

impl TestClock {
    fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap();
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.0.load(Ordering::SeqCst))
    }
}

struct Instance {
    app: App,
    clock: Arc<TestClock>,
    ctx: RequestContext,
    _dir: TempDir,
}

async fn instance() -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("twofold.db").display());
    let store = Arc::new(SqliteStore::open(&url).await.unwrap());
    store.migrate().await.unwrap();
    let key = ServerKey::generate().unwrap();
    assert!(
        twofold_app::server_key_matches(store.as_ref(), &key)
            .await
            .unwrap()
    );
    let clock = Arc::new(TestClock(AtomicI64::new(1_700_000_000)));
    let app = App::new(
        store,
        clock.clone(),
        key,
        PasswordHashing::new(PasswordHasher::new().unwrap(), 2),
        Policy::default(),
        None,
    );
    let ctx = RequestContext {
        ip: Some("192.0.2.7".to_owned()),
        user_agent: Some("use-case test".to_owned()),
    };
    Instance {
        app,
        clock,
        ctx,
        _dir: dir,
    }
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

impl Instance {
    async fn owner(&self) -> IssuedSession {
        self.app
            .set_up_owner(EMAIL, secret(PASSWORD), &self.ctx)
            .await
            .unwrap()
    }

    async fn sign_in(&self, password: &str) -> Result<SignInOutcome, AppError> {
        self.app
            .sign_in(EMAIL, secret(password), false, &self.ctx)
            .await
    }

    /// The session again after a password step-up (as the next request sees it).
    async fn stepped_up(&self, issued: &IssuedSession) -> Session {
        self.app
            .reauthenticate(
                &issued.session,
                Proof::Password(secret(PASSWORD)),
                &self.ctx,
            )
            .await
            .unwrap();
        self.app.authenticate(issued.token.expose()).await.unwrap()
    }

    /// Enrols and confirms an authenticator app; its secret and the first
    /// recovery codes.
    async fn enrol_totp(&self, session: &Session) -> (TotpSecret, Vec<String>) {
        let pending = self.app.start_totp(session, Some("Phone")).await.unwrap();
        let code = pending.secret.code_at(self.clock.now());
        let confirmed = self
            .app
            .confirm_totp(session, pending.id, &code, None, &self.ctx)
            .await
            .unwrap();
        let sheet = confirmed
            .recovery_codes
            .expect("the first factor brings a recovery sheet");
        let codes = sheet.codes.iter().map(|c| c.display()).collect();
        (pending.secret, codes)
    }

    async fn challenge(&self) -> twofold_app::IssuedChallenge {
        match self.sign_in(PASSWORD).await.unwrap() {
            SignInOutcome::MfaRequired(challenge) => challenge,
            SignInOutcome::Active(_) => panic!("MFA is on: the password alone must not sign in"),
        }
    }
}

#[tokio::test]
async fn the_owner_set_up_signs_in_with_the_password() {
    let it = instance().await;
    assert!(it.app.needs_setup().await.unwrap());
    let setup = it.owner().await;
    assert!(!it.app.needs_setup().await.unwrap());
    assert_eq!(setup.session.account_email, EMAIL);
    assert_eq!(setup.session.aal, Aal::One);
    assert_eq!(setup.session.amr, vec![Amr::Pwd]);

    let SignInOutcome::Active(issued) = it.sign_in(PASSWORD).await.unwrap() else {
        panic!("no MFA yet: the password signs in");
    };
    assert_eq!(issued.session.account_id, setup.session.account_id);
    assert!(!issued.persistent);
    let seen = it.app.authenticate(issued.token.expose()).await.unwrap();
    assert_eq!(seen.id, issued.session.id);
    let sessions = it.app.sessions(&seen).await.unwrap();
    assert_eq!(sessions.len(), 2, "the setup session and this one");
}

#[tokio::test]
async fn wrong_passwords_count_and_at_the_limit_the_right_one_is_refused() {
    let it = instance().await;
    let owner = it.owner().await;
    for _ in 0..limits::PASSWORD_PER_ACCOUNT.max {
        assert!(matches!(
            it.sign_in("not the password at all").await,
            Err(AppError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        it.sign_in(PASSWORD).await,
        Err(AppError::RateLimited { .. })
    ));
    let sessions = it.app.sessions(&owner.session).await.unwrap();
    assert_eq!(sessions.len(), 1, "no session was issued past the limit");

    it.clock.advance(limits::PASSWORD_PER_ACCOUNT.window);
    assert!(matches!(
        it.sign_in(PASSWORD).await,
        Ok(SignInOutcome::Active(_))
    ));
}

#[tokio::test]
async fn an_authenticator_app_turns_mfa_on_and_sign_in_then_needs_a_code() {
    let it = instance().await;
    let owner = it.owner().await;
    let session = it.stepped_up(&owner).await;
    let (totp, codes) = it.enrol_totp(&session).await;
    assert_eq!(codes.len(), 10);
    let overview = it.app.mfa_overview(session.account_id).await.unwrap();
    assert!(overview.enabled());
    assert_eq!(overview.totp.len(), 1);
    assert_eq!(overview.totp[0].name, "Phone");
    assert_eq!(overview.recovery.unwrap().remaining, 10);

    let challenge = it.challenge().await;
    assert!(challenge.methods.contains(&MfaMethod::Totp));
    assert!(challenge.methods.contains(&MfaMethod::RecoveryCode));
    // The enrolment used this step's code: the next step's signs in.
    it.clock.advance(Duration::from_secs(30));
    let code = totp.code_at(it.clock.now());
    let issued = it
        .app
        .complete_mfa(challenge.id.expose(), MfaProof::Totp(code.clone()), &it.ctx)
        .await
        .unwrap();
    assert_eq!(issued.session.aal, Aal::Two);
    assert_eq!(issued.session.amr, vec![Amr::Pwd, Amr::Otp]);
    assert_eq!(issued.recovery_codes_left, None);

    // The same code again is a replay, refused.
    let again = it.challenge().await;
    assert!(matches!(
        it.app
            .complete_mfa(again.id.expose(), MfaProof::Totp(code), &it.ctx)
            .await,
        Err(AppError::WrongCode)
    ));
}

#[tokio::test]
async fn removing_the_last_factor_needs_confirmation() {
    let it = instance().await;
    let owner = it.owner().await;
    let session = it.stepped_up(&owner).await;
    it.enrol_totp(&session).await;
    let id = it.app.mfa_overview(session.account_id).await.unwrap().totp[0].id;

    assert!(matches!(
        it.app.remove_totp(&session, id, false, &it.ctx).await,
        Err(AppError::LastFactor)
    ));
    let kept = it.app.mfa_overview(session.account_id).await.unwrap();
    assert!(kept.enabled());
    assert!(kept.recovery.is_some());

    it.app
        .remove_totp(&session, id, true, &it.ctx)
        .await
        .unwrap();
    let off = it.app.mfa_overview(session.account_id).await.unwrap();
    assert!(!off.enabled());
    assert!(off.totp.is_empty());
    assert!(
        off.recovery.is_none(),
        "the sheet goes with the last factor"
    );
    assert!(matches!(
        it.sign_in(PASSWORD).await,
        Ok(SignInOutcome::Active(_))
    ));
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let it = instance().await;
    let owner = it.owner().await;
    let session = it.stepped_up(&owner).await;
    let (_, codes) = it.enrol_totp(&session).await;

    let challenge = it.challenge().await;
    let issued = it
        .app
        .complete_mfa(
            challenge.id.expose(),
            MfaProof::RecoveryCode(codes[0].clone()),
            &it.ctx,
        )
        .await
        .unwrap();
    assert_eq!(issued.session.aal, Aal::Two);
    assert_eq!(issued.session.amr, vec![Amr::Pwd, Amr::Rc]);
    assert_eq!(issued.recovery_codes_left, Some(9));
    let status = it.app.mfa_overview(session.account_id).await.unwrap();
    assert_eq!(status.recovery.unwrap().remaining, 9);

    let again = it.challenge().await;
    assert!(matches!(
        it.app
            .complete_mfa(
                again.id.expose(),
                MfaProof::RecoveryCode(codes[0].clone()),
                &it.ctx,
            )
            .await,
        Err(AppError::WrongCode)
    ));
    let other = it
        .app
        .complete_mfa(
            again.id.expose(),
            MfaProof::RecoveryCode(codes[1].clone()),
            &it.ctx,
        )
        .await
        .unwrap();
    assert_eq!(other.recovery_codes_left, Some(8));
}

#[tokio::test]
async fn an_access_tokens_use_is_written_once_a_minute_and_a_new_address_is_audited() {
    use twofold_core::access_token::Scope;
    let it = instance().await;
    let issued = it.owner().await;
    let session = it.stepped_up(&issued).await;
    let request = twofold_app::AccessTokenRequest {
        name: "cron".into(),
        expires_in: 86_400,
        scopes: vec!["read".into()],
    };
    let created = it
        .app
        .create_access_token(&session, request, &it.ctx)
        .await
        .unwrap();
    let text = created.token.expose().to_owned();
    let from = |ip: &str| RequestContext {
        ip: Some(ip.to_owned()),
        user_agent: None,
    };
    let last_used = |it: &Instance| {
        let session = session.clone();
        let app = it.app.clone();
        async move {
            let tokens = app.access_tokens(&session).await.unwrap();
            (tokens[0].last_used_at, tokens[0].last_used_ip.clone())
        }
    };
    let use_token = |ip: &'static str| {
        let app = it.app.clone();
        let text = text.clone();
        async move {
            app.authenticate_access_token(&text, Scope::Read, &from(ip))
                .await
                .unwrap()
        }
    };

    let caller = use_token("192.0.2.10").await;
    assert_eq!(caller.amr, vec![Amr::Pat]);
    assert_eq!(caller.privileged_until, None);
    let first = it.clock.now();
    assert_eq!(
        last_used(&it).await,
        (Some(first), Some("192.0.2.10".into()))
    );

    // Within the minute from the same address: nothing written.
    it.clock.advance(Duration::from_secs(30));
    use_token("192.0.2.10").await;
    assert_eq!(last_used(&it).await.0, Some(first));
    // After it: written again.
    it.clock.advance(Duration::from_secs(30));
    use_token("192.0.2.10").await;
    assert_eq!(last_used(&it).await.0, Some(it.clock.now()));
    let kinds = |events: Vec<twofold_app::AuditEvent>| {
        events
            .iter()
            .filter(|e| e.kind.as_str() == "token.used_from_new_address")
            .count()
    };
    let events = it.app.my_events(&session, None, None).await.unwrap();
    assert_eq!(kinds(events), 0, "the first use is not from a new address");

    // Another address, even within the minute: written and audited once.
    it.clock.advance(Duration::from_secs(5));
    use_token("198.51.100.4").await;
    use_token("198.51.100.4").await;
    assert_eq!(
        last_used(&it).await,
        (Some(it.clock.now()), Some("198.51.100.4".into()))
    );
    let events = it.app.my_events(&session, None, None).await.unwrap();
    assert_eq!(kinds(events), 1);

    // A token session can neither step up nor pass a step-up check.
    assert!(matches!(
        it.app
            .reauthenticate(&caller, Proof::Password(secret(PASSWORD)), &it.ctx)
            .await,
        Err(AppError::TokenNotAllowed)
    ));
    assert!(matches!(
        it.app.require_step_up(&caller),
        Err(AppError::TokenNotAllowed)
    ));
}
