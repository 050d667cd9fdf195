//! All of twofold's integration tests, in one binary: the store conformance
//! suite on both backends, the JSON API, bad input, the CLI, and the pages
//! in a real browser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_status;
mod admin_pages;
mod admin_users;
mod api;
mod bad_input;
mod browser;
mod cli;
mod conformance;
mod input_rules;
mod introspection;
mod load;
mod mfa_required;
mod operator;
mod pages;
mod pages_hardening;
mod passkeys;
mod password_links;
mod recovery;
mod security;
mod sessions_hardening;
mod token_pages;
mod tokens;
mod totp;
mod transport;

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use twofold_app::{Policy, Signup};
use twofold_testkit::{Actor, Backend, Guest, TestDb, TestServer};

pub use twofold_testkit::PASSWORD;

/// A fresh id that sorts after the ones made before it, for rows a test
/// writes straight into the store (listings break ties on the id). The
/// server's own ids come from its Clock; these never meet its times.
#[allow(clippy::disallowed_methods)]
pub fn ordered_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// Status and JSON body (or `null` when the body is not JSON).
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn post(
    client: &Client,
    server: &TestServer,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    read(
        client
            .post(server.url(path))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn get_bearer(
    client: &Client,
    server: &TestServer,
    path: &str,
    token: &str,
) -> (StatusCode, Value) {
    read(
        client
            .get(server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Creates the instance's first account (the owner) through the API.
pub async fn create_owner(server: &TestServer, email: &str) {
    Guest::new(server).create_owner(email).await;
}

/// Signs in through the API and returns the bearer token.
pub async fn sign_in(server: &TestServer, email: &str) -> String {
    Actor::sign_in(server, email, PASSWORD).await.token
}

/// Asserts the API's error shape and returns the code.
pub fn error_code(body: &Value) -> &str {
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "not an API error body: {body}"
    );
    body["error"]["code"].as_str().unwrap()
}

/// An instance open to sign-up, with its owner.
pub async fn open_instance(backend: Backend) -> (TestDb, TestServer) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        signup: Signup::Open,
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    create_owner(&server, "owner@example.com").await;
    (db, server)
}
