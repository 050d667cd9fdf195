//! The JSON API contract (`shared/api.md`) for accounts and sessions, on
//! both backends.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, SET_COOKIE};
use serde_json::json;
use twofold_app::{Policy, Signup};
use twofold_testkit::{
    Actor, Backend, Guest, PASSWORD, Reply, TestDb, TestServer, on_both_backends,
};

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

const OWNER: &str = "owner@example.com";

/// The owner's password sign-in from `client` (whose cookie jar keeps the
/// session cookie); the response, for its headers.
async fn sign_in_from(
    client: &reqwest::Client,
    server: &TestServer,
    remember_me: bool,
) -> reqwest::Response {
    let mut body = json!({"email": OWNER, "password": PASSWORD});
    if remember_me {
        body["remember_me"] = json!(true);
    }
    let request = client.post(server.url("/api/v1/sessions")).json(&body);
    request.send().await.unwrap()
}

async fn the_first_account_becomes_owner_and_sign_up_is_then_closed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let guest = Guest::new(&server);
    let created = guest
        .post(
            "/api/v1/accounts",
            json!({"email": OWNER, "password": PASSWORD}),
        )
        .await;
    let body = created.expect(StatusCode::CREATED);
    assert_eq!(body["account"]["role"], "owner");
    assert_eq!(body["account"]["email"], OWNER);
    assert_eq!(body["account"]["created_at"], "2023-11-14T22:13:20Z");

    let second = json!({"email": "second@example.com", "password": PASSWORD});
    guest
        .post("/api/v1/accounts", second)
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);
}

async fn open_sign_up_makes_members_and_never_reveals_a_taken_email(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    let guest = Guest::new(&server);
    guest.create_owner(OWNER).await;
    let member = json!({"email": "member@example.com", "password": PASSWORD});
    let requested = guest.post("/api/v1/accounts", member).await;
    assert_eq!(requested.status, StatusCode::ACCEPTED, "{}", requested.body);
    assert_eq!(requested.body["status"], "requested");
    let member = server
        .app
        .store()
        .account_by_email("member@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.role, twofold_core::Role::Member);
    Actor::sign_in(&server, "member@example.com", PASSWORD).await;

    // A taken email is answered exactly like a new one, and changes nothing.
    let taken = json!({"email": " MEMBER@example.com ", "password": "another good passphrase"});
    assert_eq!(guest.post("/api/v1/accounts", taken).await, requested);
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 2);
    Actor::sign_in(&server, "member@example.com", PASSWORD).await;
}

async fn a_password_sign_in_gives_a_token_for_bearer_and_cookie(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    Guest::new(&server).create_owner(OWNER).await;

    let browser = server.client();
    let response = sign_in_from(&browser, &server, false).await;
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body = Reply::read(response).await.expect(StatusCode::CREATED);
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
    assert_eq!(session["account"]["email"], OWNER);
    assert_eq!(session["privileged_until"], json!(null));
    assert_eq!(session["expires_at"], "2023-11-15T10:13:20Z");

    // Bearer, from a client without the cookie.
    let bearer = Actor::with_token(&server, token);
    let current = bearer.get("/api/v1/sessions/current").await;
    let current = current.expect(StatusCode::OK);
    assert_eq!(current["session"]["id"], session["id"]);
    // Cookie, from the browser's jar.
    let response = browser.get(server.url("/api/v1/me")).send().await.unwrap();
    let me = Reply::read(response).await.expect(StatusCode::OK);
    assert_eq!(me["account"]["email"], OWNER);
    assert_eq!(me["account"]["role"], "owner");
    assert_eq!(me["mfa"]["enabled"], false);
    // Nothing at all: 401.
    Guest::new(&server)
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn unknown_email_and_wrong_password_get_the_same_answer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let guest = Guest::new(&server);
    guest.create_owner(OWNER).await;
    let wrong_password = guest.sign_in(OWNER, "not the password").await;
    let unknown_email = guest
        .sign_in("nobody@example.com", "not the password")
        .await;
    let malformed_email = guest.sign_in("not an email", "not the password").await;
    wrong_password.refused(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password, malformed_email);
}

async fn email_is_matched_without_case_or_surrounding_space(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    Guest::new(&server).create_owner("Owner@Example.com").await;
    Actor::sign_in(&server, "  owner@EXAMPLE.com ", PASSWORD).await;
}

async fn every_sign_in_issues_a_new_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let first = Actor::owner(&server, OWNER).await;
    let second = Actor::sign_in(&server, OWNER, PASSWORD).await;
    assert_ne!(first.token, second.token);
    for session in [&first, &second] {
        let current = session.get("/api/v1/sessions/current").await;
        assert_eq!(current.status, StatusCode::OK);
    }
}

async fn signing_out_ends_the_session_everywhere(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    // A second instance on the same database sees the sign-out too.
    let other = TestServer::start(&db).await;
    let leaving = Actor::owner(&server, OWNER).await;
    let kept = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let signed_out = leaving.delete("/api/v1/sessions/current").await;
    assert_eq!(signed_out.status, StatusCode::NO_CONTENT);
    for instance in [&server, &other] {
        let gone = Actor::with_token(instance, &leaving.token)
            .get("/api/v1/sessions/current")
            .await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "{}", gone.body);
        let staying = Actor::with_token(instance, &kept.token)
            .get("/api/v1/sessions/current")
            .await;
        assert_eq!(staying.status, StatusCode::OK, "other sessions stay");
    }
}

async fn an_invalid_authorization_header_wins_over_a_valid_cookie(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    Guest::new(&server).create_owner(OWNER).await;
    let browser = server.client();
    let response = sign_in_from(&browser, &server, false).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    for header in ["Bearer nonsense", "Basic b3duZXI6cHc=", "Bearer ", "bearer"] {
        let response = browser
            .get(server.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        let reply = Reply::read(response).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
        reply.refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

async fn a_session_ends_when_it_expires(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    // Used every 40 minutes (within the idle timeout), it still ends at 12 h.
    let every = Duration::from_secs(40 * 60);
    for _ in 0..17 {
        server.advance(every);
        assert_eq!(owner.get("/api/v1/me").await.status, StatusCode::OK);
    }
    server.advance(Duration::from_secs(12 * 3600 - 1) - 17 * every);
    assert_eq!(owner.get("/api/v1/me").await.status, StatusCode::OK);
    server.advance(Duration::from_secs(1));
    owner
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn remember_me_makes_a_lasting_cookie_and_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    Guest::new(&server).create_owner(OWNER).await;
    let response = sign_in_from(&server.client(), &server, true).await;
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    let body = Reply::read(response).await.body;
    assert_eq!(body["session"]["expires_at"], "2023-12-14T22:13:20Z");
}

async fn last_seen_is_written_at_most_once_a_minute(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    let hash = twofold_core::token::SessionToken::parse(&owner.token)
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
    owner.get("/api/v1/me").await;
    assert_eq!(last_seen().await, start, "no write within the minute");
    server.advance(Duration::from_secs(1));
    owner.get("/api/v1/me").await;
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
    let id = twofold_core::AccountId::from_uuid(crate::ordered_id());
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

    Actor::sign_in(&server, "old@example.com", PASSWORD).await;
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
    Actor::sign_in(&server, "old@example.com", PASSWORD).await;
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
    let openapi = Guest::new(&server).get("/api/v1/openapi.json").await;
    let doc = openapi.expect(StatusCode::OK);
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
        ("/admin/users/{id}/mfa/disable", &["post"]),
        ("/admin/users", &["get"]),
        ("/admin/users/{id}", &["get"]),
        ("/me/tokens", &["post", "get"]),
        ("/me/tokens/{id}", &["delete"]),
        ("/admin/users/{id}/tokens/{token_id}", &["delete"]),
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
    // The answers every route of a kind can give are on every operation of
    // that kind (one rule, `CommonAnswers`), and query parameters are in the
    // query and optional.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let has = |status: &str| op["responses"][status].is_object();
            let name = format!("{method} {path}");
            assert!(has("408"), "{name}: 408");
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(has(status), "{name}: {status}");
                }
            }
            if op.get("security").is_some() {
                assert!(has("401") && has("403"), "{name}: 401/403");
            }
            if path.contains('{') {
                assert!(has("404"), "{name}: 404");
            }
            if method != "get" {
                assert!(has("403"), "{name}: 403 (origin check)");
            }
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let place = parameter["in"].as_str().unwrap();
                let param = parameter["name"].as_str().unwrap();
                assert_eq!(
                    place == "path",
                    path.contains(&format!("{{{param}}}")),
                    "{name}: {param} is in {place}"
                );
                if place == "query" {
                    assert_eq!(parameter["required"], false, "{name}: {param}");
                    assert!(has("400"), "{name}: 400 for its query");
                }
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["RoleName"]["enum"],
        serde_json::json!(["owner", "admin", "member"])
    );
    assert_eq!(
        schemas["ScopeName"]["enum"],
        serde_json::json!(["read", "write"])
    );
    assert_eq!(schemas["NewToken"]["properties"]["scopes"]["minItems"], 1);
}

#[tokio::test]
async fn the_token_is_stored_only_as_a_hash() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let token = Actor::owner(&server, OWNER).await.token;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(db.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!bytes.is_empty());
    let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
    assert!(!found, "the session token is in the database files");
}
