//! Disabling and enabling accounts over the API, on both backends: who may,
//! what a disabled account loses (every session, on every instance, and
//! signing in, answered as a wrong password), the last active owner, and
//! two owners disabling each other at once.

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_testkit::{Actor, Backend, Guest, Reply, TestServer, events_of_kind, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    who_may_disable_and_enable_whom,
    a_disabled_account_loses_its_sessions_everywhere_and_cannot_sign_in,
    a_disabled_account_with_an_authenticator_is_refused_at_the_password,
    a_disabled_accounts_passkey_signs_in_no_more,
    the_last_active_owner_can_be_neither_disabled_nor_demoted,
    owners_disabling_each_other_at_once_leave_one_of_each_pair_active,
);

const OWNER: &str = "owner@example.com";
const MIA: &str = "mia@example.com";
const NOAH: &str = "noah@example.com";
const USERS: &str = "/api/v1/admin/users";

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

fn disable(id: &str) -> String {
    format!("{USERS}/{id}/disable")
}

fn enable(id: &str) -> String {
    format!("{USERS}/{id}/enable")
}

/// The answer to a wrong password: a disabled account must get exactly this.
async fn wrong_password(server: &TestServer, email: &str) -> (StatusCode, Value) {
    let reply = Guest::new(server)
        .sign_in(email, "not the password at all")
        .await;
    (reply.status, reply.body)
}

async fn sign_in_reply(server: &TestServer, email: &str) -> (StatusCode, Value) {
    let reply = Guest::new(server).sign_in(email, PASSWORD).await;
    (reply.status, reply.body)
}

async fn promote(owner: &Actor<'_>, id: &str, role: &str) {
    owner
        .post(&format!("{USERS}/{id}/role"), json!({"role": role}))
        .await
        .expect(StatusCode::OK);
}

async fn who_may_disable_and_enable_whom(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, NOAH).await;
    let member_id = account_id(&member).await;
    let admin = Actor::member(&server, MIA).await;
    let admin_id = account_id(&admin).await;
    let other_admin = Actor::member(&server, "ava@example.com").await;
    let other_admin_id = account_id(&other_admin).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let owner_id = account_id(&owner).await;

    owner
        .post(&disable(&member_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    promote(&owner, &admin_id, "admin").await;
    promote(&owner, &other_admin_id, "admin").await;
    owner
        .post(&disable(&owner_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "own_account");
    let unknown = uuid::Uuid::new_v4().to_string();
    owner
        .post(&disable(&unknown), json!({}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");

    // A member may not, even after step-up.
    member.step_up().await;
    member
        .post(&disable(&admin_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");

    // An admin: members only, and not their own account.
    admin
        .post(&disable(&member_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    admin.step_up().await;
    for id in [&owner_id, &other_admin_id] {
        admin
            .post(&disable(id), json!({}))
            .await
            .refused(StatusCode::FORBIDDEN, "forbidden");
        admin
            .post(&enable(id), json!({}))
            .await
            .refused(StatusCode::FORBIDDEN, "forbidden");
    }
    admin
        .post(&disable(&admin_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "own_account");
    let disabled = admin
        .post(&disable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(disabled["id"], json!(member_id));
    assert_eq!(disabled["status"], "disabled", "{disabled}");
    assert!(disabled["disabled_at"].is_string(), "{disabled}");
    let enabled = admin
        .post(&enable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(enabled["status"], "active", "{enabled}");
    assert_eq!(enabled["disabled_at"], Value::Null);

    // An owner: anyone but themselves, admins included.
    let admin_disabled = owner
        .post(&disable(&other_admin_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(admin_disabled["status"], "disabled");
    owner
        .post(&enable(&other_admin_id), json!({}))
        .await
        .expect(StatusCode::OK);

    // Nothing above left an account disabled, and the refusals wrote nothing.
    let page = owner
        .get(&format!("{USERS}?status=disabled"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"], json!([]), "{page}");
    let page = owner
        .get(&format!("{USERS}?status=active"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"].as_array().unwrap().len(), 4, "{page}");
    owner
        .get(&format!("{USERS}?status=asleep"))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");
    let log = owner
        .get(&format!(
            "/api/v1/admin/events?account_id={owner_id}&kind=account.disabled"
        ))
        .await
        .expect(StatusCode::OK);
    assert_eq!(log["events"], json!([]), "{log}");
}

async fn a_disabled_account_loses_its_sessions_everywhere_and_cannot_sign_in(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let here = Actor::member(&server, MIA).await;
    let member_id = account_id(&here).await;
    let there = Actor::sign_in(&sibling, MIA, PASSWORD).await;
    let owner = Actor::sign_in(&sibling, OWNER, PASSWORD).await;
    let owner_id = account_id(&owner).await;
    owner.step_up().await;

    let disabled = owner
        .post(&disable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(disabled["status"], "disabled");
    // Both sessions died at once, on both instances.
    for actor in [&here, &there] {
        actor
            .get("/api/v1/me")
            .await
            .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // The right password gets exactly the wrong password's answer.
    for instance in [&server, &sibling] {
        let refused = sign_in_reply(instance, MIA).await;
        assert_eq!(refused, wrong_password(instance, MIA).await);
        assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{}", refused.1);
    }
    // The admins see why; the list and the detail show the status.
    let log = owner
        .get(&format!(
            "/api/v1/admin/events?account_id={member_id}&kind=sign_in.failed"
        ))
        .await
        .expect(StatusCode::OK);
    let reasons: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["detail"]["reason"])
        .collect();
    assert_eq!(
        reasons.iter().filter(|r| **r == "account_disabled").count(),
        2,
        "{log}"
    );
    let page = owner
        .get(&format!("{USERS}?status=disabled"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["users"][0]["email"], MIA);
    assert_eq!(page["users"][0]["status"], "disabled");
    assert_eq!(page["users"][0]["disabled_at"], disabled["disabled_at"]);
    let detail = owner
        .get(&format!("{USERS}/{member_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["account"], disabled);
    assert_eq!(detail["sessions"], json!([]));
    let ended = events_of_kind(&detail, "account.disabled");
    assert_eq!(ended.len(), 1, "{detail}");
    assert_eq!(ended[0]["detail"]["sessions"], 2, "{detail}");
    assert_eq!(
        ended[0]["actor"],
        json!({"kind": "account", "id": owner_id})
    );

    // Again: no change, no second audit row.
    let again = owner
        .post(&disable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(again, disabled);

    let enabled = owner
        .post(&enable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(enabled["status"], "active");
    owner
        .post(&enable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    let back = Actor::sign_in(&server, MIA, PASSWORD).await;
    let own = back.events("").await;
    let disabled_rows = events_of_kind(&own, "account.disabled");
    let enabled_rows = events_of_kind(&own, "account.enabled");
    assert_eq!((disabled_rows.len(), enabled_rows.len()), (1, 1), "{own}");
    assert_eq!(
        enabled_rows[0]["actor"],
        json!({"kind": "account", "id": owner_id})
    );
}

async fn a_disabled_account_with_an_authenticator_is_refused_at_the_password(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, NOAH).await;
    let member_id = account_id(&member).await;
    let phone = member.totp().enrol(None).await;
    // A challenge opened before the disable cannot be met after it.
    let pending = Guest::new(&server).challenge(NOAH).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    owner
        .post(&disable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);

    let late = pending
        .totp(&twofold_testkit::oathtool(&phone.secret, &server))
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED, "{}", late.body);
    assert!(late.body["token"].is_null(), "{}", late.body);
    let refused = sign_in_reply(&server, NOAH).await;
    assert_eq!(refused, wrong_password(&server, NOAH).await);
    assert!(refused.1["challenge_id"].is_null(), "{}", refused.1);

    owner
        .post(&enable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    server.advance(std::time::Duration::from_secs(30));
    let challenge = Guest::new(&server).challenge(NOAH).await;
    challenge
        .totp(&twofold_testkit::oathtool(&phone.secret, &server))
        .await
        .expect(StatusCode::CREATED);
}

async fn the_last_active_owner_can_be_neither_disabled_nor_demoted(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let second = Actor::member(&server, MIA).await;
    let second_id = account_id(&second).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let owner_id = account_id(&owner).await;
    owner.step_up().await;
    promote(&owner, &second_id, "owner").await;
    owner
        .post(&disable(&second_id), json!({}))
        .await
        .expect(StatusCode::OK);
    // Two owners, one of them disabled: the active one is the last.
    owner
        .post(
            &format!("{USERS}/{owner_id}/role"),
            json!({"role": "admin"}),
        )
        .await
        .refused(StatusCode::CONFLICT, "last_owner");
    let page = owner
        .get(&format!("{USERS}?role=owner&status=active"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["users"][0]["email"], OWNER);
    // Enabled again, the other owner can take over and demote the first.
    owner
        .post(&enable(&second_id), json!({}))
        .await
        .expect(StatusCode::OK);
    owner
        .post(
            &format!("{USERS}/{owner_id}/role"),
            json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
}

/// Twelve pairs of owners, each pair disabling each other at once, one of
/// each pair on each instance: in every pair exactly one request goes
/// through and the other owner is left active; the loser is refused, its
/// session having ended with its account.
async fn owners_disabling_each_other_at_once_leave_one_of_each_pair_active(backend: Backend) {
    const PAIRS: usize = 12;
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    // Sign-up is open on the first instance, ten an address per quarter
    // hour: the clock moves on between batches, before anyone signs in.
    for pair in 0..PAIRS {
        if pair % 4 == 0 {
            for instance in [&server, &sibling] {
                instance.advance(std::time::Duration::from_secs(16 * 60));
            }
        }
        for side in ["first", "second"] {
            Guest::new(&server)
                .request_account(&format!("{side}{pair}@example.com"))
                .await;
        }
    }
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let mut pairs = Vec::new();
    for pair in 0..PAIRS {
        // One owner of each pair works on each instance.
        let first = Actor::sign_in(&server, &format!("first{pair}@example.com"), PASSWORD).await;
        let second = Actor::sign_in(&sibling, &format!("second{pair}@example.com"), PASSWORD).await;
        let (first_id, second_id) = (account_id(&first).await, account_id(&second).await);
        promote(&owner, &first_id, "owner").await;
        promote(&owner, &second_id, "owner").await;
        first.step_up().await;
        second.step_up().await;
        pairs.push((first, first_id, second, second_id));
    }
    // Every request built first, then all sent at once.
    let tasks: Vec<_> = pairs
        .iter()
        .flat_map(|(first, first_id, second, second_id)| {
            [(first, second_id), (second, first_id)].map(|(actor, target)| {
                let request = actor
                    .server()
                    .client()
                    .post(actor.server().url(&disable(target)))
                    .bearer_auth(&actor.token)
                    .json(&json!({}));
                tokio::spawn(async move { Reply::read(request.send().await.unwrap()).await })
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let page = owner
        .get(&format!("{USERS}?status=disabled&limit=200"))
        .await
        .expect(StatusCode::OK);
    let disabled: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(disabled.len(), PAIRS, "{page}");
    for (pair, replies) in replies.chunks(2).enumerate() {
        let ok = replies
            .iter()
            .filter(|reply| reply.status == StatusCode::OK)
            .count();
        assert_eq!(ok, 1, "pair {pair}: {replies:?}");
        let loser = replies.iter().find(|r| r.status != StatusCode::OK).unwrap();
        loser.refused(StatusCode::UNAUTHORIZED, "unauthenticated");
        let first_disabled = disabled.contains(&format!("first{pair}@example.com").as_str());
        let second_disabled = disabled.contains(&format!("second{pair}@example.com").as_str());
        assert!(first_disabled != second_disabled, "pair {pair}: {page}");
        // The one whose request went through is the one left active.
        assert_eq!(
            replies[0].status == StatusCode::OK,
            second_disabled,
            "pair {pair}"
        );
    }
}

/// A passkey alone names its account only once verified: the last guard of
/// every sign-in refuses it, with the wrong password's answer, and audits why.
async fn a_disabled_accounts_passkey_signs_in_no_more(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, NOAH).await;
    let member_id = account_id(&member).await;
    let mut key = twofold_testkit::softkey::SoftKey::new(&server.public_url);
    member.passkeys().enrol(&mut key, "Laptop").await;
    Guest::new(&server)
        .passwordless(&mut key)
        .await
        .expect(StatusCode::CREATED);
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    owner
        .post(&disable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);

    let refused = Guest::new(&server).passwordless(&mut key).await;
    let wrong = wrong_password(&server, NOAH).await;
    assert_eq!((refused.status, refused.body), wrong);
    let log = owner
        .get(&format!(
            "/api/v1/admin/events?account_id={member_id}&kind=sign_in.failed"
        ))
        .await
        .expect(StatusCode::OK);
    // The passkey's refusal says why; the wrong password's says nothing.
    let details: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["detail"])
        .collect();
    assert_eq!(
        details,
        [&json!({}), &json!({"reason": "account_disabled"})],
        "{log}"
    );

    owner
        .post(&enable(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    Guest::new(&server)
        .passwordless(&mut key)
        .await
        .expect(StatusCode::CREATED);
}
