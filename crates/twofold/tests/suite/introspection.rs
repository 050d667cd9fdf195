//! Token introspection for other applications, on both backends: live,
//! expired, revoked and foreign tokens; application credentials by Basic
//! and by form; and the limits that keep it from being a guessing oracle.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_testkit::{Actor, Backend, TestServer, count, on_both_backends};

use crate::open_instance;

on_both_backends!(
    live_sessions_and_tokens_are_described,
    anything_not_live_is_only_inactive,
    wrong_application_credentials_are_refused_alike_and_limited,
    inactive_answers_are_limited_per_application,
);

const MEMBER: &str = "ivy@example.com";
const INTROSPECT: &str = "/api/v1/introspect";

struct Application {
    id: String,
    secret: String,
}

async fn application(server: &TestServer, name: &str) -> Application {
    let created = server
        .app
        .operator()
        .create_application(name, None)
        .await
        .unwrap();
    Application {
        id: created.application.id.to_string(),
        secret: created.secret.expose().to_owned(),
    }
}

/// Introspects `token` with HTTP Basic credentials.
async fn introspect(server: &TestServer, app: &Application, token: &str) -> (StatusCode, Value) {
    let response = server
        .client()
        .post(server.url(INTROSPECT))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    crate::read(response).await
}

async fn active(server: &TestServer, app: &Application, token: &str) -> Value {
    let (status, body) = introspect(server, app, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true, "{body}");
    body
}

async fn inactive(server: &TestServer, app: &Application, token: &str) {
    let (status, body) = introspect(server, app, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"active": false}), "{token}");
}

async fn live_sessions_and_tokens_are_described(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let app = application(&server, "wiki").await;
    let member = Actor::member(&server, MEMBER).await;
    let id = member.get("/api/v1/me").await.expect(StatusCode::OK)["account"]["id"].clone();

    let body = active(&sibling, &app, &member.token).await;
    assert_eq!(body["sub"], id);
    assert_eq!(body["email"], MEMBER);
    assert_eq!(body["token_type"], "session");
    assert_eq!(body["aal"], 1);
    assert_eq!(body["amr"], json!(["pwd"]));
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());
    assert!(body.get("scope").is_none(), "{body}");

    member.totp().enrol(None).await;
    member.step_up().await;
    let created = member
        .post(
            "/api/v1/me/tokens",
            json!({"name": "ci", "expires_in": 3600, "scopes": ["read", "write"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let token = created["token"].as_str().unwrap();
    let body = active(&sibling, &app, token).await;
    assert_eq!(body["sub"], id);
    assert_eq!(body["token_type"], "personal_access_token");
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["aal"], 2);
    assert_eq!(body["amr"], json!(["pat"]));
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        3600
    );

    // Credentials in the form (client_secret_post) work the same.
    let response = server
        .client()
        .post(server.url(INTROSPECT))
        .form(&[
            ("token", token),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = crate::read(response).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(true)));
    // Introspection is not a use of the token by its holder.
    let listed = member.get("/api/v1/me/tokens").await.expect(StatusCode::OK);
    assert_eq!(listed["tokens"][0]["last_used_at"], Value::Null);
}

async fn anything_not_live_is_only_inactive(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let app = application(&server, "wiki").await;
    let member = Actor::member(&server, MEMBER).await;
    member.step_up().await;
    let make = |name: &'static str, expires_in: u64| {
        let member = &member;
        async move {
            let created = member
                .post(
                    "/api/v1/me/tokens",
                    json!({"name": name, "expires_in": expires_in, "scopes": ["read"]}),
                )
                .await
                .expect(StatusCode::CREATED);
            (
                created["token"].as_str().unwrap().to_owned(),
                created["id"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (revoked, revoked_id) = make("revoked", 3600).await;
    let (short, _) = make("short", 60).await;
    active(&server, &app, &short).await;

    member
        .delete(&format!("/api/v1/me/tokens/{revoked_id}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    inactive(&server, &app, &revoked).await;

    let mut typo = short.clone().into_bytes();
    typo[30] = if typo[30] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    for foreign in [
        "",
        "not a token",
        typo.as_str(),
        "tfp_0000000000000000000000000000000000000000000000000",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        inactive(&server, &app, foreign).await;
    }

    server.advance(Duration::from_secs(60));
    inactive(&server, &app, &short).await;

    let other = Actor::member(&server, "jude@example.com").await;
    active(&server, &app, &other.token).await;
    other
        .delete("/api/v1/sessions/current")
        .await
        .expect(StatusCode::NO_CONTENT);
    inactive(&server, &app, &other.token).await;

    // A missing token is a malformed request, not an inactive one.
    let response = server
        .client()
        .post(server.url(INTROSPECT))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("nothing", "here")])
        .send()
        .await
        .unwrap();
    let (status, body) = crate::read(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let response = server
        .client()
        .post(server.url(INTROSPECT))
        .basic_auth(&app.id, Some(&app.secret))
        .json(&json!({"token": member.token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn wrong_application_credentials_are_refused_alike_and_limited(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let app = application(&server, "wiki").await;
    let member = Actor::member(&server, MEMBER).await;
    let unknown_id = uuid::Uuid::new_v4().to_string();
    let other_secret = application(&server, "other").await.secret;
    let wrong = [
        (app.id.clone(), other_secret.clone()),
        (unknown_id.clone(), app.secret.clone()),
        (app.id.clone(), String::new()),
        (String::new(), String::new()),
        ("not-a-uuid".to_owned(), app.secret.clone()),
    ];
    let mut messages = Vec::new();
    for (id, secret) in &wrong {
        let response = server
            .client()
            .post(server.url(INTROSPECT))
            .basic_auth(id, Some(secret))
            .form(&[("token", member.token.as_str())])
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        let (status, body) = crate::read(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["code"], "invalid_client");
        messages.push(body["error"]["message"].clone());
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "every failure reads the same: {messages:?}"
    );

    // A deleted application's credentials stop at once.
    let gone = application(&server, "gone").await;
    active(&sibling, &gone, &member.token).await;
    server
        .app
        .operator()
        .delete_application(gone.id.parse().unwrap(), None)
        .await
        .unwrap();
    let (status, _) = introspect(&sibling, &gone, &member.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Wrong credentials from one address: at most the limit are judged,
    // in parallel on two instances; the right ones still work.
    let limit = twofold_core::throttle::limits::APP_AUTH_FAILURES_PER_ADDRESS.max as usize;
    let already = wrong.len() + 1;
    let shots = limit + 20;
    let mut tasks = Vec::new();
    for i in 0..shots {
        let url = [&server, &sibling][i % 2].url(INTROSPECT);
        let (id, token) = (app.id.clone(), member.token.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .basic_auth(id, Some("wrong"))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        limit - already,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        shots - (limit - already)
    );
    active(&server, &app, &member.token).await;
}

async fn inactive_answers_are_limited_per_application(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let guessing = application(&server, "guessing").await;
    let honest = application(&server, "honest").await;
    let member = Actor::member(&server, MEMBER).await;
    let limit = twofold_core::throttle::limits::INTROSPECTION_MISSES_PER_APPLICATION.max as usize;
    let shots = limit + 40;
    let mut statuses = Vec::new();
    // Batches of parallel guesses on two instances.
    for batch in 0..shots.div_ceil(40) {
        let mut tasks = Vec::new();
        for i in 0..40.min(shots - batch * 40) {
            let url = [&server, &sibling][i % 2].url(INTROSPECT);
            let (id, secret) = (guessing.id.clone(), guessing.secret.clone());
            let guess = format!("guess-{batch}-{i}");
            tasks.push(tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .basic_auth(id, Some(secret))
                    .form(&[("token", guess)])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
    }
    assert_eq!(count(&statuses, StatusCode::OK), limit);
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        shots - limit
    );
    // The limit is the guessing application's alone.
    active(&server, &honest, &member.token).await;
}
