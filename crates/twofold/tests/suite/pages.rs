//! The pages over plain HTTP (forms, redirects, cookies) on both backends;
//! `browser.rs` drives the same pages in Chromium.

use reqwest::StatusCode;
use twofold_testkit::visitor::Visitor;
use twofold_testkit::{Actor, Backend, TestDb, TestServer, on_both_backends};

use crate::PASSWORD;

on_both_backends!(
    an_empty_instance_leads_to_setup_and_then_to_sign_in,
    a_page_change_steps_up_and_the_form_comes_back,
    sessions_are_revoked_from_the_security_page,
);

const OWNER: &str = "owner@example.com";

async fn an_empty_instance_leads_to_setup_and_then_to_sign_in(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = Visitor::new(&server);

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/setup");
    let setup = browser.follow(&home).await;
    assert!(setup.html.contains("Create the owner account"));

    // A bad password re-renders the form with the reason and the email kept.
    let retry = browser
        .submit("/setup", &[("email", OWNER), ("password", "short")])
        .await;
    let html = retry.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Password must be at least 8 characters."),
        "{html}"
    );
    assert!(html.contains("value=\"owner@example.com\""));

    let created = browser
        .submit("/setup", &[("email", OWNER), ("password", PASSWORD)])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(created.location(), "/settings/security");
    let page = browser.follow(&created).await;
    let html = page.expect(StatusCode::OK);
    assert!(
        html.contains("owner@example.com") && html.contains(">owner<"),
        "{html}"
    );

    // The instance has its owner: setup is over, for everyone.
    let stranger = Visitor::new(&server);
    let again = stranger
        .submit(
            "/setup",
            &[("email", "intruder@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);
    for path in ["/setup", "/", "/settings/security"] {
        assert_eq!(stranger.get(path).await.location(), "/login", "{path}");
    }

    // Sign out, then a wrong password, then the right one.
    let out = browser.press("/logout").await;
    assert_eq!(out.location(), "/login?signed_out=1");
    let guarded = browser.get("/settings/security").await;
    assert_eq!(guarded.location(), "/login");
    let wrong = browser.sign_in(OWNER, "not it at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Email or password is incorrect."));
    let right = browser.sign_in(OWNER, PASSWORD).await;
    assert_eq!(right.location(), "/settings/security");
    assert_eq!(browser.follow(&right).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let visitor = Visitor::new(&server);
    let from_elsewhere = visitor
        .post("/setup")
        .header("origin", "http://evil.example")
        .form(&[("email", OWNER), ("password", PASSWORD)]);
    let response = visitor.send(from_elsewhere).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 0);
}

#[tokio::test]
async fn a_garbled_form_gets_a_readable_page() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let visitor = Visitor::new(&server);
    let json_body = visitor
        .post("/login")
        .header("content-type", "application/json")
        .body("{}");
    let response = visitor.send(json_body).await;
    assert!(response.status.is_client_error(), "{}", response.status);
    assert!(
        response.html.contains("<h1>Sign in</h1>"),
        "{}",
        response.html
    );
}

/// The owner, made through the API and signed in on the pages.
async fn signed_in_owner(server: &TestServer) -> Visitor<'_> {
    crate::create_owner(server, OWNER).await;
    let browser = Visitor::new(server);
    let signed_in = browser.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.location(), "/settings/security");
    browser
}

async fn a_page_change_steps_up_and_the_form_comes_back(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = signed_in_owner(&server).await;
    let form = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
    ];

    // No window: the step-up screen, naming the change and carrying what
    // was typed, sealed (the passwords are not in the page).
    let screen = browser.submit("/settings/security/password", &form).await;
    let html = screen.expect(StatusCode::FORBIDDEN);
    assert!(html.contains("Confirm it is you"));
    assert!(
        html.contains("Confirm it is you to: <strong>change your password</strong>."),
        "{html}"
    );
    assert!(
        html.contains(r#"name="return_to" value="/settings/security/password""#),
        "{html}"
    );
    assert!(
        !html.contains("a brand new passphrase") && !html.contains(PASSWORD),
        "{html}"
    );
    let stash = screen.hidden_field("stash").expect("a sealed form");

    // A wrong proof keeps the person on the screen, with the form.
    let mut confirm = vec![
        ("return_to", "/settings/security/password"),
        ("stash", stash.as_str()),
        ("reauth_password", "not my password"),
    ];
    let wrong = browser.submit("/reauth", &confirm).await;
    let html = wrong.expect(StatusCode::FORBIDDEN);
    assert!(html.contains("That password or code is incorrect."));
    assert_eq!(wrong.hidden_field("stash").as_deref(), Some(stash.as_str()));

    // The right one sends the same form back to its action (307 keeps the body).
    confirm[2].1 = PASSWORD;
    let back = browser.submit("/reauth", &confirm).await;
    assert_eq!(back.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(back.location(), "/settings/security/password");
    let done = browser.submit(back.location(), &confirm).await;
    assert_eq!(
        done.location(),
        "/settings/security?notice=password_changed"
    );
    let html = browser.follow(&done).await.html;
    assert!(html.contains("Your password was changed."));
    assert!(html.contains(r#"data-kind="password.changed""#));

    // Never sent anywhere but a known action: another target is ignored
    // (the proof leads to the Security page).
    let confirm = [
        ("return_to", "//evil.example/settings/"),
        ("reauth_password", "a brand new passphrase"),
    ];
    let elsewhere = browser.submit("/reauth", &confirm).await;
    assert_eq!(elsewhere.location(), "/settings/security");
}

async fn sessions_are_revoked_from_the_security_page(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = signed_in_owner(&server).await;
    let other = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let third = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let current = other.get("/api/v1/sessions/current").await;
    let other_id = current.body["session"]["id"].as_str().unwrap().to_owned();

    let html = browser.get("/settings/security").await.html;
    assert_eq!(html.matches(r#"class="session""#).count(), 3, "{html}");
    let revoke_other = format!("/settings/security/sessions/{other_id}/revoke");
    assert!(html.contains(&revoke_other));

    // Each button's redirect names what it did, and the session it ended is
    // signed out.
    for (button, notice, signed_out) in [
        (revoke_other.as_str(), "session_revoked", &other),
        (
            "/settings/security/sessions/revoke-others",
            "others_revoked",
            &third,
        ),
    ] {
        let revoked = browser.press(button).await;
        assert_eq!(
            revoked.location(),
            format!("/settings/security?notice={notice}")
        );
        let me = signed_out.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }
    let page = browser.get("/settings/security").await;
    assert_eq!(page.status, StatusCode::OK, "this session stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mfa_page_takes_a_code_after_the_password() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    crate::create_owner(&server, OWNER).await;
    let token = crate::sign_in(&server, OWNER).await;
    let (_, secret) = crate::totp::enrol(&server, &token, None).await;

    let browser = Visitor::new(&server);
    let login = browser.sign_in(OWNER, PASSWORD).await;
    assert_eq!(login.location(), "/login/mfa");
    let page = browser.follow(&login).await.html;
    assert!(
        page.contains(r#"autocomplete="one-time-code""#) && page.contains(r#"inputmode="numeric""#)
    );
    let wrong = browser.submit("/login/mfa", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = crate::totp::oathtool(&secret, &server);
    let right = browser
        .submit("/login/mfa", &[("code", code.as_str())])
        .await;
    assert_eq!(right.location(), "/settings/security");
    assert_eq!(browser.follow(&right).await.status, StatusCode::OK);
    // Without a challenge the MFA page sends people back to sign in.
    let stranger = Visitor::new(&server).get("/login/mfa").await;
    assert_eq!(stranger.location(), "/login");
}
