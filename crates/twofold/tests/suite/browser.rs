//! The pages in real Chromium: setup, sign out, sign in, Settings → Security.

use twofold_testkit::browser::{self, Browser, Step};
use twofold_testkit::{Backend, TestDb, TestServer};

use crate::PASSWORD;

const OWNER: &str = "owner@example.com";

/// A fresh instance whose owner exists (made through the API).
async fn instance_with_owner(db: &TestDb) -> TestServer {
    let server = TestServer::start(db).await;
    crate::create_owner(&server, OWNER).await;
    server
}

/// Runs `flow` in a fresh Chromium against a fresh instance whose owner
/// exists; `name` names the screenshot of a failure.
async fn with_owner_in_chromium(
    name: &str,
    flow: impl AsyncFnOnce(&Browser, &TestServer) -> Step<()>,
) {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = instance_with_owner(&db).await;
    Browser::run(name, async |b| flow(b, &server).await).await;
}

/// Fills the owner's sign-in form on the page shown and sends it.
async fn enter_password(b: &Browser, password: &str) -> Step<()> {
    b.submit(&[("#email", OWNER), ("#password", password)], "#sign-in")
        .await
}

/// Signs in with the password from the sign-in page of a signed-out visit.
async fn sign_in_with_password(b: &Browser, server: &TestServer) -> Step<()> {
    b.goto(&server.url("/login?signed_out=1")).await?;
    enter_password(b, PASSWORD).await
}

/// Signs out from the Security page: back on the sign-in page.
async fn sign_out(b: &Browser) -> Step<()> {
    b.click("#sign-out").await?;
    b.wait_for_path("/login").await
}

/// Answers the step-up screen with a password.
async fn prove(b: &Browser, password: &str) -> Step<()> {
    b.submit(&[("#reauth_password", password)], "#confirm")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_up_the_instance_signs_out_and_signs_back_in() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    Browser::run("setup_sign_out_sign_in", async |b| run(b, &server).await).await;
}

async fn run(b: &Browser, server: &TestServer) -> Step<()> {
    b.goto(&server.url("/")).await?;
    b.wait_for_path("/setup").await?;
    b.wait_for_text("h1", "Create the owner account").await?;
    b.submit(
        &[("#email", OWNER), ("#password", PASSWORD)],
        "#create-owner",
    )
    .await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#account-email", OWNER).await?;
    b.wait_for_text("#account-role", "owner").await?;
    b.wait_for_text("#two-factor h2", "Two-factor authentication")
        .await?;

    sign_out(b).await?;
    enter_password(b, "not the password").await?;
    b.wait_for_text("#error", "Email or password is incorrect.")
        .await?;

    b.submit(&[("#password", PASSWORD)], "#sign-in").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#account-email", OWNER).await
}

/// A change that needs step-up: the step-up screen, back to the change with
/// what was typed, done; the activity list shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_steps_up_and_comes_back_to_finish() {
    with_owner_in_chromium("step_up_password_change", step_up_flow).await;
}

async fn step_up_flow(b: &Browser, server: &TestServer) -> Step<()> {
    b.goto(&server.url("/login")).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#sessions .session .badge", "This device")
        .await?;

    b.fill("#current_password", PASSWORD).await?;
    b.fill("#new_password", "a brand new passphrase").await?;
    b.click("#change-password").await?;
    b.wait_for_text("h1", "Confirm it is you").await?;
    prove(b, "not the password").await?;
    b.wait_for_text("#error", "That password or code is incorrect.")
        .await?;
    prove(b, PASSWORD).await?;

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
    sign_out(b).await?;
    enter_password(b, "a brand new passphrase").await?;
    b.wait_for_path("/settings/security").await
}

/// An authenticator app enrolled on the page, read by real clients: the QR
/// code by zbarimg, the code by oathtool; then a sign-in with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticator_app_is_enrolled_on_the_page_and_signs_in() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = instance_with_owner(&db).await;
    Browser::run("totp_enrol_and_sign_in", async |b| {
        totp_flow(b, &server, &db).await
    })
    .await;
}

async fn totp_flow(b: &Browser, server: &TestServer, db: &TestDb) -> Step<()> {
    b.goto(&server.url("/login")).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#mfa-status", "Off").await?;

    b.click("#add-totp").await?;
    b.wait_for_text("h1", "Confirm it is you").await?;
    prove(b, PASSWORD).await?;
    b.wait_for_text("h1", "Add an authenticator app").await?;

    // The QR code as served, read by zbarimg.
    let svg = b
        .find("#totp-qr svg")
        .await?
        .html(false)
        .await
        .map_err(|e| format!("QR svg: {e}"))?;
    let svg_path = db.path("qr.svg");
    let png_path = db.path("qr.png");
    std::fs::write(&svg_path, svg).map_err(|e| e.to_string())?;
    run_client(
        "rsvg-convert",
        &["-b", "white", "-o", path(&png_path), path(&svg_path)],
    )?;
    let uri = run_client("zbarimg", &["--nodbus", "--raw", "-q", path(&png_path)])?;
    let prefix = "otpauth://totp/twofold:owner%40example.com?secret=";
    let secret = uri
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix("&issuer=twofold"))
        .ok_or_else(|| format!("unexpected URI from the QR code: {uri}"))?
        .to_owned();
    let shown = b.text("#totp-secret").await?.replace(' ', "");
    if shown != secret {
        return Err(format!(
            "the typed key {shown} differs from the QR code's {secret}"
        ));
    }

    let code = crate::totp::oathtool(&secret, server);
    b.submit(
        &[("#code", &code), ("#name", "Chromium phone")],
        "#confirm-totp",
    )
    .await?;
    // The first factor brings the recovery sheet, which must be saved to close.
    b.wait_for_text(
        "#notice",
        "Authenticator app added: two-factor authentication is on. Save your recovery codes now.",
    )
    .await?;
    b.wait_for_text("h1", "Your recovery codes").await?;
    b.click("#copy-codes").await?;
    b.click("#done").await?;
    b.wait_for_text("#mfa-status", "On").await?;
    // One strong factor: the page suggests a second.
    b.find("#second-factor-nudge").await?;
    b.wait_for_text("#totp-list .totp .name", "Chromium phone")
        .await?;

    // Sign out, sign in with the password and the next code.
    sign_out(b).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/login/mfa").await?;
    b.submit(&[("#code", "000000")], "#verify").await?;
    b.wait_for_text(
        "#error",
        "That code is incorrect. Enter the newest code from your app.",
    )
    .await?;
    server.advance(std::time::Duration::from_secs(30));
    let code = crate::totp::oathtool(&secret, server);
    b.submit(&[("#code", &code)], "#verify").await?;
    b.wait_for_path("/settings/security").await?;
    let expected = server.app.now().to_human();
    b.wait_for_text("#totp-list .totp .last-used", &expected)
        .await
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Runs a real client program; its trimmed standard output.
fn run_client(program: &str, args: &[&str]) -> Step<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e} (./scripts/test installs it)"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A new recovery sheet on the page: downloaded as a file, then one code,
/// typed in upper case with a space, signs in and the counter drops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_sheet_is_downloaded_and_a_code_signs_in() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = instance_with_owner(&db).await;
    let token = crate::sign_in(&server, OWNER).await;
    let (_, secret) = crate::totp::enrol(&server, &token, None).await;
    Browser::run("recovery_sheet", async |b| {
        recovery_flow(b, &server, &secret).await
    })
    .await;
}

async fn sign_in_with_totp(b: &Browser, server: &TestServer, secret: &str) -> Step<()> {
    b.goto(&server.url("/login")).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/login/mfa").await?;
    let code = crate::totp::oathtool(secret, server);
    b.submit(&[("#code", &code)], "#verify").await?;
    b.wait_for_path("/settings/security").await
}

async fn recovery_flow(b: &Browser, server: &TestServer, secret: &str) -> Step<()> {
    sign_in_with_totp(b, server, secret).await?;
    b.wait_for_text("#recovery-remaining", "10").await?;
    b.click("#regenerate-codes").await?;
    b.wait_for_text("h1", "Confirm it is you").await?;
    prove(b, PASSWORD).await?;
    b.wait_for_text("h1", "Your recovery codes").await?;

    let mut codes = Vec::new();
    for item in b
        .client
        .find_all(fantoccini::Locator::Css("#recovery-codes li code"))
        .await
        .map_err(|e| e.to_string())?
    {
        codes.push(item.text().await.map_err(|e| e.to_string())?);
    }
    if codes.len() != 10 {
        return Err(format!("expected 10 codes, saw {codes:?}"));
    }
    b.click("#download-codes").await?;
    let file = b.downloaded("twofold-recovery-codes.txt").await?;
    for expected in [
        "twofold recovery codes",
        "Account: owner@example.com",
        "Generated: ",
    ] {
        if !file.contains(expected) {
            return Err(format!("the file lacks {expected:?}:\n{file}"));
        }
    }
    if !codes.iter().all(|c| file.contains(c.as_str())) {
        return Err(format!("the file lacks codes:\n{file}"));
    }
    // Downloading ticked "I have saved these codes", so Done closes the sheet.
    b.click("#done").await?;
    b.wait_for_path("/settings/security").await?;

    sign_out(b).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/login/mfa").await?;
    b.click("#use-recovery").await?;
    let typed = codes[4].to_uppercase().replace('-', " ");
    b.submit(&[("#recovery_code", &typed)], "#verify-recovery")
        .await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#recovery-remaining", "9").await
}

/// (1) A platform passkey: enrolled on the Security page (step-up first),
/// the recovery sheet shown, then "Sign in with a passkey", autofill, and
/// rename and removal on the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_passkey_is_enrolled_and_signs_in_alone() {
    with_owner_in_chromium("platform_passkey", platform_passkey_flow).await;
}

/// Adds a virtual authenticator and signs in with the password, landing on
/// the Security page; the authenticator's id.
async fn signed_in_holding(
    b: &Browser,
    server: &TestServer,
    authenticator: serde_json::Value,
) -> Step<String> {
    let id = b.add_authenticator(authenticator).await?;
    sign_in_with_password(b, server).await?;
    b.wait_for_path("/settings/security").await?;
    Ok(id)
}

const FIRST_PASSKEY: &str =
    "Passkey added: two-factor authentication is on. Save your recovery codes now.";

/// "Add passkey" with the step-up window closed: the step-up screen names
/// the change; after the password the registration goes on by itself (no
/// second click) and the first passkey brings the recovery sheet.
async fn add_first_passkey_after_step_up(b: &Browser) -> Step<()> {
    b.wait_for_text("h1", "Confirm it is you").await?;
    b.wait_for_text("#pending-change strong", "add a passkey")
        .await?;
    prove(b, PASSWORD).await?;
    b.wait_for_text("#notice", FIRST_PASSKEY).await?;
    b.click("#copy-codes").await?;
    b.click("#done").await?;
    b.wait_for_path("/settings/security").await
}

async fn platform_passkey_flow(b: &Browser, server: &TestServer) -> Step<()> {
    let authenticator = signed_in_holding(b, server, browser::platform_authenticator()).await?;

    // Adding a passkey is a security change: the step-up screen first.
    b.submit(&[("#passkey-name", "Laptop")], "#add-passkey")
        .await?;
    add_first_passkey_after_step_up(b).await?;
    b.wait_for_text("#mfa-status", "On").await?;
    b.wait_for_text("#passkey-list .passkey .name", "Laptop")
        .await?;
    b.wait_for_text("#passkey-list .passkey .last-used", "never")
        .await?;
    let held = b.authenticator_credentials(&authenticator).await?;
    if held.len() != 1 || held[0]["isResidentCredential"] != true {
        return Err(format!(
            "expected one discoverable credential, the authenticator holds {held:?}"
        ));
    }

    // Sign out, then "Sign in with a passkey": no password.
    server.advance(std::time::Duration::from_secs(60));
    sign_out(b).await?;
    b.click("#passkey-sign-in").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text(
        "#passkey-list .passkey .last-used",
        &server.app.now().to_human(),
    )
    .await?;

    // Autofill: a plain visit to the sign-in page offers the passkey, and
    // headless Chromium picks it at once.
    sign_out(b).await?;
    b.goto(&server.url("/login")).await?;
    b.wait_for_path("/settings/security").await?;

    // Rename, then remove (the last factor: it asks for confirmation).
    b.click("#passkey-list .passkey summary").await?;
    b.submit(
        &[("#passkey-list .passkey input[name=name]", "Work laptop")],
        "#passkey-list .passkey .rename",
    )
    .await?;
    // This time the proof is the passkey itself, and the rename goes on.
    b.wait_for_text("h1", "Confirm it is you").await?;
    b.click("#reauth-passkey").await?;
    b.wait_for_text("#notice", "Passkey renamed.").await?;
    b.wait_for_text("#passkey-list .passkey .name", "Work laptop")
        .await?;
    b.click("#passkey-list .passkey summary").await?;
    b.click("#passkey-list .passkey input[name=confirm_last]")
        .await?;
    b.click("#passkey-list .passkey .remove").await?;
    b.wait_for_text("#notice", "Passkey removed.").await?;
    b.wait_for_text("#mfa-status", "Off").await
}

/// (2) A roaming security key without discoverable credentials, used as the
/// second factor after the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_key_is_the_second_factor_after_a_password() {
    with_owner_in_chromium("security_key", security_key_flow).await;
}

async fn security_key_flow(b: &Browser, server: &TestServer) -> Step<()> {
    let key = signed_in_holding(b, server, browser::security_key()).await?;
    b.submit(&[("#passkey-name", "YubiKey")], "#add-passkey")
        .await?;
    add_first_passkey_after_step_up(b).await?;
    let held = b.authenticator_credentials(&key).await?;
    if held.len() != 1 || held[0]["isResidentCredential"] != false {
        return Err(format!(
            "expected one non-discoverable credential, the key holds {held:?}"
        ));
    }

    sign_out(b).await?;
    sign_in_with_password(b, server).await?;
    b.wait_for_path("/login/mfa").await?;
    b.click("#use-passkey").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#passkey-list .passkey .name", "YubiKey")
        .await?;
    b.wait_for_text(
        "#passkey-list .passkey .last-used",
        &server.app.now().to_human(),
    )
    .await
}

/// Passkey enrolment resumes after its step-up: Enter in the name field
/// adds, the step-up screen says what for, and after the password the
/// registration continues with the typed name, no second click.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_with_enter_resumes_after_the_step_up_with_its_name() {
    with_owner_in_chromium("passkey_resumes_after_step_up", passkey_resume_flow).await;
}

async fn passkey_resume_flow(b: &Browser, server: &TestServer) -> Step<()> {
    let authenticator = signed_in_holding(b, server, browser::platform_authenticator()).await?;

    b.fill("#passkey-name", "Kitchen tablet").await?;
    b.press_enter("#passkey-name").await?;
    // Cancel on the step-up screen: back, the name kept, nothing started.
    b.wait_for_text("#pending-change strong", "add a passkey")
        .await?;
    b.click("a.cancel").await?;
    b.wait_for_path("/settings/security").await?;
    let kept = b
        .find("#passkey-name")
        .await?
        .prop("value")
        .await
        .map_err(|e| format!("name field: {e}"))?;
    if kept.as_deref() != Some("Kitchen tablet") {
        return Err(format!("the typed name was not kept: {kept:?}"));
    }
    b.wait_for_text("h1", "Security").await?;

    b.press_enter("#passkey-name").await?;
    add_first_passkey_after_step_up(b).await?;
    b.wait_for_text("#passkey-list .passkey .name", "Kitchen tablet")
        .await?;
    let held = b.authenticator_credentials(&authenticator).await?;
    if held.len() != 1 {
        return Err(format!(
            "expected one credential, the authenticator holds {held:?}"
        ));
    }
    Ok(())
}

/// Administration → Users: the owner finds a locked-out member, turns off
/// their two-factor authentication after the step-up, and the member's
/// password alone signs them in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_disables_a_members_mfa_from_the_users_page() {
    const MEMBER: &str = "zoe@example.com";
    let (_db, server) = crate::open_instance(Backend::Sqlite).await;
    let member = twofold_testkit::Actor::member(&server, MEMBER).await;
    member.totp().enrol("Lost phone").await;

    Browser::run("admin_disables_mfa", async |b| {
        b.goto(&server.url("/login")).await?;
        enter_password(b, PASSWORD).await?;
        b.wait_for_path("/settings/security").await?;
        b.click("#admin-users").await?;
        b.wait_for_path("/admin/users").await?;
        // Before the search the owner's row comes first; after it, only hers.
        b.wait_for_text("#user-list .user .email a", OWNER).await?;
        b.fill("#q", "zoe").await?;
        b.click("#search").await?;
        b.wait_for_text("#user-list .user .email a", MEMBER).await?;
        b.click("#user-list .user .email a").await?;
        b.wait_for_text("#account-email", MEMBER).await?;
        b.wait_for_text("#factor-list .factor .name", "Lost phone")
            .await?;

        b.click("#confirm-disable").await?;
        b.click("#disable-mfa-button").await?;
        b.wait_for_text(
            "#pending-change strong",
            "turn off two-factor authentication for another user",
        )
        .await?;
        prove(b, PASSWORD).await?;
        b.wait_for_text(
            "#notice",
            "Two-factor authentication turned off for zoe@example.com: removed 1 authenticator app, 0 passkeys, 10 recovery codes; 1 session ended.",
        )
        .await?;
        b.wait_for_text("#mfa-status", "Off").await?;

        // Her password alone signs her in: a session, not `mfa_required`.
        let reply = twofold_testkit::Guest::new(&server)
            .sign_in(MEMBER, PASSWORD)
            .await;
        if reply.status != reqwest::StatusCode::CREATED || !reply.body["token"].is_string() {
            return Err(format!(
                "the member's sign-in: {} {}",
                reply.status, reply.body
            ));
        }
        Ok(())
    })
    .await;
}

/// A personal access token made on Settings → Security after the step-up,
/// copied with its Copy button, used on the API, then revoked on the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_made_copied_used_and_revoked_on_the_security_page() {
    with_owner_in_chromium("token_page", token_flow).await;
}

async fn token_flow(b: &Browser, server: &TestServer) -> Step<()> {
    let api_me = async |token: &str| -> Step<reqwest::StatusCode> {
        let reply = reqwest::Client::new()
            .get(server.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("GET /api/v1/me: {e}"))?;
        Ok(reply.status())
    };
    b.goto(&server.url("/login")).await?;
    enter_password(b, PASSWORD).await?;
    b.wait_for_path("/settings/security").await?;
    b.find("#no-tokens").await?;
    b.fill("#token-name", "Chromium script").await?;
    b.click("#scope-write").await?;
    b.click("#create-token").await?;
    b.wait_for_text("#pending-change strong", "create a personal access token")
        .await?;
    prove(b, PASSWORD).await?;

    // Shown once, in a readonly field; Copy puts it on the clipboard.
    b.wait_for_text("h1", "Your new token").await?;
    let shown = b.value("#token-value").await?;
    if !shown.starts_with("tfp_") || shown.len() != 53 {
        return Err(format!("not a token: {shown:?}"));
    }
    b.grant("clipboard-read").await?;
    b.click("#copy-token").await?;
    b.wait_for_text("#copy-token", "Copied").await?;
    let copied = b.clipboard().await?;
    if copied != shown {
        return Err(format!("the clipboard holds {copied:?}, not the token"));
    }

    // The token works on the API.
    let status = api_me(&copied).await?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("GET /api/v1/me with the token: {status}"));
    }

    // Back on the page: listed by its start; revoked, it stops at once.
    b.click("#back").await?;
    b.wait_for_path("/settings/security").await?;
    b.wait_for_text("#token-list .token .name", "Chromium script")
        .await?;
    b.wait_for_text("#token-list .token .scopes", "read, write")
        .await?;
    b.click("#token-list .token .revoke-token").await?;
    b.wait_for_text("#notice", "Token revoked. It stopped working at once.")
        .await?;
    b.find("#no-tokens").await?;
    let status = api_me(&copied).await?;
    if status != reqwest::StatusCode::UNAUTHORIZED {
        return Err(format!("GET /api/v1/me with the revoked token: {status}"));
    }
    Ok(())
}

/// Administration → Users → Create user: the owner creates a member, the
/// link shown opens after signing out, the new user sets a password there
/// and signs in with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_a_user_whose_link_sets_the_password() {
    const SAM: &str = "sam@example.com";
    const SAMS_PASSWORD: &str = "a long and fine passphrase";
    let (_db, server) = crate::open_instance(Backend::Sqlite).await;

    Browser::run("admin_creates_user", async |b| {
        b.goto(&server.url("/login")).await?;
        enter_password(b, PASSWORD).await?;
        b.wait_for_path("/settings/security").await?;
        b.click("#admin-users").await?;
        b.wait_for_path("/admin/users").await?;
        b.submit(&[("#new-email", SAM)], "#create-user-button")
            .await?;
        b.wait_for_text("#pending-change strong", "create a user")
            .await?;
        prove(b, PASSWORD).await?;
        b.wait_for_text("h1", "User created").await?;
        let link = b.text("#set-password-link").await?;
        if !link.starts_with(&server.url("/set-password?token=")) {
            return Err(format!("the link shown: {link}"));
        }
        // Copy puts the link on the clipboard.
        b.grant("clipboard-read").await?;
        b.click("#copy-link").await?;
        b.wait_for_text("#copy-link", "Copied").await?;
        let copied = b.clipboard().await?;
        if copied != link {
            return Err(format!("the clipboard holds {copied:?}, not the link"));
        }

        sign_out(b).await?;
        b.goto(&copied).await?;
        b.wait_for_text("#account-email", SAM).await?;
        b.submit(&[("#password", SAMS_PASSWORD)], "#set-password")
            .await?;
        b.wait_for_text(
            "#done",
            "Your new password is set, and every earlier sign-in of this account has ended.",
        )
        .await?;
        b.click("#sign-in").await?;
        b.wait_for_path("/login").await?;
        b.submit(&[("#email", SAM), ("#password", SAMS_PASSWORD)], "#sign-in")
            .await?;
        b.wait_for_path("/settings/security").await?;
        b.wait_for_text("#account-email", SAM).await
    })
    .await;
}
