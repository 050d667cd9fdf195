//! One-time set-password links, on both backends: who may create users and
//! issue links, a link sets the password once (even under 30 parallel
//! uses on two instances), expires after 24 hours, is replaced by a newer
//! one, ends every session and keeps the second factors; the token is
//! stored only as its hash; the page flow.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_core::token::PasswordLinkToken;
use twofold_testkit::browser::Browser;
use twofold_testkit::visitor::Visitor;
use twofold_testkit::{
    Actor, Backend, Guest, TestDb, TestServer, count, events_of_kind, on_both_backends,
    post_in_parallel,
};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    owners_create_any_role_admins_members_only_and_members_none,
    a_link_sets_the_password_once_then_the_account_signs_in,
    thirty_parallel_uses_of_one_link_set_the_password_once,
    a_link_expires_after_24_hours_and_a_new_one_replaces_the_old,
    the_reset_ends_every_session_and_keeps_the_second_factor,
    the_page_sets_the_password_without_leaking_the_link,
    wrong_links_count_against_the_client_address,
);

const OWNER: &str = "owner@example.com";
const USERS: &str = "/api/v1/admin/users";
const SET: &str = "/api/v1/password/set";
/// A password the strength rules accept.
const NEW_PASSWORD: &str = "plum garnet orbit quay";

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

/// The token of a set-password URL, after checking the URL's shape.
fn token_of(server: &TestServer, answer: &Value) -> String {
    let url = answer["set_password_url"].as_str().unwrap();
    let prefix = format!("{}/set-password?token=", server.public_url);
    let token = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
    assert!(PasswordLinkToken::parse(token).is_some(), "{token}");
    token.to_owned()
}

fn link_path(id: &str) -> String {
    format!("{USERS}/{id}/password-link")
}

async fn set_password(server: &TestServer, token: &str, password: &str) -> twofold_testkit::Reply {
    Guest::new(server)
        .post(SET, json!({"token": token, "password": password}))
        .await
}

/// An owner after step-up creates `email` as `role`; the link's token.
async fn created(owner: &Actor<'_>, email: &str, role: &str) -> String {
    let answer = owner
        .post(USERS, json!({"email": email, "role": role}))
        .await
        .expect(StatusCode::CREATED);
    token_of(owner.server(), &answer)
}

async fn owners_create_any_role_admins_members_only_and_members_none(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner
        .post(USERS, json!({"email": "ada@example.com", "role": "admin"}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let answer = owner
        .post(USERS, json!({"email": "Ada@Example.com", "role": "admin"}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answer["user"]["email"], "Ada@Example.com");
    assert_eq!(answer["user"]["role"], "admin");
    token_of(&server, &answer);
    let expires = server.app.now().plus(Duration::from_secs(24 * 3600));
    assert_eq!(answer["expires_at"], expires.to_rfc3339());
    for role in ["owner", "member"] {
        created(&owner, &format!("{role}2@example.com"), role).await;
    }
    // No password yet: nobody signs in to the new account.
    Guest::new(&server)
        .sign_in("ada@example.com", PASSWORD)
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_credentials");
    owner
        .post(USERS, json!({"email": "ADA@example.com", "role": "member"}))
        .await
        .refused(StatusCode::CONFLICT, "conflict");
    owner
        .post(USERS, json!({"email": "x@example.com", "role": "king"}))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");
    owner
        .post(USERS, json!({"email": "not an email", "role": "member"}))
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    owner
        .post(USERS, json!({"email": "x@example.com"}))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");

    // An admin (promoted by the owner) creates members only.
    let admin = Actor::member(&server, "mia@example.com").await;
    owner
        .post(
            &format!("{USERS}/{}/role", account_id(&admin).await),
            json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    admin.step_up().await;
    created(&admin, "sam@example.com", "member").await;
    for role in ["admin", "owner"] {
        admin
            .post(USERS, json!({"email": "eve@example.com", "role": role}))
            .await
            .refused(StatusCode::FORBIDDEN, "forbidden");
    }
    let member = Actor::member(&server, "noah@example.com").await;
    member.step_up().await;
    member
        .post(USERS, json!({"email": "eve@example.com", "role": "member"}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    let page = owner
        .get(&format!("{USERS}?q=eve"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"], json!([]), "{page}");

    // Audited for the new account, with the admin as actor, never the token.
    let events = owner
        .get("/api/v1/admin/events?kind=password.link_issued")
        .await
        .expect(StatusCode::OK);
    let issued = events_of_kind(&events, "password.link_issued");
    assert_eq!(issued.len(), 4, "{events}");
    assert_eq!(issued[0]["actor"]["kind"], "account");
    assert_eq!(issued[0]["actor"]["id"], json!(account_id(&admin).await));
    assert!(!events.to_string().contains(&token_of(&server, &answer)));
}

async fn a_link_sets_the_password_once_then_the_account_signs_in(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;

    // Malformed, unknown: the same answer, nothing spent.
    for bad in ["", "short", &"a".repeat(44), &format!("{}=", &token[1..])] {
        set_password(&server, bad, NEW_PASSWORD)
            .await
            .refused(StatusCode::BAD_REQUEST, "invalid_link");
    }
    let unknown = PasswordLinkToken::generate().unwrap();
    set_password(&server, unknown.expose(), NEW_PASSWORD)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");
    // A password the rules refuse leaves the link unused.
    set_password(&server, &token, "sam@example.com")
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    set_password(&server, &token, "12345678")
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");

    set_password(&server, &token, NEW_PASSWORD)
        .await
        .expect(StatusCode::NO_CONTENT);
    let sam = Actor::sign_in(&server, "sam@example.com", NEW_PASSWORD).await;
    let own = sam.events("").await;
    let reset = events_of_kind(&own, "password.reset");
    assert_eq!(reset.len(), 1, "{own}");
    assert_eq!(reset[0]["actor"]["kind"], "self");
    assert!(!own.to_string().contains(&token));

    // Used: the same answer as unknown, and the password stays.
    set_password(&server, &token, "another fine passphrase")
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");
    Actor::sign_in(&server, "sam@example.com", NEW_PASSWORD).await;
}

async fn thirty_parallel_uses_of_one_link_set_the_password_once(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;
    let password = |i: usize| format!("{NEW_PASSWORD} {i}");
    let bodies = (0..30)
        .map(|i| json!({"token": token, "password": password(i)}))
        .collect();
    let statuses = post_in_parallel([&server, &sibling], SET, bodies).await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::BAD_REQUEST),
        29,
        "{statuses:?}"
    );
    let winner = statuses
        .iter()
        .position(|s| *s == StatusCode::NO_CONTENT)
        .unwrap();
    // The winner's password is the account's; a loser's changed nothing.
    Actor::sign_in(&server, "sam@example.com", &password(winner)).await;
    Guest::new(&server)
        .sign_in("sam@example.com", &password((winner + 1) % 30))
        .await
        .refused(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let events = owner
        .get("/api/v1/admin/events?kind=password.reset")
        .await
        .expect(StatusCode::OK);
    assert_eq!(events_of_kind(&events, "password.reset").len(), 1);
}

async fn a_link_expires_after_24_hours_and_a_new_one_replaces_the_old(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, "sam@example.com").await;
    let id = account_id(&member).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let answer = owner
        .post(&link_path(&id), json!({}))
        .await
        .expect(StatusCode::CREATED);
    let first = token_of(&server, &answer);
    // Issuing changes nothing yet: the old password still signs in.
    Actor::sign_in(&server, "sam@example.com", PASSWORD).await;
    let second = token_of(
        &server,
        &owner
            .post(&link_path(&id), json!({}))
            .await
            .expect(StatusCode::CREATED),
    );
    set_password(&server, &first, NEW_PASSWORD)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");

    server.advance(Duration::from_secs(24 * 3600));
    set_password(&server, &second, NEW_PASSWORD)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");
    Actor::sign_in(&server, "sam@example.com", PASSWORD).await;

    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let third = token_of(
        &server,
        &owner
            .post(&link_path(&id), json!({}))
            .await
            .expect(StatusCode::CREATED),
    );
    server.advance(Duration::from_secs(24 * 3600 - 1));
    set_password(&server, &third, NEW_PASSWORD)
        .await
        .expect(StatusCode::NO_CONTENT);
    Actor::sign_in(&server, "sam@example.com", NEW_PASSWORD).await;
}

async fn the_reset_ends_every_session_and_keeps_the_second_factor(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, "sam@example.com").await;
    member.totp().enrol(None).await;
    let id = account_id(&member).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let owner_id = account_id(&owner).await;
    owner
        .post(&link_path(&id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    owner
        .post(&link_path(&owner_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "own_account");
    let unknown = uuid::Uuid::new_v4().to_string();
    owner
        .post(&link_path(&unknown), json!({}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    // Sam forgot the password: the owner issues a link, and nothing
    // changes until it is used.
    let token = token_of(
        &server,
        &owner
            .post(&link_path(&id), json!({}))
            .await
            .expect(StatusCode::CREATED),
    );
    member.get("/api/v1/me").await.expect(StatusCode::OK);

    // An admin may not issue one for an owner, another admin, or themself.
    let admin = Actor::member(&server, "mia@example.com").await;
    let admin_id = account_id(&admin).await;
    owner
        .post(
            &format!("{USERS}/{admin_id}/role"),
            json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    admin.step_up().await;
    admin
        .post(&link_path(&owner_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    admin
        .post(&link_path(&admin_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "own_account");
    let other_admin = owner
        .post(USERS, json!({"email": "ada@example.com", "role": "admin"}))
        .await
        .expect(StatusCode::CREATED);
    let other_admin = other_admin["user"]["id"].as_str().unwrap();
    admin
        .post(&link_path(other_admin), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    let noah = Actor::member(&server, "noah@example.com").await;
    noah.step_up().await;
    noah.post(&link_path(&id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");

    // A link an admin got for a member dies when the member is promoted.
    let promoted = Actor::member(&server, "lee@example.com").await;
    let promoted_id = account_id(&promoted).await;
    let stale = token_of(
        &server,
        &admin
            .post(&link_path(&promoted_id), json!({}))
            .await
            .expect(StatusCode::CREATED),
    );
    owner
        .post(
            &format!("{USERS}/{promoted_id}/role"),
            json!({"role": "owner"}),
        )
        .await
        .expect(StatusCode::OK);
    set_password(&server, &stale, NEW_PASSWORD)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");

    set_password(&server, &token, NEW_PASSWORD)
        .await
        .expect(StatusCode::NO_CONTENT);
    member
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    let step = Guest::new(&server)
        .sign_in("sam@example.com", NEW_PASSWORD)
        .await
        .expect(StatusCode::OK);
    assert_eq!(step["state"], "mfa_required", "{step}");
    let reset = events_of_kind(
        &owner
            .get(&format!("/api/v1/admin/events?account_id={id}"))
            .await
            .expect(StatusCode::OK),
        "password.reset",
    )
    .into_iter()
    .cloned()
    .collect::<Vec<_>>();
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0]["detail"]["sessions_ended"], 1, "{reset:?}");
}

async fn the_page_sets_the_password_without_leaking_the_link(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;
    let visitor = Visitor::new(&server);

    let page = visitor.get(&format!("/set-password?token={token}")).await;
    let html = page.expect(StatusCode::OK);
    assert!(html.contains("sam@example.com"), "{html}");
    assert!(html.contains(r#"autocomplete="new-password""#), "{html}");
    assert_eq!(page.hidden_field("token").as_deref(), Some(token.as_str()));
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["cache-control"], "no-store");

    for bad in ["", "?token=", "?token=nonsense"] {
        let page = visitor.get(&format!("/set-password{bad}")).await;
        let html = page.expect(StatusCode::BAD_REQUEST);
        assert!(html.contains("invalid or has expired"), "{html}");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
    }

    // As a browser posts a form from a no-referrer page: `Origin: null`.
    let as_browser = |form: &[(&str, &str)]| {
        visitor
            .post("/set-password")
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .form(form)
    };
    let weak = visitor
        .send(as_browser(&[("token", &token), ("password", "12345678")]))
        .await;
    let html = weak.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"id="error""#), "{html}");
    assert_eq!(weak.hidden_field("token").as_deref(), Some(token.as_str()));
    assert_eq!(weak.headers["referrer-policy"], "no-referrer");

    let done = visitor
        .send(as_browser(&[("token", &token), ("password", NEW_PASSWORD)]))
        .await;
    let html = done.expect(StatusCode::OK);
    assert!(html.contains("Password set — sign in"), "{html}");
    assert!(html.contains(r#"href="/login""#), "{html}");
    let again = visitor
        .send(as_browser(&[("token", &token), ("password", NEW_PASSWORD)]))
        .await;
    again.expect(StatusCode::BAD_REQUEST);
    let gone = visitor.get(&format!("/set-password?token={token}")).await;
    gone.expect(StatusCode::BAD_REQUEST);

    // `Origin: null` passes for this form only.
    let login = visitor
        .send(
            visitor
                .post("/login")
                .header("origin", "null")
                .header("sec-fetch-site", "same-origin")
                .form(&[("email", "sam@example.com"), ("password", NEW_PASSWORD)]),
        )
        .await;
    login.expect(StatusCode::FORBIDDEN);
    let signed_in = visitor.sign_in("sam@example.com", NEW_PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.html
    );
}

/// The token handed out is nowhere in the SQLite files; its hash is.
#[tokio::test]
async fn the_plaintext_token_is_not_in_the_sqlite_database() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;
    let hash = PasswordLinkToken::parse(&token).unwrap().hash();
    let mut stored = Vec::new();
    for name in ["twofold.db", "twofold.db-wal"] {
        if let Ok(bytes) = std::fs::read(db.path(name)) {
            stored.extend(bytes);
        }
    }
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(contains(hash.as_bytes()), "the hash should be stored");
    assert!(
        !contains(token.as_bytes()),
        "the token is stored in plain text"
    );
}

/// Wrong links count with failed passwords per client address (100 in 15
/// minutes); once the counter is full even a good link waits, and a link
/// that works gives its count back.
async fn wrong_links_count_against_the_client_address(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;
    // A good link used first is not counted.
    let spare = created(&owner, "noah@example.com", "member").await;
    set_password(&server, &spare, NEW_PASSWORD)
        .await
        .expect(StatusCode::NO_CONTENT);
    for _ in 0..100 {
        let unknown = PasswordLinkToken::generate().unwrap();
        set_password(&server, unknown.expose(), NEW_PASSWORD)
            .await
            .refused(StatusCode::BAD_REQUEST, "invalid_link");
    }
    let refused = set_password(&server, &token, NEW_PASSWORD).await;
    refused.refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Malformed tokens are answered before counting.
    set_password(&server, "nonsense", NEW_PASSWORD)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");

    server.advance(Duration::from_secs(15 * 60));
    set_password(&server, &token, NEW_PASSWORD)
        .await
        .expect(StatusCode::NO_CONTENT);
    Actor::sign_in(&server, "sam@example.com", NEW_PASSWORD).await;
}

/// In real Chromium: the page is served `no-referrer`, so the browser posts
/// its form with `Origin: null`; it still goes through, and the new
/// password signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sets_their_password_through_the_link_in_chromium() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, OWNER).await;
    owner.step_up().await;
    let token = created(&owner, "sam@example.com", "member").await;
    let link = server.url(&format!("/set-password?token={token}"));
    Browser::run("set_password_link", async |b| {
        b.goto(&link).await?;
        b.wait_for_text("#account-email", "sam@example.com").await?;
        b.submit(&[("#password", NEW_PASSWORD)], "#set-password")
            .await?;
        b.wait_for_text("h1", "Password set — sign in").await?;
        b.click("#sign-in").await?;
        b.wait_for_path("/login").await?;
        b.submit(
            &[("#email", "sam@example.com"), ("#password", NEW_PASSWORD)],
            "#sign-in",
        )
        .await?;
        b.wait_for_path("/settings/security").await?;
        // The used link now explains itself.
        b.goto(&link).await?;
        b.wait_for_text("h1", "This link does not work").await
    })
    .await;
}
