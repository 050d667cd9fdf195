//! Token introspection (RFC 7662) for other applications: an application
//! registered by the operator (`twofold app create`) asks whether a bearer
//! token one of its users presented is live, and as whom.
//!
//! Failures never say why: a wrong application credential is
//! `InvalidClient` whatever was wrong, and any token that is not live (
//! unknown, malformed, expired, revoked, of a disabled account) is
//! `{active: false}`. Wrong credentials count per client address, and
//! inactive answers per application, so introspection is no guessing
//! oracle.

use serde_json::json;
use twofold_core::access_token::{AccessToken, Scopes, is_access_token};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::session::{Aal, Amr};
use twofold_core::throttle::Counter;
use twofold_core::token::ApplicationSecret;
use twofold_core::{AccountId, ApplicationId, Timestamp};
use twofold_store::ApplicationRecord;

use crate::audit::{new_event, write_event};
use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, Operator, RequestContext, time_ordered_id};

/// The kind of a live token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Session,
    PersonalAccessToken,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Session => "session",
            TokenType::PersonalAccessToken => "personal_access_token",
        }
    }
}

/// What introspection tells about a live token.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub account: AccountId,
    pub email: String,
    /// A personal access token's scopes; `None` for a session (it may do
    /// everything its person may).
    pub scopes: Option<Scopes>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub aal: Aal,
    pub amr: Vec<Amr>,
    pub token_type: TokenType,
}

/// A new application's credentials: the secret is shown once.
#[derive(Debug)]
pub struct NewApplication {
    pub application: ApplicationRecord,
    pub secret: ApplicationSecret,
}

impl Operator {
    /// Registers an application that may introspect tokens (`twofold app
    /// create`); audited with the CLI as actor.
    pub async fn create_application(
        &self,
        name: &str,
        os_user: Option<String>,
    ) -> AppResult<NewApplication> {
        let name =
            twofold_core::factor::FactorName::parse(name).map_err(crate::factors::invalid_name)?;
        let secret = ApplicationSecret::generate().map_err(AppError::internal)?;
        let application = ApplicationRecord {
            id: ApplicationId::from_uuid(time_ordered_id(self.clock())),
            name: name.as_str().to_owned(),
            secret_hash: secret.hash(),
            created_at: self.clock().now(),
        };
        let mut tx = self.store().begin().await?;
        tx.insert_application(&application).await?;
        let detail =
            json!({ "client_id": application.id, "name": application.name, "os_user": os_user });
        let event = new_event(
            self.clock(),
            EventKind::ApplicationCreated,
            None,
            Actor::Cli,
            &RequestContext::default(),
            detail,
        );
        write_event(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(NewApplication {
            application,
            secret,
        })
    }

    /// Every registered application, oldest first.
    pub async fn applications(&self) -> AppResult<Vec<ApplicationRecord>> {
        Ok(self.store().applications().await?)
    }

    /// Removes an application: its credentials stop working at once.
    pub async fn delete_application(
        &self,
        id: ApplicationId,
        os_user: Option<String>,
    ) -> AppResult<()> {
        let mut tx = self.store().begin().await?;
        if !tx.delete_application(id).await? {
            return Err(AppError::NotFound("no such application"));
        }
        let event = new_event(
            self.clock(),
            EventKind::ApplicationDeleted,
            None,
            Actor::Cli,
            &RequestContext::default(),
            json!({ "client_id": id, "os_user": os_user }),
        );
        write_event(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl App {
    /// Checks an application's credentials, then tells whether `token` is
    /// live. `Ok(None)` is RFC 7662's `{active: false}`.
    pub async fn introspect(
        &self,
        client_id: &str,
        client_secret: &str,
        token: &str,
        ctx: &RequestContext,
    ) -> AppResult<Option<LiveToken>> {
        let application = match self.application_of(client_id, client_secret).await? {
            Some(application) => application,
            None => {
                // A wrong credential is counted (and refused once too many
                // came from this address); the answer stays the same.
                let reserve = Reserve::per_address(Counter::AppAuthFailuresPerAddress, ctx);
                let _counted = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
                return Err(AppError::InvalidClient);
            }
        };
        let live = self.live_token(token).await?;
        if live.is_none() {
            let reserve = Reserve {
                keys: vec![Counter::IntrospectionMissesPerApplication.key(application.id)],
                ..Reserve::default()
            };
            let _counted = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
        }
        Ok(live)
    }

    /// The application these credentials name, compared in constant time.
    async fn application_of(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> AppResult<Option<ApplicationRecord>> {
        let (Ok(id), Some(secret)) = (
            client_id.parse::<ApplicationId>(),
            ApplicationSecret::parse(client_secret),
        ) else {
            return Ok(None);
        };
        let Some(application) = self.store.application(id).await? else {
            return Ok(None);
        };
        Ok(secret
            .hash()
            .matches(&application.secret_hash)
            .then_some(application))
    }

    /// The live session or access token `text` names. A session's idle
    /// clock moves as on any request of its person (they are active at the
    /// application); an access token's last use is not recorded, as the
    /// address asking is the application's, not the holder's.
    async fn live_token(&self, text: &str) -> AppResult<Option<LiveToken>> {
        let now = self.clock.now();
        if is_access_token(text) {
            let Ok(token) = AccessToken::parse(text) else {
                return Ok(None);
            };
            let grant = self
                .store
                .access_token_by_hash(&token.hash(&self.key), now)
                .await?;
            return Ok(grant.map(|grant| LiveToken {
                account: grant.token.account_id,
                email: grant.account_email,
                scopes: Some(grant.token.scopes),
                issued_at: grant.token.created_at,
                expires_at: grant.token.expires_at,
                aal: grant.token.aal,
                amr: vec![Amr::Pat],
                token_type: TokenType::PersonalAccessToken,
            }));
        }
        match self.authenticate(text).await {
            // A session that may only enrol a factor is no sign-in to trust.
            Ok(session) if session.enrolment_only => Ok(None),
            Ok(session) => Ok(Some(LiveToken {
                account: session.account_id,
                email: session.account_email,
                scopes: None,
                issued_at: session.created_at,
                expires_at: session.expires_at,
                aal: session.aal,
                amr: session.amr,
                token_type: TokenType::Session,
            })),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
