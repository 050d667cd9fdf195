//! Step-up, password change, sessions, the audit log and attempt limits,
//! through the API, on both backends.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_app::{Policy, Signup};
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, create_owner, error_code, get_bearer, read, sign_in};

on_both_backends!(
    a_security_change_needs_a_fresh_step_up,
    changing_the_password_signs_out_the_other_sessions,
    sessions_can_be_listed_and_revoked,
    the_audit_log_records_security_events,
    failed_passwords_are_limited_per_account_across_instances,
    failed_step_ups_are_limited_per_session,
);

async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client()
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

async fn reauth(server: &TestServer, token: &str, password: &str) -> (StatusCode, Value) {
    send(
        server,
        reqwest::Method::POST,
        "/api/v1/sessions/current/reauth",
        token,
        Some(json!({"method": "password", "password": password})),
    )
    .await
}

async fn change_password(
    server: &TestServer,
    token: &str,
    current: &str,
    new: &str,
) -> (StatusCode, Value) {
    send(
        server,
        reqwest::Method::PUT,
        "/api/v1/me/password",
        token,
        Some(json!({"current_password": current, "new_password": new})),
    )
    .await
}

async fn sign_in_as(
    server: &TestServer,
    email: &str,
    password: &str,
    user_agent: &str,
) -> (StatusCode, Value) {
    read(
        server
            .client()
            .post(server.url("/api/v1/sessions"))
            .header("user-agent", user_agent)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn a_security_change_needs_a_fresh_step_up(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;

    // Signing in does not open the window: a stolen token alone changes nothing.
    let (status, body) = change_password(&server, &token, PASSWORD, "a brand new passphrase").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );

    let (status, body) = reauth(&server, &token, "not my password").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "invalid_credentials")
    );
    let (status, body) = send(
        &server,
        reqwest::Method::POST,
        "/api/v1/sessions/current/reauth",
        &token,
        Some(json!({"method": "telepathy"})),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );

    let (status, body) = reauth(&server, &token, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["privileged_until"], "2023-11-14T22:18:20Z",
        "five minutes from now"
    );
    // The proof does not rotate the token: the same token now carries the window.
    let (_, current) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/sessions/current",
        &token,
    )
    .await;
    assert_eq!(
        current["session"]["privileged_until"],
        "2023-11-14T22:18:20Z"
    );

    server.advance(Duration::from_secs(299));
    let (status, body) = change_password(&server, &token, PASSWORD, "a brand new passphrase").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // After the window, the next change is refused again.
    server.advance(Duration::from_secs(1));
    let (status, body) = change_password(&server, &token, "a brand new passphrase", PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
}

async fn changing_the_password_signs_out_the_other_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let other_instance = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let here = sign_in(&server, "owner@example.com").await;
    let elsewhere = sign_in(&other_instance, "owner@example.com").await;
    assert_eq!(reauth(&server, &here, PASSWORD).await.0, StatusCode::OK);

    let (status, body) =
        change_password(&server, &here, "wrong current", "a brand new passphrase").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "invalid_credentials")
    );
    let (status, body) = change_password(&server, &here, PASSWORD, "short").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("new password"),
        "{body}"
    );
    assert_eq!(
        get_bearer(&server.client(), &other_instance, "/api/v1/me", &elsewhere)
            .await
            .0,
        StatusCode::OK,
        "nothing changed yet"
    );

    let (status, _) = change_password(&server, &here, PASSWORD, "a brand new passphrase").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        get_bearer(&server.client(), &server, "/api/v1/me", &here)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        get_bearer(&server.client(), &other_instance, "/api/v1/me", &elsewhere)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_as(&server, "owner@example.com", PASSWORD, "t")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_as(&server, "owner@example.com", "a brand new passphrase", "t")
            .await
            .0,
        StatusCode::CREATED
    );
}

async fn sessions_can_be_listed_and_revoked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    create_owner(&server, "owner@example.com").await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    let (_, a) = sign_in_as(&server, "owner@example.com", PASSWORD, firefox).await;
    let (_, b) = sign_in_as(&server, "owner@example.com", PASSWORD, "curl/8.5.0").await;
    let (_, c) = sign_in_as(&server, "owner@example.com", PASSWORD, "curl/8.5.0").await;
    let token = |s: &Value| s["token"].as_str().unwrap().to_owned();
    let (a_token, b_token, c_token) = (token(&a), token(&b), token(&c));

    let (status, body) = get_bearer(&server.client(), &server, "/api/v1/sessions", &a_token).await;
    assert_eq!(status, StatusCode::OK);
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    let mine = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(mine["id"], a["session"]["id"]);
    assert_eq!(mine["device"], "Firefox on Linux");
    assert_eq!(mine["ip"], "127.0.0.1");
    assert_eq!(mine["aal"], 1);
    assert_eq!(mine["amr"], json!(["pwd"]));
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    // Another account cannot revoke it, and cannot learn that it exists.
    create_and_sign_in_member(&server)
        .await
        .then_revoke(&server, b["session"]["id"].as_str().unwrap())
        .await;

    let path = format!("/api/v1/sessions/{}", b["session"]["id"].as_str().unwrap());
    let response = server
        .client()
        .delete(server.url(&path))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get_bearer(&server.client(), &server, "/api/v1/me", &b_token)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = send(&server, reqwest::Method::DELETE, &path, &a_token, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, _) = send(
        &server,
        reqwest::Method::DELETE,
        "/api/v1/sessions/not-a-uuid",
        &a_token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let response = server
        .client()
        .delete(server.url("/api/v1/sessions"))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get_bearer(&server.client(), &server, "/api/v1/me", &c_token)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (_, body) = get_bearer(&server.client(), &server, "/api/v1/sessions", &a_token).await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
}

struct Member(String);

async fn create_and_sign_in_member(server: &TestServer) -> Member {
    let (status, _) = read(
        server
            .client()
            .post(server.url("/api/v1/accounts"))
            .json(&json!({"email": "member@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    Member(sign_in(server, "member@example.com").await)
}

impl Member {
    async fn then_revoke(self, server: &TestServer, session_id: &str) {
        let path = format!("/api/v1/sessions/{session_id}");
        let (status, body) = send(server, reqwest::Method::DELETE, &path, &self.0, None).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }
}

async fn the_audit_log_records_security_events(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    create_owner(&server, "owner@example.com").await;
    assert_eq!(
        sign_in_as(&server, "owner@example.com", "wrong password!", "t")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let token = sign_in(&server, "owner@example.com").await;
    assert_eq!(
        reauth(&server, &token, "wrong password!").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(reauth(&server, &token, PASSWORD).await.0, StatusCode::OK);
    assert_eq!(
        change_password(&server, &token, PASSWORD, "a brand new passphrase")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let member = create_and_sign_in_member(&server).await;

    let (status, body) = get_bearer(&server.client(), &server, "/api/v1/me/events", &token).await;
    assert_eq!(status, StatusCode::OK);
    let events = body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "password.changed",
            "reauth.succeeded",
            "reauth.failed",
            "sign_in.succeeded",
            "sign_in.failed",
            "account.created",
        ]
    );
    assert_eq!(events[0]["detail"]["other_sessions_revoked"], 0);
    assert_eq!(events[0]["actor"]["kind"], "self");
    assert_eq!(events[0]["ip"], "127.0.0.1");
    assert_eq!(events[3]["detail"]["amr"], json!(["pwd"]));
    assert_eq!(events[4]["actor"]["kind"], "anonymous");
    let everything = serde_json::to_string(&body).unwrap();
    for secret in [
        PASSWORD,
        "wrong password!",
        "a brand new passphrase",
        &token,
    ] {
        assert!(
            !everything.contains(secret),
            "a secret reached the audit log"
        );
    }

    // Paging: two at a time, then the rest after the second.
    let (_, page) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=2",
        &token,
    )
    .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    let before = page["events"][1]["id"].as_str().unwrap();
    let (_, rest) = get_bearer(
        &server.client(),
        &server,
        &format!("/api/v1/me/events?before={before}"),
        &token,
    )
    .await;
    assert_eq!(rest["events"][0]["kind"], "reauth.failed");
    let (status, body) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=lots",
        &token,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );

    // The whole log is for owners and admins only, and filters.
    let (status, body) =
        get_bearer(&server.client(), &server, "/api/v1/admin/events", &member.0).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, body) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/admin/events?kind=account.created",
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    let member_id = body["events"][0]["account_id"].as_str().unwrap().to_owned();
    let (_, body) = get_bearer(
        &server.client(),
        &server,
        &format!("/api/v1/admin/events?account_id={member_id}"),
        &token,
    )
    .await;
    let kinds: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sign_in.succeeded", "account.created"]);
    let (status, body) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/admin/events?kind=nonsense",
        &token,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
}

async fn failed_passwords_are_limited_per_account_across_instances(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start(&db).await;
    let second = TestServer::start(&db).await;
    create_owner(&first, "owner@example.com").await;
    for i in 0..10 {
        let server = if i % 2 == 0 { &first } else { &second };
        let (status, _) = sign_in_as(server, "owner@example.com", "wrong password!", "t").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Even the right password is refused now, on either instance.
    for server in [&first, &second] {
        let response = server
            .client()
            .post(server.url("/api/v1/sessions"))
            .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["retry-after"], "900");
        let (status, body) = read(response).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        );
    }
    // An unknown email is counted the same way: the answer reveals nothing.
    for _ in 0..10 {
        assert_eq!(
            sign_in_as(&second, "nobody@example.com", "wrong password!", "t")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_as(&first, "nobody@example.com", "wrong password!", "t")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The window slides: fifteen minutes later the owner signs in.
    first.advance(Duration::from_secs(900));
    second.advance(Duration::from_secs(900));
    let (status, body) = sign_in_as(&second, "owner@example.com", PASSWORD, "t").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap();
    let (_, body) = get_bearer(&first.client(), &first, "/api/v1/me/events", token).await;
    let throttled = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "sign_in.throttled")
        .count();
    // Refusals are coalesced: one audit row per lockout, however many.
    assert_eq!(throttled, 1);
}

async fn failed_step_ups_are_limited_per_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            reauth(&server, &token, "wrong password!").await.0,
            StatusCode::FORBIDDEN
        );
    }
    let (status, body) = reauth(&server, &token, PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Another session of the same account is not blocked by this one's failures.
    let other = sign_in(&server, "owner@example.com").await;
    assert_eq!(reauth(&server, &other, PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_passwords_are_limited_per_client_address() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    for i in 0..100 {
        let (status, _) = sign_in_as(
            &server,
            &format!("guess{i}@example.com"),
            "wrong password!",
            "t",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (status, body) = sign_in_as(&server, "owner@example.com", PASSWORD, "t").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let db = TestDb::new(Backend::Sqlite).await;
    let trusting = TestServer::start_configured(&db, Policy::default(), |web| {
        web.trusted_proxies =
            twofold_server::client_ip::parse_trusted_proxies("127.0.0.1/32").unwrap();
    })
    .await;
    let plain = TestServer::start(&db).await;
    create_owner(&plain, "owner@example.com").await;
    for server in [&trusting, &plain] {
        let (_, body) = read(
            server
                .client()
                .post(server.url("/api/v1/sessions"))
                .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
                .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let token = body["token"].as_str().unwrap();
        let (_, sessions) = get_bearer(&server.client(), server, "/api/v1/sessions", token).await;
        let mine = sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()
            .clone();
        let expected = if std::ptr::eq(server, &trusting) {
            "203.0.113.7"
        } else {
            "127.0.0.1"
        };
        assert_eq!(mine["ip"], expected);
    }
}
