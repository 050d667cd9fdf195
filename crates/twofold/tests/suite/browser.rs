//! The pages in real Chromium: setup, sign out, sign in, Settings → Security.

use twofold_testkit::browser::{Browser, Step};
use twofold_testkit::{Backend, TestDb, TestServer};

use crate::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_up_the_instance_signs_out_and_signs_back_in() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let browser = Browser::start("setup_sign_out_sign_in").await;
    let outcome = run(&browser, &server).await;
    browser.finish(outcome).await;
}

async fn run(b: &Browser, server: &TestServer) -> Step<()> {
    b.goto(&server.url("/")).await?;
    b.wait_for_path("/setup").await?;
    expect(b.text("h1").await?, "Create the owner account")?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", PASSWORD).await?;
    b.click("#create-owner").await?;
    b.wait_for_path("/settings/security").await?;
    expect(b.text("#account-email").await?, "owner@example.com")?;
    expect(b.text("#account-role").await?, "owner")?;
    expect(b.text("#two-factor h2").await?, "Two-factor authentication")?;

    b.click("#sign-out").await?;
    b.wait_for_path("/login").await?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", "not the password").await?;
    b.click("#sign-in").await?;
    expect(b.text("#error").await?, "Email or password is incorrect.")?;

    b.fill("#password", PASSWORD).await?;
    b.click("#sign-in").await?;
    b.wait_for_path("/settings/security").await?;
    expect(b.text("#account-email").await?, "owner@example.com")
}

fn expect(actual: String, expected: &str) -> Step<()> {
    if actual.trim() == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, saw {actual:?}"))
    }
}
