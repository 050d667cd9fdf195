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
