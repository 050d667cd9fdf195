//! Bad input gets a clear 4xx in the API's error shape and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, create_owner, error_code, open_instance, post, read};

on_both_backends!(
    malformed_bodies_are_refused_and_change_nothing,
    odd_emails_and_passwords_are_refused_and_change_nothing,
    bodies_and_queries_are_read_as_the_openapi_document_describes_them
);

async fn send_raw(
    server: &TestServer,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = server.client().post(server.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    read(request.send().await.unwrap()).await
}

async fn malformed_bodies_are_refused_and_change_nothing(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let json = Some("application/json");
    // (path, content type, body, expected status, expected code)
    type Case = (
        &'static str,
        Option<&'static str>,
        Vec<u8>,
        StatusCode,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("/api/v1/accounts", json, b"{".to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, b"".to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, b"[]".to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, b"null".to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, br#"{"email":"a@b.co"}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, br#"{"email":5,"password":"x"}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, br#"{"email":"a@b.co","password":["x"]}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, br#"{"email":"a@b.co","password":"correct horse","role":"owner"}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", json, vec![0xff, 0xfe, 0x00], StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/accounts", None, br#"{"email":"a@b.co","password":"correct horse"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("/api/v1/accounts", Some("text/plain"), br#"{"email":"a@b.co","password":"correct horse"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("/api/v1/sessions", json, br#"{"email":"owner@example.com","password":"correct horse battery","remember_me":"yes"}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("/api/v1/sessions", json, format!(r#"{{"email":"{}","password":"x"}}"#, "a".repeat(70 * 1024)).into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
    ];
    for (path, content_type, body, expected, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let (status, response) = send_raw(&server, path, content_type, body).await;
        assert_eq!(status, expected, "{path} {shown}: {response}");
        assert_eq!(error_code(&response), code, "{path} {shown}");
    }
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);

    // Unknown routes and methods answer in the same shape.
    for (method, path, expected, code) in [
        (
            Method::GET,
            "/api/v1/nope",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::PUT,
            "/api/v1/sessions",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        let request = server.client().request(method, server.url(path));
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!((status, error_code(&body)), (expected, code), "{path}");
    }
}

async fn odd_emails_and_passwords_are_refused_and_change_nothing(backend: Backend) {
    let (_db, server) = open_instance(backend).await;
    let client = server.client();
    let long_email = format!("{}@example.com", "a".repeat(10_000));
    let long_password = "p".repeat(1025);
    let sign_ups: Vec<(String, String)> = vec![
        (long_email.clone(), PASSWORD.into()),
        ("".into(), PASSWORD.into()),
        ("   ".into(), PASSWORD.into()),
        ("' OR 1=1; DROP TABLE accounts; --".into(), PASSWORD.into()),
        (
            "robert'); DROP TABLE accounts;--@example.com x".into(),
            PASSWORD.into(),
        ),
        ("nul\u{0}@example.com".into(), PASSWORD.into()),
        ("rtl\u{202e}@example.com".into(), PASSWORD.into()),
        ("two@@example.com".into(), PASSWORD.into()),
        ("new@example.com".into(), "short".into()),
        ("new@example.com".into(), "😀😀😀".into()),
        ("new@example.com".into(), long_password.clone()),
        ("new@example.com".into(), "".into()),
    ];
    for (email, password) in &sign_ups {
        let sign_up = json!({"email": email, "password": password});
        let (status, body) = post(&client, &server, "/api/v1/accounts", sign_up).await;
        let shown: String = email.chars().take(40).collect();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shown:?}: {body}"
        );
        assert_eq!(error_code(&body), "invalid_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("email") || message.contains("password"),
            "{message}"
        );
        assert!(
            !message.contains(password.as_str()) || password.is_empty(),
            "echoes the password"
        );
    }
    assert_eq!(server.app.store().count_accounts().await.unwrap(), 1);

    // At sign-in, anything that is not the right pair is the same neutral 401.
    for (email, password) in [
        (long_email.as_str(), PASSWORD),
        ("owner@example.com", long_password.as_str()),
        ("' OR '1'='1", "' OR '1'='1"),
        ("owner@example.com'--", PASSWORD),
        ("ØWNER@example.com", PASSWORD),
        (
            "owner@example.com",
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
        ),
    ] {
        let sign_in = json!({"email": email, "password": password});
        let (status, body) = post(&client, &server, "/api/v1/sessions", sign_in).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), "invalid_credentials");
    }
}

#[tokio::test]
async fn a_cross_site_request_is_refused_and_a_same_origin_one_passes() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let body = json!({"email": "owner@example.com", "password": PASSWORD});
    let attempt = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut request = server
            .client()
            .post(server.url("/api/v1/sessions"))
            .json(&body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        async move { read(request.send().await.unwrap()).await }
    };
    let (status, body_) = attempt(Some("http://evil.example"), Some("cross-site")).await;
    assert_eq!(
        (status, error_code(&body_)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // DNS rebinding: the browser calls it same-origin, the Origin says otherwise.
    let (status, _) = attempt(Some("http://127.0.0.1:1"), Some("same-origin")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A browser header without Origin is not enough.
    let (status, _) = attempt(None, Some("same-origin")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = attempt(
        Some(Box::leak(server.base.clone().into_boxed_str())),
        Some("same-origin"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // A non-browser client (no Origin, no Sec-Fetch-Site) passes.
    let (status, _) = attempt(None, None).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    for path in [
        "/",
        "/setup",
        "/login",
        "/api/v1/me",
        "/api/v1/nope",
        "/no-such-page",
    ] {
        let response = server.client().get(server.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        // Pages: same-origin, so our own forms carry a real Origin (see pages/mod.rs).
        let referrer = if path.starts_with("/api") {
            "no-referrer"
        } else {
            "same-origin"
        };
        if response.status().is_success() || path.starts_with("/api") {
            assert_eq!(headers["referrer-policy"], referrer, "{path}");
        }
        assert!(
            headers["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("publickey-credentials-get=(self)")
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over http"
        );
        assert!(headers.get("x-request-id").is_some(), "{path}");
    }
}

/// What the served OpenAPI document allows is accepted, and what it forbids
/// is refused (found by schemathesis): `null` for an optional body is no
/// body, `3600.0` is a whole number of seconds (JSON Schema's `integer`), and
/// a query value of the wrong type is `400 invalid_request`.
async fn bodies_and_queries_are_read_as_the_openapi_document_describes_them(backend: Backend) {
    use twofold_testkit::Actor;
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    let owner = Actor::owner(&server, "owner@example.com").await;
    owner.step_up().await;

    let pending = owner
        .call(Method::POST, "/api/v1/me/mfa/totp", Some(Value::Null))
        .await
        .expect(StatusCode::CREATED);
    assert!(pending["secret"].is_string(), "{pending}");
    let options = owner
        .call(
            Method::POST,
            "/api/v1/me/mfa/passkeys/options",
            Some(Value::Null),
        )
        .await
        .expect(StatusCode::OK);
    assert!(options["ceremony_id"].is_string(), "{options}");

    let token = owner
        .post(
            "/api/v1/me/tokens",
            json!({"name": "whole", "expires_in": 3600.0, "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(token["name"], "whole");
    for expires_in in [json!(3600.5), json!(-60), json!("3600")] {
        let reply = owner
            .post(
                "/api/v1/me/tokens",
                json!({"name": "odd", "expires_in": expires_in, "scopes": ["read"]}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{expires_in}: {}",
            reply.body
        );
        assert_eq!(error_code(&reply.body), "invalid_request");
    }
    let listed = owner.get("/api/v1/me/tokens").await.expect(StatusCode::OK);
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1, "{listed}");

    for path in [
        "/api/v1/admin/users?limit=abc",
        "/api/v1/admin/users?limit=-1",
        "/api/v1/admin/users?cursor=nope",
        "/api/v1/admin/users?role=king",
        "/api/v1/admin/users?status=gone",
        "/api/v1/admin/users?mfa=maybe",
        "/api/v1/admin/events?kind=no.such",
        "/api/v1/me/events?before=nope",
        "/api/v1/me/events?limit=1.5",
        "/api/v1/me/events?limit=4294967296",
    ] {
        let reply = owner.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert_eq!(error_code(&reply.body), "invalid_request", "{path}");
    }
    // In range, or clamped into it, as the document says.
    for path in [
        "/api/v1/admin/users?limit=0",
        "/api/v1/admin/users?limit=4294967295",
        "/api/v1/me/events?limit=500",
    ] {
        owner.get(path).await.expect(StatusCode::OK);
    }
}
