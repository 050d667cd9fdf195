//! Administration → Users on the pages, on both backends: the list with its
//! search, filters and paging; who may open it; one user's page without a
//! secret; the owner's Disable MFA and role change through the step-up
//! screen, and a sealed form that only ever reaches its own user.

use reqwest::StatusCode;
use twofold_testkit::visitor::{Page, Visitor};
use twofold_testkit::{Actor, Backend, Guest, TestServer, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    the_users_page_lists_searches_filters_and_pages,
    members_strangers_and_bad_queries_are_refused,
    the_user_page_shows_factor_names_but_never_a_secret,
    an_owner_disables_a_members_mfa_through_the_step_up,
    a_reset_sealed_for_one_user_is_not_posted_to_another,
    an_owner_changes_a_role_on_the_page,
    the_list_shows_the_status_and_filters_by_it,
    the_list_shows_the_mfa_policy_and_who_is_due,
    an_owner_creates_a_user_and_the_link_sets_the_password,
    an_admin_creates_members_only,
    an_account_is_disabled_and_enabled_on_its_page,
    who_may_disable_and_what_is_refused,
    a_set_password_link_is_issued_on_the_user_page,
    an_owner_revokes_a_token_and_the_sealed_form_binds_both_ids,
);

const OWNER: &str = "owner@example.com";
const MIA: &str = "mia@example.com";
const NOAH: &str = "noah@example.com";
const USERS: &str = "/admin/users";

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

/// A visitor signed in on the pages with the password (no step-up window).
async fn signed_in<'a>(server: &'a TestServer, email: &str) -> Visitor<'a> {
    let visitor = Visitor::new(server);
    let signed_in = visitor.sign_in(email, PASSWORD).await;
    assert_eq!(
        signed_in.location(),
        "/settings/security",
        "{}",
        signed_in.html
    );
    visitor
}

/// The emails of the list's rows, in order.
fn emails(page: &Page) -> Vec<String> {
    let html = page.expect(StatusCode::OK);
    html.split(r#"<td class="email"><a href=""#)
        .skip(1)
        .map(|row| {
            let start = row.find("\">").unwrap() + 2;
            let end = row.find("</a>").unwrap();
            row[start..end].to_owned()
        })
        .collect()
}

/// The row of `email` in the list.
fn row<'p>(page: &'p Page, email: &str) -> &'p str {
    page.html
        .split(r#"<tr class="user">"#)
        .find(|row| row.contains(&format!(">{email}</a>")))
        .unwrap_or_else(|| panic!("no row for {email}: {}", page.html))
}

/// The "Next page" link, as the browser follows it.
fn next_page(page: &Page) -> Option<String> {
    let marker = r#"<a href=""#;
    let html = &page.html;
    let at = html.find(r#"id="next-page""#)?;
    let start = html[..at].rfind(marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

async fn listed(visitor: &Visitor<'_>, query: &str) -> Vec<String> {
    emails(&visitor.get(&format!("{USERS}?{query}")).await)
}

async fn the_users_page_lists_searches_filters_and_pages(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    mia.totp().enrol("Work phone").await;
    Actor::member(&server, NOAH).await;
    let owner = signed_in(&server, OWNER).await;

    // Settings → Security links to the list for an owner.
    let security = owner.get("/settings/security").await;
    assert!(
        security
            .expect(StatusCode::OK)
            .contains(r#"<a href="/admin/users" id="admin-users">Administration → Users</a>"#),
        "{}",
        security.html
    );

    let page = owner.get(USERS).await;
    assert_eq!(emails(&page), [MIA, NOAH, OWNER]);
    assert!(next_page(&page).is_none());
    let mia_id = account_id(&mia).await;
    let mia_row = row(&page, MIA);
    assert!(
        mia_row.contains(&format!(r#"<a href="/admin/users/{mia_id}">"#)),
        "{mia_row}"
    );
    assert!(
        mia_row.contains(r#"<td class="role">member</td>"#),
        "{mia_row}"
    );
    assert!(
        mia_row.contains(r#"<span class="badge on">On</span>"#),
        "{mia_row}"
    );
    assert!(mia_row.contains("1 app, 0 passkeys"), "{mia_row}");
    assert!(
        mia_row.contains(r#"<td class="recovery">10</td>"#),
        "{mia_row}"
    );
    let noah_row = row(&page, NOAH);
    assert!(noah_row.contains(r#"<span class="badge off">Off</span>"#));
    assert!(noah_row.contains("0 apps, 0 passkeys"), "{noah_row}");
    assert!(noah_row.contains(r#"<td class="recovery">0</td>"#));
    assert!(row(&page, OWNER).contains(r#"<td class="role">owner</td>"#));

    // The search box and the filters, as the form sends them.
    assert_eq!(listed(&owner, "q=&role=owner&mfa=any").await, [OWNER]);
    assert_eq!(listed(&owner, "q=&role=member&mfa=any").await, [MIA, NOAH]);
    assert_eq!(listed(&owner, "q=&role=any&mfa=on").await, [MIA]);
    assert_eq!(listed(&owner, "q=&role=any&mfa=off").await, [NOAH, OWNER]);
    assert_eq!(listed(&owner, "q=NOAH&role=any&mfa=any").await, [NOAH]);
    assert_eq!(
        listed(&owner, "q=%40example&role=member&mfa=off").await,
        [NOAH]
    );
    assert!(listed(&owner, "q=%25&role=any&mfa=any").await.is_empty());
    let filtered = owner
        .get(&format!("{USERS}?q=noah&role=member&mfa=off"))
        .await;
    let html = filtered.expect(StatusCode::OK);
    assert!(html.contains(r#"value="noah""#), "{html}");
    assert!(
        html.contains(r#"<option value="member" selected>"#),
        "{html}"
    );
    assert!(html.contains(r#"<option value="off" selected>"#), "{html}");

    // "Next page" keeps the filters and follows the cursor.
    let first = owner.get(&format!("{USERS}?limit=2")).await;
    assert_eq!(emails(&first), [MIA, NOAH]);
    let next = next_page(&first).expect("a next page link");
    assert!(next.starts_with("/admin/users?"), "{next}");
    let second = owner.get(&next).await;
    assert_eq!(emails(&second), [OWNER]);
    assert!(next_page(&second).is_none());

    let first = owner.get(&format!("{USERS}?limit=1&mfa=off")).await;
    assert_eq!(emails(&first), [NOAH]);
    let next = next_page(&first).unwrap();
    assert!(next.contains("mfa=off"), "{next}");
    assert_eq!(emails(&owner.get(&next).await), [OWNER]);
}

async fn members_strangers_and_bad_queries_are_refused(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let mia_id = account_id(&mia).await;

    // A member: the message page, and no link on their Security page.
    let member = signed_in(&server, MIA).await;
    let security = member.get("/settings/security").await;
    assert!(!security.expect(StatusCode::OK).contains("admin-users"));
    for path in [USERS.to_owned(), format!("{USERS}/{mia_id}")] {
        let refused = member.get(&path).await;
        let html = refused.expect(StatusCode::FORBIDDEN);
        assert!(
            html.contains("Only owners and admins can manage users."),
            "{html}"
        );
    }
    let refused = member
        .submit(&format!("{USERS}/{mia_id}/role"), &[("role", "owner")])
        .await;
    refused.expect(StatusCode::FORBIDDEN);
    let refused = member
        .submit(
            &format!("{USERS}/{mia_id}/mfa/disable"),
            &[("confirm", "true")],
        )
        .await;
    refused.expect(StatusCode::FORBIDDEN);

    // Nobody signed in: the sign-in page.
    let stranger = Visitor::new(&server);
    for path in [USERS.to_owned(), format!("{USERS}/{mia_id}")] {
        let answer = stranger.get(&path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        assert_eq!(answer.location(), "/login");
    }

    // A bad query: a 400 page, never a 500.
    let owner = signed_in(&server, OWNER).await;
    let unknown = uuid::Uuid::new_v4();
    let long = "a".repeat(300);
    for query in [
        format!("q={long}"),
        "role=king".to_owned(),
        "mfa=maybe".to_owned(),
        "mfa=true".to_owned(),
        "limit=lots".to_owned(),
        "limit=-1".to_owned(),
        "cursor=not-an-id".to_owned(),
        format!("cursor={unknown}"),
    ] {
        let answer = owner.get(&format!("{USERS}?{query}")).await;
        let html = answer.expect(StatusCode::BAD_REQUEST);
        assert!(html.contains("<h1>Bad search</h1>"), "{query}: {html}");
    }

    // An unknown or malformed user: the not-found page.
    for id in [unknown.to_string(), "not-an-id".to_owned(), "1".to_owned()] {
        let answer = owner.get(&format!("{USERS}/{id}")).await;
        let html = answer.expect(StatusCode::NOT_FOUND);
        assert!(
            html.contains("Not found") || html.contains("No such account"),
            "{html}"
        );
    }
    let answer = owner
        .submit(
            &format!("{USERS}/not-an-id/mfa/disable"),
            &[("confirm", "true")],
        )
        .await;
    answer.expect(StatusCode::NOT_FOUND);
}

async fn the_user_page_shows_factor_names_but_never_a_secret(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let enrolled = mia.totp().enrol("Work phone").await;
    let mia_id = account_id(&mia).await;
    let owner = signed_in(&server, OWNER).await;

    let page = owner.get(&format!("{USERS}/{mia_id}")).await;
    let html = page.expect(StatusCode::OK);
    assert!(html.contains(&format!(r#"<dd id="account-email">{MIA}</dd>"#)));
    assert!(html.contains(r#"<dd id="account-role">member</dd>"#));
    assert!(
        html.contains(r#"<td class="name">Work phone</td>"#),
        "{html}"
    );
    assert!(html.contains(r#"<td class="kind">Authenticator app</td>"#));
    assert!(
        html.contains(r#"<span id="recovery-left">10</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="badge on" id="mfa-status">On</span>"#));
    assert_eq!(html.matches(r#"<tr class="session">"#).count(), 1, "{html}");
    assert!(html.contains(r#"data-kind="sign_in.succeeded""#), "{html}");
    assert!(html.contains(r#"data-kind="totp.added""#), "{html}");
    assert!(html.contains("by the user"), "{html}");
    // The owner's controls, one section each.
    assert!(html.contains(&format!(
        r#"<form method="post" action="/admin/users/{mia_id}/mfa/disable">"#
    )));
    assert!(html.contains(&format!(
        r#"<form method="post" action="/admin/users/{mia_id}/role">"#
    )));
    assert!(
        html.contains("authenticator apps, passkeys and recovery codes, and end every session")
    );
    // Never a secret.
    assert!(!enrolled.secret.is_empty());
    assert!(!html.contains(&enrolled.secret), "the TOTP secret leaked");
    for code in &enrolled.recovery_codes {
        assert!(!html.contains(code.as_str()), "a recovery code leaked");
    }

    // The owner's own page points to Settings → Security instead.
    let owner_id = account_id(&Actor::sign_in(&server, OWNER, PASSWORD).await).await;
    let own = owner.get(&format!("{USERS}/{owner_id}")).await;
    let html = own.expect(StatusCode::OK);
    assert!(html.contains(r#"id="own-account""#), "{html}");
    assert!(html.contains(r#"<a href="/settings/security">Settings → Security</a>"#));
    assert!(!html.contains("disable-mfa-button") && !html.contains("change-role-button"));
}

/// The step-up screen an owner's form showed: its sealed form.
#[track_caller]
fn stash_on(screen: &Page, describes: &str) -> String {
    let html = screen.expect(StatusCode::FORBIDDEN);
    assert!(
        html.contains(&format!(
            "Confirm it is you to: <strong>{describes}</strong>."
        )),
        "{html}"
    );
    screen.hidden_field("stash").expect("a sealed form")
}

const RESET_DESCRIBED: &str = "turn off two-factor authentication for another user";

async fn an_owner_disables_a_members_mfa_through_the_step_up(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    mia.totp().enrol("Work phone").await;
    let mia_id = account_id(&mia).await;
    let owner = signed_in(&server, OWNER).await;
    let action = format!("{USERS}/{mia_id}/mfa/disable");

    // Without the confirmation: the page again, nothing removed.
    let unticked = owner.submit(&action, &[]).await;
    let html = unticked.expect(StatusCode::BAD_REQUEST);
    assert!(html.contains(r#"id="error""#), "{html}");
    assert!(html.contains("Tick the confirmation"), "{html}");
    assert!(html.contains(r#"<td class="name">Work phone</td>"#));
    mia.get("/api/v1/me").await.expect(StatusCode::OK);

    // The window is closed: the step-up screen, then the sealed form again.
    let screen = owner.submit(&action, &[("confirm", "true")]).await;
    let stash = stash_on(&screen, RESET_DESCRIBED);
    assert!(
        screen
            .html
            .contains(&format!(r#"name="return_to" value="{action}""#))
    );
    mia.get("/api/v1/me").await.expect(StatusCode::OK);
    let done = owner
        .confirm(&[
            ("return_to", action.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location(),
        format!("{USERS}/{mia_id}?notice=mfa_reset")
    );
    let page = owner.follow(&done).await;
    let html = page.expect(StatusCode::OK);
    assert!(
        html.contains(
            "Two-factor authentication turned off for mia@example.com: removed 1 authenticator app, 0 passkeys, 10 recovery codes; 1 session ended."
        ),
        "{html}"
    );
    assert!(html.contains(r#"<span class="badge off" id="mfa-status">Off</span>"#));
    assert!(html.contains(r#"id="no-factors""#) && html.contains(r#"id="no-sessions""#));
    assert!(html.contains(r#"data-kind="mfa.reset""#), "{html}");
    assert!(html.contains("by you"), "{html}");

    // Her session ended; her password alone signs her in now.
    mia.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    let body = Guest::new(&server)
        .sign_in(MIA, PASSWORD)
        .await
        .expect(StatusCode::CREATED);
    assert!(body["token"].is_string(), "{body}");

    // Again: nothing left to reset, the app's message.
    let again = owner.submit(&action, &[("confirm", "true")]).await;
    let html = again.expect(StatusCode::CONFLICT);
    assert!(
        html.contains(
            "Mia@example.com has no authenticator app, passkey or recovery code: nothing to reset."
        ),
        "{html}"
    );
    // The owner's own account: the app's message.
    let owner_id = account_id(&Actor::sign_in(&server, OWNER, PASSWORD).await).await;
    let own = owner
        .submit(
            &format!("{USERS}/{owner_id}/mfa/disable"),
            &[("confirm", "true")],
        )
        .await;
    own.expect(StatusCode::CONFLICT);

    // A notice key the page does not know shows nothing; no text from the query.
    let page = owner
        .get(&format!("{USERS}/{mia_id}?notice=Call%20us%20now"))
        .await;
    let html = page.expect(StatusCode::OK);
    assert!(!html.contains(r#"id="notice""#) && !html.contains("Call us"));
}

async fn a_reset_sealed_for_one_user_is_not_posted_to_another(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    mia.totp().enrol(None).await;
    let noah = Actor::member(&server, NOAH).await;
    noah.totp().enrol(None).await;
    let (mia_id, noah_id) = (account_id(&mia).await, account_id(&noah).await);
    let owner = signed_in(&server, OWNER).await;
    let for_mia = format!("{USERS}/{mia_id}/mfa/disable");
    let for_noah = format!("{USERS}/{noah_id}/mfa/disable");

    let screen = owner.submit(&for_mia, &[("confirm", "true")]).await;
    let stash = stash_on(&screen, RESET_DESCRIBED);

    // Mia's sealed form, sent back to Noah's path: refused before the proof.
    let answer = owner
        .confirm(&[
            ("return_to", for_noah.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    let html = answer.expect(StatusCode::BAD_REQUEST);
    assert!(html.contains("Nothing was changed"), "{html}");
    // Posted straight to Noah's path: it does not open there either.
    let answer = owner.submit(&for_noah, &[("stash", stash.as_str())]).await;
    let html = answer.expect(StatusCode::BAD_REQUEST);
    assert!(html.contains("Nothing was changed"), "{html}");
    // And a role form sealed for Mia does not open as Noah's role change.
    let role_screen = owner
        .submit(&format!("{USERS}/{mia_id}/role"), &[("role", "admin")])
        .await;
    let role_stash = stash_on(&role_screen, "change the role of another user");
    let answer = owner
        .submit(
            &format!("{USERS}/{noah_id}/role"),
            &[("stash", role_stash.as_str())],
        )
        .await;
    answer.expect(StatusCode::BAD_REQUEST);

    // Neither lost anything.
    mia.get("/api/v1/me").await.expect(StatusCode::OK);
    noah.get("/api/v1/me").await.expect(StatusCode::OK);
    Guest::new(&server).challenge(MIA).await;
    Guest::new(&server).challenge(NOAH).await;
    let noah_page = owner.get(&format!("{USERS}/{noah_id}")).await;
    assert!(
        noah_page
            .html
            .contains(r#"<dd id="account-role">member</dd>"#)
    );

    // Mia's own replay goes through, for Mia only.
    let done = owner
        .confirm(&[
            ("return_to", for_mia.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(
        done.location(),
        format!("{USERS}/{mia_id}?notice=mfa_reset")
    );
    mia.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    noah.get("/api/v1/me").await.expect(StatusCode::OK);
    Guest::new(&server).challenge(NOAH).await;
}

async fn an_owner_changes_a_role_on_the_page(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    mia.totp().enrol(None).await;
    let mia_id = account_id(&mia).await;
    let noah = Actor::member(&server, NOAH).await;
    let noah_id = account_id(&noah).await;
    let owner = signed_in(&server, OWNER).await;
    let action = format!("{USERS}/{noah_id}/role");

    let page = owner.get(&format!("{USERS}/{noah_id}")).await;
    assert!(
        page.html
            .contains(r#"<option value="member" selected>member</option>"#)
    );

    let screen = owner.submit(&action, &[("role", "admin")]).await;
    let stash = stash_on(&screen, "change the role of another user");
    let done = owner
        .confirm(&[
            ("return_to", action.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(
        done.location(),
        format!("{USERS}/{noah_id}?notice=role_changed")
    );
    let html = owner.follow(&done).await.html;
    assert!(
        html.contains("Role changed: noah@example.com is now admin."),
        "{html}"
    );
    assert!(html.contains(r#"<dd id="account-role">admin</dd>"#));
    assert!(html.contains(r#"<option value="admin" selected>admin</option>"#));
    assert!(html.contains(r#"data-kind="role.changed""#), "{html}");

    // An unknown role: a 400 page, nothing changed.
    let bad = owner.submit(&action, &[("role", "king")]).await;
    let html = bad.expect(StatusCode::BAD_REQUEST);
    assert!(html.contains("Role not changed"), "{html}");

    // The last owner: the app's message.
    let owner_id = account_id(&Actor::sign_in(&server, OWNER, PASSWORD).await).await;
    let last = owner
        .submit(&format!("{USERS}/{owner_id}/role"), &[("role", "member")])
        .await;
    let html = last.expect(StatusCode::CONFLICT);
    assert!(
        html.contains("This is the last owner: make another account owner first."),
        "{html}"
    );

    // The new admin reads the pages, without the owner's controls.
    let admin = signed_in(&server, NOAH).await;
    let security = admin.get("/settings/security").await;
    assert!(security.html.contains(r#"id="admin-users""#));
    assert_eq!(emails(&admin.get(USERS).await), [MIA, NOAH, OWNER]);
    let page = admin.get(&format!("{USERS}/{mia_id}")).await;
    let html = page.expect(StatusCode::OK);
    assert!(!html.contains("disable-mfa-button") && !html.contains("change-role-button"));
    // Posting them anyway: only owners.
    let refused = admin
        .submit(
            &format!("{USERS}/{mia_id}/mfa/disable"),
            &[("confirm", "true")],
        )
        .await;
    let html = refused.expect(StatusCode::FORBIDDEN);
    assert!(
        html.contains("Only owners can reset someone&#39;s two-factor authentication.")
            || html.contains("Only owners can reset someone"),
        "{html}"
    );
    Guest::new(&server).challenge(MIA).await;
}

// ------------------------------------------------ adminpages2 (issue 12)

const NEW_PASSWORD: &str = "a long and fine passphrase";

/// An owner's API actor with its step-up window open.
async fn owner_api<'a>(server: &'a TestServer) -> Actor<'a> {
    let owner = Actor::sign_in(server, OWNER, PASSWORD).await;
    owner.step_up().await;
    owner
}

/// Opens the visitor's step-up window (the step-up form with no change).
async fn step_up(visitor: &Visitor<'_>) {
    let done = visitor.confirm(&[("reauth_password", PASSWORD)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
}

/// The set-password link a link page shows, once.
fn shown_link(server: &TestServer, page: &Page) -> String {
    let html = page.expect(StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "no-store");
    let marker = r#"<code id="set-password-link">"#;
    let start = html.find(marker).expect("the link") + marker.len();
    let end = start + html[start..].find('<').unwrap();
    let url = &html[start..end];
    assert!(
        url.starts_with(&format!("{}/set-password?token=", server.public_url)),
        "{url}"
    );
    assert!(
        html.contains(&format!(r#"data-copy="{url}" id="copy-link""#)),
        "{html}"
    );
    url[server.public_url.len()..].to_owned()
}

/// Opens the link in a fresh visitor and sets `password`.
async fn use_link(server: &TestServer, path: &str, email: &str, password: &str) {
    let visitor = Visitor::new(server);
    let page = visitor.get(path).await;
    assert!(page.expect(StatusCode::OK).contains(email), "{}", page.html);
    let token = page.hidden_field("token").unwrap();
    let done = visitor
        .submit(
            "/set-password",
            &[("token", token.as_str()), ("password", password)],
        )
        .await;
    assert!(
        done.expect(StatusCode::OK)
            .contains("Password set — sign in"),
        "{}",
        done.html
    );
}

async fn the_list_shows_the_status_and_filters_by_it(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let noah = Actor::member(&server, NOAH).await;
    let noah_id = account_id(&noah).await;
    let owner = signed_in(&server, OWNER).await;

    let page = owner.get(USERS).await;
    let html = page.expect(StatusCode::OK);
    assert!(html.contains("<th>Status</th>"), "{html}");
    for email in [MIA, NOAH, OWNER] {
        assert!(row(&page, email).contains(r#"<td class="status">active</td>"#));
    }
    // No role must use MFA here: the policy line says so; no cell is due.
    assert!(
        html.contains(
            "Two-factor authentication is not required for any role — set in the configuration (<code>mfa_required_roles</code>, <code>mfa_grace_period</code>)."
        ),
        "{html}"
    );
    assert!(!html.contains("mfa-due"), "{html}");

    owner_api(&server)
        .await
        .post(
            &format!("/api/v1/admin/users/{noah_id}/disable"),
            serde_json::json!({}),
        )
        .await
        .expect(StatusCode::OK);
    let page = owner.get(USERS).await;
    assert!(row(&page, NOAH).contains(r#"<td class="status">disabled</td>"#));
    assert!(row(&page, MIA).contains(r#"<td class="status">active</td>"#));
    assert_eq!(listed(&owner, "status=disabled").await, [NOAH]);
    assert_eq!(
        listed(&owner, "q=&role=any&mfa=any&status=active").await,
        [MIA, OWNER]
    );
    assert_eq!(listed(&owner, "status=any").await, [MIA, NOAH, OWNER]);
    let html = owner.get(&format!("{USERS}?status=disabled")).await.html;
    assert!(
        html.contains(r#"<option value="disabled" selected>"#),
        "{html}"
    );
    // "Next page" keeps the status filter.
    let first = owner.get(&format!("{USERS}?limit=1&status=active")).await;
    assert_eq!(emails(&first), [MIA]);
    let next = next_page(&first).unwrap();
    assert!(next.contains("status=active"), "{next}");
    assert_eq!(emails(&owner.get(&next).await), [OWNER]);
    // A status the page does not know: a 400 page, never a 500.
    for bad in ["status=gone", "status=true", "status=Disabled"] {
        let answer = owner.get(&format!("{USERS}?{bad}")).await;
        let html = answer.expect(StatusCode::BAD_REQUEST);
        assert!(
            html.contains("The status must be any, active or disabled."),
            "{html}"
        );
    }
    mia.get("/api/v1/me").await.expect(StatusCode::OK);
}

async fn the_list_shows_the_mfa_policy_and_who_is_due(backend: Backend) {
    let db = twofold_testkit::TestDb::new(backend).await;
    let policy = twofold_app::Policy {
        signup: twofold_app::Signup::Open,
        mfa_required_roles: vec![twofold_core::Role::Admin],
        ..twofold_app::Policy::default()
    };
    let server = TestServer::start_with(&db, policy).await;
    crate::create_owner(&server, OWNER).await;
    let mia = Actor::member(&server, MIA).await;
    let noah = Actor::member(&server, NOAH).await;
    let (mia_id, noah_id) = (account_id(&mia).await, account_id(&noah).await);
    let api = owner_api(&server).await;
    for id in [&mia_id, &noah_id] {
        api.post(
            &format!("/api/v1/admin/users/{id}/role"),
            serde_json::json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    }
    // Noah's sign-in as an admin starts his deadline; Mia has not signed
    // in since.
    Guest::new(&server)
        .sign_in(NOAH, PASSWORD)
        .await
        .expect(StatusCode::CREATED);

    let owner = signed_in(&server, OWNER).await;
    let page = owner.get(USERS).await;
    let html = page.expect(StatusCode::OK);
    assert!(
        html.contains(
            "Two-factor authentication is required for: admins; grace period 7 days — set in the configuration (<code>mfa_required_roles</code>, <code>mfa_grace_period</code>)."
        ),
        "{html}"
    );
    assert!(
        row(&page, NOAH).contains("required — due 2023-11-21 22:13 UTC"),
        "{}",
        row(&page, NOAH)
    );
    assert!(
        row(&page, MIA).contains("required — the deadline starts at the next sign-in"),
        "{}",
        row(&page, MIA)
    );
    assert!(
        !row(&page, OWNER).contains("mfa-due"),
        "{}",
        row(&page, OWNER)
    );

    // Past the deadline: overdue since then.
    server.advance(std::time::Duration::from_secs(8 * 86_400));
    let owner = signed_in(&server, OWNER).await;
    let page = owner.get(USERS).await;
    assert!(
        row(&page, NOAH).contains("overdue since 2023-11-21 22:13 UTC"),
        "{}",
        row(&page, NOAH)
    );
}

async fn an_owner_creates_a_user_and_the_link_sets_the_password(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = signed_in(&server, OWNER).await;
    const SAM: &str = "sam@example.com";

    // The form offers every role to an owner, member first chosen.
    let html = owner.get(USERS).await.expect(StatusCode::OK).to_owned();
    assert!(
        html.contains(r#"<form method="post" action="/admin/users/new">"#),
        "{html}"
    );
    let form = &html[html.find(r#"id="create-user""#).unwrap()..];
    for option in [
        r#"<option value="owner">owner</option>"#,
        r#"<option value="admin">admin</option>"#,
        r#"<option value="member" selected>member</option>"#,
    ] {
        assert!(form.contains(option), "{form}");
    }
    // A GET of the form's address goes back to the list.
    let answer = owner.get("/admin/users/new").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), USERS);

    // The step-up screen first: nothing created before the proof.
    let action = "/admin/users/new";
    let screen = owner
        .submit(action, &[("email", SAM), ("role", "admin")])
        .await;
    let stash = stash_on(&screen, "create a user");
    assert!(!emails(&owner.get(USERS).await).contains(&SAM.to_owned()));
    let page = owner
        .confirm(&[
            ("return_to", action),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    let link = shown_link(&server, &page);
    assert!(page.html.contains("<h1>User created</h1>"), "{}", page.html);
    assert!(
        page.html
            .contains(r#"<strong id="link-expires">2023-11-15 22:13 UTC</strong>"#),
        "{}",
        page.html
    );
    let list = owner.get(USERS).await;
    assert_eq!(emails(&list), [OWNER, SAM]);
    assert!(row(&list, SAM).contains(r#"<td class="role">admin</td>"#));
    let sam_href = {
        let row = row(&list, SAM);
        let start = row.find(r#"<a href=""#).unwrap() + 9;
        row[start..start + row[start..].find('"').unwrap()].to_owned()
    };
    assert!(
        page.html
            .contains(&format!(r#"<a href="{sam_href}" id="user-page">"#)),
        "{}",
        page.html
    );
    // The link is shown once: the user's page never shows it again.
    let token = &link[link.find("token=").unwrap() + 6..];
    assert!(!owner.get(&sam_href).await.html.contains(token));

    // A taken email, a bad email, an unknown role: the form again with
    // the error and what was typed, nobody created.
    for (email, role, status, error) in [
        (
            OWNER,
            "member",
            StatusCode::CONFLICT,
            "An account with this email already exists. Nobody was created.",
        ),
        (
            "not an email",
            "member",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nobody was created.",
        ),
        (
            "kim@example.com",
            "king",
            StatusCode::BAD_REQUEST,
            "The role must be owner, admin or member. Nobody was created.",
        ),
    ] {
        let again = owner
            .submit(action, &[("email", email), ("role", role)])
            .await;
        let html = again.expect(status);
        assert!(
            html.contains(r#"id="create-error""#) && html.contains(error),
            "{email}: {html}"
        );
        assert!(html.contains(&format!(r#"value="{email}""#)), "{html}");
    }
    assert_eq!(emails(&owner.get(USERS).await), [OWNER, SAM]);

    // The link sets Sam's password; Sam signs in with it.
    use_link(&server, &link, SAM, NEW_PASSWORD).await;
    Guest::new(&server)
        .sign_in(SAM, NEW_PASSWORD)
        .await
        .expect(StatusCode::CREATED);
    Visitor::new(&server)
        .get(&link)
        .await
        .expect(StatusCode::BAD_REQUEST);
}

async fn an_admin_creates_members_only(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let noah = Actor::member(&server, NOAH).await;
    let noah_id = account_id(&noah).await;
    Actor::member(&server, MIA).await;
    owner_api(&server)
        .await
        .post(
            &format!("/api/v1/admin/users/{noah_id}/role"),
            serde_json::json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    let admin = signed_in(&server, NOAH).await;
    let html = admin.get(USERS).await.expect(StatusCode::OK).to_owned();
    let form = &html[html.find(r#"id="create-user""#).unwrap()..];
    assert!(
        form.contains(r#"<option value="member" selected>member</option>"#),
        "{form}"
    );
    assert!(
        !form.contains(r#"<option value="admin""#) && !form.contains(r#"<option value="owner""#)
    );

    step_up(&admin).await;
    let refused = admin
        .submit(
            "/admin/users/new",
            &[("email", "kim@example.com"), ("role", "owner")],
        )
        .await;
    let html = refused.expect(StatusCode::FORBIDDEN);
    assert!(
        html.contains("Admins can only manage members: ask an owner."),
        "{html}"
    );
    let page = admin
        .submit(
            "/admin/users/new",
            &[("email", "kim@example.com"), ("role", "member")],
        )
        .await;
    shown_link(&server, &page);
    assert_eq!(
        emails(&admin.get(USERS).await),
        ["kim@example.com", MIA, NOAH, OWNER]
    );

    // A member cannot create anyone, with or without a step-up.
    let member = signed_in(&server, MIA).await;
    step_up(&member).await;
    let refused = member
        .submit(
            "/admin/users/new",
            &[("email", "lee@example.com"), ("role", "member")],
        )
        .await;
    refused.expect(StatusCode::FORBIDDEN);
    assert_eq!(emails(&admin.get(USERS).await).len(), 4);
}

async fn an_account_is_disabled_and_enabled_on_its_page(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let mia_id = account_id(&mia).await;
    let owner = signed_in(&server, OWNER).await;
    let page_path = format!("{USERS}/{mia_id}");
    let disable = format!("{page_path}/disable");
    let enable = format!("{page_path}/enable");

    let html = owner
        .get(&page_path)
        .await
        .expect(StatusCode::OK)
        .to_owned();
    assert!(
        html.contains(r#"<dd id="account-status">active</dd>"#),
        "{html}"
    );
    assert!(!html.contains(r#"id="disabled-at""#));
    assert!(
        html.contains(&format!(r#"<form method="post" action="{disable}">"#)),
        "{html}"
    );
    assert!(html.contains("every session and personal access token of theirs ends"));
    assert!(!html.contains("enable-account-button"));

    // Without the confirmation: the page again, nothing changed.
    let unticked = owner.submit(&disable, &[]).await;
    let html = unticked.expect(StatusCode::BAD_REQUEST);
    assert!(
        html.contains("Tick the confirmation to disable the account."),
        "{html}"
    );
    mia.get("/api/v1/me").await.expect(StatusCode::OK);

    // Through the step-up screen; her session ends.
    let screen = owner.submit(&disable, &[("confirm", "true")]).await;
    let stash = stash_on(&screen, "disable another user&#39;s account");
    mia.get("/api/v1/me").await.expect(StatusCode::OK);
    // Sealed for Mia: it does not open as Noah's, or as enabling Mia.
    let noah = Actor::member(&server, NOAH).await;
    let noah_id = account_id(&noah).await;
    for other in [format!("{USERS}/{noah_id}/disable"), enable.clone()] {
        let answer = owner
            .confirm(&[
                ("return_to", other.as_str()),
                ("stash", stash.as_str()),
                ("reauth_password", PASSWORD),
            ])
            .await;
        answer.expect(StatusCode::BAD_REQUEST);
    }
    noah.get("/api/v1/me").await.expect(StatusCode::OK);
    let done = owner
        .confirm(&[
            ("return_to", disable.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(done.location(), format!("{page_path}?notice=disabled"));
    let html = owner.follow(&done).await.expect(StatusCode::OK).to_owned();
    assert!(
        html.contains("Account disabled: mia@example.com can no longer sign in; 1 session and 0 personal access tokens ended."),
        "{html}"
    );
    assert!(
        html.contains(r#"<dd id="account-status">disabled</dd>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<dd id="disabled-at">2023-11-14 22:13 UTC</dd>"#),
        "{html}"
    );
    assert!(html.contains("enable-account-button") && !html.contains("disable-account-button"));
    assert!(html.contains(r#"data-kind="account.disabled""#), "{html}");
    mia.get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    let refused = Guest::new(&server).sign_in(MIA, PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    // The "enabled" notice says nothing while the account is disabled.
    let html = owner.get(&format!("{page_path}?notice=enabled")).await.html;
    assert!(!html.contains(r#"id="notice""#), "{html}");

    // Enable (the window is open now): she signs in again.
    let done = owner.submit(&enable, &[]).await;
    assert_eq!(done.location(), format!("{page_path}?notice=enabled"));
    let html = owner.follow(&done).await.expect(StatusCode::OK).to_owned();
    assert!(
        html.contains("Account enabled: mia@example.com can sign in again."),
        "{html}"
    );
    assert!(html.contains(r#"<dd id="account-status">active</dd>"#));
    assert!(html.contains(r#"data-kind="account.enabled""#), "{html}");
    Guest::new(&server)
        .sign_in(MIA, PASSWORD)
        .await
        .expect(StatusCode::CREATED);
    assert!(row(&owner.get(USERS).await, MIA).contains(r#"<td class="status">active</td>"#));
}

async fn who_may_disable_and_what_is_refused(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let noah = Actor::member(&server, NOAH).await;
    let (mia_id, noah_id) = (account_id(&mia).await, account_id(&noah).await);
    let owner_id = account_id(&Actor::sign_in(&server, OWNER, PASSWORD).await).await;
    owner_api(&server)
        .await
        .post(
            &format!("/api/v1/admin/users/{noah_id}/role"),
            serde_json::json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    let owner = signed_in(&server, OWNER).await;
    step_up(&owner).await;

    // The owner's own page: no control; posting anyway, the app's refusal.
    let html = owner.get(&format!("{USERS}/{owner_id}")).await.html;
    for control in [
        "disable-account-button",
        "enable-account-button",
        "password-link-button",
    ] {
        assert!(!html.contains(control), "{control}: {html}");
    }
    let own = owner
        .submit(
            &format!("{USERS}/{owner_id}/disable"),
            &[("confirm", "true")],
        )
        .await;
    own.expect(StatusCode::CONFLICT);
    // The owner sees the controls on an admin's page.
    let html = owner.get(&format!("{USERS}/{noah_id}")).await.html;
    assert!(html.contains("disable-account-button") && html.contains("password-link-button"));

    // An admin: the controls on a member's page only.
    let admin = signed_in(&server, NOAH).await;
    let html = admin.get(&format!("{USERS}/{mia_id}")).await.html;
    assert!(
        html.contains("disable-account-button") && html.contains("password-link-button"),
        "{html}"
    );
    let html = admin.get(&format!("{USERS}/{owner_id}")).await.html;
    assert!(!html.contains("disable-account-button") && !html.contains("password-link-button"));
    step_up(&admin).await;
    let refused = admin
        .submit(
            &format!("{USERS}/{owner_id}/disable"),
            &[("confirm", "true")],
        )
        .await;
    refused.expect(StatusCode::FORBIDDEN);
    let refused = admin
        .submit(&format!("{USERS}/{owner_id}/enable"), &[])
        .await;
    refused.expect(StatusCode::FORBIDDEN);
    let refused = admin
        .submit(&format!("{USERS}/{owner_id}/password-link"), &[])
        .await;
    refused.expect(StatusCode::FORBIDDEN);
    let html = owner.get(&format!("{USERS}/{owner_id}")).await.html;
    assert!(
        !html.contains(r#"data-kind="password.link_issued""#),
        "{html}"
    );
    // Nothing changed for the owner.
    let list = owner.get(USERS).await;
    assert!(row(&list, OWNER).contains(r#"<td class="status">active</td>"#));
    // An admin disables a member.
    let done = admin
        .submit(&format!("{USERS}/{mia_id}/disable"), &[("confirm", "true")])
        .await;
    assert_eq!(done.location(), format!("{USERS}/{mia_id}?notice=disabled"));

    // An unknown or malformed id: not found.
    let unknown = uuid::Uuid::new_v4();
    let answer = owner
        .submit(
            &format!("{USERS}/{unknown}/disable"),
            &[("confirm", "true")],
        )
        .await;
    answer.expect(StatusCode::NOT_FOUND);
    let answer = owner
        .submit(&format!("{USERS}/not-an-id/enable"), &[])
        .await;
    answer.expect(StatusCode::NOT_FOUND);
    noah.get("/api/v1/me").await.expect(StatusCode::OK);
}

async fn a_set_password_link_is_issued_on_the_user_page(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let mia_id = account_id(&mia).await;
    let owner_id = account_id(&Actor::sign_in(&server, OWNER, PASSWORD).await).await;
    let owner = signed_in(&server, OWNER).await;
    let action = format!("{USERS}/{mia_id}/password-link");

    let html = owner.get(&format!("{USERS}/{mia_id}")).await.html;
    assert!(
        html.contains(&format!(r#"<form method="post" action="{action}">"#)),
        "{html}"
    );
    let screen = owner.submit(&action, &[]).await;
    let stash = stash_on(&screen, "create a set-password link for another user");
    let page = owner
        .confirm(&[
            ("return_to", action.as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    let link = shown_link(&server, &page);
    assert!(
        page.html.contains("<h1>Set-password link</h1>"),
        "{}",
        page.html
    );
    // Her password works until the link is used.
    mia.get("/api/v1/me").await.expect(StatusCode::OK);
    Guest::new(&server)
        .sign_in(MIA, PASSWORD)
        .await
        .expect(StatusCode::CREATED);
    use_link(&server, &link, MIA, NEW_PASSWORD).await;
    Guest::new(&server)
        .sign_in(MIA, NEW_PASSWORD)
        .await
        .expect(StatusCode::CREATED);

    // The owner's own account: the app's refusal; unknown: not found.
    let own = owner
        .submit(&format!("{USERS}/{owner_id}/password-link"), &[])
        .await;
    own.expect(StatusCode::CONFLICT);
    let unknown = owner
        .submit(
            &format!("{USERS}/{}/password-link", uuid::Uuid::new_v4()),
            &[],
        )
        .await;
    unknown.expect(StatusCode::NOT_FOUND);
    // A member cannot.
    Actor::member(&server, NOAH).await;
    let member = signed_in(&server, NOAH).await;
    let refused = member.submit(&action, &[]).await;
    refused.expect(StatusCode::FORBIDDEN);
}

async fn an_owner_revokes_a_token_and_the_sealed_form_binds_both_ids(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let mia = Actor::member(&server, MIA).await;
    let noah = Actor::member(&server, NOAH).await;
    let (mia_id, noah_id) = (account_id(&mia).await, account_id(&noah).await);
    let mut tokens = Vec::new();
    for (who, name) in [(&mia, "ci"), (&mia, "laptop"), (&noah, "ci")] {
        who.step_up().await;
        let created = who
            .post(
                "/api/v1/me/tokens",
                serde_json::json!({"name": name, "expires_in": 3600, "scopes": ["read"]}),
            )
            .await
            .expect(StatusCode::CREATED);
        tokens.push(created["token"].as_str().unwrap().to_owned());
    }
    let listed = mia.get("/api/v1/me/tokens").await.expect(StatusCode::OK);
    let id_of = |listed: &serde_json::Value, name: &str| {
        listed["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ci, laptop) = (id_of(&listed, "ci"), id_of(&listed, "laptop"));
    let noah_ci = id_of(
        &noah.get("/api/v1/me/tokens").await.expect(StatusCode::OK),
        "ci",
    );
    let revoke = |user: &str, token: &str| format!("{USERS}/{user}/tokens/{token}/revoke");

    let owner = signed_in(&server, OWNER).await;
    let html = owner.get(&format!("{USERS}/{mia_id}")).await.html;
    assert_eq!(
        html.matches(r#"class="danger revoke-token""#).count(),
        2,
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"action="{}""#, revoke(&mia_id, &ci))),
        "{html}"
    );

    let screen = owner.submit(&revoke(&mia_id, &ci), &[]).await;
    let stash = stash_on(&screen, "revoke another user&#39;s personal access token");
    // The sealed form does not open for another token or another user.
    for other in [
        revoke(&mia_id, &laptop),
        revoke(&noah_id, &noah_ci),
        revoke(&noah_id, &ci),
    ] {
        let answer = owner
            .confirm(&[
                ("return_to", other.as_str()),
                ("stash", stash.as_str()),
                ("reauth_password", PASSWORD),
            ])
            .await;
        assert!(
            answer
                .expect(StatusCode::BAD_REQUEST)
                .contains("Nothing was changed")
        );
        let answer = owner.submit(&other, &[("stash", stash.as_str())]).await;
        answer.expect(StatusCode::BAD_REQUEST);
    }
    for token in &tokens {
        Actor::with_token(&server, token)
            .get("/api/v1/me")
            .await
            .expect(StatusCode::OK);
    }
    let done = owner
        .confirm(&[
            ("return_to", revoke(&mia_id, &ci).as_str()),
            ("stash", stash.as_str()),
            ("reauth_password", PASSWORD),
        ])
        .await;
    assert_eq!(
        done.location(),
        format!("{USERS}/{mia_id}?notice=token_revoked")
    );
    let html = owner.follow(&done).await.expect(StatusCode::OK).to_owned();
    assert!(html.contains("Token ci revoked."), "{html}");
    assert_eq!(
        html.matches(r#"class="danger revoke-token""#).count(),
        1,
        "{html}"
    );
    Actor::with_token(&server, &tokens[0])
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    for token in &tokens[1..] {
        Actor::with_token(&server, token)
            .get("/api/v1/me")
            .await
            .expect(StatusCode::OK);
    }
    // Again: no such token. A token of Noah's under Mia's path: none either.
    owner
        .submit(&revoke(&mia_id, &ci), &[])
        .await
        .expect(StatusCode::NOT_FOUND);
    owner
        .submit(&revoke(&mia_id, &noah_ci), &[])
        .await
        .expect(StatusCode::NOT_FOUND);
    owner
        .submit(&revoke(&mia_id, "not-an-id"), &[])
        .await
        .expect(StatusCode::NOT_FOUND);
    Actor::with_token(&server, &tokens[2])
        .get("/api/v1/me")
        .await
        .expect(StatusCode::OK);

    // An admin sees no Revoke button, and posting one is refused.
    owner_api(&server)
        .await
        .post(
            &format!("/api/v1/admin/users/{noah_id}/role"),
            serde_json::json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    let admin = signed_in(&server, NOAH).await;
    let html = admin.get(&format!("{USERS}/{mia_id}")).await.html;
    assert!(
        html.contains("laptop") && !html.contains("revoke-token"),
        "{html}"
    );
    step_up(&admin).await;
    let refused = admin.submit(&revoke(&mia_id, &laptop), &[]).await;
    refused.expect(StatusCode::FORBIDDEN);
    Actor::with_token(&server, &tokens[1])
        .get("/api/v1/me")
        .await
        .expect(StatusCode::OK);
}
