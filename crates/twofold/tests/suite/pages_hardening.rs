//! The pages against a hostile link or URL, on both backends: the step-up
//! screen replays only an action the person posted (security review finding
//! 13), no page text comes from the query (finding 21), and the MFA
//! challenge cookie reaches only the paths that read it (S5).

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::json;
use std::time::Duration;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::pages::hidden_field;
use crate::totp::{call, challenge, oathtool};
use crate::{PASSWORD, create_owner, read, sign_in};

on_both_backends!(
    a_step_up_opened_by_a_link_changes_nothing,
    a_step_up_replays_only_its_own_sealed_action,
    the_security_page_shows_no_text_from_the_query,
    a_recovery_code_sign_in_says_how_many_are_left,
    the_challenge_cookie_is_scoped_to_the_mfa_paths,
);

const EMAIL: &str = "owner@example.com";
const RECOVERY_CODES: &str = "/settings/security/recovery-codes";

fn location(response: &Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// An owner with an authenticator app: (TOTP secret, the recovery sheet).
async fn owner_with_sheet(server: &TestServer) -> (String, Vec<String>) {
    create_owner(server, EMAIL).await;
    let token = sign_in(server, EMAIL).await;
    let (status, _) = call(
        server,
        Method::POST,
        "/api/v1/sessions/current/reauth",
        &token,
        Some(json!({"method": "password", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, pending) = call(server, Method::POST, "/api/v1/me/mfa/totp", &token, None).await;
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let verify = format!(
        "/api/v1/me/mfa/totp/{}/verify",
        pending["id"].as_str().unwrap()
    );
    let code = oathtool(&secret, server);
    let (status, body) = call(
        server,
        Method::POST,
        &verify,
        &token,
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// A browser signed in on the pages with the password and the next code.
async fn browser_with_totp(server: &TestServer, secret: &str) -> Client {
    server.advance(Duration::from_secs(30));
    let browser = server.client();
    let login = browser
        .post(server.url("/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&login), "/login/mfa");
    let code = oathtool(secret, server);
    let done = browser
        .post(server.url("/login/mfa"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/settings/security");
    browser
}

/// A recovery-code sign-in through the API: its status.
async fn recover(server: &TestServer, code: &str) -> StatusCode {
    let challenge_id = challenge(server, EMAIL).await;
    let (status, _) = read(
        server
            .client()
            .post(server.url("/api/v1/sessions/mfa"))
            .json(&json!({"challenge_id": challenge_id, "method": "recovery_code", "code": code}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    status
}

/// Posts the step-up form; like a browser, follows a `307` by posting the
/// same form to its target.
async fn confirm(server: &TestServer, browser: &Client, form: &[(&str, &str)]) -> Response {
    let answer = browser
        .post(server.url("/reauth"))
        .form(form)
        .send()
        .await
        .unwrap();
    if answer.status() != StatusCode::TEMPORARY_REDIRECT {
        return answer;
    }
    let target = location(&answer).to_owned();
    browser
        .post(server.url(&target))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The sealed form of the step-up screen an action showed.
async fn stash_of(server: &TestServer, browser: &Client, action: &str) -> String {
    let screen = browser
        .post(server.url(action))
        .form(&[("from", "the page")])
        .send()
        .await
        .unwrap();
    assert_eq!(screen.status(), StatusCode::FORBIDDEN);
    hidden_field(&screen.text().await.unwrap(), "stash").expect("a sealed form")
}

/// Finding 13: a link to the step-up screen with an action of the
/// attacker's choosing; the victim types the password.
async fn a_step_up_opened_by_a_link_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let (secret, codes) = owner_with_sheet(&server).await;
    let victim = browser_with_totp(&server, &secret).await;

    let link = format!("/reauth?return_to={RECOVERY_CODES}");
    let screen = victim.get(server.url(&link)).send().await.unwrap();
    assert_eq!(screen.status(), StatusCode::OK);
    let html = screen.text().await.unwrap();
    assert!(
        !html.contains("return_to") && !html.contains(r#"name="stash""#),
        "{html}"
    );
    assert!(html.contains("You will go back to the Security page afterwards."));

    // Even with the link's target posted along, the proof leads to the
    // Security page, by GET: the sheet is not regenerated.
    let answer = confirm(
        &server,
        &victim,
        &[("return_to", RECOVERY_CODES), ("reauth_password", PASSWORD)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/settings/security");
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
    let stash = stash_of(&server, &person, RECOVERY_CODES).await;

    let refused = |status: StatusCode, html: &str| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains("Nothing was changed"), "{html}");
    };
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
        let answer = confirm(
            &server,
            &person,
            &[
                ("return_to", target),
                ("stash", &stash),
                ("reauth_password", PASSWORD),
            ],
        )
        .await;
        let status = answer.status();
        refused(status, &answer.text().await.unwrap());
    }
    // A stash altered, or of another session of the same account.
    let other = browser_with_totp(&server, &secret).await;
    for (browser, stash) in [(&person, "AAAA"), (&other, stash.as_str())] {
        let answer = confirm(
            &server,
            browser,
            &[
                ("return_to", RECOVERY_CODES),
                ("stash", stash),
                ("reauth_password", PASSWORD),
            ],
        )
        .await;
        let status = answer.status();
        refused(status, &answer.text().await.unwrap());
    }
    // The action posted with a stash that does not open changes nothing.
    let forged = other
        .post(server.url(RECOVERY_CODES))
        .form(&[("stash", stash.as_str())])
        .send()
        .await
        .unwrap();
    let status = forged.status();
    refused(status, &forged.text().await.unwrap());
    // Too late: the stash lives ten minutes.
    server.advance(Duration::from_secs(10 * 60));
    let answer = confirm(
        &server,
        &person,
        &[
            ("return_to", RECOVERY_CODES),
            ("stash", &stash),
            ("reauth_password", PASSWORD),
        ],
    )
    .await;
    let status = answer.status();
    refused(status, &answer.text().await.unwrap());
    // None of these checked the proof or changed anything.
    assert_eq!(recover(&server, &codes[0]).await, StatusCode::CREATED);

    // The person's own click: the screen names the change, the proof
    // posts the form again, and the change goes through; the stash needs
    // no server state, so another instance takes the proof and the replay.
    let screen = person
        .post(server.url(RECOVERY_CODES))
        .form(&[("from", "the page")])
        .send()
        .await
        .unwrap();
    let html = screen.text().await.unwrap();
    assert!(
        html.contains(
            "Confirm it is you to: <strong>generate new recovery codes (your old codes stop working)</strong>."
        ),
        "{html}"
    );
    let stash = hidden_field(&html, "stash").unwrap();
    let sibling = TestServer::start_sibling(&db, &server).await;
    let done = confirm(
        &sibling,
        &person,
        &[
            ("return_to", RECOVERY_CODES),
            ("stash", &stash),
            ("reauth_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("New recovery codes generated.")
    );
    assert_eq!(recover(&server, &codes[1]).await, StatusCode::UNAUTHORIZED);
}

/// Finding 21: the Security page shows only its own sentences.
async fn the_security_page_shows_no_text_from_the_query(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, EMAIL).await;
    let browser = server.client();
    let login = browser
        .post(server.url("/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&login), "/settings/security");

    for query in [
        "recovery_left=Generate%20a%20new%20sheet",
        "recovery_left=0",
        "recovery_left=2",
        "notice=Generate%20a%20new%20sheet",
        "notice=%3Cb%3Ecall%20us%3C%2Fb%3E",
        "notice=password_changed%20now",
    ] {
        let page = browser
            .get(server.url(&format!("/settings/security?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{query}");
        let html = page.text().await.unwrap();
        assert!(!html.contains(r#"id="notice""#), "{query}: {html}");
        for text in ["Generate a new sheet", "call us", "recovery code"] {
            assert!(!html.contains(text), "{query}: {text}");
        }
    }
    // A known key still shows its fixed sentence.
    let html = browser
        .get(server.url("/settings/security?notice=session_revoked"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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

    let browser = server.client();
    let login = browser
        .post(server.url("/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&login), "/login/mfa");
    let done = browser
        .post(server.url("/login/mfa"))
        .form(&[("method", "recovery_code"), ("code", codes[7].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/settings/security");
    let html = browser
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            r#"id="notice">You signed in with a recovery code: 2 left. Generate a new sheet soon.<"#
        ),
        "{html}"
    );

    // A session signed in with the app sees the count, not the notice.
    let other = browser_with_totp(&server, &secret).await;
    let html = other
        .get(server.url("/settings/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let browser = server.client();
    let login = browser
        .post(server.url("/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_scoped(&set_cookies(&login), "twofold_mfa", false);
    let page = browser.get(server.url("/login/mfa")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let api = |client: Client| {
        let url = server.url("/api/v1/sessions/mfa/webauthn/options");
        async move { read(client.post(url).json(&json!({})).send().await.unwrap()).await }
    };
    // The cookie reached the API (the account has no passkey); a browser
    // without it has no challenge.
    let (status, body) = api(browser.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = api(server.client()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Completing it removes both copies.
    let code = oathtool(&secret, &server);
    let done = browser
        .post(server.url("/login/mfa"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/settings/security");
    assert_scoped(&set_cookies(&done), "twofold_mfa", true);

    // The API sign-in of a browser sets the same pair; on https the name
    // has the `__Secure-` prefix (`__Host-` requires `Path=/`).
    let https = TestServer::start_configured(&db, Default::default(), |web| web.https = true).await;
    let answer = https
        .client()
        .post(https.url("/api/v1/sessions"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let cookies = set_cookies(&answer);
    assert_scoped(&cookies, "__Secure-twofold_mfa", false);
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}
