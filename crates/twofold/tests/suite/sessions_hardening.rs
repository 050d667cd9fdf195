//! Sessions held to their rules on both backends: the idle timeout, a
//! pending authenticator bound to the session that started it, factor caps
//! under parallel requests, MFA turning on ending the weaker sessions, and a
//! password change ending sign-ins waiting for their second factor.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_app::Policy;
use twofold_core::session::SessionLifetimes;
use twofold_store::PasskeyRecord;
use twofold_testkit::softkey::SoftKey;
use twofold_testkit::{Actor, Backend, TestDb, TestServer, on_both_backends};
use uuid::Uuid;

use crate::passkeys::enrol_passkey;
use crate::totp::{answer, challenge, enrol, oathtool};
use crate::{PASSWORD, create_owner, error_code};

on_both_backends!(
    a_session_without_remember_me_ends_when_idle,
    a_remembered_session_has_no_idle_limit,
    a_pending_authenticator_belongs_to_the_session_that_started_it,
    parallel_authenticator_starts_never_exceed_the_cap,
    parallel_passkey_registrations_never_exceed_the_cap,
    the_first_authenticator_ends_the_sessions_signed_in_with_less,
    the_first_passkey_ends_only_the_weaker_sessions,
    a_password_change_ends_open_mfa_challenges,
);

const OWNER: &str = "owner@example.com";
const MINUTE: Duration = Duration::from_secs(60);

async fn sign_in<'a>(server: &'a TestServer) -> Actor<'a> {
    Actor::sign_in(server, OWNER, PASSWORD).await
}

async fn status_of_session(actor: &Actor<'_>) -> StatusCode {
    actor.get("/api/v1/sessions/current").await.status
}

/// The newest audit event of `kind` the signed-in account sees.
async fn newest_event(actor: &Actor<'_>, kind: &str) -> Value {
    let body = actor.get("/api/v1/me/events").await.expect(StatusCode::OK);
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event: {body}"))
        .clone()
}

async fn a_session_without_remember_me_ends_when_idle(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let idle = sign_in(&server).await;
    let busy = sign_in(&server).await;

    server.advance(59 * MINUTE);
    assert_eq!(status_of_session(&busy).await, StatusCode::OK);
    server.advance(MINUTE);
    assert_eq!(
        status_of_session(&idle).await,
        StatusCode::UNAUTHORIZED,
        "an hour unused (the default timeout)"
    );

    // Used every 50 minutes, a session outlives the timeout many times over.
    for _ in 0..5 {
        server.advance(50 * MINUTE);
        assert_eq!(status_of_session(&busy).await, StatusCode::OK);
    }
    assert_eq!(
        status_of_session(&idle).await,
        StatusCode::UNAUTHORIZED,
        "an idle session does not come back"
    );
    let list = busy.get("/api/v1/sessions").await.expect(StatusCode::OK);
    assert_eq!(
        list["sessions"].as_array().unwrap().len(),
        1,
        "the idle session is no longer listed: {list}"
    );
}

async fn a_remembered_session_has_no_idle_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        sessions: SessionLifetimes {
            idle: 30 * MINUTE,
            ..Policy::default().sessions
        },
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    create_owner(&server, OWNER).await;
    let remembered = Actor::sign_in_with(
        &server,
        json!({"email": OWNER, "password": PASSWORD, "remember_me": true}),
    )
    .await;
    let plain = sign_in(&server).await;

    server.advance(30 * MINUTE);
    assert_eq!(
        status_of_session(&plain).await,
        StatusCode::UNAUTHORIZED,
        "the configured 30 minutes"
    );
    assert_eq!(status_of_session(&remembered).await, StatusCode::OK);
    // Ten days away, then back: still signed in, until its 30-day lifetime.
    server.advance(Duration::from_secs(10 * 86_400));
    assert_eq!(status_of_session(&remembered).await, StatusCode::OK);
    server.advance(Duration::from_secs(20 * 86_400));
    assert_eq!(
        status_of_session(&remembered).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_pending_authenticator_belongs_to_the_session_that_started_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let starter = sign_in(&server).await;
    let other = sign_in(&server).await;
    starter.step_up().await;
    let pending = starter
        .call(Method::POST, "/api/v1/me/mfa/totp", None)
        .await
        .expect(StatusCode::CREATED);
    let id = pending["id"].as_str().unwrap();
    let secret = pending["secret"].as_str().unwrap();
    let verify = format!("/api/v1/me/mfa/totp/{id}/verify");

    // Another session, even one with an open step-up window, is told there
    // is no such enrolment.
    other.step_up().await;
    let code = oathtool(secret, &server);
    other
        .post(&verify, json!({"code": code, "name": "attacker"}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");

    // Nor through the pages: a wrong code does not show the secret again,
    // and the right one does not confirm.
    let browser = server.client();
    let response = browser
        .post(server.url("/login"))
        .form(&[("email", OWNER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page_verify = server.url(&format!("/settings/security/totp/{id}/verify"));
    for code in ["000000", code.as_str()] {
        let response = browser
            .post(&page_verify)
            .form(&[("code", code)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "code {code}");
        let html = response.text().await.unwrap();
        assert!(!html.contains(secret), "the secret was shown: {html}");
    }
    let mfa = starter.get("/api/v1/me/mfa").await.body;
    assert_eq!(mfa["enabled"], false, "{mfa}");

    // The session that started it confirms it.
    starter
        .post(&verify, json!({"code": code}))
        .await
        .expect(StatusCode::OK);
}

/// Sends `count` copies of one request at once; returns the statuses.
async fn all_at_once(
    server: &TestServer,
    count: usize,
    path: &str,
    token: &str,
    body: impl Fn(usize) -> Value,
) -> Vec<StatusCode> {
    let requests: Vec<_> = (0..count)
        .map(|i| {
            let request = server
                .client()
                .post(server.url(path))
                .bearer_auth(token)
                .json(&body(i));
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

async fn parallel_authenticator_starts_never_exceed_the_cap(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let owner = sign_in(&server).await;
    owner.step_up().await;
    let start = "/api/v1/me/mfa/totp";
    for _ in 0..19 {
        owner
            .call(Method::POST, start, None)
            .await
            .expect(StatusCode::CREATED);
    }

    // Room for one more: eight at once get exactly one.
    let statuses = all_at_once(&server, 8, start, &owner.token, |_| json!({})).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 7, "{statuses:?}");
    owner
        .call(Method::POST, start, None)
        .await
        .refused(StatusCode::CONFLICT, "conflict");
}

/// Stores `n` passkeys for the account directly (what a hundred key
/// ceremonies would leave).
async fn store_passkeys(server: &TestServer, email: &str, n: usize) {
    let store = server.app.store();
    let account = store.account_by_email(email).await.unwrap().unwrap();
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        tx.insert_passkey(&PasskeyRecord {
            id: twofold_core::PasskeyId::from_uuid(crate::ordered_id()),
            account_id: account.id,
            credential_id: Uuid::new_v4().as_bytes().to_vec(),
            credential: "{}".into(),
            sign_count: 0,
            backup_eligible: false,
            backup_state: false,
            transports: String::new(),
            aaguid: None,
            name: format!("Key {i}"),
            created_at: server.app.now(),
            last_used_at: None,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn parallel_passkey_registrations_never_exceed_the_cap(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let owner = sign_in(&server).await;
    store_passkeys(&server, OWNER, 99).await;
    owner.step_up().await;

    // Four ceremonies started while there is room for one more passkey...
    let mut finishes = Vec::new();
    for i in 0..4 {
        let name = format!("New key {i}");
        let options = owner
            .post("/api/v1/me/mfa/passkeys/options", json!({"name": name}))
            .await
            .expect(StatusCode::OK);
        let credential = SoftKey::new(&server.public_url).create(&options).await;
        finishes.push(json!({
            "ceremony_id": options["ceremony_id"],
            "name": name,
            "credential": credential,
        }));
    }
    // ... finished at once: one is added.
    let statuses = all_at_once(&server, 4, "/api/v1/me/mfa/passkeys", &owner.token, |i| {
        finishes[i].clone()
    })
    .await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 3, "{statuses:?}");
    let mfa = owner.get("/api/v1/me/mfa").await.body;
    assert_eq!(mfa["passkeys"].as_array().unwrap().len(), 100);
}

async fn the_first_authenticator_ends_the_sessions_signed_in_with_less(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let current = sign_in(&server).await;
    let stolen = sign_in(&server).await;

    let (_, secret) = enrol(&server, &current.token, Some("Phone")).await;
    assert_eq!(
        status_of_session(&stolen).await,
        StatusCode::UNAUTHORIZED,
        "a password-only session ends when MFA turns on"
    );
    assert_eq!(status_of_session(&current).await, StatusCode::OK);
    let added = newest_event(&current, "totp.added").await;
    assert_eq!(added["detail"]["mfa_now_on"], true, "{added}");
    assert_eq!(added["detail"]["other_sessions_revoked"], 1, "{added}");

    // A second authenticator changes no session.
    let challenge_id = challenge(&server, OWNER).await;
    let (status, body) = answer(&server, &challenge_id, &oathtool(&secret, &server)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let strong = Actor::with_token(&server, body["token"].as_str().unwrap());
    server.advance(Duration::from_secs(30));
    enrol(&server, &current.token, Some("Tablet")).await;
    assert_eq!(status_of_session(&strong).await, StatusCode::OK);
    let added = newest_event(&current, "totp.added").await;
    assert_eq!(added["detail"]["mfa_now_on"], false, "{added}");
    assert_eq!(added["detail"]["other_sessions_revoked"], 0, "{added}");
}

async fn the_first_passkey_ends_only_the_weaker_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let current = sign_in(&server).await;

    // An AAL2 session from when MFA was on, then MFA off again.
    let (totp_id, secret) = enrol(&server, &current.token, None).await;
    let challenge_id = challenge(&server, OWNER).await;
    let (status, body) = answer(&server, &challenge_id, &oathtool(&secret, &server)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let strong = Actor::with_token(&server, body["token"].as_str().unwrap());
    let path = format!("/api/v1/me/mfa/totp/{totp_id}?confirm_last=true");
    current.delete(&path).await.expect(StatusCode::NO_CONTENT);
    let weak = sign_in(&server).await;

    let mut key = SoftKey::new(&server.public_url);
    enrol_passkey(&server, &current.token, &mut key, "Laptop").await;
    assert_eq!(status_of_session(&weak).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of_session(&strong).await, StatusCode::OK);
    assert_eq!(status_of_session(&current).await, StatusCode::OK);
    let added = newest_event(&current, "passkey.added").await;
    assert_eq!(added["detail"]["mfa_now_on"], true, "{added}");
    assert_eq!(added["detail"]["other_sessions_revoked"], 1, "{added}");
}

async fn a_password_change_ends_open_mfa_challenges(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, OWNER).await;
    let current = sign_in(&server).await;
    let (_, secret) = enrol(&server, &current.token, None).await;
    // Someone with the old password is at the second step.
    let waiting = challenge(&server, OWNER).await;

    current.step_up().await;
    let change = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});
    current
        .call(Method::PUT, "/api/v1/me/password", Some(change))
        .await
        .expect(StatusCode::NO_CONTENT);

    let (status, body) = answer(&server, &waiting, &oathtool(&secret, &server)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "challenge_expired")
    );
}
