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
    b.wait_for_text("h1", "Create the owner account").await?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", PASSWORD).await?;
    b.click("#create-owner").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#account-email", "owner@example.com")
        .await?;
    b.wait_for_text("#account-role", "owner").await?;
    b.wait_for_text("#two-factor h2", "Two-factor authentication")
        .await?;

    b.click("#sign-out").await?;
    b.wait_for_path("/login").await?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", "not the password").await?;
    b.click("#sign-in").await?;
    b.wait_for_text("#error", "Email or password is incorrect.")
        .await?;

    b.fill("#password", PASSWORD).await?;
    b.click("#sign-in").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#account-email", "owner@example.com").await
}

/// A change that needs step-up: the step-up screen, back to the change with
/// what was typed, done; the activity list shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_steps_up_and_comes_back_to_finish() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    crate::create_owner(&server, "owner@example.com").await;
    let browser = Browser::start("step_up_password_change").await;
    let outcome = step_up_flow(&browser, &server).await;
    browser.finish(outcome).await;
}

async fn step_up_flow(b: &Browser, server: &TestServer) -> Step<()> {
    b.goto(&server.url("/login")).await?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", PASSWORD).await?;
    b.click("#sign-in").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#sessions .session .badge", "This device")
        .await?;

    b.fill("#current_password", PASSWORD).await?;
    b.fill("#new_password", "a brand new passphrase").await?;
    b.click("#change-password").await?;
    b.wait_for_text("h1", "Confirm it is you").await?;
    b.fill("#reauth_password", "not the password").await?;
    b.click("#confirm").await?;
    b.wait_for_text("#error", "That password is incorrect.")
        .await?;
    b.fill("#reauth_password", PASSWORD).await?;
    b.click("#confirm").await?;

    b.wait_for_path("/settings/security").await?;
    b.wait_for_text(
        "#notice",
        "Your password was changed. Your other sessions were signed out.",
    )
    .await?;
    b.wait_for_text(
        "#activity li[data-kind='password.changed'] .what",
        "Password changed",
    )
    .await?;
    b.wait_for_text(
        "#activity li[data-kind='reauth.succeeded'] .what",
        "Identity confirmed for a security change",
    )
    .await?;

    // The new password is the one that works now.
    b.click("#sign-out").await?;
    b.wait_for_path("/login").await?;
    b.fill("#email", "owner@example.com").await?;
    b.fill("#password", "a brand new passphrase").await?;
    b.click("#sign-in").await?;
    b.wait_for_path("/settings/security").await
}
