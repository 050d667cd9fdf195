//! Passkeys over the API on both backends, with 1Password's passkey-rs as
//! the user's authenticator (in process, a client no one here wrote):
//! registration, sign-in alone, second factor, step-up, rename and removal,
//! single-use ceremonies across instances, counter regression, bad input.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_testkit::softkey::SoftKey;
use twofold_testkit::{
    Actor, Backend, Guest, PASSWORD, TestDb, TestServer, count, event_kinds, on_both_backends,
    post_in_parallel,
};

on_both_backends!(
    a_passkey_is_enrolled_and_signs_in_alone,
    a_passkey_is_the_second_factor_after_a_password,
    a_passkey_steps_up_the_session,
    rename_remove_and_the_last_passkey_rules,
    a_ceremony_finishes_once_on_any_instance,
    a_counter_regression_is_refused_and_audited,
    bad_passkey_input_gets_a_clear_error_and_changes_nothing,
);

const OWNER: &str = "owner@example.com";

/// Registers a passkey for the signed-in `token`; returns the answer. (A shim
/// for the suite files not yet written against the `Actor`.)
pub async fn enrol_passkey(
    server: &TestServer,
    token: &str,
    key: &mut SoftKey,
    name: &str,
) -> Value {
    let actor = Actor::holding(server, token, PASSWORD);
    actor.passkeys().enrol(key, name).await
}

/// Signs in with `key` alone. (A shim, as `enrol_passkey`.)
pub async fn passwordless(server: &TestServer, key: &mut SoftKey) -> (StatusCode, Value) {
    let reply = Guest::new(server).passwordless(key).await;
    (reply.status, reply.body)
}

/// The owner, signed in, with one passkey ("Laptop") on `key`.
async fn owner_with_passkey(server: &TestServer) -> (Actor<'_>, SoftKey) {
    let owner = Actor::owner(server, OWNER).await;
    let mut key = SoftKey::new(&server.public_url);
    owner.passkeys().enrol(&mut key, "Laptop").await;
    (owner, key)
}

async fn a_passkey_is_enrolled_and_signs_in_alone(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    let passkeys = owner.passkeys();

    passkeys
        .options(None)
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let options = passkeys.options(None).await.expect(StatusCode::OK);
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
    let me = owner.get("/api/v1/me").await.expect(StatusCode::OK);
    let handle = public_key["user"]["id"].as_str().unwrap();
    assert!(!handle.is_empty());
    assert_ne!(
        public_key["user"]["id"], me["account"]["id"],
        "the user handle is not the row id"
    );

    let mut key = SoftKey::new(&server.public_url);
    let credential = key.create(&options).await;
    let reply = passkeys.add(&options, "Laptop", &credential).await;
    let added = reply.expect(StatusCode::CREATED);
    assert_eq!(added["passkey"]["name"], "Laptop");
    assert_eq!(
        added["recovery_codes"].as_array().unwrap().len(),
        10,
        "the first factor brings a sheet"
    );
    let mfa = owner.mfa().await;
    assert_eq!(mfa["enabled"], true);
    assert_eq!(mfa["passkeys"][0]["name"], "Laptop");
    assert_eq!(mfa["passkeys"][0]["last_used_at"], Value::Null);

    let guest = Guest::new(&server);
    let options = guest.passkey_options().await;
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
    assert_eq!(options["mediation"], "conditional");
    let assertion = key.get(&options).await;
    let reply = guest
        .finish_passkey(&options["ceremony_id"], &assertion)
        .await;
    let body = reply.expect(StatusCode::CREATED);
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["hwk"]));
    assert_eq!(body["session"]["account"]["email"], OWNER);
    let mfa = owner.mfa().await;
    assert_eq!(mfa["passkeys"][0]["last_used_at"], "2023-11-14T22:13:20Z");
    let events = owner.events("").await;
    assert_eq!(
        &event_kinds(&events)[..3],
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
    let guest = Guest::new(&server);
    let challenge = guest.challenge(OWNER).await;
    let body = guest.sign_in(OWNER, PASSWORD).await.expect(StatusCode::OK);
    assert_eq!(body["methods"], json!(["webauthn", "recovery_code"]));

    let options = challenge.webauthn_options().await.expect(StatusCode::OK);
    assert_eq!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the account's credentials are listed"
    );
    let assertion = key.get(&options).await;
    let body = challenge
        .webauthn(&assertion)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(body["session"]["aal"], 2);
    assert_eq!(body["session"]["amr"], json!(["pwd", "hwk"]));
    // The challenge is spent.
    challenge
        .webauthn_options()
        .await
        .refused(StatusCode::UNAUTHORIZED, "challenge_expired");
}

async fn a_passkey_steps_up_the_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, mut key) = owner_with_passkey(&server).await;
    server.advance(Duration::from_secs(301));
    let reply = owner.passkeys().reauth_options().await;
    let options = reply.expect(StatusCode::OK);
    let assertion = key.get(&options).await;
    let proof = json!({"method": "webauthn", "ceremony_id": options["ceremony_id"], "credential": assertion});
    let body = owner.reauth(proof.clone()).await.expect(StatusCode::OK);
    assert_eq!(body["privileged_until"], "2023-11-14T22:23:21Z");
    // The same ceremony cannot open the window twice.
    owner
        .reauth(proof)
        .await
        .refused(StatusCode::BAD_REQUEST, "ceremony_expired");
    let events = owner.events("?limit=1").await;
    assert_eq!(events["events"][0]["kind"], "reauth.succeeded");
    assert_eq!(events["events"][0]["detail"]["method"], "webauthn");
}

async fn rename_remove_and_the_last_passkey_rules(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, _key) = owner_with_passkey(&server).await;
    let passkeys = owner.passkeys();
    let mut second = SoftKey::new(&server.public_url);
    let added = passkeys.enrol(&mut second, "Phone").await;
    assert!(
        added.get("recovery_codes").is_none(),
        "only the first factor brings a sheet"
    );
    let mfa = owner.mfa().await;
    let first_id = mfa["passkeys"][0]["id"].as_str().unwrap();
    let second_id = mfa["passkeys"][1]["id"].as_str().unwrap();

    let body = passkeys
        .rename(first_id, "Work laptop")
        .await
        .expect(StatusCode::OK);
    assert_eq!(body["passkey"]["name"], "Work laptop");
    let unnamed = passkeys.rename(first_id, "").await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        passkeys.remove(first_id).await.status,
        StatusCode::NO_CONTENT
    );
    passkeys
        .remove(second_id)
        .await
        .refused(StatusCode::CONFLICT, "last_factor");
    let removed = passkeys.remove_confirming_last(second_id).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        owner.mfa().await,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );
    // A removed passkey no longer signs in.
    Guest::new(&server)
        .passwordless(&mut second)
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_credential");
}

async fn a_ceremony_finishes_once_on_any_instance(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start(&db).await;
    let (_, mut key) = owner_with_passkey(&first).await;
    let second = TestServer::start_sibling(&db, &first).await;

    // Started on one instance, finished on the other.
    let options = Guest::new(&first).passkey_options().await;
    let assertion = key.get(&options).await;
    let ceremony = &options["ceremony_id"];
    let reply = Guest::new(&second)
        .finish_passkey(ceremony, &assertion)
        .await;
    reply.expect(StatusCode::CREATED);
    // The same assertion again: the ceremony is spent.
    Guest::new(&first)
        .finish_passkey(ceremony, &assertion)
        .await
        .refused(StatusCode::BAD_REQUEST, "ceremony_expired");

    // One ceremony finished in parallel on both instances: one session.
    let options = Guest::new(&first).passkey_options().await;
    let assertion = key.get(&options).await;
    let finish = json!({"ceremony_id": options["ceremony_id"], "credential": assertion});
    let tries = vec![finish; 8];
    let statuses = post_in_parallel([&first, &second], "/api/v1/sessions/passkey", tries).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
}

async fn a_counter_regression_is_refused_and_audited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, mut key) = owner_with_passkey(&server).await;
    // The stored credential claims it has counted to 100; this
    // authenticator says 0: a sign of a cloned key.
    set_stored_counter(&db, 100).await;
    Guest::new(&server)
        .passwordless(&mut key)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let events = owner.events("?limit=1").await;
    assert_eq!(events["events"][0]["kind"], "passkey.counter_regression");
    assert_eq!(
        owner.mfa().await["passkeys"][0]["last_used_at"],
        Value::Null,
        "nothing recorded as a use"
    );
}

/// Writes `counter` into the one stored passkey, as if it had counted so far.
async fn set_stored_counter(db: &TestDb, counter: u32) {
    use sqlx::Connection as _;
    // The same statements on either connection type.
    macro_rules! set_on {
        ($connection:ty) => {{
            let mut conn = <$connection>::connect(&db.url).await.unwrap();
            let text: String = sqlx::query_scalar("SELECT credential FROM passkeys")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let mut credential: Value = serde_json::from_str(&text).unwrap();
            credential["cred"]["counter"] = json!(counter);
            sqlx::query("UPDATE passkeys SET credential = $1, sign_count = $2")
                .bind(credential.to_string())
                .bind(i64::from(counter))
                .execute(&mut conn)
                .await
                .unwrap();
        }};
    }
    match db.backend {
        Backend::Sqlite => set_on!(sqlx::SqliteConnection),
        Backend::Postgres => set_on!(sqlx::PgConnection),
    }
}

async fn bad_passkey_input_gets_a_clear_error_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (owner, mut key) = owner_with_passkey(&server).await;
    let guest = Guest::new(&server);

    // Another origin (same RP ID, other port): the RP refuses it.
    let mut elsewhere = key.moved_to("http://localhost:9");
    guest
        .passwordless(&mut elsewhere)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_credentials");
    std::mem::swap(&mut key, &mut elsewhere);

    // A tampered signature.
    let options = guest.passkey_options().await;
    let mut assertion = key.get(&options).await;
    let signature = assertion["response"]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    // Change one character of the base64url signature.
    let (head, tail) = signature.split_at(1);
    let flipped = format!("{}{tail}", if head == "A" { "B" } else { "A" });
    assertion["response"]["signature"] = json!(flipped);
    guest
        .finish_passkey(&options["ceremony_id"], &assertion)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_credentials");

    // Malformed JSON and unknown ceremonies.
    guest
        .finish_passkey(&json!("x"), &json!({"id": 5}))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");
    let options = guest.passkey_options().await;
    let assertion = key.get(&options).await;
    guest
        .finish_passkey(&json!("no-such-ceremony"), &assertion)
        .await
        .refused(StatusCode::BAD_REQUEST, "ceremony_expired");
    // An expired ceremony.
    server.advance(Duration::from_secs(301));
    guest
        .finish_passkey(&options["ceremony_id"], &assertion)
        .await
        .refused(StatusCode::BAD_REQUEST, "ceremony_expired");

    // Another account's passkey as this account's second factor.
    let open = twofold_app::Policy {
        signup: twofold_app::Signup::Open,
        ..Default::default()
    };
    let other = TestServer::start_with(&db, open).await;
    other.clock.set(server.app.now());
    Guest::new(&other)
        .request_account("mallory@example.com")
        .await;
    let mallory = Actor::sign_in(&server, "mallory@example.com", PASSWORD).await;
    let mut mallory_key = SoftKey::new(&server.public_url);
    mallory
        .passkeys()
        .enrol(&mut mallory_key, "Mallory's")
        .await;
    let challenge = guest.challenge(OWNER).await;
    let options = challenge.webauthn_options().await.body;
    let mut options_for_mallory = options.clone();
    options_for_mallory["publicKey"]["allowCredentials"] = json!([]);
    let foreign = mallory_key.get(&options_for_mallory).await;
    challenge
        .webauthn(&foreign)
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_credential");
    // Nothing changed: the owner still has one passkey, never used.
    let mfa = owner.mfa().await;
    assert_eq!(mfa["passkeys"].as_array().unwrap().len(), 1);
    assert_eq!(mfa["passkeys"][0]["last_used_at"], Value::Null);
}
