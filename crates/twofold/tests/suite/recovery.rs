//! Recovery codes over the API on both backends: the first sheet, use at
//! sign-in exactly once under concurrency, a new sheet, the last-factor and
//! disable rules, and keyed hashes at rest.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use twofold_testkit::{
    Actor, Backend, Enrolled, Guest, PASSWORD, TestDb, TestServer, codes_of, count, events_of_kind,
    on_both_backends, post_in_parallel,
};

on_both_backends!(
    the_first_factor_brings_a_sheet_and_each_code_signs_in_once,
    one_code_used_in_parallel_on_two_instances_signs_in_once,
    a_new_sheet_replaces_the_old_one,
    removing_the_last_factor_or_disabling_mfa_leaves_nothing,
    codes_are_stored_only_as_keyed_hashes,
    wrong_recovery_codes_count_in_the_code_limit,
);

const OWNER: &str = "owner@example.com";

/// The owner, signed in, with one authenticator and so the first sheet.
async fn owner_with_sheet(server: &TestServer) -> (Actor<'_>, Enrolled) {
    let owner = Actor::owner(server, OWNER).await;
    let phone = owner.totp().enrol(None).await;
    (owner, phone)
}

async fn the_first_factor_brings_a_sheet_and_each_code_signs_in_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, phone) = owner_with_sheet(&server).await;
    let codes = &phone.recovery_codes;
    assert_eq!(codes.len(), 10);
    for code in codes {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-");
        assert!(
            code.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }
    assert_eq!(
        owner.mfa().await["recovery_codes"],
        json!({"remaining": 10, "generated_at": "2023-11-14T22:13:20Z"})
    );

    // Typed in upper case with a space instead of the dash.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let guest = Guest::new(&server);
    let first = guest.challenge(OWNER).await;
    let body = first
        .recovery_code(&typed)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["pwd", "rc"]));
    assert_eq!(body["recovery_codes_remaining"], 9);

    // Each code is used once.
    let second = guest.challenge(OWNER).await;
    second
        .recovery_code(&codes[0])
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_code");
    second
        .recovery_code("not-a-code!")
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_code");
    let next = second.recovery_code(&codes[1]).await;
    assert_eq!(next.status, StatusCode::CREATED);

    assert_eq!(owner.mfa().await["recovery_codes"]["remaining"], 8);
    let events = owner.events("").await;
    let used = events_of_kind(&events, "recovery_code.used");
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
    let (_, phone) = owner_with_sheet(&first).await;
    let second = TestServer::start(&db).await;
    second.clock.set(first.app.now());
    // Ten tries: the account's code limit, so every one is evaluated
    // (what more than ten parallel tries get is `limits_hold_under_load`).
    let code = &phone.recovery_codes[3];
    let mut tries = Vec::new();
    for _ in 0..10 {
        let challenge = Guest::new(&first).challenge(OWNER).await;
        tries.push(json!({"challenge_id": challenge.id, "method": "recovery_code", "code": code}));
    }
    let statuses = post_in_parallel([&first, &second], "/api/v1/sessions/mfa", tries).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::CREATED) + count(&statuses, StatusCode::UNAUTHORIZED),
        statuses.len(),
        "{statuses:?}"
    );
}

async fn a_new_sheet_replaces_the_old_one(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, phone) = owner_with_sheet(&server).await;
    let old = phone.recovery_codes;
    server.advance(Duration::from_secs(300));
    owner
        .recovery()
        .generate()
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let body = owner
        .recovery()
        .generate()
        .await
        .expect(StatusCode::CREATED);
    let new = codes_of(&body["codes"]);
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));

    let challenge = Guest::new(&server).challenge(OWNER).await;
    assert_eq!(
        challenge.recovery_code(&old[0]).await.status,
        StatusCode::UNAUTHORIZED,
        "old codes stop working"
    );
    let fresh = challenge.recovery_code(&new[0]).await;
    assert_eq!(fresh.status, StatusCode::CREATED);

    // Without a strong factor there is nothing to fall back from.
    let open = twofold_app::Policy {
        signup: twofold_app::Signup::Open,
        ..Default::default()
    };
    let open_server = TestServer::start_with(&db, open).await;
    open_server.clock.set(server.app.now());
    let plain = Actor::member(&open_server, "plain@example.com").await;
    plain.step_up().await;
    plain
        .recovery()
        .generate()
        .await
        .refused(StatusCode::CONFLICT, "no_strong_factor");
}

async fn removing_the_last_factor_or_disabling_mfa_leaves_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, phone) = owner_with_sheet(&server).await;
    let nothing = json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null});
    owner.step_up().await;
    let removed = owner.totp().remove_confirming_last(&phone.id).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(owner.mfa().await, nothing);
    Actor::sign_in(&server, OWNER, PASSWORD).await; // no MFA step

    // Again, then "Disable two-factor authentication" removes it all at once.
    server.advance(Duration::from_secs(30));
    let again = owner.totp().enrol(None).await;
    assert_eq!(
        again.recovery_codes.len(),
        10,
        "a first factor again: a new sheet"
    );
    server.advance(Duration::from_secs(300));
    owner
        .delete("/api/v1/me/mfa")
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let disabled = owner.delete("/api/v1/me/mfa").await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT);
    assert_eq!(owner.mfa().await, nothing);
    Actor::sign_in(&server, OWNER, PASSWORD).await;
    let events = owner.events("?limit=2").await;
    assert_eq!(events["events"][1]["kind"], "mfa.disabled");
    assert_eq!(events["events"][1]["detail"]["by"], "self");
}

async fn codes_are_stored_only_as_keyed_hashes(backend: Backend) {
    use sha2::Digest as _;
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (_, phone) = owner_with_sheet(&server).await;
    let codes = phone.recovery_codes;
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
    let (_, phone) = owner_with_sheet(&server).await;
    let code = &phone.recovery_codes[0];
    let guest = Guest::new(&server);
    for _ in 0..2 {
        let challenge = guest.challenge(OWNER).await;
        for _ in 0..5 {
            let wrong = challenge.recovery_code("zzzzz-zzzzz").await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        }
    }
    let challenge = guest.challenge(OWNER).await;
    challenge
        .recovery_code(code)
        .await
        .refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Recovery failures do not count towards the consecutive TOTP limit;
    // after the window a TOTP code works at once.
    server.advance(Duration::from_secs(15 * 60));
    let challenge = guest.challenge(OWNER).await;
    let right = challenge.recovery_code(code).await;
    assert_eq!(right.status, StatusCode::CREATED);
}
