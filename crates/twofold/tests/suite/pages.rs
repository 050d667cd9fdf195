//! The pages over plain HTTP (forms, redirects, cookies) on both backends;
//! `browser.rs` drives the same pages in Chromium.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::PASSWORD;

on_both_backends!(an_empty_instance_leads_to_setup_and_then_to_sign_in);

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
    assert_eq!(location(&out).await, "/login");
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
