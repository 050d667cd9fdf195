//! The second factors of a signed-in account: authenticator apps, passkeys
//! and the recovery sheet, each step as the account holder takes it.

use std::marker::PhantomData;
use std::process::Command;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Actor, Reply};
use crate::TestServer;
use crate::softkey::SoftKey;

/// A code computed by oathtool (a client no one here wrote) at the server's time.
pub fn oathtool(secret: &str, server: &TestServer) -> String {
    let at = server.app.now().unix();
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "-N", &format!("@{at}"), secret])
        .output()
        .expect("oathtool is installed by ./scripts/test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The strings of a JSON array of recovery codes.
pub fn codes_of(codes: &Value) -> Vec<String> {
    codes
        .as_array()
        .unwrap_or_else(|| panic!("not a list of codes: {codes}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// An authenticator waiting for its first code; `body` is the whole answer
/// (secret, QR code, expiry).
pub struct PendingTotp {
    pub id: String,
    pub secret: String,
    pub body: Value,
}

/// A confirmed authenticator, and the recovery sheet it brought (empty
/// unless it was the account's first strong factor).
pub struct Enrolled {
    pub id: String,
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

/// The strong factors an account lists, names and removes: authenticator
/// apps ([`Totp`]) and passkeys ([`Passkeys`]).
pub struct Factors<'s, K> {
    actor: &'s Actor<'s>,
    kind: PhantomData<K>,
}

pub trait FactorKind {
    /// Where the account's factors of this kind live.
    const COLLECTION: &'static str;
}

pub enum TotpKind {}
pub enum PasskeyKind {}

impl FactorKind for TotpKind {
    const COLLECTION: &'static str = "/api/v1/me/mfa/totp";
}

impl FactorKind for PasskeyKind {
    const COLLECTION: &'static str = "/api/v1/me/mfa/passkeys";
}

pub type Totp<'s> = Factors<'s, TotpKind>;
pub type Passkeys<'s> = Factors<'s, PasskeyKind>;

impl<'s, K: FactorKind> Factors<'s, K> {
    pub(super) fn of(actor: &'s Actor<'s>) -> Self {
        Self {
            actor,
            kind: PhantomData,
        }
    }

    pub async fn rename(&self, id: &str, name: &str) -> Reply {
        let path = format!("{}/{id}", K::COLLECTION);
        let body = json!({"name": name});
        self.actor.call(Method::PATCH, &path, Some(body)).await
    }

    /// Removes it, unless it is the last strong factor.
    pub async fn remove(&self, id: &str) -> Reply {
        self.actor.delete(&format!("{}/{id}", K::COLLECTION)).await
    }

    /// Removes it even when it is the last strong factor.
    pub async fn remove_confirming_last(&self, id: &str) -> Reply {
        let path = format!("{}/{id}?confirm_last=true", K::COLLECTION);
        self.actor.delete(&path).await
    }
}

impl Totp<'_> {
    /// Asks for a new authenticator, unnamed (the step-up is the caller's).
    pub async fn start(&self) -> Reply {
        self.actor
            .call(Method::POST, TotpKind::COLLECTION, None)
            .await
    }

    /// A new pending authenticator (the step-up is the caller's).
    pub async fn begin(&self, name: Option<&str>) -> PendingTotp {
        let body = name.map(|n| json!({"name": n}));
        let reply = self
            .actor
            .call(Method::POST, TotpKind::COLLECTION, body)
            .await;
        let body = reply.expect(StatusCode::CREATED);
        PendingTotp {
            id: body["id"].as_str().unwrap().to_owned(),
            secret: body["secret"].as_str().unwrap().to_owned(),
            body,
        }
    }

    /// Sends this confirmation body (`code`, maybe `name`) for a pending one.
    pub async fn verify(&self, id: &str, body: Value) -> Reply {
        let path = format!("/api/v1/me/mfa/totp/{id}/verify");
        self.actor.post(&path, body).await
    }

    pub async fn confirm(&self, id: &str, code: &str) -> Reply {
        self.verify(id, json!({"code": code})).await
    }

    /// Steps up, adds an authenticator and confirms it with oathtool's code,
    /// then moves the clock to the next step (the confirming one is used up).
    pub async fn enrol(&self, name: impl Into<Option<&str>>) -> Enrolled {
        let server = self.actor.server();
        self.actor.step_up().await;
        let pending = self.begin(name.into()).await;
        let code = oathtool(&pending.secret, server);
        let body = self
            .confirm(&pending.id, &code)
            .await
            .expect(StatusCode::OK);
        server.advance(Duration::from_secs(30));
        let recovery_codes = match &body["recovery_codes"] {
            Value::Null => Vec::new(),
            codes => codes_of(codes),
        };
        Enrolled {
            id: pending.id,
            secret: pending.secret,
            recovery_codes,
        }
    }
}

impl Passkeys<'_> {
    /// Starts a registration (the step-up is the caller's); `body` may name it.
    pub async fn options(&self, body: Option<Value>) -> Reply {
        let path = "/api/v1/me/mfa/passkeys/options";
        self.actor.call(Method::POST, path, body).await
    }

    /// Finishes the registration `options` started with the key's credential.
    pub async fn add(&self, options: &Value, name: &str, credential: &Value) -> Reply {
        let body =
            json!({"ceremony_id": options["ceremony_id"], "name": name, "credential": credential});
        self.actor.post(PasskeyKind::COLLECTION, body).await
    }

    /// Steps up and registers `key` under `name`; the answer.
    pub async fn enrol(&self, key: &mut SoftKey, name: &str) -> Value {
        self.actor.step_up().await;
        let options = self
            .options(Some(json!({"name": name})))
            .await
            .expect(StatusCode::OK);
        let credential = key.create(&options).await;
        let reply = self.add(&options, name, &credential).await;
        reply.expect(StatusCode::CREATED)
    }

    /// Starts a step-up with a passkey.
    pub async fn reauth_options(&self) -> Reply {
        let path = "/api/v1/sessions/current/reauth/webauthn/options";
        self.actor.call(Method::POST, path, None).await
    }
}

pub struct Recovery<'s> {
    actor: &'s Actor<'s>,
}

impl<'s> Recovery<'s> {
    pub(super) fn of(actor: &'s Actor<'s>) -> Self {
        Self { actor }
    }

    /// Asks for a new sheet (the step-up is the caller's).
    pub async fn generate(&self) -> Reply {
        let path = "/api/v1/me/mfa/recovery-codes";
        self.actor.call(Method::POST, path, None).await
    }
}
