//! The rules for what people type, over the API on both backends: new
//! passwords (common, personal, guessable), passwords and emails compared
//! in Unicode normal form, and factor names without direction controls.

use argon2::password_hash::PasswordHasher as _;
use reqwest::{Method, StatusCode};
use serde_json::json;
use twofold_testkit::{Actor, Backend, TestDb, TestServer, on_both_backends};

use crate::open_instance;
use crate::{PASSWORD, create_owner, error_code, post};

on_both_backends!(
    weak_common_and_personal_passwords_are_refused_with_the_reason,
    a_new_password_is_judged_by_the_same_rules_on_change,
    a_password_typed_decomposed_signs_in_to_an_account_made_composed,
    a_hash_of_the_typed_bytes_still_signs_in_and_is_upgraded,
    composed_and_decomposed_emails_are_one_account,
    a_factor_name_with_direction_controls_is_refused,
);

/// "Crème brûlée au four 2024" with precomposed letters, and decomposed
/// (letter + combining accent), as some keyboards and input methods send it.
const NFC: &str = "Cr\u{e8}me br\u{fb}l\u{e9}e au four 2024";
const NFD: &str = "Cre\u{300}me bru\u{302}le\u{301}e au four 2024";

/// The owner, signed in through the API with the step-up window open.
async fn stepped_up_owner(server: &TestServer) -> Actor<'_> {
    create_owner(server, "owner@example.com").await;
    let owner = Actor::sign_in(server, "owner@example.com", PASSWORD).await;
    owner.step_up().await;
    owner
}

async fn sign_up(
    server: &TestServer,
    email: &str,
    password: &str,
) -> (StatusCode, serde_json::Value) {
    post(
        &server.client(),
        server,
        "/api/v1/accounts",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn sign_in_status(server: &TestServer, email: &str, password: &str) -> StatusCode {
    post(
        &server.client(),
        server,
        "/api/v1/sessions",
        json!({"email": email, "password": password}),
    )
    .await
    .0
}

async fn weak_common_and_personal_passwords_are_refused_with_the_reason(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    for (email, password, reason) in [
        ("a@example.com", "password", "most commonly used"),
        ("b@example.com", "12345678", "most commonly used"),
        ("c@example.com", "QWERTYUI", "most commonly used"),
        (
            "dee.example@example.com",
            "dee.example@example.com",
            "email address",
        ),
        ("dee.example@example.com", "Dee.Example", "email address"),
        ("e@example.com", "        ", "too easy to guess"),
        ("f@example.com", "zzzzzzzzzzzz", "too easy to guess"),
    ] {
        let (status, body) = sign_up(&server, email, password).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password:?}: {body}"
        );
        assert_eq!(error_code(&body), "invalid_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("password ") && message.contains(reason),
            "{password:?}: {message}"
        );
    }
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);
    let (status, body) = sign_up(&server, "g@example.com", "a brand new passphrase").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 2);
}

async fn a_new_password_is_judged_by_the_same_rules_on_change(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = stepped_up_owner(&server).await;
    for (new, reason) in [
        ("password1", "most commonly used"),
        ("owner@example.com", "email address"),
    ] {
        let change = json!({"current_password": PASSWORD, "new_password": new});
        let reply = owner
            .call(Method::PUT, "/api/v1/me/password", Some(change))
            .await;
        let body = reply.body;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{new}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("new password ") && message.contains(reason),
            "{message}"
        );
    }
    assert_eq!(
        sign_in_status(&server, "owner@example.com", PASSWORD).await,
        StatusCode::CREATED
    );
}

async fn a_password_typed_decomposed_signs_in_to_an_account_made_composed(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let (status, body) = sign_up(&server, "nfc@example.com", NFC).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = sign_up(&server, "nfd@example.com", NFD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 3);
    for email in ["nfc@example.com", "nfd@example.com"] {
        for typed in [NFC, NFD] {
            assert_eq!(
                sign_in_status(&server, email, typed).await,
                StatusCode::CREATED,
                "{email} with {typed:?}"
            );
        }
    }
    assert_eq!(
        sign_in_status(&server, "nfc@example.com", "Creme brulee au four 2024").await,
        StatusCode::UNAUTHORIZED,
        "accents still count"
    );
}

/// Accounts made before passwords were normalised hold a hash of the bytes
/// as typed: they still sign in, and the hash is replaced by one of NFKC.
async fn a_hash_of_the_typed_bytes_still_signs_in_and_is_upgraded(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let legacy = argon2::Argon2::default()
        .hash_password(NFD.as_bytes())
        .unwrap()
        .to_string();
    let store = server.app.store();
    let id = twofold_core::AccountId::from_uuid(crate::ordered_id());
    let mut tx = store.begin().await.unwrap();
    tx.insert_account(&twofold_store::NewAccount {
        id,
        email: twofold_core::Email::parse("legacy@example.com").unwrap(),
        role: twofold_core::Role::Member,
        password_hash: Some(legacy.clone()),
        created_at: server.app.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stored = || async {
        store
            .account_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap()
    };

    assert_eq!(
        sign_in_status(&server, "legacy@example.com", NFD).await,
        StatusCode::CREATED
    );
    assert_ne!(stored().await, legacy, "rehashed in NFKC");
    assert_eq!(
        sign_in_status(&server, "legacy@example.com", NFC).await,
        StatusCode::CREATED
    );
    assert_eq!(
        sign_in_status(&server, "legacy@example.com", NFD).await,
        StatusCode::CREATED
    );
}

async fn composed_and_decomposed_emails_are_one_account(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let composed = "jos\u{e9}@example.com";
    let decomposed = "jose\u{301}@example.com";
    let (status, body) = sign_up(&server, composed, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 2);
    // Answered like any sign-up (a taken email never shows), but no twin.
    let (status, body) = sign_up(&server, decomposed, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        server.app.store().count_accounts().await.unwrap(),
        2,
        "a twin was created"
    );
    for email in [composed, decomposed, "JOSE\u{301}@EXAMPLE.COM"] {
        assert_eq!(
            sign_in_status(&server, email, PASSWORD).await,
            StatusCode::CREATED,
            "{email:?}"
        );
    }
}

async fn a_factor_name_with_direction_controls_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = stepped_up_owner(&server).await;
    for name in ["Phone \u{202e}txt.exe", "Key\u{2066}", "Key\u{200f}"] {
        let reply = owner
            .post("/api/v1/me/mfa/totp", json!({"name": name}))
            .await;
        let body = reply.body;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("text direction"), "{message}");
    }
    let reply = owner
        .post("/api/v1/me/mfa/totp", json!({"name": "מפתח"}))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "right-to-left text is fine: {}",
        reply.body
    );
}
