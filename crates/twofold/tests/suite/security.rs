//! Step-up, password change, sessions, the audit log and attempt limits,
//! through the API, on both backends.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_app::{Policy, Signup};
use twofold_testkit::{
    Actor, Backend, Guest, PASSWORD, Reply, TestDb, TestServer, event_kinds, events_of_kind,
    on_both_backends,
};

on_both_backends!(
    a_security_change_needs_a_fresh_step_up,
    changing_the_password_signs_out_the_other_sessions,
    sessions_can_be_listed_and_revoked,
    the_audit_log_records_security_events,
    failed_passwords_are_limited_per_account_across_instances,
    failed_step_ups_are_limited_per_session,
);

const OWNER: &str = "owner@example.com";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// A step-up proof by password.
fn by_password(password: &str) -> Value {
    json!({"method": "password", "password": password})
}

async fn sign_in_as(server: &TestServer, email: &str, password: &str, user_agent: &str) -> Reply {
    let response = server
        .client()
        .post(server.url("/api/v1/sessions"))
        .header("user-agent", user_agent)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    Reply::read(response).await
}

async fn a_security_change_needs_a_fresh_step_up(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;

    // Signing in does not open the window: a stolen token alone changes nothing.
    owner
        .change_password(PASSWORD, NEW_PASSWORD)
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");

    owner
        .reauth(by_password("not my password"))
        .await
        .refused(StatusCode::FORBIDDEN, "invalid_credentials");
    owner
        .reauth(json!({"method": "telepathy"}))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");

    let body = owner
        .reauth(by_password(PASSWORD))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        body["privileged_until"], "2023-11-14T22:18:20Z",
        "five minutes from now"
    );
    // The proof does not rotate the token: the same token now carries the window.
    let current = owner.get("/api/v1/sessions/current").await.body;
    assert_eq!(
        current["session"]["privileged_until"],
        "2023-11-14T22:18:20Z"
    );

    server.advance(Duration::from_secs(299));
    let changed = owner.change_password(PASSWORD, NEW_PASSWORD).await;
    changed.expect(StatusCode::NO_CONTENT);

    // After the window, the next change is refused again.
    server.advance(Duration::from_secs(1));
    owner
        .change_password(NEW_PASSWORD, PASSWORD)
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
}

async fn changing_the_password_signs_out_the_other_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let other_instance = TestServer::start(&db).await;
    let here = Actor::owner(&server, OWNER).await;
    let elsewhere = Actor::sign_in(&other_instance, OWNER, PASSWORD).await;
    let opened = here.reauth(by_password(PASSWORD)).await;
    assert_eq!(opened.status, StatusCode::OK);

    here.change_password("wrong current", NEW_PASSWORD)
        .await
        .refused(StatusCode::FORBIDDEN, "invalid_credentials");
    let short = here.change_password(PASSWORD, "short").await;
    short.refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(
        short.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("new password"),
        "{}",
        short.body
    );
    assert_eq!(
        elsewhere.get("/api/v1/me").await.status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let changed = here.change_password(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    assert_eq!(here.get("/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(
        elsewhere.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let old = sign_in_as(&server, OWNER, PASSWORD, "t").await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = sign_in_as(&server, OWNER, NEW_PASSWORD, "t").await;
    assert_eq!(new.status, StatusCode::CREATED);
}

async fn sessions_can_be_listed_and_revoked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    Guest::new(&server).create_owner(OWNER).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    let a = sign_in_as(&server, OWNER, PASSWORD, firefox).await.body;
    let b = sign_in_as(&server, OWNER, PASSWORD, "curl/8.5.0")
        .await
        .body;
    let c = sign_in_as(&server, OWNER, PASSWORD, "curl/8.5.0")
        .await
        .body;
    let [on_a, on_b, on_c] =
        [&a, &b, &c].map(|s| Actor::with_token(&server, s["token"].as_str().unwrap()));

    let body = on_a.get("/api/v1/sessions").await.expect(StatusCode::OK);
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
    let path = format!("/api/v1/sessions/{}", b["session"]["id"].as_str().unwrap());
    let member = Actor::member(&server, "member@example.com").await;
    member
        .delete(&path)
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");

    assert_eq!(on_a.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        on_b.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    on_a.delete(&path)
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    let malformed = on_a.delete("/api/v1/sessions/not-a-uuid").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);

    let all = on_a.delete("/api/v1/sessions").await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    assert_eq!(
        on_c.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let body = on_a.get("/api/v1/sessions").await.body;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
}

async fn the_audit_log_records_security_events(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    Guest::new(&server).create_owner(OWNER).await;
    let failed = sign_in_as(&server, OWNER, "wrong password!", "t").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let wrong = owner.reauth(by_password("wrong password!")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let right = owner.reauth(by_password(PASSWORD)).await;
    assert_eq!(right.status, StatusCode::OK);
    let changed = owner.change_password(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    let member = Actor::member(&server, "member@example.com").await;

    let body = owner.events("").await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(
        event_kinds(&body),
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
    for secret in [PASSWORD, "wrong password!", NEW_PASSWORD, &owner.token] {
        assert!(
            !everything.contains(secret),
            "a secret reached the audit log"
        );
    }

    // Paging: two at a time, then the rest after the second.
    let page = owner.events("?limit=2").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    let before = page["events"][1]["id"].as_str().unwrap();
    let rest = owner.events(&format!("?before={before}")).await;
    assert_eq!(rest["events"][0]["kind"], "reauth.failed");
    owner
        .get("/api/v1/me/events?limit=lots")
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");

    // The whole log is for owners and admins only, and filters.
    member
        .get("/api/v1/admin/events")
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    let created = owner.get("/api/v1/admin/events?kind=account.created").await;
    let body = created.expect(StatusCode::OK);
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    let member_id = body["events"][0]["account_id"].as_str().unwrap();
    let path = format!("/api/v1/admin/events?account_id={member_id}");
    let body = owner.get(&path).await.body;
    assert_eq!(event_kinds(&body), ["sign_in.succeeded", "account.created"]);
    owner
        .get("/api/v1/admin/events?kind=nonsense")
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");
}

async fn failed_passwords_are_limited_per_account_across_instances(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start(&db).await;
    let second = TestServer::start(&db).await;
    Guest::new(&first).create_owner(OWNER).await;
    for i in 0..10 {
        let server = if i % 2 == 0 { &first } else { &second };
        let reply = sign_in_as(server, OWNER, "wrong password!", "t").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Even the right password is refused now, on either instance.
    for server in [&first, &second] {
        let right = json!({"email": OWNER, "password": PASSWORD});
        let response = Guest::new(server).post_raw("/api/v1/sessions", right).await;
        assert_eq!(response.headers()["retry-after"], "900");
        Reply::read(response)
            .await
            .refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    }
    // An unknown email is counted the same way: the answer reveals nothing.
    for _ in 0..10 {
        let reply = sign_in_as(&second, "nobody@example.com", "wrong password!", "t").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let reply = sign_in_as(&first, "nobody@example.com", "wrong password!", "t").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);

    // The window slides: fifteen minutes later the owner signs in.
    first.advance(Duration::from_secs(900));
    second.advance(Duration::from_secs(900));
    let reply = sign_in_as(&second, OWNER, PASSWORD, "t").await;
    let body = reply.expect(StatusCode::CREATED);
    let owner = Actor::with_token(&first, body["token"].as_str().unwrap());
    let events = owner.events("").await;
    // Refusals are coalesced: one audit row per lockout, however many.
    assert_eq!(events_of_kind(&events, "sign_in.throttled").len(), 1);
}

async fn failed_step_ups_are_limited_per_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    for _ in 0..5 {
        let wrong = owner.reauth(by_password("wrong password!")).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    }
    owner
        .reauth(by_password(PASSWORD))
        .await
        .refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Another session of the same account is not blocked by this one's failures.
    let other = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let opened = other.reauth(by_password(PASSWORD)).await;
    assert_eq!(opened.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_passwords_are_limited_per_client_address() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    Guest::new(&server).create_owner(OWNER).await;
    for i in 0..100 {
        let guess = format!("guess{i}@example.com");
        let reply = sign_in_as(&server, &guess, "wrong password!", "t").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    sign_in_as(&server, OWNER, PASSWORD, "t")
        .await
        .refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
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
    Guest::new(&plain).create_owner(OWNER).await;
    for server in [&trusting, &plain] {
        let response = server
            .client()
            .post(server.url("/api/v1/sessions"))
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .json(&json!({"email": OWNER, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let body = Reply::read(response).await.body;
        let holder = Actor::with_token(server, body["token"].as_str().unwrap());
        let sessions = holder.get("/api/v1/sessions").await.body;
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
