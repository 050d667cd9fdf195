//! Limits and single use under hostile concurrency: bursts of parallel
//! requests, split over two instances on one database, on both backends.
//! Every burst is released at once (a barrier), so the requests really race.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use twofold_app::{NewAccountRequest, Policy, RequestContext};
use twofold_core::Role;
use twofold_core::audit::Actor;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::open_instance;
use crate::passkeys::{enrol_passkey, passwordless};
use crate::totp::{answer, call, challenge, enrol, oathtool, step_up};
use crate::{PASSWORD, create_owner, error_code, get_bearer, post, read, sign_in};

on_both_backends!(
    parallel_wrong_passwords_never_pass_the_limit,
    parallel_step_ups_never_pass_the_session_limit,
    parallel_password_changes_never_pass_the_limit,
    parallel_wrong_codes_never_pass_the_limit,
    parallel_codes_on_one_challenge_get_five_tries,
    many_mfa_users_at_once_get_answers_not_errors,
    refusals_are_audited_once_per_lockout_on_every_path,
    a_valid_passkey_is_never_refused_by_the_code_limit,
    open_sign_up_and_passkey_starts_are_limited_per_address,
    audit_rows_cap_request_text_and_leave_only_by_retention,
);

/// One request of a burst.
struct Shot {
    method: Method,
    url: String,
    token: Option<String>,
    body: Value,
}

impl Shot {
    fn post(server: &TestServer, path: &str, body: Value) -> Self {
        Self {
            method: Method::POST,
            url: server.url(path),
            token: None,
            body,
        }
    }

    fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }
}

/// What a burst request got back.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    code: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

/// Sends every shot at once (each on its own connection) and returns the
/// answers in order.
async fn burst(shots: Vec<Shot>) -> Vec<Answer> {
    let gate = Arc::new(Barrier::new(shots.len()));
    let tasks: Vec<_> = shots
        .into_iter()
        .map(|shot| {
            let gate = gate.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut request = client.request(shot.method, &shot.url).json(&shot.body);
                if let Some(token) = &shot.token {
                    request = request.bearer_auth(token);
                }
                gate.wait().await;
                let response = request.send().await.unwrap();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let (status, body) = read(response).await;
                let code = body["error"]["code"].as_str().map(str::to_owned);
                Answer {
                    status,
                    code,
                    retry_after,
                    body,
                }
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

fn count(answers: &[Answer], status: StatusCode) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// Every answer that is not one of `allowed` fails the test; 429s must say
/// when to come back.
fn assert_only(answers: &[Answer], allowed: &[StatusCode]) {
    for answer in answers {
        assert!(
            allowed.contains(&answer.status),
            "unexpected {answer:?} among {:?}",
            answers
                .iter()
                .map(|a| a.status.as_u16())
                .collect::<Vec<_>>()
        );
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(answer.code.as_deref(), Some("rate_limited"));
            let wait: u64 = answer.retry_after.as_deref().unwrap().parse().unwrap();
            assert!(wait >= 1, "{answer:?}");
        }
    }
}

/// Two instances on one database, with the same clock reading.
async fn two_instances(backend: Backend, policy: Policy) -> (TestDb, TestServer, TestServer) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start_with(&db, policy).await;
    let second = TestServer::start_sibling(&db, &first).await;
    (db, first, second)
}

/// A burst of sign-in attempts against the ten-failure limit: only 401,
/// 201 and 429 came back, at most ten wrong `attempts` were checked (a
/// success gives its slot back, so the right one may be an eleventh) and at
/// most one signed in; (wrong ones checked, sign-ins).
fn assert_at_most_ten_checked(answers: &[Answer], attempts: &str) -> (usize, usize) {
    assert_only(
        answers,
        &[
            StatusCode::UNAUTHORIZED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
        ],
    );
    let wrong = count(answers, StatusCode::UNAUTHORIZED);
    assert!(wrong <= 10, "{wrong} wrong {attempts} were checked");
    let signed_in = count(answers, StatusCode::CREATED);
    assert!(signed_in <= 1);
    (wrong, signed_in)
}

fn either<'a>(i: usize, first: &'a TestServer, second: &'a TestServer) -> &'a TestServer {
    if i.is_multiple_of(2) { first } else { second }
}

async fn parallel_wrong_passwords_never_pass_the_limit(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    create_owner(&first, "owner@example.com").await;
    let mut shots: Vec<Shot> = (0..64)
        .map(|i| {
            Shot::post(
                either(i, &first, &second),
                "/api/v1/sessions",
                json!({"email": "owner@example.com", "password": format!("wrong guess {i}")}),
            )
        })
        .collect();
    shots.push(Shot::post(
        &second,
        "/api/v1/sessions",
        json!({"email": "owner@example.com", "password": PASSWORD}),
    ));
    let answers = burst(shots).await;
    // At most the limit (10 per account) of wrong ones was ever checked.
    let (wrong, signed_in) = assert_at_most_ten_checked(&answers, "passwords");
    // Everything else was refused before any hashing: 65 shots less at most
    // ten wrong ones and the one right one.
    assert_eq!(
        count(&answers, StatusCode::TOO_MANY_REQUESTS),
        65 - wrong - signed_in
    );
    // Once ten failures are in (topped up if the right password was among
    // the ten checked), the right password is refused too.
    for _ in count(&answers, StatusCode::UNAUTHORIZED)..10 {
        let guess = json!({"email": "owner@example.com", "password": "one more guess"});
        let (status, _) = post(&second.client(), &second, "/api/v1/sessions", guess).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let right = json!({"email": "owner@example.com", "password": PASSWORD});
    let (status, body) = post(&first.client(), &first, "/api/v1/sessions", right).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

async fn parallel_step_ups_never_pass_the_session_limit(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    create_owner(&first, "owner@example.com").await;
    let token = sign_in(&first, "owner@example.com").await;
    let mut shots: Vec<Shot> = (0..40)
        .map(|i| {
            Shot::post(
                either(i, &first, &second),
                "/api/v1/sessions/current/reauth",
                json!({"method": "password", "password": format!("stolen guess {i}")}),
            )
            .with_token(&token)
        })
        .collect();
    shots.push(
        Shot::post(
            &first,
            "/api/v1/sessions/current/reauth",
            json!({"method": "password", "password": PASSWORD}),
        )
        .with_token(&token),
    );
    let answers = burst(shots).await;
    assert_only(
        &answers,
        &[
            StatusCode::FORBIDDEN,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
        ],
    );
    // At most five wrong proofs were checked (a success gives its slot back).
    let wrong = count(&answers, StatusCode::FORBIDDEN);
    assert!(wrong <= 5, "{wrong} wrong step-up proofs were checked");
    assert!(count(&answers, StatusCode::OK) <= 1);
    for _ in count(&answers, StatusCode::FORBIDDEN)..5 {
        let (status, _) = call(
            &first,
            Method::POST,
            "/api/v1/sessions/current/reauth",
            &token,
            Some(json!({"method": "password", "password": "one more guess"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = call(
        &second,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        &token,
        Some(json!({"method": "password", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

async fn parallel_password_changes_never_pass_the_limit(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    create_owner(&first, "owner@example.com").await;
    let token = sign_in(&first, "owner@example.com").await;
    step_up(&first, &token).await;
    let shots: Vec<Shot> = (0..40)
        .map(|i| Shot {
            method: Method::PUT,
            url: either(i, &first, &second).url("/api/v1/me/password"),
            token: Some(token.clone()),
            body: json!({"current_password": format!("guess {i}"), "new_password": "a brand new passphrase"}),
        })
        .collect();
    let answers = burst(shots).await;
    assert_only(
        &answers,
        &[StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS],
    );
    assert!(count(&answers, StatusCode::FORBIDDEN) <= 5);
    // The right current password is refused while the limit holds.
    let (status, _) = call(
        &first,
        Method::PUT,
        "/api/v1/me/password",
        &token,
        Some(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

async fn owner_with_totp(first: &TestServer) -> String {
    create_owner(first, "owner@example.com").await;
    let token = sign_in(first, "owner@example.com").await;
    let (_, secret) = enrol(first, &token, Some("Phone")).await;
    secret
}

async fn parallel_wrong_codes_never_pass_the_limit(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    let secret = owner_with_totp(&first).await;
    second.clock.set(first.app.now());
    // 64 wrong codes over 16 challenges (4 each: under the challenge's own
    // limit), and the right code on one more.
    let mut shots = Vec::new();
    for c in 0..16 {
        let id = challenge(&first, "owner@example.com").await;
        for n in 0..4 {
            shots.push(Shot::post(
                either(c * 4 + n, &first, &second),
                "/api/v1/sessions/mfa",
                json!({"challenge_id": id, "method": "totp", "code": format!("{:06}", c * 4 + n)}),
            ));
        }
    }
    let last = challenge(&first, "owner@example.com").await;
    shots.push(Shot::post(
        &second,
        "/api/v1/sessions/mfa",
        json!({"challenge_id": last, "method": "totp", "code": oathtool(&secret, &first)}),
    ));
    let answers = burst(shots).await;
    assert_at_most_ten_checked(&answers, "codes");
    // Once ten wrong codes are in (topped up if the right code was among
    // the ten checked), even the right code waits.
    for n in count(&answers, StatusCode::UNAUTHORIZED)..10 {
        let id = challenge(&second, "owner@example.com").await;
        let (status, _) = answer(&first, &id, &format!("{:06}", 500_000 + n)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let next = challenge(&second, "owner@example.com").await;
    first.advance(std::time::Duration::from_secs(30));
    let (status, body) = answer(&first, &next, &oathtool(&secret, &first)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

async fn parallel_codes_on_one_challenge_get_five_tries(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    owner_with_totp(&first).await;
    second.clock.set(first.app.now());
    let id = challenge(&first, "owner@example.com").await;
    let shots = (0..32)
        .map(|i| {
            Shot::post(
                either(i, &first, &second),
                "/api/v1/sessions/mfa",
                json!({"challenge_id": id, "method": "totp", "code": format!("{:06}", 900_000 + i)}),
            )
        })
        .collect();
    let answers = burst(shots).await;
    assert_only(&answers, &[StatusCode::UNAUTHORIZED]);
    let wrong = answers
        .iter()
        .filter(|a| a.code.as_deref() == Some("invalid_code"))
        .count();
    assert!(wrong <= 5, "{wrong} codes were checked on one challenge");
    // The rest were told the sign-in is over; so is any later try.
    let (status, body) = answer(&second, &id, "123456").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_ne!(error_code(&body), "invalid_code");
}

/// A member with an authenticator app, its session token, its secret and
/// its first recovery sheet.
struct MfaUser {
    email: String,
    secret: String,
    codes: Vec<String>,
}

async fn mfa_user(server: &TestServer, email: &str) -> MfaUser {
    server
        .app
        .create_account(
            NewAccountRequest {
                email: email.to_owned(),
                password: Some(secrecy::SecretString::from(PASSWORD)),
                role: Role::Member,
            },
            Actor::Cli,
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let token = sign_in(server, email).await;
    step_up(server, &token).await;
    let (status, pending) = call(server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let (status, body) = call(
        server,
        Method::POST,
        &format!(
            "/api/v1/me/mfa/totp/{}/verify",
            pending["id"].as_str().unwrap()
        ),
        &token,
        Some(json!({"code": oathtool(&secret, server)})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
    MfaUser {
        email: email.to_owned(),
        secret,
        codes,
    }
}

/// The pool deadlock of the security review: code checks held a write
/// transaction while reading through a second connection, so a few
/// parallel ones starved the pool and answered 500. Now 64 at a time, of
/// every kind, get the answers the rules give, and a bystander is served.
async fn many_mfa_users_at_once_get_answers_not_errors(backend: Backend) {
    let (_db, first, second) = two_instances(backend, Policy::default()).await;
    create_owner(&first, "owner@example.com").await;
    let bystander = sign_in(&first, "owner@example.com").await;
    let mut users = Vec::new();
    for i in 0..32 {
        users.push(mfa_user(&first, &format!("user{i}@example.com")).await);
    }
    let shared = mfa_user(&first, "shared@example.com").await;
    first.advance(std::time::Duration::from_secs(30));
    second.clock.set(first.app.now());

    // 32 TOTP sign-ins of distinct users, and 32 wrong codes racing on one
    // shared challenge.
    let mut shots = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let id = challenge(&first, &user.email).await;
        shots.push(Shot::post(
            either(i, &first, &second),
            "/api/v1/sessions/mfa",
            json!({"challenge_id": id, "method": "totp", "code": oathtool(&user.secret, &first)}),
        ));
    }
    let shared_id = challenge(&first, &shared.email).await;
    for i in 0..32 {
        shots.push(Shot::post(
            either(i, &first, &second),
            "/api/v1/sessions/mfa",
            json!({"challenge_id": shared_id, "method": "totp", "code": format!("{:06}", 100_000 + i)}),
        ));
    }
    let watcher = tokio::spawn({
        let url = first.url("/api/v1/sessions/current");
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            reqwest::Client::new()
                .get(url)
                .bearer_auth(bystander)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let answers = burst(shots).await;
    assert_eq!(watcher.await.unwrap(), StatusCode::OK);
    assert_only(&answers, &[StatusCode::CREATED, StatusCode::UNAUTHORIZED]);
    assert!(
        answers[..32]
            .iter()
            .all(|a| a.status == StatusCode::CREATED)
    );
    let tokens: Vec<String> = answers[..32]
        .iter()
        .map(|a| a.body["token"].as_str().unwrap().to_owned())
        .collect();

    // 64 step-ups by code: each user's session twice with the same code;
    // the replay guard lets exactly one of each pair through.
    first.advance(std::time::Duration::from_secs(30));
    second.clock.set(first.app.now());
    let mut shots = Vec::new();
    for (i, (user, token)) in users.iter().zip(&tokens).enumerate() {
        for twice in 0..2 {
            shots.push(
                Shot::post(
                    either(i + twice, &first, &second),
                    "/api/v1/sessions/current/reauth",
                    json!({"method": "totp", "code": oathtool(&user.secret, &first)}),
                )
                .with_token(token),
            );
        }
    }
    let answers = burst(shots).await;
    assert_only(&answers, &[StatusCode::OK, StatusCode::FORBIDDEN]);
    assert_eq!(count(&answers, StatusCode::OK), 32);

    // 64 recovery codes: two different valid codes of each user race on
    // one challenge; one signs in, the other changes nothing.
    let mut shots = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let id = challenge(&second, &user.email).await;
        for (n, code) in user.codes[..2].iter().enumerate() {
            shots.push(Shot::post(
                either(i + n, &first, &second),
                "/api/v1/sessions/mfa",
                json!({"challenge_id": id, "method": "recovery_code", "code": code}),
            ));
        }
    }
    let answers = burst(shots).await;
    assert_only(&answers, &[StatusCode::CREATED, StatusCode::UNAUTHORIZED]);
    assert_eq!(count(&answers, StatusCode::CREATED), 32);
    for pair in answers.chunks(2) {
        let left: Vec<i64> = pair
            .iter()
            .filter_map(|a| a.body["recovery_codes_remaining"].as_i64())
            .collect();
        assert_eq!(left, vec![9], "exactly one code of the pair was used");
    }
}

async fn events_of(server: &TestServer, token: &str) -> Vec<Value> {
    let (status, body) = get_bearer(
        &server.client(),
        server,
        "/api/v1/me/events?limit=100",
        token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().unwrap().clone()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

async fn refusals_are_audited_once_per_lockout_on_every_path(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let secret = owner_with_totp(&server).await;
    let token = sign_in_mfa(&server, &secret).await;
    // Step-up: five wrong proofs, then three refused: one lockout row.
    for _ in 0..5 {
        let (status, _) = reauth_password(&server, &token, "not the password").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    for _ in 0..3 {
        let (status, _) = reauth_password(&server, &token, "not the password").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let events = events_of(&server, &token).await;
    let throttled = of_kind(&events, "attempts.throttled");
    assert_eq!(throttled.len(), 1, "{events:?}");
    let detail: Value = throttled[0]["detail"].clone();
    assert_eq!(detail["counter"], "step_up_per_session", "{detail}");

    // Codes: the account's ten, then refusals: one more lockout row.
    for _ in 0..2 {
        let id = challenge(&server, "owner@example.com").await;
        for n in 0..5 {
            answer(&server, &id, &format!("00000{n}")).await;
        }
    }
    let id = challenge(&server, "owner@example.com").await;
    for _ in 0..4 {
        let (status, _) = answer(&server, &id, "111111").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let events = events_of(&server, &token).await;
    let counters: Vec<&Value> = of_kind(&events, "attempts.throttled")
        .iter()
        .map(|e| &e["detail"]["counter"])
        .collect();
    assert_eq!(
        counters,
        vec![&json!("codes_per_account"), &json!("step_up_per_session")]
    );
}

async fn sign_in_mfa(server: &TestServer, secret: &str) -> String {
    let id = challenge(server, "owner@example.com").await;
    let (status, body) = answer(server, &id, &oathtool(secret, server)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.advance(std::time::Duration::from_secs(30));
    body["token"].as_str().unwrap().to_owned()
}

async fn reauth_password(server: &TestServer, token: &str, password: &str) -> (StatusCode, Value) {
    call(
        server,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        token,
        Some(json!({"method": "password", "password": password})),
    )
    .await
}

async fn recovery_code_sign_in(server: &TestServer, id: &str, code: &str) -> (StatusCode, Value) {
    let body = json!({"challenge_id": id, "method": "recovery_code", "code": code});
    post(&server.client(), server, "/api/v1/sessions/mfa", body).await
}

/// Whoever knows only the password can fill the account's code limit, but
/// must not lock the owner out of phishing-resistant passkey sign-in.
async fn a_valid_passkey_is_never_refused_by_the_code_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let token = sign_in(&server, "owner@example.com").await;
    let mut key = twofold_testkit::softkey::SoftKey::new(&server.public_url);
    enrol_passkey(&server, &token, &mut key, "Laptop").await;
    for _ in 0..2 {
        let id = challenge(&server, "owner@example.com").await;
        for n in 0..5 {
            let code = format!("aaaaa-aaaa{n}");
            recovery_code_sign_in(&server, &id, &code).await;
        }
    }
    let id = challenge(&server, "owner@example.com").await;
    let (status, _) = recovery_code_sign_in(&server, &id, "aaaaa-aaaab").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the code limit is full"
    );
    let (status, body) = passwordless(&server, &mut key).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["session"]["aal"], 2);
}

async fn open_sign_up_and_passkey_starts_are_limited_per_address(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let sign_up = |n: usize| {
        Shot::post(
            &server,
            "/api/v1/accounts",
            json!({"email": format!("new{n}@example.com"), "password": PASSWORD}),
        )
    };
    let answers = burst((0..16).map(sign_up).collect()).await;
    assert_only(
        &answers,
        &[StatusCode::ACCEPTED, StatusCode::TOO_MANY_REQUESTS],
    );
    // Ten per address in 15 minutes, the owner's own sign-up included.
    assert_eq!(count(&answers, StatusCode::ACCEPTED), 9);
    assert_eq!(
        answers
            .iter()
            .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
            .unwrap()
            .retry_after
            .as_deref(),
        Some("900")
    );
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 10);

    let start = || Shot::post(&server, "/api/v1/sessions/passkey/options", json!({}));
    let answers = burst((0..70).map(|_| start()).collect()).await;
    assert_only(&answers, &[StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(count(&answers, StatusCode::OK), 60);
    server.advance(std::time::Duration::from_secs(61));
    let answers = burst(vec![start()]).await;
    assert_eq!(answers[0].status, StatusCode::OK, "the window moved on");
}

/// Runs one SQL statement straight against the test database.
async fn raw_sql(db: &TestDb, statement: &'static str) -> Result<(), sqlx::Error> {
    use sqlx::Connection as _;
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
            sqlx::query(statement).execute(&mut conn).await.map(drop)
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await?;
            sqlx::query(statement).execute(&mut conn).await.map(drop)
        }
    }
}

async fn audit_rows_cap_request_text_and_leave_only_by_retention(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    // Just under the 64 KiB the server accepts for a request head.
    let huge = "A".repeat(60_000);
    let (status, _) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions"))
            .header("user-agent", &huge)
            .json(&json!({"email": "owner@example.com", "password": "wrong password"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token = sign_in(&server, "owner@example.com").await;
    let events = events_of(&server, &token).await;
    let failed = of_kind(&events, "sign_in.failed");
    let stored = failed[0]["user_agent"].as_str().unwrap();
    assert_eq!(stored.len(), 512, "the user agent is stored capped");

    // Nothing deletes or truncates the log by hand.
    assert!(raw_sql(&db, "DELETE FROM audit_events").await.is_err());
    assert!(
        raw_sql(&db, "UPDATE audit_events SET kind = 'x'")
            .await
            .is_err()
    );
    if db.backend == Backend::Postgres {
        assert!(raw_sql(&db, "TRUNCATE audit_events").await.is_err());
    }
    assert!(
        raw_sql(&db, "UPDATE audit_retention SET keep_after = 0")
            .await
            .is_ok(),
        "a no-op move is allowed"
    );
    let before = events_of(&server, &token).await.len();
    assert!(before >= 3);

    // The retention sweep is the one way out: 400 days on, the old rows go.
    server.advance(std::time::Duration::from_secs(401 * 86_400));
    let token = sign_in(&server, "owner@example.com").await;
    server.app.sweep_expired().await.unwrap();
    let after = events_of(&server, &token).await;
    assert_eq!(
        after
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["sign_in.succeeded"],
        "only the new sign-in is left"
    );
    // And the retention cannot be moved back to re-open old rows.
    assert!(
        raw_sql(&db, "UPDATE audit_retention SET keep_after = 0")
            .await
            .is_err()
    );
}
