//! Someone without a session: signing up, the steps of signing in (password,
//! second factor, passkey alone), and requests raced across instances.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{PASSWORD, Reply};
use crate::TestServer;
use crate::softkey::SoftKey;

/// Sends each request from a fresh client (no cookies), as a stranger would.
pub struct Guest<'a> {
    server: &'a TestServer,
}

impl<'a> Guest<'a> {
    pub fn new(server: &'a TestServer) -> Self {
        Self { server }
    }

    pub async fn get(&self, path: &str) -> Reply {
        let request = self.server.client().get(self.server.url(path));
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        Reply::read(self.post_raw(path, body).await).await
    }

    /// The response itself, for a test that reads its headers (then
    /// [`Reply::read`] for the rest).
    pub async fn post_raw(&self, path: &str, body: Value) -> reqwest::Response {
        let request = self.server.client().post(self.server.url(path));
        request.json(&body).send().await.unwrap()
    }

    /// Creates the instance's first account (the owner) with [`PASSWORD`].
    pub async fn create_owner(&self, email: &str) {
        self.ask_for_account(email)
            .await
            .expect(StatusCode::CREATED);
    }

    /// Asks for an account with [`PASSWORD`] under open sign-up.
    pub async fn request_account(&self, email: &str) {
        self.ask_for_account(email)
            .await
            .expect(StatusCode::ACCEPTED);
    }

    async fn ask_for_account(&self, email: &str) -> Reply {
        let body = json!({"email": email, "password": PASSWORD});
        self.post("/api/v1/accounts", body).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        let body = json!({"email": email, "password": password});
        self.post("/api/v1/sessions", body).await
    }

    /// The password step of an MFA account's sign-in: its challenge.
    pub async fn challenge(&self, email: &str) -> Challenge<'a> {
        let reply = self.sign_in(email, PASSWORD).await;
        let body = reply.expect(StatusCode::OK);
        assert_eq!(body["state"], "mfa_required");
        Challenge {
            server: self.server,
            id: body["challenge_id"].as_str().unwrap().to_owned(),
        }
    }

    /// Starts a sign-in with a passkey alone: the options for the key.
    pub async fn passkey_options(&self) -> Value {
        let reply = self
            .post("/api/v1/sessions/passkey/options", json!({}))
            .await;
        reply.expect(StatusCode::OK)
    }

    /// Finishes a sign-in with a passkey alone.
    pub async fn finish_passkey(&self, ceremony: &Value, credential: &Value) -> Reply {
        let body = json!({"ceremony_id": ceremony, "credential": credential});
        self.post("/api/v1/sessions/passkey", body).await
    }

    /// Signs in with `key` alone, start to finish.
    pub async fn passwordless(&self, key: &mut SoftKey) -> Reply {
        let options = self.passkey_options().await;
        let credential = key.get(&options).await;
        self.finish_passkey(&options["ceremony_id"], &credential)
            .await
    }
}

/// A sign-in waiting for its second factor.
pub struct Challenge<'a> {
    server: &'a TestServer,
    pub id: String,
}

impl<'a> Challenge<'a> {
    /// A challenge whose id came some other way (e.g. a raw sign-in response).
    pub fn new(server: &'a TestServer, id: &str) -> Self {
        Self {
            server,
            id: id.to_owned(),
        }
    }

    /// Answers with a code of `method` (`totp` or `recovery_code`).
    pub async fn answer(&self, method: &str, code: &str) -> Reply {
        let body = json!({"challenge_id": self.id, "method": method, "code": code});
        Guest::new(self.server)
            .post("/api/v1/sessions/mfa", body)
            .await
    }

    pub async fn totp(&self, code: &str) -> Reply {
        self.answer("totp", code).await
    }

    pub async fn recovery_code(&self, code: &str) -> Reply {
        self.answer("recovery_code", code).await
    }

    /// Starts the passkey answer: the options for the key.
    pub async fn webauthn_options(&self) -> Reply {
        let body = json!({"challenge_id": self.id});
        Guest::new(self.server)
            .post("/api/v1/sessions/mfa/webauthn/options", body)
            .await
    }

    pub async fn webauthn(&self, credential: &Value) -> Reply {
        let body = json!({"challenge_id": self.id, "method": "webauthn", "credential": credential});
        Guest::new(self.server)
            .post("/api/v1/sessions/mfa", body)
            .await
    }
}

/// Posts every body to `path` at once, alternating between two instances of
/// one database; the statuses, in the order of `bodies`.
pub async fn post_in_parallel(
    instances: [&TestServer; 2],
    path: &str,
    bodies: Vec<Value>,
) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let url = instances[i % 2].url(path);
        tasks.push(tokio::spawn(async move {
            let request = reqwest::Client::new().post(url).json(&body);
            request.send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

/// How many of `statuses` are `status`.
pub fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}
