//! The JSON API contract (`shared/api.md`) for accounts and sessions, on
//! both backends.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, SET_COOKIE};
use serde_json::json;
use twofold_app::{Policy, Signup};
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, create_owner, error_code, get_bearer, post, read, sign_in};

on_both_backends!(
    the_first_account_becomes_owner_and_sign_up_is_then_closed,
    open_sign_up_makes_members_and_never_reveals_a_taken_email,
    a_password_sign_in_gives_a_token_for_bearer_and_cookie,
    unknown_email_and_wrong_password_get_the_same_answer,
    email_is_matched_without_case_or_surrounding_space,
    every_sign_in_issues_a_new_token,
    signing_out_ends_the_session_everywhere,
    an_invalid_authorization_header_wins_over_a_valid_cookie,
    a_session_ends_when_it_expires,
    remember_me_makes_a_lasting_cookie_and_session,
    last_seen_is_written_at_most_once_a_minute,
    an_old_password_hash_is_upgraded_at_sign_in,
    health_and_readiness_answer,
);

async fn the_first_account_becomes_owner_and_sign_up_is_then_closed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let client = server.client();
    let (status, body) = post(
        &client,
        &server,
        "/api/v1/accounts",
        json!({"email": "owner@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["account"]["role"], "owner");
    assert_eq!(body["account"]["email"], "owner@example.com");
    assert_eq!(body["account"]["created_at"], "2023-11-14T22:13:20Z");

    let (status, body) = post(
        &client,
        &server,
        "/api/v1/accounts",
        json!({"email": "second@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "forbidden");
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);
}

async fn open_sign_up_makes_members_and_never_reveals_a_taken_email(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    let client = server.client();
    create_owner(&server, "owner@example.com").await;
    let (status, body) = post(
        &client,
        &server,
        "/api/v1/accounts",
        json!({"email": "member@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "requested");
    let member = server
        .app
        .store()
        .account_by_email("member@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.role, twofold_core::Role::Member);
    sign_in(&server, "member@example.com").await;

    // A taken email is answered exactly like a new one, and changes nothing.
    let (taken_status, taken_body) = post(
        &client,
        &server,
        "/api/v1/accounts",
        json!({"email": " MEMBER@example.com ", "password": "another good passphrase"}),
    )
    .await;
    assert_eq!((taken_status, &taken_body), (status, &body));
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 2);
    sign_in(&server, "member@example.com").await;
}

async fn a_password_sign_in_gives_a_token_for_bearer_and_cookie(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;

    let browser = server.client();
    let response = browser
        .post(server.url("/api/v1/sessions"))
        .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "active");
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    assert!(
        cookie.starts_with(&format!("twofold_session={token}")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(
        !cookie.contains("Max-Age"),
        "a session cookie unless remembered: {cookie}"
    );
    let session = &body["session"];
    assert_eq!(session["aal"], 1);
    assert_eq!(session["amr"], json!(["pwd"]));
    assert_eq!(session["account"]["email"], "owner@example.com");
    assert_eq!(session["privileged_until"], json!(null));
    assert_eq!(session["expires_at"], "2023-11-15T10:13:20Z");

    // Bearer, from a client without the cookie.
    let (status, body) =
        get_bearer(&server.client(), &server, "/api/v1/sessions/current", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session"]["id"], session["id"]);
    // Cookie, from the browser's jar.
    let (status, body) = read(browser.get(server.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account"]["email"], "owner@example.com");
    assert_eq!(body["account"]["role"], "owner");
    assert_eq!(body["mfa"]["enabled"], false);
    // Nothing at all: 401.
    let (status, body) = read(
        server
            .client()
            .get(server.url("/api/v1/me"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "unauthenticated");
}

async fn unknown_email_and_wrong_password_get_the_same_answer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let client = server.client();
    let wrong_password = post(
        &client,
        &server,
        "/api/v1/sessions",
        json!({"email": "owner@example.com", "password": "not the password"}),
    )
    .await;
    let unknown_email = post(
        &client,
        &server,
        "/api/v1/sessions",
        json!({"email": "nobody@example.com", "password": "not the password"}),
    )
    .await;
    let malformed_email = post(
        &client,
        &server,
        "/api/v1/sessions",
        json!({"email": "not an email", "password": "not the password"}),
    )
    .await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&wrong_password.1), "invalid_credentials");
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password, malformed_email);
}

async fn email_is_matched_without_case_or_surrounding_space(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "Owner@Example.com").await;
    sign_in(&server, "  owner@EXAMPLE.com ").await;
}

async fn every_sign_in_issues_a_new_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let first = sign_in(&server, "owner@example.com").await;
    let second = sign_in(&server, "owner@example.com").await;
    assert_ne!(first, second);
    for token in [&first, &second] {
        let (status, _) =
            get_bearer(&server.client(), &server, "/api/v1/sessions/current", token).await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn signing_out_ends_the_session_everywhere(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    // A second instance on the same database sees the sign-out too.
    let other = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    let kept = sign_in(&server, "owner@example.com").await;
    let response = server
        .client()
        .delete(server.url("/api/v1/sessions/current"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for instance in [&server, &other] {
        let (status, body) = get_bearer(
            &instance.client(),
            instance,
            "/api/v1/sessions/current",
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, _) = get_bearer(
            &instance.client(),
            instance,
            "/api/v1/sessions/current",
            &kept,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "other sessions stay");
    }
}

async fn an_invalid_authorization_header_wins_over_a_valid_cookie(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let browser = server.client();
    let (status, _) = post(
        &browser,
        &server,
        "/api/v1/sessions",
        json!({"email": "owner@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for header in ["Bearer nonsense", "Basic b3duZXI6cHc=", "Bearer ", "bearer"] {
        let (status, body) = read(
            browser
                .get(server.url("/api/v1/me"))
                .header("authorization", header)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(error_code(&body), "unauthenticated");
    }
}

async fn a_session_ends_when_it_expires(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    // Used every 40 minutes (within the idle timeout), it still ends at 12 h.
    let every = Duration::from_secs(40 * 60);
    for _ in 0..17 {
        server.advance(every);
        let (status, _) = get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::OK);
    }
    server.advance(Duration::from_secs(12 * 3600 - 1) - 17 * every);
    let (status, _) = get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    server.advance(Duration::from_secs(1));
    let (status, body) = get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "unauthenticated");
}

async fn remember_me_makes_a_lasting_cookie_and_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let response = server
        .client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({"email": "owner@example.com", "password": PASSWORD, "remember_me": true}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    let (_, body) = read(response).await;
    assert_eq!(body["session"]["expires_at"], "2023-12-14T22:13:20Z");
}

async fn last_seen_is_written_at_most_once_a_minute(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    let hash = twofold_core::token::SessionToken::parse(&token)
        .unwrap()
        .hash();
    let last_seen = || async {
        let now = server.app.now();
        server
            .app
            .store()
            .session_by_token(&hash, now)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at
            .unix()
    };
    let start = last_seen().await;
    server.advance(Duration::from_secs(59));
    get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    assert_eq!(last_seen().await, start, "no write within the minute");
    server.advance(Duration::from_secs(1));
    get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    assert_eq!(last_seen().await, start + 60);
}

async fn an_old_password_hash_is_upgraded_at_sign_in(backend: Backend) {
    use twofold_core::password::{NewPassword, PasswordHasher};
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let weak = PasswordHasher::with_params(argon2_params(8 * 1024, 1)).unwrap();
    let phc = weak
        .hash(
            &NewPassword::from_verified(PASSWORD.to_owned().into()).unwrap(),
            &mut weak.memory(),
        )
        .unwrap();
    let store = server.app.store();
    let mut tx = store.begin().await.unwrap();
    let id = uuid::Uuid::now_v7();
    tx.insert_account(&twofold_store::NewAccount {
        id,
        email: twofold_core::Email::parse("old@example.com").unwrap(),
        role: twofold_core::Role::Member,
        password_hash: Some(phc.clone()),
        created_at: server.app.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    sign_in(&server, "old@example.com").await;
    let stored = store
        .account_by_id(id)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert_ne!(stored, phc);
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    sign_in(&server, "old@example.com").await;
}

fn argon2_params(m: u32, t: u32) -> argon2::Params {
    argon2::Params::new(m, t, 1, None).unwrap()
}

async fn health_and_readiness_answer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    for path in ["/healthz", "/readyz"] {
        let response = server.client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let (status, doc) = read(
        server
            .client()
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/accounts", &["post"][..]),
        ("/sessions", &["post", "get", "delete"]),
        ("/sessions/current", &["get", "delete"]),
        ("/me", &["get"]),
        ("/sessions/{id}", &["delete"]),
        ("/sessions/current/reauth", &["post"]),
        ("/sessions/mfa", &["post"]),
        ("/me/events", &["get"]),
        ("/me/password", &["put"]),
        ("/me/mfa/totp", &["post"]),
        ("/me/mfa/totp/{id}/verify", &["post"]),
        ("/me/mfa/totp/{id}", &["patch", "delete"]),
        ("/admin/events", &["get"]),
        ("/me/mfa", &["get", "delete"]),
        ("/me/mfa/recovery-codes", &["post"]),
        ("/me/mfa/passkeys/options", &["post"]),
        ("/me/mfa/passkeys", &["post"]),
        ("/me/mfa/passkeys/{id}", &["patch", "delete"]),
        ("/sessions/passkey/options", &["post"]),
        ("/sessions/passkey", &["post"]),
        ("/sessions/mfa/webauthn/options", &["post"]),
        ("/sessions/current/reauth/webauthn/options", &["post"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} missing from {paths:?}"
            );
        }
    }
    assert_eq!(
        doc,
        serde_json::to_value(twofold_server::api::openapi()).unwrap()
    );
}

#[tokio::test]
async fn the_token_is_stored_only_as_a_hash() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(db.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!bytes.is_empty());
    let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
    assert!(!found, "the session token is in the database files");
}
