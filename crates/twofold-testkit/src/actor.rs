//! A typed client of the JSON API: an account signed in with a bearer token,
//! so a test reads as what the user does (`actor.step_up()`,
//! `actor.totp().enrol("Phone")`, `actor.post(..).refused(status, code)`)
//! rather than as request plumbing.

mod factors;
mod guest;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::TestServer;

pub use factors::{Enrolled, Passkeys, PendingTotp, Recovery, Totp, codes_of, oathtool};
pub use guest::{Challenge, Guest, count, post_in_parallel};

/// The password every test account is made with.
pub const PASSWORD: &str = "correct horse battery";

/// What the API answered: the status and the JSON body (`null` when the body
/// is not JSON).
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// Reads a response sent some other way (e.g. to look at its headers first).
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Self { status, body }
    }

    /// Asserts the status (showing the body when it differs); the body.
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.body
    }

    /// Asserts an API refusal: this status, an error with a message, and
    /// this error code.
    #[track_caller]
    pub fn refused(&self, status: StatusCode, code: &str) {
        let message = self.body["error"]["message"].as_str();
        assert!(
            message.is_some_and(|m| !m.is_empty()),
            "not an API error body: {}",
            self.body
        );
        assert_eq!(
            (self.status, self.body["error"]["code"].as_str()),
            (status, Some(code)),
            "{}",
            self.body
        );
    }
}

/// The kinds of the events in an events page, newest first.
pub fn event_kinds(page: &Value) -> Vec<&str> {
    events_in(page)
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

/// The events of one kind in an events page, newest first.
pub fn events_of_kind<'v>(page: &'v Value, kind: &str) -> Vec<&'v Value> {
    events_in(page)
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn events_in(page: &Value) -> &Vec<Value> {
    page["events"]
        .as_array()
        .unwrap_or_else(|| panic!("not an events page: {page}"))
}

/// A signed-in account: its bearer token, and the password it signed in
/// with when it did (for step-up).
pub struct Actor<'a> {
    server: &'a TestServer,
    password: Option<String>,
    pub token: String,
}

impl<'a> Actor<'a> {
    /// Creates the instance's first account (the owner) and signs it in.
    pub async fn owner(server: &'a TestServer, email: &str) -> Self {
        Guest::new(server).create_owner(email).await;
        Self::sign_in(server, email, PASSWORD).await
    }

    /// Asks for an account under open sign-up and signs it in.
    pub async fn member(server: &'a TestServer, email: &str) -> Self {
        Guest::new(server).request_account(email).await;
        Self::sign_in(server, email, PASSWORD).await
    }

    /// Signs in with a password (no second factor, no remember-me).
    pub async fn sign_in(server: &'a TestServer, email: &str, password: &str) -> Self {
        Self::sign_in_with(server, json!({"email": email, "password": password})).await
    }

    /// Signs in with this sign-in body (e.g. with `remember_me`); its
    /// password is kept for step-up.
    pub async fn sign_in_with(server: &'a TestServer, sign_in: Value) -> Self {
        let reply = Guest::new(server)
            .post("/api/v1/sessions", sign_in.clone())
            .await;
        let body = reply.expect(StatusCode::CREATED);
        Self {
            server,
            password: sign_in["password"].as_str().map(str::to_owned),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// The holder of a token signed in some other way (e.g. with a second
    /// factor); it knows no password, so it cannot step up.
    pub fn with_token(server: &'a TestServer, token: &str) -> Self {
        Self {
            server,
            password: None,
            token: token.to_owned(),
        }
    }

    /// The holder of a token signed in with `password` some other way.
    pub fn holding(server: &'a TestServer, token: &str, password: &str) -> Self {
        Self {
            server,
            password: Some(password.to_owned()),
            token: token.to_owned(),
        }
    }

    pub fn server(&self) -> &'a TestServer {
        self.server
    }

    /// Sends a request with the bearer token, and a JSON body if given.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .server
            .client()
            .request(method, self.server.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// `GET /api/v1/me/mfa`: the account's factors.
    pub async fn mfa(&self) -> Value {
        self.get("/api/v1/me/mfa").await.expect(StatusCode::OK)
    }

    /// A page of the account's own audit log; `query` is e.g. `"?limit=2"`.
    pub async fn events(&self, query: &str) -> Value {
        let path = format!("/api/v1/me/events{query}");
        self.get(&path).await.expect(StatusCode::OK)
    }

    /// Offers a proof (password, TOTP code or passkey) for the step-up window.
    pub async fn reauth(&self, proof: Value) -> Reply {
        self.post("/api/v1/sessions/current/reauth", proof).await
    }

    /// Opens the session's step-up window with the password.
    pub async fn step_up(&self) {
        let password = self
            .password
            .as_deref()
            .expect("no password to step up with");
        self.reauth(json!({"method": "password", "password": password}))
            .await
            .expect(StatusCode::OK);
    }

    pub async fn change_password(&self, current: &str, new: &str) -> Reply {
        let body = json!({"current_password": current, "new_password": new});
        self.call(Method::PUT, "/api/v1/me/password", Some(body))
            .await
    }

    pub fn totp(&self) -> Totp<'_> {
        Totp::of(self)
    }

    pub fn passkeys(&self) -> Passkeys<'_> {
        Passkeys::of(self)
    }

    pub fn recovery(&self) -> Recovery<'_> {
        Recovery::of(self)
    }
}
