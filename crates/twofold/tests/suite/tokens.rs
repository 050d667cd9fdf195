//! Personal access tokens over the API, on both backends: made only inside
//! a step-up window and shown once; acting as their owner on the routes
//! tokens may use and refused on every security route; scopes, expiry, the
//! per-account limit under parallel requests, and revocation everywhere.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::{
    Actor, Backend, TestServer, count, event_kinds, events_of_kind, on_both_backends,
};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    a_token_is_made_only_in_the_step_up_window_and_shown_once,
    bad_token_requests_are_refused_and_change_nothing,
    a_token_acts_as_its_owner_but_never_on_a_security_route,
    a_token_reports_the_owners_mfa_at_creation_and_its_scopes_hold,
    a_revoked_or_expired_token_stops_at_once_on_every_instance,
    every_mfa_reset_revokes_the_accounts_tokens,
    a_password_reset_and_disabling_the_account_revoke_its_tokens,
    an_owner_revokes_someones_token_after_step_up,
    the_token_limit_holds_under_parallel_requests,
);

const OWNER: &str = "owner@example.com";
const MEMBER: &str = "tess@example.com";
const TOKENS: &str = "/api/v1/me/tokens";
const DAY: u64 = 86_400;

fn new_token(name: &str, scopes: &[&str]) -> Value {
    json!({"name": name, "expires_in": 30 * DAY, "scopes": scopes})
}

/// Steps up and makes a token; returns the created body.
async fn create(actor: &Actor<'_>, name: &str, scopes: &[&str]) -> Value {
    actor.step_up().await;
    actor
        .post(TOKENS, new_token(name, scopes))
        .await
        .expect(StatusCode::CREATED)
}

fn text(created: &Value) -> String {
    created["token"].as_str().unwrap().to_owned()
}

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

async fn a_token_is_made_only_in_the_step_up_window_and_shown_once(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    member
        .post(TOKENS, new_token("CI", &["read"]))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");

    let created = create(&member, "CI", &["read"]).await;
    let token = text(&created);
    assert_eq!(token.len(), 53);
    assert!(token.starts_with("tfp_"));
    assert_eq!(created["name"], "CI");
    assert_eq!(created["prefix"], json!(&token[..10]));
    assert_eq!(created["scopes"], json!(["read"]));
    assert_eq!(created["last_used_at"], Value::Null);

    let listed = member.get(TOKENS).await.expect(StatusCode::OK);
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(tokens[0]["id"], created["id"]);
    assert_eq!(tokens[0]["prefix"], created["prefix"]);
    assert!(tokens[0].get("token").is_none());
    assert!(!listed.to_string().contains(&token[10..]));

    let events = member.events("").await;
    let made = events_of_kind(&events, "token.created");
    assert_eq!(made.len(), 1, "{events}");
    assert_eq!(made[0]["detail"]["name"], "CI");
    assert!(!events.to_string().contains(&token[10..]));

    // Only its keyed hash is stored: the text is in no database file.
    if backend == Backend::Sqlite {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(db.dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        assert!(!bytes.windows(43).any(|w| w == &token.as_bytes()[4..47]));
    }
}

async fn bad_token_requests_are_refused_and_change_nothing(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    member.step_up().await;
    let too_long = 365 * DAY + 1;
    for body in [
        json!({"name": "", "expires_in": DAY, "scopes": ["read"]}),
        json!({"name": "x".repeat(65), "expires_in": DAY, "scopes": ["read"]}),
        json!({"name": "CI", "expires_in": 59, "scopes": ["read"]}),
        json!({"name": "CI", "expires_in": too_long, "scopes": ["read"]}),
        json!({"name": "CI", "expires_in": DAY, "scopes": []}),
        json!({"name": "CI", "expires_in": DAY, "scopes": ["admin"]}),
    ] {
        member
            .post(TOKENS, body.clone())
            .await
            .refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    }
    for body in [
        json!({"name": "CI", "scopes": ["read"]}),
        json!({"name": "CI", "expires_in": -5, "scopes": ["read"]}),
        json!({"name": "CI", "expires_in": DAY, "scopes": ["read"], "aal": 2}),
    ] {
        let reply = member.post(TOKENS, body.clone()).await;
        assert!(reply.status.is_client_error(), "{body}: {reply:?}");
    }
    let listed = member.get(TOKENS).await.expect(StatusCode::OK);
    assert_eq!(listed["tokens"], json!([]));
    assert!(!event_kinds(&member.events("").await).contains(&"token.created"));

    // A mistyped token (checksum) and an unknown one are both 401.
    let created = create(&member, "CI", &["read"]).await;
    let token = text(&created);
    let mut typo = token.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    for wrong in [typo.as_str(), "tfp_", &token[..52]] {
        Actor::with_token(&server, wrong)
            .get("/api/v1/me")
            .await
            .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

async fn a_token_acts_as_its_owner_but_never_on_a_security_route(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let created = create(&owner, "everything", &["read", "write"]).await;
    // The token's holder knows the password too: it still cannot step up.
    let bot = Actor::holding(&server, &text(&created), PASSWORD);

    let me = bot.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(me["account"]["email"], OWNER);
    let current = bot
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(current["session"]["amr"], json!(["pat"]), "{current}");
    bot.get("/api/v1/me/events").await.expect(StatusCode::OK);
    bot.get("/api/v1/admin/users").await.expect(StatusCode::OK);
    bot.get("/api/v1/admin/events").await.expect(StatusCode::OK);

    let member = Actor::member(&server, MEMBER).await;
    member.totp().enrol(None).await;
    let member_id = account_id(&member).await;
    let refused: [(Method, String, Option<Value>); 16] = [
        (
            Method::POST,
            "/api/v1/sessions/current/reauth".into(),
            Some(json!({"method": "password", "password": PASSWORD})),
        ),
        (Method::GET, "/api/v1/sessions".into(), None),
        (Method::DELETE, "/api/v1/sessions".into(), None),
        (Method::DELETE, "/api/v1/sessions/current".into(), None),
        (Method::GET, "/api/v1/me/mfa".into(), None),
        (Method::DELETE, "/api/v1/me/mfa".into(), None),
        (Method::POST, "/api/v1/me/mfa/totp".into(), Some(json!({}))),
        (
            Method::POST,
            "/api/v1/me/mfa/recovery-codes".into(),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/me/mfa/passkeys/options".into(),
            Some(json!({})),
        ),
        (
            Method::PUT,
            "/api/v1/me/password".into(),
            Some(json!({"current_password": PASSWORD, "new_password": "another long passphrase"})),
        ),
        (Method::GET, TOKENS.into(), None),
        (
            Method::POST,
            TOKENS.into(),
            Some(new_token("more", &["read"])),
        ),
        (
            Method::DELETE,
            format!("{TOKENS}/{}", created["id"].as_str().unwrap()),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{member_id}/mfa/disable"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{member_id}/role"),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::DELETE,
            format!(
                "/api/v1/admin/users/{member_id}/tokens/{}",
                created["id"].as_str().unwrap()
            ),
            None,
        ),
    ];
    for (method, path, body) in refused {
        bot.call(method.clone(), &path, body)
            .await
            .refused(StatusCode::FORBIDDEN, "token_not_allowed");
    }
    // Nothing changed: the member keeps MFA and their role, the token lives.
    assert_eq!(member.mfa().await["enabled"], json!(true));
    let detail = owner
        .get(&format!("/api/v1/admin/users/{member_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["account"]["role"], "member");
    bot.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(
        owner.get(TOKENS).await.expect(StatusCode::OK)["tokens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn a_token_reports_the_owners_mfa_at_creation_and_its_scopes_hold(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    let before_mfa = create(&member, "before", &["read"]).await;
    member.totp().enrol(None).await;
    let after_mfa = create(&member, "after", &["read"]).await;

    for (created, aal) in [(&before_mfa, 1), (&after_mfa, 2)] {
        let bot = Actor::with_token(&server, &text(created));
        let current = bot
            .get("/api/v1/sessions/current")
            .await
            .expect(StatusCode::OK);
        assert_eq!(current["session"]["aal"], json!(aal), "{current}");
        assert_eq!(current["session"]["amr"], json!(["pat"]));
    }

    let write_only = create(&member, "writer", &["write"]).await;
    Actor::with_token(&server, &text(&write_only))
        .get("/api/v1/me")
        .await
        .refused(StatusCode::FORBIDDEN, "insufficient_scope");
}

async fn a_revoked_or_expired_token_stops_at_once_on_every_instance(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let member = Actor::member(&server, MEMBER).await;
    let kept = create(&member, "kept", &["read"]).await;
    let revoked = create(&member, "revoked", &["read"]).await;
    let on_sibling = Actor::with_token(&sibling, &text(&revoked));
    on_sibling.get("/api/v1/me").await.expect(StatusCode::OK);

    member
        .delete(&format!("{TOKENS}/{}", revoked["id"].as_str().unwrap()))
        .await
        .expect(StatusCode::NO_CONTENT);
    on_sibling
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    member
        .delete(&format!("{TOKENS}/{}", revoked["id"].as_str().unwrap()))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    let events = member.events("").await;
    let gone = events_of_kind(&events, "token.revoked");
    assert_eq!(gone.len(), 1, "{events}");
    assert_eq!(gone[0]["detail"]["name"], "revoked");

    // Someone else's token id is "not found", and theirs lives on.
    let other = Actor::member(&server, "ursula@example.com").await;
    other
        .delete(&format!("{TOKENS}/{}", kept["id"].as_str().unwrap()))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    let bot = Actor::with_token(&sibling, &text(&kept));
    bot.get("/api/v1/me").await.expect(StatusCode::OK);

    let short = {
        member.step_up().await;
        member
            .post(
                TOKENS,
                json!({"name": "hour", "expires_in": 3600, "scopes": ["read"]}),
            )
            .await
            .expect(StatusCode::CREATED)
    };
    let hourly = Actor::with_token(&server, &text(&short));
    hourly.get("/api/v1/me").await.expect(StatusCode::OK);
    server.advance(Duration::from_secs(3600));
    sibling.advance(Duration::from_secs(3600));
    hourly
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    bot.get("/api/v1/me").await.expect(StatusCode::OK);
}

async fn every_mfa_reset_revokes_the_accounts_tokens(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    member.totp().enrol(None).await;

    // The account's own "turn off two-factor authentication".
    let bot = Actor::with_token(&server, &text(&create(&member, "a", &["read"]).await));
    member.step_up().await;
    member
        .delete("/api/v1/me/mfa")
        .await
        .expect(StatusCode::NO_CONTENT);
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");

    // The owner's reset of a locked-out user.
    member.totp().enrol(None).await;
    let bot = Actor::with_token(&server, &text(&create(&member, "b", &["read"]).await));
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let removed = owner
        .post(
            &format!(
                "/api/v1/admin/users/{}/mfa/disable",
                account_id(&member).await
            ),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(removed["tokens"], json!(1), "{removed}");
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn a_password_reset_and_disabling_the_account_revoke_its_tokens(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let member = Actor::member(&server, MEMBER).await;
    let member_id = account_id(&member).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;

    // A set-password link, used: the reset revokes every token.
    let bot = Actor::with_token(&sibling, &text(&create(&member, "a", &["read"]).await));
    bot.get("/api/v1/me").await.expect(StatusCode::OK);
    let link = owner
        .post(
            &format!("/api/v1/admin/users/{member_id}/password-link"),
            json!({}),
        )
        .await
        .expect(StatusCode::CREATED);
    let url = link["set_password_url"].as_str().unwrap();
    let token = url.split("token=").nth(1).unwrap();
    let new_password = "plum garnet orbit quay";
    twofold_testkit::Guest::new(&server)
        .post(
            "/api/v1/password/set",
            json!({"token": token, "password": new_password}),
        )
        .await
        .expect(StatusCode::NO_CONTENT);
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Disabling the account: its tokens stop at once on every instance,
    // and enabling it again does not bring them back.
    let member = Actor::sign_in(&server, MEMBER, new_password).await;
    let bot = Actor::with_token(&sibling, &text(&create(&member, "b", &["read"]).await));
    bot.get("/api/v1/me").await.expect(StatusCode::OK);
    owner
        .post(
            &format!("/api/v1/admin/users/{member_id}/disable"),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    owner
        .post(
            &format!("/api/v1/admin/users/{member_id}/enable"),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn an_owner_revokes_someones_token_after_step_up(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    let created = create(&member, "leaked", &["read"]).await;
    let bot = Actor::with_token(&server, &text(&created));
    let member_id = account_id(&member).await;
    let token_id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/users/{member_id}/tokens/{token_id}");

    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let detail = owner
        .get(&format!("/api/v1/admin/users/{member_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["tokens"][0]["name"], "leaked", "{detail}");
    assert!(!detail.to_string().contains(&text(&created)[10..]));

    owner
        .delete(&path)
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    let admin = Actor::member(&server, "adam@example.com").await;
    owner.step_up().await;
    owner
        .post(
            &format!("/api/v1/admin/users/{}/role", account_id(&admin).await),
            json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    admin.step_up().await;
    admin
        .delete(&path)
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    bot.get("/api/v1/me").await.expect(StatusCode::OK);

    owner.delete(&path).await.expect(StatusCode::NO_CONTENT);
    bot.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    let events = member.events("").await;
    let revoked = events_of_kind(&events, "token.revoked");
    assert_eq!(revoked.len(), 1, "{events}");
    assert_eq!(revoked[0]["actor"]["kind"], "account", "{events}");
}

async fn the_token_limit_holds_under_parallel_requests(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let member = Actor::member(&server, MEMBER).await;
    member.step_up().await;
    let shots = 64;
    let mut tasks = Vec::new();
    for i in 0..shots {
        // Alternating between two instances of one database.
        let url = [&server, &sibling][i % 2].url(TOKENS);
        let (token, body) = (member.token.clone(), new_token(&format!("t{i}"), &["read"]));
        tasks.push(tokio::spawn(async move {
            let request = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body);
            request.send().await.unwrap().status()
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let limit = usize::try_from(twofold_app::MAX_TOKENS_PER_ACCOUNT).unwrap();
    assert_eq!(count(&replies, StatusCode::CREATED), limit, "{replies:?}");
    assert_eq!(count(&replies, StatusCode::CONFLICT), shots - limit);
    let listed = member.get(TOKENS).await.expect(StatusCode::OK);
    assert_eq!(listed["tokens"].as_array().unwrap().len(), limit);
}
