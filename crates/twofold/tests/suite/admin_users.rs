//! Administration → Users over the API, on both backends: the list with its
//! counts, filters and paging, one user's detail without a secret, and who
//! may read them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use twofold_testkit::{Actor, Backend, events_of_kind, on_both_backends};

use crate::{PASSWORD, open_instance};

on_both_backends!(
    an_owner_lists_users_with_their_factors_filters_and_pages,
    a_users_detail_shows_factors_sessions_and_events_but_no_secret,
    only_owners_and_admins_read_users_and_bad_filters_are_refused,
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
