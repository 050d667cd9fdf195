//! Recovery codes over the API on both backends: the first sheet, use at
//! sign-in exactly once under concurrency, a new sheet, the last-factor and
//! disable rules, and keyed hashes at rest.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::totp::{answer, call, challenge, oathtool, step_up};
use crate::{PASSWORD, create_owner, error_code, get_bearer, read, sign_in};

on_both_backends!(
    the_first_factor_brings_a_sheet_and_each_code_signs_in_once,
    one_code_used_in_parallel_on_two_instances_signs_in_once,
    a_new_sheet_replaces_the_old_one,
    removing_the_last_factor_or_disabling_mfa_leaves_nothing,
    codes_are_stored_only_as_keyed_hashes,
    wrong_recovery_codes_count_in_the_code_limit,
);

/// An owner with one authenticator: (token, TOTP secret, the first sheet).
async fn owner_with_sheet(server: &TestServer) -> (String, String, Vec<String>) {
    create_owner(server, "owner@example.com").await;
    let token = sign_in(server, "owner@example.com").await;
    step_up(server, &token).await;
    let (_, pending) = call(server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let path = format!(
        "/api/v1/me/mfa/totp/{}/verify",
        pending["id"].as_str().unwrap()
    );
    let (status, body) = call(
        server,
        Method::POST,
        &path,
        &token,
        Some(json!({"code": oathtool(&secret, server)})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = codes_of(&body["recovery_codes"]);
    server.advance(std::time::Duration::from_secs(30));
    (token, secret, codes)
}

fn codes_of(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

async fn recover(server: &TestServer, challenge_id: &str, code: &str) -> (StatusCode, Value) {
    read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa"))
            .json(&json!({"challenge_id": challenge_id, "method": "recovery_code", "code": code}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn the_first_factor_brings_a_sheet_and_each_code_signs_in_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, _, codes) = owner_with_sheet(&server).await;
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-");
        assert!(
            code.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa["recovery_codes"],
        json!({"remaining": 10, "generated_at": "2023-11-14T22:13:20Z"})
    );

    // Typed in upper case with a space instead of the dash.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let first = challenge(&server, "owner@example.com").await;
    let (status, body) = recover(&server, &first, &typed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["pwd", "rc"]));
    assert_eq!(body["recovery_codes_remaining"], 9);

    let second = challenge(&server, "owner@example.com").await;
    let (status, body) = recover(&server, &second, &codes[0]).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_code"),
        "used once"
    );
    let (status, body) = recover(&server, &second, "not-a-code!").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );
    let (status, _) = recover(&server, &second, &codes[1]).await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["recovery_codes"]["remaining"], 8);
    let (_, events) = get_bearer(&server.client(), &server, "/api/v1/me/events", &token).await;
    let used: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "recovery_code.used")
        .collect();
    assert_eq!(used.len(), 2);
    assert_eq!(used[0]["detail"]["remaining"], 8);
    assert!(
        !events.to_string().contains(&codes[0]),
        "no code in the audit log"
    );
}

async fn one_code_used_in_parallel_on_two_instances_signs_in_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start(&db).await;
    let (_, _, codes) = owner_with_sheet(&first).await;
    let second = TestServer::start(&db).await;
    second.clock.set(first.app.now());
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
        let code = codes[3].clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/sessions/mfa"))
                .json(&json!({"challenge_id": id, "method": "recovery_code", "code": code}))
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
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

async fn a_new_sheet_replaces_the_old_one(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, _, old) = owner_with_sheet(&server).await;
    server.advance(std::time::Duration::from_secs(300));
    let (status, body) = call(
        &server,
        Method::POST,
        "/api/v1/me/mfa/recovery-codes",
        &token,
        None,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    step_up(&server, &token).await;
    let (status, body) = call(
        &server,
        Method::POST,
        "/api/v1/me/mfa/recovery-codes",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let new = codes_of(&body["codes"]);
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));

    let id = challenge(&server, "owner@example.com").await;
    assert_eq!(
        recover(&server, &id, &old[0]).await.0,
        StatusCode::UNAUTHORIZED,
        "old codes stop working"
    );
    assert_eq!(recover(&server, &id, &new[0]).await.0, StatusCode::CREATED);

    // Without a strong factor there is nothing to fall back from.
    let plain = TestServer::start_with(
        &db,
        twofold_app::Policy {
            signup: twofold_app::Signup::Open,
            ..Default::default()
        },
    )
    .await;
    plain.clock.set(server.app.now());
    let (status, _) = read(
        plain
            .client()
            .post(plain.url("/api/v1/accounts"))
            .json(&json!({"email": "plain@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let plain_token = sign_in(&plain, "plain@example.com").await;
    step_up(&plain, &plain_token).await;
    let (status, body) = call(
        &plain,
        Method::POST,
        "/api/v1/me/mfa/recovery-codes",
        &plain_token,
        None,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "no_strong_factor")
    );
}

async fn removing_the_last_factor_or_disabling_mfa_leaves_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, secret, codes) = owner_with_sheet(&server).await;
    step_up(&server, &token).await;
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    let id = mfa["totp"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/me/mfa/totp/{id}?confirm_last=true");
    assert_eq!(
        call(&server, Method::DELETE, &path, &token, None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );
    sign_in(&server, "owner@example.com").await; // no MFA step
    let _ = (secret, codes);

    // Again, then "Disable two-factor authentication" removes it all at once.
    server.advance(std::time::Duration::from_secs(30));
    step_up(&server, &token).await;
    let (_, pending) = call(&server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let verify = format!(
        "/api/v1/me/mfa/totp/{}/verify",
        pending["id"].as_str().unwrap()
    );
    let (_, body) = call(
        &server,
        Method::POST,
        &verify,
        &token,
        Some(json!({"code": oathtool(&secret, &server)})),
    )
    .await;
    assert_eq!(
        body["recovery_codes"].as_array().unwrap().len(),
        10,
        "a first factor again: a new sheet"
    );
    server.advance(std::time::Duration::from_secs(300));
    let (status, body) = call(&server, Method::DELETE, "/api/v1/me/mfa", &token, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    step_up(&server, &token).await;
    assert_eq!(
        call(&server, Method::DELETE, "/api/v1/me/mfa", &token, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );
    sign_in(&server, "owner@example.com").await;
    let (_, events) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=2",
        &token,
    )
    .await;
    assert_eq!(events["events"][1]["kind"], "mfa.disabled");
    assert_eq!(events["events"][1]["detail"]["by"], "self");
}

async fn codes_are_stored_only_as_keyed_hashes(backend: Backend) {
    use sha2::Digest as _;
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (_, _, codes) = owner_with_sheet(&server).await;
    let canonical: Vec<String> = codes.iter().map(|c| c.replace('-', "")).collect();
    let unkeyed: Vec<Vec<u8>> = canonical
        .iter()
        .map(|c| sha2::Sha256::digest(c.as_bytes()).to_vec())
        .collect();
    let stored: Vec<Vec<u8>> = match backend {
        Backend::Sqlite => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(db.dir.path()).unwrap() {
                bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            for text in codes.iter().chain(&canonical) {
                assert!(
                    !bytes.windows(text.len()).any(|w| w == text.as_bytes()),
                    "a code in the files"
                );
            }
            for hash in &unkeyed {
                assert!(
                    !bytes.windows(32).any(|w| w == hash.as_slice()),
                    "an unkeyed hash in the files"
                );
            }
            Vec::new()
        }
        Backend::Postgres => {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
    };
    if backend == Backend::Postgres {
        assert_eq!(stored.len(), 10);
        for hash in &stored {
            assert_eq!(hash.len(), 32);
            assert!(!unkeyed.contains(hash), "the hash is keyed");
        }
    }
}

async fn wrong_recovery_codes_count_in_the_code_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (_, _, codes) = owner_with_sheet(&server).await;
    for _ in 0..2 {
        let id = challenge(&server, "owner@example.com").await;
        for _ in 0..5 {
            assert_eq!(
                recover(&server, &id, "zzzzz-zzzzz").await.0,
                StatusCode::UNAUTHORIZED
            );
        }
    }
    let id = challenge(&server, "owner@example.com").await;
    let (status, body) = recover(&server, &id, &codes[0]).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Recovery failures do not count towards the consecutive TOTP limit;
    // after the window a TOTP code works at once.
    server.advance(std::time::Duration::from_secs(15 * 60));
    let id = challenge(&server, "owner@example.com").await;
    let _ = answer;
    assert_eq!(
        recover(&server, &id, &codes[0]).await.0,
        StatusCode::CREATED
    );
}
