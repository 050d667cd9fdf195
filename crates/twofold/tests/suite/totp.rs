//! Authenticator apps over the API on both backends: enrolment, MFA
//! sign-in, the replay guard under concurrency, attempt limits, rename and
//! removal, step-up by code, and secrets sealed at rest.

use std::process::Command;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, create_owner, error_code, get_bearer, read, sign_in};

on_both_backends!(
    an_authenticator_is_enrolled_with_a_code_and_turns_mfa_on,
    a_sign_in_with_mfa_needs_a_code_and_gives_aal_2,
    a_code_is_accepted_once_across_challenges,
    a_code_is_accepted_once_under_parallel_requests_on_two_instances,
    wrong_codes_are_limited_per_challenge_and_per_account,
    rename_and_remove_follow_the_last_factor_rule,
    step_up_by_code_uses_the_same_replay_guard,
    the_database_holds_no_totp_secret_in_plaintext,
);

pub async fn call(
    server: &TestServer,
    method: Method,
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

/// A code computed by oathtool (a client no one here wrote) at the server's time.
pub fn oathtool(secret: &str, server: &TestServer) -> String {
    let at = server.app.now().unix();
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "-N", &format!("@{at}"), secret])
        .output()
        .expect("oathtool is installed by ./scripts/test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Opens the step-up window of `token` with the password.
pub async fn step_up(server: &TestServer, token: &str) {
    let (status, body) = call(
        server,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        token,
        Some(json!({"method": "password", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Enrols an authenticator for the signed-in `token`; returns (id, secret).
pub async fn enrol(server: &TestServer, token: &str, name: Option<&str>) -> (String, String) {
    step_up(server, token).await;
    let body = name.map(|n| json!({"name": n}));
    let (status, pending) = call(server, Method::POST, "/api/v1/me/mfa/totp", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    let id = pending["id"].as_str().unwrap().to_owned();
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let code = oathtool(&secret, server);
    let (status, body) = call(
        server,
        Method::POST,
        &format!("/api/v1/me/mfa/totp/{id}/verify"),
        token,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The confirming code's step is used up: move to the next one.
    server.advance(Duration::from_secs(30));
    (id, secret)
}

/// Password sign-in of an MFA account: the challenge id.
pub async fn challenge(server: &TestServer, email: &str) -> String {
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "mfa_required");
    body["challenge_id"].as_str().unwrap().to_owned()
}

pub async fn answer(server: &TestServer, challenge_id: &str, code: &str) -> (StatusCode, Value) {
    read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa"))
            .json(&json!({"challenge_id": challenge_id, "method": "totp", "code": code}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn owner_with_totp(backend: Backend) -> (TestDb, TestServer, String, String) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    let (_, secret) = enrol(&server, &token, Some("Phone")).await;
    (db, server, token, secret)
}

async fn an_authenticator_is_enrolled_with_a_code_and_turns_mfa_on(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;

    let (status, body) = call(&server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    step_up(&server, &token).await;
    let (status, pending) = call(&server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    let secret = pending["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32 without padding");
    assert_eq!(
        pending["otpauth_uri"],
        format!("otpauth://totp/twofold:owner%40example.com?secret={secret}&issuer=twofold")
    );
    assert!(pending["qr_svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(pending["expires_at"], "2023-11-14T22:23:20Z", "ten minutes");
    let id = pending["id"].as_str().unwrap();
    let verify = format!("/api/v1/me/mfa/totp/{id}/verify");

    // Pending is not enrolled.
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );

    for (code, expected) in [
        ("12345", StatusCode::BAD_REQUEST),
        ("abcdef", StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = call(
            &server,
            Method::POST,
            &verify,
            &token,
            Some(json!({"code": code})),
        )
        .await;
        assert_eq!((status, error_code(&body)), (expected, "invalid_code"));
    }
    let right = oathtool(secret, &server);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, body) = call(
        &server,
        Method::POST,
        &verify,
        &token,
        Some(json!({"code": wrong})),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );

    let spaced = format!("{} {}", &right[..3], &right[3..]);
    let (status, body) = call(
        &server,
        Method::POST,
        &verify,
        &token,
        Some(json!({"code": spaced, "name": "  Work phone "})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["authenticator"]["name"], "Work phone");
    // The first strong factor brings the first recovery sheet, once.
    assert_eq!(
        body["recovery_codes"].as_array().unwrap().len(),
        10,
        "{body}"
    );
    assert_eq!(
        body["authenticator"]["last_used_at"],
        "2023-11-14T22:13:20Z"
    );
    // A confirmed authenticator cannot be confirmed twice.
    let (status, _) = call(
        &server,
        Method::POST,
        &verify,
        &token,
        Some(json!({"code": right})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["enabled"], true);
    assert_eq!(mfa["totp"][0]["name"], "Work phone");
    assert!(mfa["totp"][0].get("secret").is_none());
    let (_, me) = get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    assert_eq!(me["mfa"]["enabled"], true);

    // The confirming code cannot sign in: its step is used.
    let challenge_id = challenge(&server, "owner@example.com").await;
    let (status, body) = answer(&server, &challenge_id, &right).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_code")
    );
}

async fn a_sign_in_with_mfa_needs_a_code_and_gives_aal_2(backend: Backend) {
    let (_db, server, _, secret) = owner_with_totp(backend).await;
    let response = server
        .client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({"email": "owner@example.com", "password": PASSWORD, "remember_me": true}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("twofold_mfa=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(body["expires_at"], "2023-11-14T22:18:50Z", "five minutes");
    assert!(
        body.get("token").is_none(),
        "no session before the second factor"
    );
    let challenge_id = body["challenge_id"].as_str().unwrap();

    let (status, body) = answer(&server, challenge_id, "000000").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_code")
    );
    let (status, body) = answer(&server, challenge_id, "not a code").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );
    let (status, body) = answer(&server, "no-such-challenge", "123456").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "challenge_expired")
    );

    let response = server
        .client()
        .post(server.url("/api/v1/sessions/mfa"))
        .json(&json!({"challenge_id": challenge_id, "method": "totp", "code": oathtool(&secret, &server)}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["pwd", "otp"]));
    // "Remember me" is ignored for MFA sign-ins by default.
    assert_eq!(body["session"]["expires_at"], "2023-11-15T10:13:50Z");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("twofold_session=") && !c.contains("Max-Age")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("twofold_mfa=;")),
        "{cookies:?}"
    );
    let token = body["token"].as_str().unwrap();
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", token).await;
    assert_eq!(mfa["totp"][0]["last_used_at"], "2023-11-14T22:13:50Z");
    // The challenge is spent.
    let (status, body) = answer(&server, challenge_id, &oathtool(&secret, &server)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "challenge_expired")
    );
    let (_, events) = get_bearer(&server.client(), &server, "/api/v1/me/events", token).await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..4],
        [
            "sign_in.succeeded",
            "mfa.challenge_failed",
            "recovery_codes.generated",
            "totp.added"
        ]
    );
    assert_eq!(events["events"][0]["detail"]["amr"], json!(["pwd", "otp"]));
}

async fn a_code_is_accepted_once_across_challenges(backend: Backend) {
    let (_db, server, token, secret) = owner_with_totp(backend).await;
    let code = oathtool(&secret, &server);
    let first = challenge(&server, "owner@example.com").await;
    let second = challenge(&server, "owner@example.com").await;
    assert_eq!(answer(&server, &first, &code).await.0, StatusCode::CREATED);
    let (status, body) = answer(&server, &second, &code).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_code")
    );
    let (_, events) = get_bearer(&server.client(), &server, "/api/v1/me/events", &token).await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "totp.replay_rejected")
    );
    // An older step than the last accepted one is refused too.
    server.advance(Duration::from_secs(30));
    let newer = oathtool(&secret, &server);
    let third = challenge(&server, "owner@example.com").await;
    assert_eq!(answer(&server, &third, &newer).await.0, StatusCode::CREATED);
    let fourth = challenge(&server, "owner@example.com").await;
    assert_eq!(
        answer(&server, &fourth, &code).await.0,
        StatusCode::UNAUTHORIZED,
        "the step before"
    );
}

async fn a_code_is_accepted_once_under_parallel_requests_on_two_instances(backend: Backend) {
    let (db, first, _, secret) = owner_with_totp(backend).await;
    let second = TestServer::start(&db).await;
    second.clock.set(first.app.now());
    let code = oathtool(&secret, &first);
    // Ten tries: the account's code limit, so every one is evaluated
    // (what more than ten parallel tries get is `limits_hold_under_load`).
    let mut challenges = Vec::new();
    for _ in 0..10 {
        challenges.push(challenge(&first, "owner@example.com").await);
    }
    let mut tasks = Vec::new();
    for (i, id) in challenges.into_iter().enumerate() {
        let base = if i % 2 == 0 {
            first.base.clone()
        } else {
            second.base.clone()
        };
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/sessions/mfa"))
                .json(&json!({"challenge_id": id, "method": "totp", "code": code}))
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
    let wins = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(wins, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

async fn wrong_codes_are_limited_per_challenge_and_per_account(backend: Backend) {
    let (_db, server, _, secret) = owner_with_totp(backend).await;
    // One challenge allows five wrong codes, then it is spent.
    let first = challenge(&server, "owner@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            answer(&server, &first, "000000").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = answer(&server, &first, &oathtool(&secret, &server)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "challenge_expired")
    );
    // New challenges do not reset the account's count: 10 in 15 minutes.
    let second = challenge(&server, "owner@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            answer(&server, &second, "000000").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let third = challenge(&server, "owner@example.com").await;
    let response = server
        .client()
        .post(server.url("/api/v1/sessions/mfa"))
        .json(&json!({"challenge_id": third, "method": "totp", "code": oathtool(&secret, &server)}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = read(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    server.advance(Duration::from_secs(15 * 60));
    let fourth = challenge(&server, "owner@example.com").await;
    assert_eq!(
        answer(&server, &fourth, &oathtool(&secret, &server))
            .await
            .0,
        StatusCode::CREATED
    );
}

async fn rename_and_remove_follow_the_last_factor_rule(backend: Backend) {
    let (_db, server, token, _) = owner_with_totp(backend).await;
    let (second_id, _) = enrol(&server, &token, Some("Tablet")).await;
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa["recovery_codes"]["remaining"], 10,
        "the second factor keeps the first sheet"
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    let first_id = mfa["totp"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(mfa["totp"].as_array().unwrap().len(), 2);

    // Outside the step-up window nothing changes.
    server.advance(Duration::from_secs(300));
    let path = format!("/api/v1/me/mfa/totp/{first_id}");
    let (status, body) = call(
        &server,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"name": "Old phone"})),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    let (status, _) = call(&server, Method::DELETE, &path, &token, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    step_up(&server, &token).await;
    let (status, body) = call(
        &server,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"name": "Old phone"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["authenticator"]["name"], "Old phone");
    for bad in ["", "   ", &"x".repeat(65)] {
        let (status, body) = call(
            &server,
            Method::PATCH,
            &path,
            &token,
            Some(json!({"name": bad})),
        )
        .await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
        );
    }
    let missing = format!("/api/v1/me/mfa/totp/{}", uuid::Uuid::now_v7());
    assert_eq!(
        call(&server, Method::DELETE, &missing, &token, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        call(&server, Method::DELETE, &path, &token, None).await.0,
        StatusCode::NO_CONTENT
    );
    let last = format!("/api/v1/me/mfa/totp/{second_id}");
    let (status, body) = call(&server, Method::DELETE, &last, &token, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "last_factor")
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["enabled"], true, "refused removal changed nothing");
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("{last}?confirm_last=true"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["enabled"], false);
    // MFA is off: the password alone signs in again.
    sign_in(&server, "owner@example.com").await;
    let (_, events) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=4",
        &token,
    )
    .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "sign_in.succeeded",
            "totp.removed",
            "totp.removed",
            "totp.renamed"
        ]
    );
    assert_eq!(events["events"][1]["detail"]["mfa_now_off"], true);
}

async fn step_up_by_code_uses_the_same_replay_guard(backend: Backend) {
    let (_db, server, token, secret) = owner_with_totp(backend).await;
    server.advance(Duration::from_secs(300));
    let code = oathtool(&secret, &server);
    let reauth = |code: String| {
        let token = token.clone();
        let server = &server;
        async move {
            call(
                server,
                Method::POST,
                "/api/v1/sessions/current/reauth",
                &token,
                Some(json!({"method": "totp", "code": code})),
            )
            .await
        }
    };
    let (status, body) = reauth(code.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = reauth(code.clone()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "invalid_credentials")
    );
    let (status, body) = reauth("12 34 5x".into()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );
    // And a code used for step-up cannot sign in.
    let challenge_id = challenge(&server, "owner@example.com").await;
    assert_eq!(
        answer(&server, &challenge_id, &code).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn the_database_holds_no_totp_secret_in_plaintext(backend: Backend) {
    let (db, server, token, secret) = owner_with_totp(backend).await;
    let raw = data_encoding_base32(&secret);
    let (status, _) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(status, StatusCode::OK);
    match backend {
        Backend::Sqlite => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(db.dir.path()).unwrap() {
                bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_slice()),
                "raw secret in the files"
            );
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "base32 secret in the files"
            );
        }
        Backend::Postgres => {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let sealed: Vec<u8> =
                sqlx::query_scalar("SELECT secret_sealed FROM totp_authenticators")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert!(!sealed.windows(raw.len()).any(|w| w == raw.as_slice()));
            let dump: String =
                sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM totp_authenticators t")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert!(!dump.contains(&secret));
        }
    }
    // The audit log never carries it either.
    let (_, events) = get_bearer(&server.client(), &server, "/api/v1/me/events", &token).await;
    assert!(!events.to_string().contains(&secret));
}

/// RFC 4648 base32 (no padding) decoding, for the test's own check.
fn data_encoding_base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_consecutive_wrong_codes_block_totp_until_a_success_elsewhere() {
    let (_db, server, _, secret) = owner_with_totp(Backend::Sqlite).await;
    for _round in 0..10 {
        for _ in 0..2 {
            let id = challenge(&server, "owner@example.com").await;
            for _ in 0..5 {
                assert_eq!(
                    answer(&server, &id, "000000").await.0,
                    StatusCode::UNAUTHORIZED
                );
            }
        }
        // Past the 15-minute window, so only the consecutive count remains.
        server.advance(Duration::from_secs(15 * 60 + 1));
    }
    let id = challenge(&server, "owner@example.com").await;
    let (status, body) = answer(&server, &id, &oathtool(&secret, &server)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "totp_locked")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another method")
    );
}
