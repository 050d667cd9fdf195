//! Personal access tokens on Settings → Security, over plain HTTP on both
//! backends: made after the step-up and shown once, bad forms refused with
//! nothing made, revoked from the list, and another account's token out of
//! reach. `browser.rs` drives the same card in Chromium.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CACHE_CONTROL;
use serde_json::{Value, json};
use twofold_app::Policy;
use twofold_testkit::visitor::{Page, Visitor};
use twofold_testkit::{Actor, Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    a_token_is_made_on_the_page_after_the_step_up_and_shown_once,
    bad_token_forms_are_refused_on_the_page_and_make_nothing,
    the_form_offers_no_lifetime_above_the_instance_maximum,
    a_token_is_revoked_from_the_page_and_another_accounts_is_not_found,
);

const OWNER: &str = "owner@example.com";
const MEMBER: &str = "tess@example.com";
const SECURITY: &str = "/settings/security";
const CREATE: &str = "/settings/security/tokens";
const API_TOKENS: &str = "/api/v1/me/tokens";
const DAY: u64 = 86_400;
const CONTRACT: &str =
    "A token acts as you on the API but cannot change security settings or confirm it is you.";

/// The owner, signed in on the pages.
async fn signed_in_owner(server: &TestServer) -> Visitor<'_> {
    let visitor = Visitor::new(server);
    let signed_in = visitor.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.location(), SECURITY);
    visitor
}

/// Opens the visitor's step-up window from the step-up screen on its own.
async fn step_up(visitor: &Visitor<'_>) {
    let done = visitor.confirm(&[("reauth_password", PASSWORD)]).await;
    assert_eq!(done.location(), SECURITY);
}

/// The owner's live tokens, as the API lists them.
async fn api_tokens(api: &Actor<'_>) -> Vec<Value> {
    let listed = api.get(API_TOKENS).await.expect(StatusCode::OK);
    listed["tokens"].as_array().unwrap().clone()
}

/// The token shown on the page that made it.
fn shown_token(page: &Page) -> String {
    let html = page.expect(StatusCode::OK);
    assert!(
        html.contains("it will not be shown again") && html.contains(r#"id="copy-token""#),
        "{html}"
    );
    let token = page.value_of("token-value").expect("the token field");
    assert!(token.starts_with("tfp_") && token.len() == 53, "{token}");
    token
}

async fn a_token_is_made_on_the_page_after_the_step_up_and_shown_once(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let visitor = signed_in_owner(&server).await;
    let api = Actor::sign_in(&server, OWNER, PASSWORD).await;

    // The card: the MFA contract, no token yet, the form's defaults.
    let html = visitor
        .get(SECURITY)
        .await
        .expect(StatusCode::OK)
        .to_owned();
    assert!(
        html.contains(r#"id="tokens""#) && html.contains(CONTRACT),
        "{html}"
    );
    assert!(html.contains(r#"id="no-tokens""#), "{html}");
    for days in [7, 30, 90, 365] {
        assert!(
            html.contains(&format!(r#"<option value="{}""#, days * DAY)),
            "{days}: {html}"
        );
    }
    assert!(html.contains(&format!(r#"<option value="{}" selected>30 days"#, 30 * DAY)));
    assert!(html.contains(r#"id="scope-read" name="scopes" value="read" checked"#));
    assert!(html.contains(r#"id="scope-write" name="scopes" value="write">"#));

    // No window: the step-up screen names the change and seals the form.
    let expires = (90 * DAY).to_string();
    let form = [
        ("name", "Nightly backup"),
        ("expires_in", expires.as_str()),
        ("scopes", "read"),
        ("scopes", "write"),
    ];
    let screen = visitor.submit(CREATE, &form).await;
    let html = screen.expect(StatusCode::FORBIDDEN);
    assert!(
        html.contains("Confirm it is you to: <strong>create a personal access token</strong>."),
        "{html}"
    );
    assert!(html.contains(r#"name="return_to" value="/settings/security/tokens""#));
    assert!(api_tokens(&api).await.is_empty(), "nothing made yet");
    let stash = screen.hidden_field("stash").expect("a sealed form");

    // The proof posts the sealed form again: the token, this once.
    let made = visitor
        .confirm(&[
            ("return_to", CREATE),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(made.headers[CACHE_CONTROL], "no-store");
    let token = shown_token(&made);
    assert!(made.html.contains("Nightly backup") && made.html.contains("read, write"));

    // It is the token the API lists, with what the form asked for, and it works.
    let listed = api_tokens(&api).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "Nightly backup");
    assert_eq!(listed[0]["scopes"], json!(["read", "write"]));
    assert_eq!(listed[0]["prefix"], json!(&token[..10]));
    let expected_expiry = server.app.now().plus(Duration::from_secs(90 * DAY));
    assert_eq!(listed[0]["expires_at"], json!(expected_expiry.to_rfc3339()));
    let holder = Actor::with_token(&server, &token);
    let me = holder.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(me["account"]["email"], OWNER);

    // The list shows its name, start and use, never the token itself.
    let page = visitor.get(SECURITY).await;
    let html = page.expect(StatusCode::OK);
    assert!(
        !html.contains(&token) && !html.contains(&token[10..]),
        "{html}"
    );
    assert_eq!(html.matches(r#"class="token""#).count(), 1, "{html}");
    assert!(html.contains(&format!(r#"<code class="prefix">{}…</code>"#, &token[..10])));
    assert!(html.contains(r#"<td class="name">Nightly backup</td>"#));
    assert!(html.contains(r#"<td class="scopes">read, write</td>"#));
    assert!(
        !html.contains(r#"<td class="last-used">never</td>"#),
        "{html}"
    );
    assert!(html.contains(r#"data-kind="token.created""#), "{html}");

    // With the window still open, the next one is made at once, and differs.
    let again = visitor
        .submit(
            CREATE,
            &[
                ("name", "Read only"),
                ("expires_in", "604800"),
                ("scopes", "read"),
            ],
        )
        .await;
    let second = shown_token(&again);
    assert_ne!(second, token);
    let reader = Actor::with_token(&server, &second);
    reader.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(api_tokens(&api).await.len(), 2);
}

async fn bad_token_forms_are_refused_on_the_page_and_make_nothing(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let visitor = signed_in_owner(&server).await;
    let api = Actor::sign_in(&server, OWNER, PASSWORD).await;
    step_up(&visitor).await;

    let long = "x".repeat(65);
    let year_and_a_day = (366 * DAY).to_string();
    let month = (30 * DAY).to_string();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("name", ""), ("expires_in", &month), ("scopes", "read")],
            "Name must be 1 to 64 characters.",
        ),
        (
            &[("name", &long), ("expires_in", &month), ("scopes", "read")],
            "Name must be 1 to 64 characters.",
        ),
        (
            &[
                ("name", "CI"),
                ("expires_in", &year_and_a_day),
                ("scopes", "read"),
            ],
            "Choose when the token expires: at most 365 days.",
        ),
        (
            &[("name", "CI"), ("expires_in", "soon"), ("scopes", "read")],
            "Choose when the token expires: at most 365 days.",
        ),
        (
            &[("name", "CI"), ("scopes", "read")],
            "Choose when the token expires: at most 365 days.",
        ),
        (
            &[("name", "CI"), ("expires_in", &month)],
            "Tick at least one scope: read, write or both.",
        ),
        (
            &[("name", "CI"), ("expires_in", &month), ("scopes", "admin")],
            "Tick at least one scope: read, write or both.",
        ),
    ];
    for (form, reason) in cases {
        let page = visitor.submit(CREATE, form).await;
        let html = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains(&format!(r#"id="token-error">{reason}</p>"#)),
            "{form:?}: {html}"
        );
        assert!(
            html.contains("<h1>Security</h1>"),
            "the Security page: {html}"
        );
        assert!(!html.contains(r#"id="token-value""#), "{form:?}: {html}");
    }
    // What was typed comes back: the name, the lifetime, the scopes.
    let kept = visitor
        .submit(CREATE, &[("name", "Deploy bot"), ("expires_in", &month)])
        .await;
    assert_eq!(kept.value_of("token-name").as_deref(), Some("Deploy bot"));
    let html = &kept.html;
    assert!(html.contains(&format!(r#"<option value="{month}" selected>"#)));
    assert!(
        html.contains(r#"id="scope-read" name="scopes" value="read">"#),
        "{html}"
    );
    assert!(api_tokens(&api).await.is_empty(), "nothing was made");

    // The limit: a message on the card, no 51st token.
    api.step_up().await;
    for n in 0..twofold_app::MAX_TOKENS_PER_ACCOUNT {
        api.post(
            API_TOKENS,
            json!({"name": format!("t{n}"), "expires_in": DAY, "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    let full = visitor
        .submit(
            CREATE,
            &[
                ("name", "One more"),
                ("expires_in", &month),
                ("scopes", "read"),
            ],
        )
        .await;
    let html = full.expect(StatusCode::CONFLICT);
    assert!(
        html.contains(
            r#"id="token-error">An account holds at most 50 tokens: revoke one first.</p>"#
        ),
        "{html}"
    );
    assert_eq!(api_tokens(&api).await.len(), 50);
}

async fn the_form_offers_no_lifetime_above_the_instance_maximum(backend: Backend) {
    let db = TestDb::new(backend).await;
    let policy = Policy {
        token_max_lifetime: Duration::from_secs(90 * DAY),
        ..Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    crate::create_owner(&server, OWNER).await;
    let visitor = signed_in_owner(&server).await;
    let html = visitor.get(SECURITY).await.html;
    for days in [7, 30, 90] {
        assert!(html.contains(&format!(r#"<option value="{}""#, days * DAY)));
    }
    assert!(
        !html.contains(&format!(r#"<option value="{}""#, 365 * DAY)),
        "{html}"
    );

    // Posted anyway, the longer lifetime is refused by the same rule.
    step_up(&visitor).await;
    let year = (365 * DAY).to_string();
    let refused = visitor
        .submit(
            CREATE,
            &[("name", "CI"), ("expires_in", &year), ("scopes", "read")],
        )
        .await;
    let html = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Choose when the token expires: at most 90 days."),
        "{html}"
    );
}

async fn a_token_is_revoked_from_the_page_and_another_accounts_is_not_found(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    member.step_up().await;
    let theirs = member
        .post(
            API_TOKENS,
            json!({"name": "Theirs", "expires_in": 30 * DAY, "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let owner_api = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner_api.step_up().await;
    let mine = owner_api
        .post(
            API_TOKENS,
            json!({"name": "Mine", "expires_in": 30 * DAY, "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let (mine_id, mine_text) = (
        mine["id"].as_str().unwrap(),
        mine["token"].as_str().unwrap(),
    );
    let theirs_text = theirs["token"].as_str().unwrap();
    // This visitor has not stepped up: revoking needs no step-up.
    let visitor = signed_in_owner(&server).await;
    let revoke = |id: &str| format!("/settings/security/tokens/{id}/revoke");

    // Another account's token: not found, and it still works.
    let theirs_path = revoke(theirs["id"].as_str().unwrap());
    let html = visitor.submit(&theirs_path, &[]).await;
    let html = html.expect(StatusCode::NOT_FOUND);
    assert!(
        html.contains("Token not revoked") && html.contains("No such token."),
        "{html}"
    );
    let holder = Actor::with_token(&server, theirs_text);
    holder.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(api_tokens(&member).await.len(), 1);

    // Not an id, or no session: a 4xx or the sign-in page, nothing revoked.
    let garbled = visitor
        .submit("/settings/security/tokens/not-an-id/revoke", &[])
        .await;
    assert!(garbled.status.is_client_error(), "{}", garbled.status);
    let stranger = Visitor::new(&server).submit(&revoke(mine_id), &[]).await;
    assert_eq!(stranger.location(), "/login");
    assert_eq!(api_tokens(&owner_api).await.len(), 1);

    // Its own: listed with a Revoke button; pressed, it stops at once.
    let html = visitor.get(SECURITY).await.html;
    assert!(
        html.contains(&format!(r#"action="{}""#, revoke(mine_id))),
        "{html}"
    );
    let done = visitor.submit(&revoke(mine_id), &[]).await;
    assert_eq!(done.location(), "/settings/security?notice=token_revoked");
    let html = visitor.follow(&done).await.html;
    assert!(
        html.contains("Token revoked. It stopped working at once."),
        "{html}"
    );
    assert!(html.contains(r#"id="no-tokens""#), "{html}");
    assert!(html.contains(r#"data-kind="token.revoked""#), "{html}");
    Actor::with_token(&server, mine_text)
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Pressed again: gone.
    let again = visitor.submit(&revoke(mine_id), &[]).await;
    again.expect(StatusCode::NOT_FOUND);
    holder.get("/api/v1/me").await.expect(StatusCode::OK);
}
