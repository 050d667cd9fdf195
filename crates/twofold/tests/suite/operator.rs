//! The owner's reset of a locked-out user's MFA over the API, on both
//! backends: who may, step-up, the owner's own account, and sessions ended
//! on every instance.

use reqwest::StatusCode;
use serde_json::json;
use twofold_testkit::{Actor, Backend, TestServer, events_of_kind, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    an_owner_resets_a_locked_out_member_and_their_sessions_end_everywhere,
    only_an_owner_after_step_up_resets_someone_else,
);

const OWNER: &str = "owner@example.com";
const LOCKED: &str = "locked@example.com";

fn disable_path(id: &str) -> String {
    format!("/api/v1/admin/users/{id}/mfa/disable")
}

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

async fn an_owner_resets_a_locked_out_member_and_their_sessions_end_everywhere(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let member = Actor::member(&server, LOCKED).await;
    member.totp().enrol(None).await;
    let member_id = account_id(&member).await;
    let on_sibling = Actor::with_token(&sibling, &member.token);
    on_sibling.get("/api/v1/me").await.expect(StatusCode::OK);

    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let removed = owner
        .post(&disable_path(&member_id), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        removed,
        json!({"totp": 1, "passkeys": 0, "recovery_codes": 10, "sessions": 1, "tokens": 0})
    );
    on_sibling
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");

    let again = Actor::sign_in(&sibling, LOCKED, PASSWORD).await;
    assert_eq!(again.mfa().await["enabled"], json!(false));
    owner
        .post(&disable_path(&member_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "nothing_to_reset");

    let page = owner
        .get("/api/v1/admin/events?kind=mfa.reset")
        .await
        .expect(StatusCode::OK);
    let resets = events_of_kind(&page, "mfa.reset");
    assert_eq!(resets.len(), 1, "{page}");
    let owner_id = account_id(&owner).await;
    assert_eq!(
        resets[0]["actor"],
        json!({"kind": "account", "id": owner_id})
    );
    assert_eq!(resets[0]["account_id"], json!(member_id));
    let own = again.events("").await;
    assert_eq!(events_of_kind(&own, "mfa.reset").len(), 1, "{own}");
}

async fn only_an_owner_after_step_up_resets_someone_else(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, LOCKED).await;
    member.totp().enrol(None).await;
    let member_id = account_id(&member).await;
    let other = Actor::member(&server, "other@example.com").await;
    other.step_up().await;
    other
        .post(&disable_path(&member_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");

    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner
        .post(&disable_path(&member_id), json!({}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    let owner_id = account_id(&owner).await;
    owner
        .post(&disable_path(&owner_id), json!({}))
        .await
        .refused(StatusCode::CONFLICT, "own_account");
    let unknown = uuid::Uuid::new_v4().to_string();
    owner
        .post(&disable_path(&unknown), json!({}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    owner
        .post(&disable_path("not-an-id"), json!({}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    // Nothing was removed by the refusals.
    assert_eq!(member.mfa().await["enabled"], json!(true));
}
