//! Administration → Users over the API, on both backends: the list with its
//! counts, filters and paging, one user's detail without a secret, and who
//! may read them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_testkit::{Actor, Backend, TestServer, events_of_kind, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    an_owner_lists_users_with_their_factors_filters_and_pages,
    a_users_detail_shows_factors_sessions_and_events_but_no_secret,
    only_owners_and_admins_read_users_and_bad_filters_are_refused,
    an_owner_promotes_a_member_who_sees_it_in_their_activity,
    only_an_owner_after_step_up_changes_roles,
    the_last_owner_cannot_be_demoted,
    two_owners_demoting_each_other_at_once_leave_one_owner,
);

const OWNER: &str = "owner@example.com";
const WITH_APP: &str = "mia@example.com";
const WITHOUT: &str = "noah@example.com";

const USERS: &str = "/api/v1/admin/users";

async fn account_id(actor: &Actor<'_>) -> String {
    let me = actor.get("/api/v1/me").await.expect(StatusCode::OK);
    me["account"]["id"].as_str().unwrap().to_owned()
}

fn emails(page: &Value) -> Vec<&str> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect()
}

async fn an_owner_lists_users_with_their_factors_filters_and_pages(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, WITH_APP).await;
    member.totp().enrol(None).await;
    Actor::member(&server, WITHOUT).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;

    let page = owner.get(USERS).await.expect(StatusCode::OK);
    assert_eq!(emails(&page), [WITH_APP, WITHOUT, OWNER], "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    let mia = &page["users"][0];
    assert_eq!(mia["id"], json!(account_id(&member).await));
    assert_eq!(mia["role"], "member");
    assert_eq!(mia["mfa"], true);
    assert_eq!(
        (&mia["totp"], &mia["passkeys"], &mia["recovery_codes_left"]),
        (&json!(1), &json!(0), &json!(10))
    );
    assert!(mia["created_at"].is_string());
    assert!(mia["last_sign_in"].is_string(), "{mia}");
    let noah = &page["users"][1];
    assert_eq!(noah["mfa"], false);
    assert_eq!(
        (&noah["totp"], &noah["recovery_codes_left"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(page["users"][2]["role"], "owner");

    let only = |query: &'static str| {
        let owner = &owner;
        async move {
            let page = owner
                .get(&format!("{USERS}?{query}"))
                .await
                .expect(StatusCode::OK);
            emails(&page)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only("role=owner").await, [OWNER]);
    assert_eq!(only("role=member").await, [WITH_APP, WITHOUT]);
    assert_eq!(only("mfa=true").await, [WITH_APP]);
    assert_eq!(only("mfa=false").await, [WITHOUT, OWNER]);
    assert_eq!(only("q=NOAH").await, [WITHOUT]);
    assert_eq!(only("q=%40example&mfa=false&role=member").await, [WITHOUT]);
    assert!(
        only("q=%25").await.is_empty(),
        "% is a literal, not a wildcard"
    );

    let first = owner
        .get(&format!("{USERS}?limit=2"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&first), [WITH_APP, WITHOUT]);
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, first["users"][1]["id"].as_str().unwrap());
    let second = owner
        .get(&format!("{USERS}?limit=2&cursor={cursor}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&second), [OWNER]);
    assert_eq!(second["next_cursor"], Value::Null);
}

async fn a_users_detail_shows_factors_sessions_and_events_but_no_secret(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, WITH_APP).await;
    let enrolled = member.totp().enrol("Work phone").await;
    let member_id = account_id(&member).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;

    let detail = owner
        .get(&format!("{USERS}/{member_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["account"]["id"], json!(member_id));
    assert_eq!(detail["account"]["email"], WITH_APP);
    assert_eq!(detail["account"]["role"], "member");
    let factors = &detail["factors"];
    assert_eq!(factors["enabled"], true);
    assert_eq!(factors["totp"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(factors["totp"][0]["id"], json!(enrolled.id));
    assert_eq!(factors["totp"][0]["name"], "Work phone");
    assert!(factors["totp"][0]["created_at"].is_string());
    assert_eq!(factors["passkeys"], json!([]));
    assert_eq!(factors["recovery_codes_left"], 10);
    let sessions = detail["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{detail}");
    assert_eq!(sessions[0]["current"], false);
    let events = detail["events"].as_array().unwrap();
    assert!(events.len() <= 20);
    assert_eq!(
        events_of_kind(&detail, "sign_in.succeeded").len(),
        1,
        "{detail}"
    );
    assert!(events.iter().all(|e| e["account_id"] == json!(member_id)));

    let text = detail.to_string();
    assert!(!enrolled.secret.is_empty());
    assert!(
        !text.contains(&enrolled.secret),
        "the TOTP secret leaked: {text}"
    );
    for code in &enrolled.recovery_codes {
        assert!(!text.contains(code.as_str()), "a recovery code leaked");
    }

    let unknown = uuid::Uuid::new_v4();
    owner
        .get(&format!("{USERS}/{unknown}"))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
}

async fn only_owners_and_admins_read_users_and_bad_filters_are_refused(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, WITH_APP).await;
    member.totp().enrol(None).await;
    let member_id = account_id(&member).await;
    member
        .get(USERS)
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    member
        .get(&format!("{USERS}/{member_id}"))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");

    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    let unknown = uuid::Uuid::new_v4();
    for query in [
        "role=king".to_owned(),
        "limit=lots".to_owned(),
        "limit=-1".to_owned(),
        "mfa=maybe".to_owned(),
        "cursor=not-an-id".to_owned(),
        format!("cursor={unknown}"),
        "page=2".to_owned(),
    ] {
        owner
            .get(&format!("{USERS}?{query}"))
            .await
            .refused(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

fn role_path(id: &str) -> String {
    format!("{USERS}/{id}/role")
}

async fn an_owner_promotes_a_member_who_sees_it_in_their_activity(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, WITHOUT).await;
    let member_id = account_id(&member).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;

    let account = owner
        .post(&role_path(&member_id), json!({"role": "admin"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(account["id"], json!(member_id));
    assert_eq!(account["email"], WITHOUT);
    assert_eq!(account["role"], "admin");
    let detail = owner
        .get(&format!("{USERS}/{member_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["account"], account);
    // The same role again changes nothing and is not audited.
    owner
        .post(&role_path(&member_id), json!({"role": "admin"}))
        .await
        .expect(StatusCode::OK);
    owner
        .post(&role_path(&member_id), json!({"role": "king"}))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_request");

    let own = member.events("").await;
    let changes = events_of_kind(&own, "role.changed");
    assert_eq!(changes.len(), 1, "{own}");
    assert_eq!(
        changes[0]["actor"],
        json!({"kind": "account", "id": account_id(&owner).await})
    );
}

async fn only_an_owner_after_step_up_changes_roles(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let member = Actor::member(&server, WITHOUT).await;
    let member_id = account_id(&member).await;
    let admin = Actor::member(&server, WITH_APP).await;
    let admin_id = account_id(&admin).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner
        .post(&role_path(&member_id), json!({"role": "admin"}))
        .await
        .refused(StatusCode::FORBIDDEN, "reauth_required");
    owner.step_up().await;
    owner
        .post(&role_path(&admin_id), json!({"role": "admin"}))
        .await
        .expect(StatusCode::OK);

    admin.step_up().await;
    admin
        .post(&role_path(&member_id), json!({"role": "admin"}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    member.step_up().await;
    member
        .post(&role_path(&member_id), json!({"role": "owner"}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden");
    let unknown = uuid::Uuid::new_v4().to_string();
    owner
        .post(&role_path(&unknown), json!({"role": "admin"}))
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    let page = owner
        .get(&format!("{USERS}?role=member"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&page), [WITHOUT]);
}

async fn the_last_owner_cannot_be_demoted(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let owner = Actor::sign_in(&server, OWNER, PASSWORD).await;
    owner.step_up().await;
    let owner_id = account_id(&owner).await;
    owner
        .post(&role_path(&owner_id), json!({"role": "member"}))
        .await
        .refused(StatusCode::CONFLICT, "last_owner");
    let page = owner
        .get(&format!("{USERS}?role=owner"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&page), [OWNER]);
}

async fn two_owners_demoting_each_other_at_once_leave_one_owner(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let sibling = TestServer::start_sibling(&db, &server).await;
    let second = Actor::member(&server, WITH_APP).await;
    let second_id = account_id(&second).await;
    let first = Actor::sign_in(&server, OWNER, PASSWORD).await;
    first.step_up().await;
    let first_id = account_id(&first).await;
    first
        .post(&role_path(&second_id), json!({"role": "owner"}))
        .await
        .expect(StatusCode::OK);
    // The second owner acts on the other instance.
    let second = Actor::sign_in(&sibling, WITH_APP, PASSWORD).await;
    second.step_up().await;

    let first_path = role_path(&second_id);
    let second_path = role_path(&first_id);
    let (by_first, by_second) = tokio::join!(
        first.post(&first_path, json!({"role": "member"})),
        second.post(&second_path, json!({"role": "member"})),
    );
    let succeeded = [&by_first, &by_second]
        .iter()
        .filter(|reply| reply.status == StatusCode::OK)
        .count();
    assert_eq!(succeeded, 1, "{by_first:?} {by_second:?}");
    // The one whose demotion went through is the owner left. The other was
    // refused: as the last owner if both were in flight, or as no longer an
    // owner if the winner had already committed.
    let (survivor, refused) = if by_first.status == StatusCode::OK {
        (&first, by_second)
    } else {
        (&second, by_first)
    };
    match refused.status {
        StatusCode::CONFLICT => refused.refused(StatusCode::CONFLICT, "last_owner"),
        _ => refused.refused(StatusCode::FORBIDDEN, "forbidden"),
    }
    let page = survivor
        .get(&format!("{USERS}?role=owner"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["users"].as_array().unwrap().len(), 1, "{page}");
}
