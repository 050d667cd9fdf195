//! Passkey sign-in latency: the real server in process (SQLite, release
//! build), a software passkey (passkey-rs), sequential passwordless
//! sign-ins over HTTP on loopback. Run: `cargo bench --bench passkey_sign_in`.
//! Prints medians and tails; asserts nothing (figures go in notes, never in
//! timed tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use twofold_testkit::softkey::SoftKey;
use twofold_testkit::{Backend, TestDb, TestServer};

const ROUNDS: usize = 300;
const PASSWORD: &str = "correct horse battery";

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{name:32} median {:6.2} ms   p90 {:6.2} ms   p99 {:6.2} ms   (n={})",
        at(0.5),
        at(0.9),
        at(0.99),
        samples.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let client = reqwest::Client::new();
    let account = json!({"email": "bench@example.com", "password": PASSWORD});
    assert_eq!(
        post(
            &client,
            server.url("/api/v1/accounts"),
            None,
            account.clone()
        )
        .await
        .0,
        201
    );
    let (_, session) = post(&client, server.url("/api/v1/sessions"), None, account).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let reauth = json!({"method": "password", "password": PASSWORD});
    assert_eq!(
        post(
            &client,
            server.url("/api/v1/sessions/current/reauth"),
            Some(&token),
            reauth
        )
        .await
        .0,
        200
    );
    let mut key = SoftKey::new(&server.public_url);
    let (_, options) = post(
        &client,
        server.url("/api/v1/me/mfa/passkeys/options"),
        Some(&token),
        json!({}),
    )
    .await;
    let credential = key.create(&options).await;
    let body =
        json!({"ceremony_id": options["ceremony_id"], "name": "Bench", "credential": credential});
    assert_eq!(
        post(
            &client,
            server.url("/api/v1/me/mfa/passkeys"),
            Some(&token),
            body
        )
        .await
        .0,
        201
    );

    let mut whole = Vec::with_capacity(ROUNDS);
    let mut options_only = Vec::with_capacity(ROUNDS);
    let mut finish_only = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS + 20 {
        let start = Instant::now();
        let (status, options) = post(
            &client,
            server.url("/api/v1/sessions/passkey/options"),
            None,
            json!({}),
        )
        .await;
        assert_eq!(status, 200);
        let after_options = Instant::now();
        let assertion = key.get(&options).await;
        let before_finish = Instant::now();
        let body = json!({"ceremony_id": options["ceremony_id"], "credential": assertion});
        let (status, answer) =
            post(&client, server.url("/api/v1/sessions/passkey"), None, body).await;
        assert_eq!(status, 201, "{answer}");
        let end = Instant::now();
        if round >= 20 {
            whole.push(end - start);
            options_only.push(after_options - start);
            finish_only.push(end - before_finish);
        }
    }
    println!("passkey sign-in, {ROUNDS} rounds after 20 warm-up, SQLite, loopback HTTP:");
    summary("whole ceremony (incl. client)", whole);
    summary("POST /sessions/passkey/options", options_only);
    summary("POST /sessions/passkey", finish_only);
}
