//! The pages against a hostile link or URL, on both backends: the step-up
//! screen replays only an action the person posted (security review finding
//! 13), no page text comes from the query (finding 21), and the MFA
//! challenge cookie reaches only the paths that read it (S5).

use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use twofold_testkit::visitor::{Page, Visitor};
use twofold_testkit::{Actor, Backend, TestDb, TestServer, on_both_backends};

use crate::totp::{challenge, oathtool};
use crate::{PASSWORD, create_owner, post, read};

on_both_backends!(
    a_step_up_opened_by_a_link_changes_nothing,
    a_step_up_replays_only_its_own_sealed_action,
    the_security_page_shows_no_text_from_the_query,
    a_recovery_code_sign_in_says_how_many_are_left,
    the_challenge_cookie_is_scoped_to_the_mfa_paths,
);

const EMAIL: &str = "owner@example.com";
const RECOVERY_CODES: &str = "/settings/security/recovery-codes";

/// An owner with an authenticator app: (TOTP secret, the recovery sheet).
async fn owner_with_sheet(server: &TestServer) -> (String, Vec<String>) {
    create_owner(server, EMAIL).await;
    let owner = Actor::sign_in(server, EMAIL, PASSWORD).await;
    owner.step_up().await;
    let pending = owner
        .call(Method::POST, "/api/v1/me/mfa/totp", None)
        .await
        .body;
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let verify = format!(
        "/api/v1/me/mfa/totp/{}/verify",
        pending["id"].as_str().unwrap()
    );
    let code = oathtool(&secret, server);
    let body = owner
        .post(&verify, json!({ "code": code }))
        .await
        .expect(StatusCode::OK);
    let codes = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
    (secret, codes)
}

/// A browser signed in on the pages with the password and the next code.
async fn browser_with_totp<'a>(server: &'a TestServer, secret: &str) -> Visitor<'a> {
    server.advance(Duration::from_secs(30));
    let browser = Visitor::new(server);
    let login = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(login.location(), "/login/mfa");
    let code = oathtool(secret, server);
    let done = browser
        .submit("/login/mfa", &[("code", code.as_str())])
        .await;
    assert_eq!(done.location(), "/settings/security");
    browser
}

/// A recovery-code sign-in through the API: its status.
async fn recover(server: &TestServer, code: &str) -> StatusCode {
    let challenge_id = challenge(server, EMAIL).await;
    let sign_in = json!({"challenge_id": challenge_id, "method": "recovery_code", "code": code});
    post(&server.client(), server, "/api/v1/sessions/mfa", sign_in)
        .await
        .0
}

/// The sealed form of the step-up screen an action showed.
async fn stash_of(browser: &Visitor<'_>, action: &str) -> String {
    let screen = browser.submit(action, &[("from", "the page")]).await;
    assert_eq!(screen.status, StatusCode::FORBIDDEN);
    screen.hidden_field("stash").expect("a sealed form")
}

/// The step-up form with the right password, a target and a sealed form.
async fn replay(browser: &Visitor<'_>, return_to: &str, stash: &str) -> Page {
    browser
        .confirm(&[
            ("return_to", return_to),
            ("stash", stash),
            ("reauth_password", PASSWORD),
        ])
        .await
}

/// The answer that checked no proof and changed nothing.
#[track_caller]
fn assert_refused(page: &Page) {
    let html = page.expect(StatusCode::BAD_REQUEST);
    assert!(html.contains("Nothing was changed"), "{html}");
}

/// Finding 13: a link to the step-up screen with an action of the
/// attacker's choosing; the victim types the password.
async fn a_step_up_opened_by_a_link_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (secret, codes) = owner_with_sheet(&server).await;
    let victim = browser_with_totp(&server, &secret).await;

    let screen = victim
        .get(&format!("/reauth?return_to={RECOVERY_CODES}"))
        .await;
    let html = screen.expect(StatusCode::OK);
    assert!(
        !html.contains("return_to") && !html.contains(r#"name="stash""#),
        "{html}"
    );
    assert!(html.contains("You will go back to the Security page afterwards."));

    // Even with the link's target posted along, the proof leads to the
    // Security page, by GET: the sheet is not regenerated.
    let answer = victim
        .confirm(&[("return_to", RECOVERY_CODES), ("reauth_password", PASSWORD)])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), "/settings/security");
    assert_eq!(recover(&server, &codes[0]).await, StatusCode::CREATED);
}

/// Finding 13: only the sealed form of the action that showed the screen,
/// for this session, for that action and in time, is posted again; dot
/// segments and encoded targets are refused before the proof.
async fn a_step_up_replays_only_its_own_sealed_action(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (secret, codes) = owner_with_sheet(&server).await;
    let person = browser_with_totp(&server, &secret).await;
    let stash = stash_of(&person, RECOVERY_CODES).await;

    for target in [
        "/settings/security/../security/recovery-codes",
        "/settings/security/./recovery-codes",
        "/settings/security/%2e%2e/security/recovery-codes",
        "/settings/security%2Frecovery-codes",
        "/settings/security/recovery-codes%2F",
        "/settings/security/recovery-codes/",
        "/settings/security/../../logout",
        "/settings/security/mfa/disable",
        "",
    ] {
        assert_refused(&replay(&person, target, &stash).await);
    }
    // A stash altered, or of another session of the same account.
    let other = browser_with_totp(&server, &secret).await;
    for (browser, stash) in [(&person, "AAAA"), (&other, stash.as_str())] {
        assert_refused(&replay(browser, RECOVERY_CODES, stash).await);
    }
    // The action posted with a stash that does not open changes nothing.
    assert_refused(
        &other
            .submit(RECOVERY_CODES, &[("stash", stash.as_str())])
            .await,
    );
    // Too late: the stash lives ten minutes.
    server.advance(Duration::from_secs(10 * 60));
    assert_refused(&replay(&person, RECOVERY_CODES, &stash).await);
    // None of these checked the proof or changed anything.
    assert_eq!(recover(&server, &codes[0]).await, StatusCode::CREATED);

    // The person's own click: the screen names the change, the proof
    // posts the form again, and the change goes through; the stash needs
    // no server state, so another instance takes the proof and the replay.
    let screen = person.submit(RECOVERY_CODES, &[("from", "the page")]).await;
    assert!(
        screen.html.contains(
            "Confirm it is you to: <strong>generate new recovery codes (your old codes stop working)</strong>."
        ),
        "{}",
        screen.html
    );
    let stash = screen.hidden_field("stash").unwrap();
    let sibling = TestServer::start_sibling(&db, &server).await;
    let done = replay(&person.at(&sibling), RECOVERY_CODES, &stash).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.html.contains("New recovery codes generated."));
    assert_eq!(recover(&server, &codes[1]).await, StatusCode::UNAUTHORIZED);
}

/// Finding 21: the Security page shows only its own sentences.
async fn the_security_page_shows_no_text_from_the_query(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, EMAIL).await;
    let browser = Visitor::new(&server);
    let login = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(login.location(), "/settings/security");

    for query in [
        "recovery_left=Generate%20a%20new%20sheet",
        "recovery_left=0",
        "recovery_left=2",
        "notice=Generate%20a%20new%20sheet",
        "notice=%3Cb%3Ecall%20us%3C%2Fb%3E",
        "notice=password_changed%20now",
    ] {
        let page = browser.get(&format!("/settings/security?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        let html = page.html;
        assert!(!html.contains(r#"id="notice""#), "{query}: {html}");
        for text in ["Generate a new sheet", "call us", "recovery code"] {
            assert!(!html.contains(text), "{query}: {text}");
        }
    }
    // A known key still shows its fixed sentence.
    let html = browser
        .get("/settings/security?notice=session_revoked")
        .await
        .html;
    assert!(html.contains(r#"id="notice">That session was signed out.<"#));
}

/// Finding 21: the "codes left" notice comes from the session (signed in
/// with a recovery code) and the live count, not from the URL.
async fn a_recovery_code_sign_in_says_how_many_are_left(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (secret, codes) = owner_with_sheet(&server).await;
    for code in &codes[..7] {
        assert_eq!(recover(&server, code).await, StatusCode::CREATED);
    }

    let browser = Visitor::new(&server);
    let login = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(login.location(), "/login/mfa");
    let done = browser
        .submit(
            "/login/mfa",
            &[("method", "recovery_code"), ("code", codes[7].as_str())],
        )
        .await;
    assert_eq!(done.location(), "/settings/security");
    let html = browser.follow(&done).await.html;
    assert!(
        html.contains(
            r#"id="notice">You signed in with a recovery code: 2 left. Generate a new sheet soon.<"#
        ),
        "{html}"
    );

    // A session signed in with the app sees the count, not the notice.
    let other = browser_with_totp(&server, &secret).await;
    let html = other.get("/settings/security").await.html;
    assert!(!html.contains(r#"id="notice""#), "{html}");
    assert!(html.contains(r#"<span id="recovery-remaining">2</span>"#));
}

/// S5: the challenge cookie, one copy per path that reads it, never `/`.
fn assert_scoped(cookies: &[String], name: &str, removal: bool) {
    let ours: Vec<&String> = cookies
        .iter()
        .filter(|c| c.starts_with(&format!("{name}=")))
        .collect();
    assert_eq!(ours.len(), 2, "{cookies:?}");
    for (cookie, path) in ours.iter().zip(["/login/mfa", "/api/v1/sessions/mfa"]) {
        let attributes: Vec<&str> = cookie.split("; ").collect();
        assert!(
            attributes.contains(&format!("Path={path}").as_str()),
            "{cookie}"
        );
        assert!(attributes.contains(&"HttpOnly"), "{cookie}");
        assert!(attributes.contains(&"SameSite=Lax"), "{cookie}");
        let lifetime = if removal { "Max-Age=0" } else { "Max-Age=300" };
        assert!(attributes.contains(&lifetime), "{cookie}");
    }
}

async fn the_challenge_cookie_is_scoped_to_the_mfa_paths(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (secret, _) = owner_with_sheet(&server).await;
    server.advance(Duration::from_secs(30));

    // The page sign-in: both copies, and both paths read them.
    let browser = Visitor::new(&server);
    let login = browser.sign_in(EMAIL, PASSWORD).await;
    assert_scoped(&login.set_cookies(), "twofold_mfa", false);
    let page = browser.get("/login/mfa").await;
    assert_eq!(page.status, StatusCode::OK);
    let api = |client: Client| {
        let url = server.url("/api/v1/sessions/mfa/webauthn/options");
        async move { read(client.post(url).json(&json!({})).send().await.unwrap()).await }
    };
    // The cookie reached the API (the account has no passkey); a browser
    // without it has no challenge.
    let (status, body) = api(browser.client.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = api(server.client()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Completing it removes both copies.
    let code = oathtool(&secret, &server);
    let done = browser
        .submit("/login/mfa", &[("code", code.as_str())])
        .await;
    assert_eq!(done.location(), "/settings/security");
    assert_scoped(&done.set_cookies(), "twofold_mfa", true);

    // The API sign-in of a browser sets the same pair; on https the name
    // has the `__Secure-` prefix (`__Host-` requires `Path=/`).
    let https = TestServer::start_configured(&db, Default::default(), |web| web.https = true).await;
    let api_client = Visitor::new(&https);
    let sign_in = api_client
        .post("/api/v1/sessions")
        .json(&json!({"email": EMAIL, "password": PASSWORD}));
    let answer = api_client.send(sign_in).await;
    assert_eq!(answer.status, StatusCode::OK);
    let cookies = answer.set_cookies();
    assert_scoped(&cookies, "__Secure-twofold_mfa", false);
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}
