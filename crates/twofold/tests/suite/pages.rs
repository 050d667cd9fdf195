//! The pages over plain HTTP (forms, redirects, cookies) on both backends;
//! `browser.rs` drives the same pages in Chromium.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::PASSWORD;

on_both_backends!(
    an_empty_instance_leads_to_setup_and_then_to_sign_in,
    a_page_change_steps_up_and_the_form_comes_back,
    sessions_are_revoked_from_the_security_page,
);

async fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn an_empty_instance_leads_to_setup_and_then_to_sign_in(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = server.client();

    let home = browser.get(server.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home).await, "/setup");
    let setup = browser
        .get(server.url("/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(setup.contains("Create the owner account"));

    // A bad password re-renders the form with the reason and the email kept.
    let retry = browser
        .post(server.url("/setup"))
        .form(&[("email", "owner@example.com"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = retry.text().await.unwrap();
    assert!(
        html.contains("Password must be at least 8 characters."),
        "{html}"
    );
    assert!(html.contains("value=\"owner@example.com\""));

    let created = browser
        .post(server.url("/setup"))
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&created).await, "/settings/security");
    let page = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("owner@example.com") && html.contains(">owner<"),
        "{html}"
    );

    // The instance has its owner: setup is over, for everyone.
    let stranger = server.client();
    let again = stranger
        .post(server.url("/setup"))
        .form(&[("email", "intruder@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);
    let setup = stranger.get(server.url("/setup")).send().await.unwrap();
    assert_eq!(location(&setup).await, "/login");
    let home = stranger.get(server.url("/")).send().await.unwrap();
    assert_eq!(location(&home).await, "/login");
    let guarded = stranger
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&guarded).await, "/login");

    // Sign out, then a wrong password, then the right one.
    let out = browser.post(server.url("/logout")).send().await.unwrap();
    assert_eq!(location(&out).await, "/login?signed_out=1");
    let guarded = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&guarded).await, "/login");
    let wrong = browser
        .post(server.url("/login"))
        .form(&[
            ("email", "owner@example.com"),
            ("password", "not it at all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Email or password is incorrect.")
    );
    let right = browser
        .post(server.url("/login"))
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&right).await, "/settings/security");
    let page = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let response = server
        .client()
        .post(server.url("/setup"))
        .header("origin", "http://evil.example")
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 0);
}

#[tokio::test]
async fn a_garbled_form_gets_a_readable_page() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let response = server
        .client()
        .post(server.url("/login"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Sign in</h1>"), "{html}");
}

async fn signed_in_browser(server: &TestServer) -> reqwest::Client {
    crate::create_owner(server, "owner@example.com").await;
    let browser = server.client();
    let response = browser
        .post(server.url("/login"))
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response).await, "/settings/security");
    browser
}

/// The value of the hidden input `name` on a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

async fn a_page_change_steps_up_and_the_form_comes_back(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = signed_in_browser(&server).await;
    let form = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
    ];

    // No window: the step-up screen, naming the change and carrying what
    // was typed, sealed (the passwords are not in the page).
    let screen = browser
        .post(server.url("/settings/security/password"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(screen.status(), StatusCode::FORBIDDEN);
    let html = screen.text().await.unwrap();
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
    let stash = hidden_field(&html, "stash").expect("a sealed form");

    // A wrong proof keeps the person on the screen, with the form.
    let mut confirm = vec![
        ("return_to", "/settings/security/password"),
        ("stash", stash.as_str()),
        ("reauth_password", "not my password"),
    ];
    let wrong = browser
        .post(server.url("/reauth"))
        .form(&confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("That password or code is incorrect."));
    assert_eq!(
        hidden_field(&html, "stash").as_deref(),
        Some(stash.as_str())
    );

    // The right one sends the same form back to its action (307 keeps the body).
    confirm[2].1 = PASSWORD;
    let back = browser
        .post(server.url("/reauth"))
        .form(&confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(location(&back).await, "/settings/security/password");
    let done = browser
        .post(server.url("/settings/security/password"))
        .form(&confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&done).await,
        "/settings/security?notice=password_changed"
    );
    let page = browser
        .get(server.url("/settings/security?notice=password_changed"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Your password was changed."));
    assert!(html.contains(r#"data-kind="password.changed""#));

    // Never sent anywhere but a known action: another target is ignored
    // (the proof leads to the Security page).
    let confirm = [
        ("return_to", "//evil.example/settings/"),
        ("reauth_password", "a brand new passphrase"),
    ];
    let elsewhere = browser
        .post(server.url("/reauth"))
        .form(&confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&elsewhere).await, "/settings/security");
}

async fn sessions_are_revoked_from_the_security_page(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let browser = signed_in_browser(&server).await;
    let other = crate::sign_in(&server, "owner@example.com").await;
    let third = crate::sign_in(&server, "owner@example.com").await;
    let (_, body) = crate::get_bearer(
        &server.client(),
        &server,
        "/api/v1/sessions/current",
        &other,
    )
    .await;
    let other_id = body["session"]["id"].as_str().unwrap().to_owned();

    let html = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches(r#"class="session""#).count(), 3, "{html}");
    assert!(html.contains(&format!("/settings/security/sessions/{other_id}/revoke")));

    let revoked = browser
        .post(server.url(&format!("/settings/security/sessions/{other_id}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&revoked).await,
        "/settings/security?notice=session_revoked"
    );
    assert_eq!(
        crate::get_bearer(&server.client(), &server, "/api/v1/me", &other)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let all = browser
        .post(server.url("/settings/security/sessions/revoke-others"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&all).await,
        "/settings/security?notice=others_revoked"
    );
    assert_eq!(
        crate::get_bearer(&server.client(), &server, "/api/v1/me", &third)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let page = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "this session stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mfa_page_takes_a_code_after_the_password() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    crate::create_owner(&server, "owner@example.com").await;
    let token = crate::sign_in(&server, "owner@example.com").await;
    let (_, secret) = crate::totp::enrol(&server, &token, None).await;

    let browser = server.client();
    let login = browser
        .post(server.url("/login"))
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&login).await, "/login/mfa");
    let page = browser
        .get(server.url("/login/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"autocomplete="one-time-code""#) && page.contains(r#"inputmode="numeric""#)
    );
    let wrong = browser
        .post(server.url("/login/mfa"))
        .form(&[("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let code = crate::totp::oathtool(&secret, &server);
    let right = browser
        .post(server.url("/login/mfa"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&right).await, "/settings/security");
    let page = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // Without a challenge the MFA page sends people back to sign in.
    let stranger = server
        .client()
        .get(server.url("/login/mfa"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&stranger).await, "/login");
}
