//! Authenticator apps over the API on both backends: enrolment, MFA
//! sign-in, the replay guard under concurrency, attempt limits, rename and
//! removal, step-up by code, and secrets sealed at rest.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::{
    Actor, Backend, Challenge, Guest, PASSWORD, Reply, TestDb, TestServer, count, event_kinds,
    events_of_kind, on_both_backends, post_in_parallel,
};

pub use twofold_testkit::oathtool;

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

const OWNER: &str = "owner@example.com";

// The token-and-tuple helpers below serve the suite files not yet written
// against the `Actor`; they are thin shims over it.

pub async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let reply = Actor::with_token(server, token)
        .call(method, path, body)
        .await;
    (reply.status, reply.body)
}

/// Opens the step-up window of `token` with the password.
pub async fn step_up(server: &TestServer, token: &str) {
    Actor::holding(server, token, PASSWORD).step_up().await;
}

/// Enrols an authenticator for the signed-in `token`; returns (id, secret).
pub async fn enrol(server: &TestServer, token: &str, name: Option<&str>) -> (String, String) {
    let actor = Actor::holding(server, token, PASSWORD);
    let enrolled = actor.totp().enrol(name).await;
    (enrolled.id, enrolled.secret)
}

/// Password sign-in of an MFA account: the challenge id.
pub async fn challenge(server: &TestServer, email: &str) -> String {
    Guest::new(server).challenge(email).await.id
}

pub async fn answer(server: &TestServer, challenge_id: &str, code: &str) -> (StatusCode, Value) {
    let reply = Challenge::new(server, challenge_id).totp(code).await;
    (reply.status, reply.body)
}

/// An owner with one authenticator ("Phone"), on a server of its own.
struct WithTotp {
    db: TestDb,
    server: TestServer,
    token: String,
    secret: String,
}

impl WithTotp {
    fn owner(&self) -> Actor<'_> {
        Actor::holding(&self.server, &self.token, PASSWORD)
    }

    fn code(&self) -> String {
        oathtool(&self.secret, &self.server)
    }
}

async fn owner_with_totp(backend: Backend) -> WithTotp {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    let phone = owner.totp().enrol("Phone").await;
    let token = owner.token;
    WithTotp {
        db,
        server,
        token,
        secret: phone.secret,
    }
}

async fn an_authenticator_is_enrolled_with_a_code_and_turns_mfa_on(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    let totp = owner.totp();

    totp.start()
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let pending = totp.begin(None).await;
    let secret = &pending.secret;
    assert_eq!(secret.len(), 32, "160 bits in base32 without padding");
    assert_eq!(
        pending.body["otpauth_uri"],
        format!("otpauth://totp/twofold:owner%40example.com?secret={secret}&issuer=twofold")
    );
    assert!(pending.body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(
        pending.body["expires_at"], "2023-11-14T22:23:20Z",
        "ten minutes"
    );

    // Pending is not enrolled.
    assert_eq!(
        owner.mfa().await,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );

    for (code, expected) in [
        ("12345", StatusCode::BAD_REQUEST),
        ("abcdef", StatusCode::BAD_REQUEST),
    ] {
        totp.confirm(&pending.id, code)
            .await
            .refused(expected, "invalid_code");
    }
    let right = oathtool(secret, &server);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    totp.confirm(&pending.id, &wrong)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_code");

    let spaced = format!("{} {}", &right[..3], &right[3..]);
    let named = json!({"code": spaced, "name": "  Work phone "});
    let body = totp.verify(&pending.id, named).await.expect(StatusCode::OK);
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
    let again = totp.confirm(&pending.id, &right).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let mfa = owner.mfa().await;
    assert_eq!(mfa["enabled"], true);
    assert_eq!(mfa["totp"][0]["name"], "Work phone");
    assert!(mfa["totp"][0].get("secret").is_none());
    let me = owner.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(me["mfa"]["enabled"], true);

    // The confirming code cannot sign in: its step is used.
    let challenge = Guest::new(&server).challenge(OWNER).await;
    challenge
        .totp(&right)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_code");
}

async fn a_sign_in_with_mfa_needs_a_code_and_gives_aal_2(backend: Backend) {
    let setup = owner_with_totp(backend).await;
    let server = &setup.server;
    let remembered = json!({"email": OWNER, "password": PASSWORD, "remember_me": true});
    let response = Guest::new(server)
        .post_raw("/api/v1/sessions", remembered)
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("twofold_mfa=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body = Reply::read(response).await.expect(StatusCode::OK);
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(body["expires_at"], "2023-11-14T22:18:50Z", "five minutes");
    assert!(
        body.get("token").is_none(),
        "no session before the second factor"
    );
    let challenge = Challenge::new(server, body["challenge_id"].as_str().unwrap());

    challenge
        .totp("000000")
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_code");
    challenge
        .totp("not a code")
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_code");
    Challenge::new(server, "no-such-challenge")
        .totp("123456")
        .await
        .refused(StatusCode::UNAUTHORIZED, "challenge_expired");

    let answer = json!({"challenge_id": challenge.id, "method": "totp", "code": setup.code()});
    let response = Guest::new(server)
        .post_raw("/api/v1/sessions/mfa", answer)
        .await;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = Reply::read(response).await.expect(StatusCode::CREATED);
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
    let signed_in = Actor::with_token(server, body["token"].as_str().unwrap());
    let mfa = signed_in.mfa().await;
    assert_eq!(mfa["totp"][0]["last_used_at"], "2023-11-14T22:13:50Z");
    // The challenge is spent.
    challenge
        .totp(&setup.code())
        .await
        .refused(StatusCode::UNAUTHORIZED, "challenge_expired");
    let events = signed_in.events("").await;
    assert_eq!(
        &event_kinds(&events)[..4],
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
    let setup = owner_with_totp(backend).await;
    let guest = Guest::new(&setup.server);
    let code = setup.code();
    let first = guest.challenge(OWNER).await;
    let second = guest.challenge(OWNER).await;
    assert_eq!(first.totp(&code).await.status, StatusCode::CREATED);
    second
        .totp(&code)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_code");
    let events = setup.owner().events("").await;
    assert!(!events_of_kind(&events, "totp.replay_rejected").is_empty());
    // An older step than the last accepted one is refused too.
    setup.server.advance(Duration::from_secs(30));
    let third = guest.challenge(OWNER).await;
    assert_eq!(third.totp(&setup.code()).await.status, StatusCode::CREATED);
    let fourth = guest.challenge(OWNER).await;
    assert_eq!(
        fourth.totp(&code).await.status,
        StatusCode::UNAUTHORIZED,
        "the step before"
    );
}

async fn a_code_is_accepted_once_under_parallel_requests_on_two_instances(backend: Backend) {
    let setup = owner_with_totp(backend).await;
    let first = &setup.server;
    let second = TestServer::start(&setup.db).await;
    second.clock.set(first.app.now());
    let code = setup.code();
    // Ten tries: the account's code limit, so every one is evaluated
    // (what more than ten parallel tries get is `limits_hold_under_load`).
    let mut tries = Vec::new();
    for _ in 0..10 {
        let challenge = Guest::new(first).challenge(OWNER).await;
        tries.push(json!({"challenge_id": challenge.id, "method": "totp", "code": code}));
    }
    let statuses = post_in_parallel([first, &second], "/api/v1/sessions/mfa", tries).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::CREATED) + count(&statuses, StatusCode::UNAUTHORIZED),
        statuses.len(),
        "{statuses:?}"
    );
}

async fn wrong_codes_are_limited_per_challenge_and_per_account(backend: Backend) {
    let setup = owner_with_totp(backend).await;
    let server = &setup.server;
    let guest = Guest::new(server);
    // One challenge allows five wrong codes, then it is spent.
    let first = guest.challenge(OWNER).await;
    for _ in 0..5 {
        assert_eq!(first.totp("000000").await.status, StatusCode::UNAUTHORIZED);
    }
    first
        .totp(&setup.code())
        .await
        .refused(StatusCode::UNAUTHORIZED, "challenge_expired");
    // New challenges do not reset the account's count: 10 in 15 minutes.
    let second = guest.challenge(OWNER).await;
    for _ in 0..5 {
        assert_eq!(second.totp("000000").await.status, StatusCode::UNAUTHORIZED);
    }
    let third = guest.challenge(OWNER).await;
    let answer = json!({"challenge_id": third.id, "method": "totp", "code": setup.code()});
    let response = guest.post_raw("/api/v1/sessions/mfa", answer).await;
    assert!(response.headers().contains_key("retry-after"));
    Reply::read(response)
        .await
        .refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    server.advance(Duration::from_secs(15 * 60));
    let fourth = guest.challenge(OWNER).await;
    assert_eq!(fourth.totp(&setup.code()).await.status, StatusCode::CREATED);
}

async fn rename_and_remove_follow_the_last_factor_rule(backend: Backend) {
    let setup = owner_with_totp(backend).await;
    let owner = setup.owner();
    let totp = owner.totp();
    let tablet = totp.enrol("Tablet").await;
    let mfa = owner.mfa().await;
    assert_eq!(
        mfa["recovery_codes"]["remaining"], 10,
        "the second factor keeps the first sheet"
    );
    let phone = mfa["totp"][0]["id"].as_str().unwrap();
    assert_eq!(mfa["totp"].as_array().unwrap().len(), 2);

    // Outside the step-up window nothing changes.
    setup.server.advance(Duration::from_secs(300));
    totp.rename(phone, "Old phone")
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    assert_eq!(totp.remove(phone).await.status, StatusCode::FORBIDDEN);

    owner.step_up().await;
    let body = totp.rename(phone, "Old phone").await.expect(StatusCode::OK);
    assert_eq!(body["authenticator"]["name"], "Old phone");
    for bad in ["", "   ", &"x".repeat(65)] {
        totp.rename(phone, bad)
            .await
            .refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    }
    let missing = crate::ordered_id().to_string();
    assert_eq!(totp.remove(&missing).await.status, StatusCode::NOT_FOUND);

    assert_eq!(totp.remove(phone).await.status, StatusCode::NO_CONTENT);
    totp.remove(&tablet.id)
        .await
        .refused(StatusCode::CONFLICT, "last_factor");
    assert_eq!(
        owner.mfa().await["enabled"],
        true,
        "refused removal changed nothing"
    );
    let removed = totp.remove_confirming_last(&tablet.id).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(owner.mfa().await["enabled"], false);
    // MFA is off: the password alone signs in again.
    Actor::sign_in(&setup.server, OWNER, PASSWORD).await;
    let events = owner.events("?limit=4").await;
    assert_eq!(
        event_kinds(&events),
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
    let setup = owner_with_totp(backend).await;
    let owner = setup.owner();
    setup.server.advance(Duration::from_secs(300));
    let code = setup.code();
    let by_code = |code: &str| json!({"method": "totp", "code": code});
    owner.reauth(by_code(&code)).await.expect(StatusCode::OK);
    owner
        .reauth(by_code(&code))
        .await
        .refused(StatusCode::FORBIDDEN, "invalid_credentials");
    owner
        .reauth(by_code("12 34 5x"))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_code");
    // And a code used for step-up cannot sign in.
    let challenge = Guest::new(&setup.server).challenge(OWNER).await;
    assert_eq!(challenge.totp(&code).await.status, StatusCode::UNAUTHORIZED);
}

async fn the_database_holds_no_totp_secret_in_plaintext(backend: Backend) {
    let setup = owner_with_totp(backend).await;
    let (db, secret) = (&setup.db, &setup.secret);
    let raw = data_encoding_base32(secret);
    setup.owner().mfa().await;
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
            assert!(!dump.contains(secret.as_str()));
        }
    }
    // The audit log never carries it either.
    let events = setup.owner().events("").await;
    assert!(!events.to_string().contains(secret.as_str()));
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
    let setup = owner_with_totp(Backend::Sqlite).await;
    let guest = Guest::new(&setup.server);
    for _round in 0..10 {
        for _ in 0..2 {
            let challenge = guest.challenge(OWNER).await;
            for _ in 0..5 {
                let reply = challenge.totp("000000").await;
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            }
        }
        // Past the 15-minute window, so only the consecutive count remains.
        setup.server.advance(Duration::from_secs(15 * 60 + 1));
    }
    let challenge = guest.challenge(OWNER).await;
    let reply = challenge.totp(&setup.code()).await;
    reply.refused(StatusCode::FORBIDDEN, "totp_locked");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another method")
    );
}
