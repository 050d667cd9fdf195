//! Passkeys over the API on both backends, with 1Password's passkey-rs as
//! the user's authenticator (in process, a client no one here wrote):
//! registration, sign-in alone, second factor, step-up, rename and removal,
//! single-use ceremonies across instances, counter regression, bad input.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::softkey::SoftKey;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::totp::{call, step_up};
use crate::{PASSWORD, create_owner, error_code, get_bearer, read, sign_in};

on_both_backends!(
    a_passkey_is_enrolled_and_signs_in_alone,
    a_passkey_is_the_second_factor_after_a_password,
    a_passkey_steps_up_the_session,
    rename_remove_and_the_last_passkey_rules,
    a_ceremony_finishes_once_on_any_instance,
    a_counter_regression_is_refused_and_audited,
    bad_passkey_input_gets_a_clear_error_and_changes_nothing,
);

/// Registers a passkey for the signed-in `token`; returns the answer.
pub async fn enrol_passkey(
    server: &TestServer,
    token: &str,
    key: &mut SoftKey,
    name: &str,
) -> Value {
    step_up(server, token).await;
    let (status, options) = call(
        server,
        Method::POST,
        "/api/v1/me/mfa/passkeys/options",
        token,
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let credential = key.create(&options).await;
    let (status, body) = call(
        server,
        Method::POST,
        "/api/v1/me/mfa/passkeys",
        token,
        Some(
            json!({"ceremony_id": options["ceremony_id"], "name": name, "credential": credential}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

pub async fn passwordless(server: &TestServer, key: &mut SoftKey) -> (StatusCode, Value) {
    let (status, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let credential = key.get(&options).await;
    finish_passwordless(server, &options["ceremony_id"], &credential).await
}

async fn finish_passwordless(
    server: &TestServer,
    ceremony: &Value,
    credential: &Value,
) -> (StatusCode, Value) {
    read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey"))
            .json(&json!({"ceremony_id": ceremony, "credential": credential}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn owner_with_passkey(server: &TestServer) -> (String, SoftKey) {
    create_owner(server, "owner@example.com").await;
    let token = sign_in(server, "owner@example.com").await;
    let mut key = SoftKey::new(&server.public_url);
    enrol_passkey(server, &token, &mut key, "Laptop").await;
    (token, key)
}

async fn a_passkey_is_enrolled_and_signs_in_alone(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;

    let (status, body) = call(
        &server,
        Method::POST,
        "/api/v1/me/mfa/passkeys/options",
        &token,
        None,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    step_up(&server, &token).await;
    let (status, options) = call(
        &server,
        Method::POST,
        "/api/v1/me/mfa/passkeys/options",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    let (_, me) = get_bearer(&server.client(), &server, "/api/v1/me", &token).await;
    let handle = public_key["user"]["id"].as_str().unwrap();
    assert!(!handle.is_empty());
    assert_ne!(
        public_key["user"]["id"], me["account"]["id"],
        "the user handle is not the row id"
    );

    let mut key = SoftKey::new(&server.public_url);
    let credential = key.create(&options).await;
    let (status, added) = call(
        &server,
        Method::POST,
        "/api/v1/me/mfa/passkeys",
        &token,
        Some(json!({"ceremony_id": options["ceremony_id"], "name": "Laptop", "credential": credential})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["passkey"]["name"], "Laptop");
    assert_eq!(
        added["recovery_codes"].as_array().unwrap().len(),
        10,
        "the first factor brings a sheet"
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["enabled"], true);
    assert_eq!(mfa["passkeys"][0]["name"], "Laptop");
    assert_eq!(mfa["passkeys"][0]["last_used_at"], Value::Null);

    let (status, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
    assert_eq!(options["mediation"], "conditional");
    let assertion = key.get(&options).await;
    let (status, body) = finish_passwordless(&server, &options["ceremony_id"], &assertion).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["hwk"]));
    assert_eq!(body["session"]["account"]["email"], "owner@example.com");
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["passkeys"][0]["last_used_at"], "2023-11-14T22:13:20Z");
    let (_, events) = get_bearer(&server.client(), &server, "/api/v1/me/events", &token).await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..3],
        [
            "sign_in.succeeded",
            "recovery_codes.generated",
            "passkey.added"
        ]
    );
    assert_eq!(events["events"][0]["detail"]["amr"], json!(["hwk"]));
}

async fn a_passkey_is_the_second_factor_after_a_password(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (_, mut key) = owner_with_passkey(&server).await;
    let challenge_id = crate::totp::challenge(&server, "owner@example.com").await;
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions"))
            .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["methods"], json!(["webauthn", "recovery_code"]));

    let (status, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa/webauthn/options"))
            .json(&json!({"challenge_id": challenge_id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    assert_eq!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the account's credentials are listed"
    );
    let assertion = key.get(&options).await;
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa"))
            .json(&json!({"challenge_id": challenge_id, "method": "webauthn", "credential": assertion}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["pwd", "hwk"]));
    // The challenge is spent.
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa/webauthn/options"))
            .json(&json!({"challenge_id": challenge_id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "challenge_expired")
    );
}

async fn a_passkey_steps_up_the_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, mut key) = owner_with_passkey(&server).await;
    server.advance(std::time::Duration::from_secs(301));
    let (status, options) = call(
        &server,
        Method::POST,
        "/api/v1/sessions/current/reauth/webauthn/options",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let assertion = key.get(&options).await;
    let (status, body) = call(
        &server,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        &token,
        Some(json!({"method": "webauthn", "ceremony_id": options["ceremony_id"], "credential": assertion})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["privileged_until"], "2023-11-14T22:23:21Z");
    // The same ceremony cannot open the window twice.
    let (status, body) = call(
        &server,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        &token,
        Some(json!({"method": "webauthn", "ceremony_id": options["ceremony_id"], "credential": assertion})),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "ceremony_expired")
    );
    let (_, events) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=1",
        &token,
    )
    .await;
    assert_eq!(events["events"][0]["kind"], "reauth.succeeded");
    assert_eq!(events["events"][0]["detail"]["method"], "webauthn");
}

async fn rename_remove_and_the_last_passkey_rules(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, _key) = owner_with_passkey(&server).await;
    let mut second = SoftKey::new(&server.public_url);
    let added = enrol_passkey(&server, &token, &mut second, "Phone").await;
    assert!(
        added.get("recovery_codes").is_none(),
        "only the first factor brings a sheet"
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    let first_id = mfa["passkeys"][0]["id"].as_str().unwrap().to_owned();
    let second_id = mfa["passkeys"][1]["id"].as_str().unwrap().to_owned();

    let path = format!("/api/v1/me/mfa/passkeys/{first_id}");
    let (status, body) = call(
        &server,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"name": "Work laptop"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["passkey"]["name"], "Work laptop");
    let (status, _) = call(
        &server,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"name": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        call(&server, Method::DELETE, &path, &token, None).await.0,
        StatusCode::NO_CONTENT
    );
    let last = format!("/api/v1/me/mfa/passkeys/{second_id}");
    let (status, body) = call(&server, Method::DELETE, &last, &token, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "last_factor")
    );
    assert_eq!(
        call(
            &server,
            Method::DELETE,
            &format!("{last}?confirm_last=true"),
            &token,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );
    // A removed passkey no longer signs in.
    let (status, body) = passwordless(&server, &mut second).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unknown_credential")
    );
}

async fn a_ceremony_finishes_once_on_any_instance(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start(&db).await;
    let (_, mut key) = owner_with_passkey(&first).await;
    let second = TestServer::start_sibling(&db, &first).await;

    // Started on one instance, finished on the other.
    let (_, options) = read(
        first
            .client()
            .post(first.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let assertion = key.get(&options).await;
    let (status, body) = finish_passwordless(&second, &options["ceremony_id"], &assertion).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The same assertion again: the ceremony is spent.
    let (status, body) = finish_passwordless(&first, &options["ceremony_id"], &assertion).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "ceremony_expired")
    );

    // One ceremony finished in parallel on both instances: one session.
    let (_, options) = read(
        first
            .client()
            .post(first.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let assertion = key.get(&options).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 {
            first.base.clone()
        } else {
            second.base.clone()
        };
        let body = json!({"ceremony_id": options["ceremony_id"], "credential": assertion});
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/sessions/passkey"))
                .json(&body)
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
}

async fn a_counter_regression_is_refused_and_audited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, mut key) = owner_with_passkey(&server).await;
    // The stored credential claims it has counted to 100; this
    // authenticator says 0: a sign of a cloned key.
    set_stored_counter(&db, 100).await;
    let (status, body) = passwordless(&server, &mut key).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (_, events) = get_bearer(
        &server.client(),
        &server,
        "/api/v1/me/events?limit=1",
        &token,
    )
    .await;
    assert_eq!(events["events"][0]["kind"], "passkey.counter_regression");
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(
        mfa["passkeys"][0]["last_used_at"],
        Value::Null,
        "nothing recorded as a use"
    );
}

async fn set_stored_counter(db: &TestDb, counter: u32) {
    use sqlx::Connection as _;
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let (id, text): (Vec<u8>, String) =
                sqlx::query_as("SELECT id, credential FROM passkeys")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            let mut value: Value = serde_json::from_str(&text).unwrap();
            value["cred"]["counter"] = json!(counter);
            sqlx::query("UPDATE passkeys SET credential = $1, sign_count = $2 WHERE id = $3")
                .bind(value.to_string())
                .bind(i64::from(counter))
                .bind(id)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let (id, text): (uuid::Uuid, String) =
                sqlx::query_as("SELECT id, credential FROM passkeys")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            let mut value: Value = serde_json::from_str(&text).unwrap();
            value["cred"]["counter"] = json!(counter);
            sqlx::query("UPDATE passkeys SET credential = $1, sign_count = $2 WHERE id = $3")
                .bind(value.to_string())
                .bind(i64::from(counter))
                .bind(id)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn bad_passkey_input_gets_a_clear_error_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (token, mut key) = owner_with_passkey(&server).await;

    // Another origin (same RP ID, other port): the RP refuses it.
    let mut elsewhere = key_for_origin(&mut key, "http://localhost:9");
    let (status, body) = passwordless(&server, &mut elsewhere).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    std::mem::swap(&mut key, &mut elsewhere);

    // A tampered signature.
    let (_, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut assertion = key.get(&options).await;
    let signature = assertion["response"]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    // Change one character of the base64url signature.
    let (head, tail) = signature.split_at(1);
    let flipped = format!("{}{tail}", if head == "A" { "B" } else { "A" });
    assertion["response"]["signature"] = json!(flipped);
    let (status, body) = finish_passwordless(&server, &options["ceremony_id"], &assertion).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );

    // Malformed JSON and unknown ceremonies.
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey"))
            .json(&json!({"ceremony_id": "x", "credential": {"id": 5}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let (_, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/passkey/options"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let assertion = key.get(&options).await;
    let (status, body) = finish_passwordless(&server, &json!("no-such-ceremony"), &assertion).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "ceremony_expired")
    );
    // An expired ceremony.
    server.advance(std::time::Duration::from_secs(301));
    let (status, body) = finish_passwordless(&server, &options["ceremony_id"], &assertion).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "ceremony_expired")
    );

    // Another account's passkey as this account's second factor.
    let other = TestServer::start_with(
        &db,
        twofold_app::Policy {
            signup: twofold_app::Signup::Open,
            ..Default::default()
        },
    )
    .await;
    other.clock.set(server.app.now());
    let (status, _) = read(
        other
            .client()
            .post(other.url("/api/v1/accounts"))
            .json(&json!({"email": "mallory@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mallory = sign_in(&server, "mallory@example.com").await;
    let mut mallory_key = SoftKey::new(&server.public_url);
    enrol_passkey(&server, &mallory, &mut mallory_key, "Mallory's").await;
    let challenge_id = crate::totp::challenge(&server, "owner@example.com").await;
    let (_, options) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa/webauthn/options"))
            .json(&json!({"challenge_id": challenge_id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut options_for_mallory = options.clone();
    options_for_mallory["publicKey"]["allowCredentials"] = json!([]);
    let foreign = mallory_key.get(&options_for_mallory).await;
    let (status, body) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa"))
            .json(
                &json!({"challenge_id": challenge_id, "method": "webauthn", "credential": foreign}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unknown_credential")
    );
    // Nothing changed: the owner still has one passkey, never used.
    let (_, mfa) = get_bearer(&server.client(), &server, "/api/v1/me/mfa", &token).await;
    assert_eq!(mfa["passkeys"].as_array().unwrap().len(), 1);
    assert_eq!(mfa["passkeys"][0]["last_used_at"], Value::Null);
}

/// The same authenticator (its credential), used from another origin.
fn key_for_origin(key: &mut SoftKey, origin: &str) -> SoftKey {
    key.moved_to(origin)
}
