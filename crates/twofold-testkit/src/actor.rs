//! A typed client of the JSON API: an account signed in with a bearer token,
//! so a test reads as what the user does (`actor.step_up()`,
//! `actor.post(..).refused(status, code)`) rather than as request plumbing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::TestServer;

/// What the API answered: the status and the JSON body (`null` when the body
/// is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    async fn read(response: reqwest::Response) -> Self {
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

/// A signed-in account: its bearer token, and the password it signed in
/// with when it did (for step-up).
pub struct Actor<'a> {
    server: &'a TestServer,
    password: Option<String>,
    pub token: String,
}

impl<'a> Actor<'a> {
    /// Signs in with a password (no second factor, no remember-me).
    pub async fn sign_in(server: &'a TestServer, email: &str, password: &str) -> Self {
        Self::sign_in_with(server, json!({"email": email, "password": password})).await
    }

    /// Signs in with this sign-in body (e.g. with `remember_me`); its
    /// password is kept for step-up.
    pub async fn sign_in_with(server: &'a TestServer, sign_in: Value) -> Self {
        let request = server.client().post(server.url("/api/v1/sessions"));
        let reply = Reply::read(request.json(&sign_in).send().await.unwrap()).await;
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

    /// Opens the session's step-up window with the password.
    pub async fn step_up(&self) {
        let password = self
            .password
            .as_deref()
            .expect("no password to step up with");
        let reauth = json!({"method": "password", "password": password});
        self.post("/api/v1/sessions/current/reauth", reauth)
            .await
            .expect(StatusCode::OK);
    }
}
