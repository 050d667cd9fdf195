//! MFA required by role (`mfa_required_roles`, `mfa_grace_period`) on both
//! backends: roles not required are unaffected; a required account without
//! a factor signs in normally until its deadline (set at its first such
//! sign-in, never moved), then gets a session that may only enrol a factor;
//! enrolling one makes it a normal session; the pages say so and send an
//! enrolment-only session to the one page it may use.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_app::{Policy, Signup};
use twofold_core::Role;
use twofold_testkit::softkey::SoftKey;
use twofold_testkit::visitor::Visitor;
use twofold_testkit::{
    Actor, Backend, Guest, PASSWORD, TestDb, TestServer, oathtool, on_both_backends,
};

on_both_backends!(
    a_role_not_required_is_unaffected,
    the_grace_period_then_an_enrolment_only_session,
    an_account_with_a_factor_is_compliant,
    the_pages_ask_for_a_factor_and_then_allow_only_enrolling,
    first_sign_ins_at_once_on_two_instances_share_one_deadline,
    an_overdue_account_enrols_a_passkey_from_the_api_and_the_pages,
);

const OWNER: &str = "owner@example.com";
const MEMBER: &str = "member@example.com";
const DAY: Duration = Duration::from_secs(86_400);
/// The test clock's start plus the default grace period of 7 days.
const DUE: &str = "2023-11-21T22:13:20Z";
const DUE_ON_PAGES: &str = "2023-11-21 22:13 UTC";

/// An open instance whose owners and admins must use MFA, with its owner
/// (not signed in yet).
async fn instance(backend: Backend) -> (TestDb, TestServer) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(&db, policy()).await;
    Guest::new(&server).create_owner(OWNER).await;
    (db, server)
}

fn policy() -> Policy {
    Policy {
        signup: Signup::Open,
        mfa_required_roles: vec![Role::Owner, Role::Admin],
        ..Policy::default()
    }
}

async fn sign_in(server: &TestServer, email: &str) -> Value {
    Guest::new(server)
        .sign_in(email, PASSWORD)
        .await
        .expect(StatusCode::CREATED)
}

fn user_row<'v>(page: &'v Value, email: &str) -> &'v Value {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap_or_else(|| panic!("{email} not listed: {page}"))
}

async fn a_role_not_required_is_unaffected(backend: Backend) {
    let (_db, server) = instance(backend).await;
    let member = Actor::member(&server, MEMBER).await;
    // The member's session lives its usual lifetime, and no deadline starts.
    let first = member
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(first["session"]["expires_at"], "2023-11-15T10:13:20Z");
    assert_eq!(first["session"]["enrolment_only"], false);
    assert!(first.get("mfa_enrollment_due").is_none(), "{first}");
    let id: uuid::Uuid = first["session"]["account"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let store = server.app.store();
    let id = twofold_core::AccountId::from_uuid(id);
    assert_eq!(store.mfa_deadline(id).await.unwrap(), None);

    server.advance(30 * DAY);
    let body = sign_in(&server, MEMBER).await;
    assert!(body.get("mfa_enrollment_due").is_none(), "{body}");
    assert_eq!(body["session"]["enrolment_only"], false);
    let again = Actor::with_token(&server, body["token"].as_str().unwrap());
    again.get("/api/v1/sessions").await.expect(StatusCode::OK);
    again.get("/api/v1/me/mfa").await.expect(StatusCode::OK);
    assert_eq!(store.mfa_deadline(id).await.unwrap(), None);
}

async fn the_grace_period_then_an_enrolment_only_session(backend: Backend) {
    let (_db, server) = instance(backend).await;
    Guest::new(&server).request_account(MEMBER).await;

    // The first sign-in without a factor starts the deadline; the session
    // is normal and ends at the deadline at the latest.
    let body = sign_in(&server, OWNER).await;
    assert_eq!(body["mfa_enrollment_due"], DUE, "{body}");
    assert_eq!(body["session"]["enrolment_only"], false);
    let owner = Actor::holding(&server, body["token"].as_str().unwrap(), PASSWORD);
    owner.get("/api/v1/sessions").await.expect(StatusCode::OK);
    let current = owner
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(current["mfa_enrollment_due"], DUE);

    // Later sign-ins keep the same deadline, however near it is; the admin
    // list shows who is not compliant and when.
    server.advance(3 * DAY);
    let body = sign_in(&server, OWNER).await;
    assert_eq!(body["mfa_enrollment_due"], DUE);
    let remembered = Guest::new(&server)
        .post(
            "/api/v1/sessions",
            json!({"email": OWNER, "password": PASSWORD, "remember_me": true}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        remembered["session"]["expires_at"], DUE,
        "capped at the deadline"
    );
    let admin = Actor::holding(&server, body["token"].as_str().unwrap(), PASSWORD);
    let users = admin
        .get("/api/v1/admin/users")
        .await
        .expect(StatusCode::OK);
    let row = user_row(&users, OWNER);
    assert_eq!(
        (row["mfa"].clone(), row["mfa_required"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(row["mfa_due"], DUE);
    let row = user_row(&users, MEMBER);
    assert_eq!(row["mfa_required"], false);
    assert_eq!(row["mfa_due"], Value::Null);

    // Past the deadline: a session that may only enrol a factor.
    server.advance(5 * DAY);
    let limited = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let current = limited
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(current["session"]["enrolment_only"], true, "{current}");
    assert_eq!(current["mfa_enrollment_due"], DUE);
    limited.get("/api/v1/me").await.expect(StatusCode::OK);
    for path in [
        "/api/v1/sessions",
        "/api/v1/me/mfa",
        "/api/v1/admin/users",
        "/api/v1/me/events",
    ] {
        limited
            .get(path)
            .await
            .refused(StatusCode::FORBIDDEN, "mfa_enrollment_required");
    }
    limited
        .post("/api/v1/me/mfa/recovery-codes", json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "mfa_enrollment_required");
    // Enrolling needs the password again.
    limited
        .totp()
        .start()
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    limited
        .reauth(json!({"method": "password", "password": "not my password"}))
        .await
        .refused(StatusCode::FORBIDDEN, "invalid_credentials");

    let enrolled = limited.totp().enrol("Phone").await;
    assert_eq!(enrolled.recovery_codes.len(), 10);
    let current = limited
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(current["session"]["enrolment_only"], false, "{current}");
    assert!(current.get("mfa_enrollment_due").is_none(), "{current}");
    limited.get("/api/v1/sessions").await.expect(StatusCode::OK);
    let users = limited
        .get("/api/v1/admin/users")
        .await
        .expect(StatusCode::OK);
    let row = user_row(&users, OWNER);
    assert_eq!(
        (row["mfa"].clone(), row["mfa_due"].clone()),
        (json!(true), Value::Null)
    );

    // The next sign-in asks for the new factor.
    let next = Guest::new(&server).sign_in(OWNER, PASSWORD).await;
    let body = next.expect(StatusCode::OK);
    assert_eq!(body["state"], "mfa_required");
    let code = oathtool(&enrolled.secret, &server);
    let challenge =
        twofold_testkit::Challenge::new(&server, body["challenge_id"].as_str().unwrap());
    let signed_in = challenge.totp(&code).await.expect(StatusCode::CREATED);
    assert_eq!(signed_in["session"]["enrolment_only"], false);
    assert!(signed_in.get("mfa_enrollment_due").is_none(), "{signed_in}");
}

async fn an_account_with_a_factor_is_compliant(backend: Backend) {
    let (_db, server) = instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let phone = owner.totp().enrol("Phone").await;
    server.advance(30 * DAY);
    let body = Guest::new(&server)
        .sign_in(OWNER, PASSWORD)
        .await
        .expect(StatusCode::OK);
    let code = oathtool(&phone.secret, &server);
    let challenge =
        twofold_testkit::Challenge::new(&server, body["challenge_id"].as_str().unwrap());
    let signed_in = challenge.totp(&code).await.expect(StatusCode::CREATED);
    assert_eq!(signed_in["session"]["enrolment_only"], false);
    assert!(signed_in.get("mfa_enrollment_due").is_none(), "{signed_in}");
    let actor = Actor::with_token(&server, signed_in["token"].as_str().unwrap());
    let current = actor
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert!(current.get("mfa_enrollment_due").is_none(), "{current}");
    let users = actor
        .get("/api/v1/admin/users")
        .await
        .expect(StatusCode::OK);
    let row = user_row(&users, OWNER);
    assert_eq!(row["mfa_required"], true);
    assert_eq!(row["mfa_due"], Value::Null);
}

async fn the_pages_ask_for_a_factor_and_then_allow_only_enrolling(backend: Backend) {
    let (_db, server) = instance(backend).await;

    // In the grace period: the page after sign-in names the date; "Later"
    // leads to the Security page, which works.
    let browser = Visitor::new(&server);
    let signed_in = browser.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.location(), "/settings/security/mfa-required");
    let page = browser.follow(&signed_in).await;
    let html = page.expect(StatusCode::OK);
    assert!(
        html.contains(&format!(
            "Two-factor authentication is required from <strong>{DUE_ON_PAGES}</strong>."
        )),
        "{html}"
    );
    assert!(html.contains("Set it up now"), "{html}");
    assert!(
        html.contains(r#"<a href="/settings/security" id="later">Later</a>"#),
        "{html}"
    );
    assert_eq!(
        browser.get("/settings/security").await.status,
        StatusCode::OK
    );

    // Past the deadline: the same page without "Later", and every other
    // page sends the session there.
    server.advance(8 * DAY);
    let late = Visitor::new(&server);
    let signed_in = late.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.location(), "/settings/security/mfa-required");
    let html = late.follow(&signed_in).await.html;
    assert!(
        html.contains(&format!(
            "Two-factor authentication is required from <strong>{DUE_ON_PAGES}</strong>."
        )),
        "{html}"
    );
    assert!(!html.contains("id=\"later\""), "{html}");
    assert!(html.contains("id=\"mfa-overdue\""), "{html}");
    for path in ["/settings/security", "/"] {
        let mut page = late.get(path).await;
        while page.status == StatusCode::SEE_OTHER
            && page.location() != "/settings/security/mfa-required"
        {
            page = late.follow(&page).await;
        }
        assert_eq!(page.location(), "/settings/security/mfa-required", "{path}");
    }
    let form = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
    ];
    let refused = late.submit("/settings/security/password", &form).await;
    assert_eq!(refused.location(), "/settings/security/mfa-required");

    // "Set it up now" asks for the password, then shows the authenticator
    // app's key; its code turns MFA on and the session is whole again.
    let screen = late.submit("/settings/security/totp", &[]).await;
    screen.expect(StatusCode::FORBIDDEN);
    let stash = screen.hidden_field("stash").expect("a sealed form");
    let enrol = late
        .confirm(&[
            ("return_to", "/settings/security/totp"),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    let html = enrol.expect(StatusCode::OK);
    let secret = html
        .split("data-copy=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no key on the page: {html}"))
        .to_owned();
    let action = html
        .split("action=\"/settings/security/totp/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let code = oathtool(&secret, &server);
    let sheet = late
        .submit(
            &format!("/settings/security/totp/{action}"),
            &[("code", code.as_str()), ("name", "Phone")],
        )
        .await;
    let html = sheet.expect(StatusCode::OK);
    assert!(html.contains("Save your recovery codes now"), "{html}");
    assert_eq!(late.get("/settings/security").await.status, StatusCode::OK);
    let gone = late.get("/settings/security/mfa-required").await;
    assert_eq!(gone.location(), "/settings/security");
}

/// The first sign-ins of one account race on two instances whose clocks
/// differ by an hour (so each would start another deadline): every one of
/// them reports the single deadline stored.
async fn first_sign_ins_at_once_on_two_instances_share_one_deadline(backend: Backend) {
    let (db, first) = instance(backend).await;
    let second = TestServer::start_sibling_with(&db, &first, policy()).await;
    second.advance(Duration::from_secs(3600));
    let mut tasks = Vec::new();
    for i in 0..6 {
        let url = [&first, &second][i % 2].url("/api/v1/sessions");
        tasks.push(tokio::spawn(async move {
            let body = json!({"email": OWNER, "password": PASSWORD});
            let response = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()
        }));
    }
    let mut dues = Vec::new();
    for task in tasks {
        dues.push(task.await.unwrap()["mfa_enrollment_due"].clone());
    }
    let stored = first
        .app
        .store()
        .mfa_deadline(owner_id(&first).await)
        .await
        .unwrap()
        .expect("a deadline");
    let stored = json!(stored.to_rfc3339());
    assert!(
        [DUE, "2023-11-21T23:13:20Z"].contains(&stored.as_str().unwrap()),
        "{stored}"
    );
    assert!(
        dues.iter().all(|due| *due == stored),
        "{dues:?} vs {stored}"
    );
}

/// The owner's account id, through a fresh sign-in.
async fn owner_id(server: &TestServer) -> twofold_core::AccountId {
    let body = sign_in(server, OWNER).await;
    let id: uuid::Uuid = body["session"]["account"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    twofold_core::AccountId::from_uuid(id)
}

async fn an_overdue_account_enrols_a_passkey_from_the_api_and_the_pages(backend: Backend) {
    let (_db, server) = instance(backend).await;
    sign_in(&server, OWNER).await;
    server.advance(8 * DAY);

    // The pages: the overdue page offers a passkey too; after the password
    // the browser continues on that page (its script runs the ceremony).
    let browser = Visitor::new(&server);
    let signed_in = browser.sign_in(OWNER, PASSWORD).await;
    let html = browser.follow(&signed_in).await.html;
    assert!(html.contains(r#"id="passkey-add""#), "{html}");
    let screen = browser
        .submit("/settings/security/passkeys/add", &[("name", "Laptop")])
        .await;
    screen.expect(StatusCode::FORBIDDEN);
    let stash = screen.hidden_field("stash").expect("a sealed form");
    let resumed = browser
        .confirm(&[
            ("return_to", "/settings/security/passkeys/add"),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(
        resumed.location(),
        "/settings/security/mfa-required#add-passkey"
    );

    // The API: the registration the page's script makes.
    let limited = Actor::sign_in(&server, OWNER, PASSWORD).await;
    limited
        .get("/api/v1/sessions")
        .await
        .refused(StatusCode::FORBIDDEN, "mfa_enrollment_required");
    let mut key = SoftKey::new(&server.public_url);
    let added = limited.passkeys().enrol(&mut key, "Laptop").await;
    assert_eq!(
        added["recovery_codes"].as_array().map(Vec::len),
        Some(10),
        "{added}"
    );
    let current = limited
        .get("/api/v1/sessions/current")
        .await
        .expect(StatusCode::OK);
    assert_eq!(current["session"]["enrolment_only"], false, "{current}");
    limited.get("/api/v1/sessions").await.expect(StatusCode::OK);
    // MFA is on: the browser's password-only session ended with it.
    assert_eq!(
        browser
            .get("/settings/security/mfa-required")
            .await
            .location(),
        "/login"
    );
}
