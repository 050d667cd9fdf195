//! Personal access tokens: made inside a step-up window, shown once, used
//! as `Authorization: Bearer tfp_…` by scripts, revoked by their owner, an
//! owner of the instance, and every reset.
//!
//! The MFA contract: a token acts as its owner on the routes tokens may
//! use, and nowhere else. It never opens or satisfies step-up, so no
//! security change (factors, recovery codes, password, sessions, tokens,
//! administration) can be made with one; the server refuses those routes
//! with `403 token_not_allowed` before the use case runs, and each use case
//! refuses again through [`App::require_signed_in`].

use serde_json::json;
use twofold_core::access_token::{self, AccessToken, Scope, Scopes};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::FactorName;
use twofold_core::session::{Aal, Amr};
use twofold_core::{AccessTokenId, AccountId, Role, SessionId};
use twofold_store::{AccessTokenGrant, AccessTokenRecord, NewAccessToken, Session};

use crate::factors::invalid_name;
use crate::{App, AppError, AppResult, RequestContext};

/// The most live tokens one account may hold: enough for every script, few
/// enough that a list stays readable and a stolen session cannot mint
/// thousands.
pub const MAX_TOKENS_PER_ACCOUNT: u64 = 50;

/// What a new token asks for.
#[derive(Debug, Clone)]
pub struct AccessTokenRequest {
    pub name: String,
    /// Seconds from now; required.
    pub expires_in: u64,
    pub scopes: Vec<String>,
}

/// A new token: the text is shown once, never stored.
#[derive(Debug)]
pub struct CreatedAccessToken {
    pub token: AccessToken,
    pub record: AccessTokenRecord,
}

impl App {
    /// Refuses a caller authenticated by an access token: what follows is
    /// for a signed-in person only.
    pub fn require_signed_in(&self, session: &Session) -> AppResult<()> {
        if is_token(session) {
            Err(AppError::TokenNotAllowed)
        } else {
            Ok(())
        }
    }

    /// Makes a token for the session's account (step-up required). Its
    /// assurance is the account's MFA state now: two with a strong factor.
    pub async fn create_access_token(
        &self,
        session: &Session,
        request: AccessTokenRequest,
        ctx: &RequestContext,
    ) -> AppResult<CreatedAccessToken> {
        self.require_signed_in(session)?;
        self.require_step_up(session)?;
        let name = FactorName::parse(&request.name).map_err(invalid_name)?;
        let lifetime = access_token::lifetime(request.expires_in, self.policy.token_max_lifetime)
            .map_err(|e| AppError::InvalidInput {
            field: "expires_in",
            message: e.to_string(),
        })?;
        let scopes = Scopes::parse(request.scopes.iter().map(String::as_str)).map_err(|e| {
            AppError::InvalidInput {
                field: "scopes",
                message: e.to_string(),
            }
        })?;
        let token = AccessToken::generate().map_err(AppError::internal)?;
        let now = self.clock.now();
        let account = session.account_id;
        let mut tx = self.store.begin().await?;
        tx.lock_account(account).await?;
        if tx.count_access_tokens(account, now).await? >= MAX_TOKENS_PER_ACCOUNT {
            return Err(AppError::Conflict(
                format!(
                    "an account holds at most {MAX_TOKENS_PER_ACCOUNT} tokens: revoke one first"
                )
                .into(),
            ));
        }
        let aal = if tx.strong_factors(account).await?.mfa_on() {
            Aal::Two
        } else {
            Aal::One
        };
        let new = NewAccessToken {
            id: AccessTokenId::from_uuid(self.new_id()),
            account_id: account,
            token_hash: token.hash(&self.key),
            prefix: token.display_prefix().to_owned(),
            name: name.as_str().to_owned(),
            scopes,
            aal,
            created_at: now,
            expires_at: now.plus(lifetime),
        };
        tx.insert_access_token(&new).await?;
        self.audit_own(
            &mut *tx,
            account,
            EventKind::TokenCreated,
            ctx,
            json!({
                "token_id": new.id,
                "name": new.name,
                "prefix": new.prefix,
                "scopes": new.scopes.to_text(),
                "expires_at": new.expires_at.unix(),
            }),
        )
        .await?;
        tx.commit().await?;
        let record = AccessTokenRecord {
            id: new.id,
            account_id: account,
            name: new.name,
            prefix: new.prefix,
            scopes: new.scopes,
            aal,
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
            last_used_ip: None,
        };
        Ok(CreatedAccessToken { token, record })
    }

    /// The session account's live tokens, newest first.
    pub async fn access_tokens(&self, session: &Session) -> AppResult<Vec<AccessTokenRecord>> {
        self.require_signed_in(session)?;
        Ok(self
            .store
            .access_tokens_of(session.account_id, self.clock.now())
            .await?)
    }

    /// Revokes one of the session account's tokens. Like ending a session,
    /// it only takes access away, so it needs no step-up.
    pub async fn revoke_access_token(
        &self,
        session: &Session,
        id: AccessTokenId,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.require_signed_in(session)?;
        self.revoke_token(session.account_id, id, Actor::Myself, ctx)
            .await
    }

    /// An owner revokes someone's token from their administration page
    /// (step-up required, audited with the owner as actor).
    pub async fn revoke_access_token_of(
        &self,
        session: &Session,
        account: AccountId,
        id: AccessTokenId,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.require_signed_in(session)?;
        if session.account_role != Role::Owner {
            return Err(AppError::Forbidden(
                "only owners can revoke someone's tokens",
            ));
        }
        self.require_step_up(session)?;
        self.revoke_token(account, id, Actor::Account(session.account_id), ctx)
            .await
    }

    async fn revoke_token(
        &self,
        account: AccountId,
        id: AccessTokenId,
        actor: Actor,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        let revoked = tx
            .delete_access_token(account, id)
            .await?
            .ok_or(AppError::NotFound("no such token"))?;
        let event = self.event(
            EventKind::TokenRevoked,
            Some(account),
            actor,
            ctx,
            json!({ "token_id": revoked.id, "name": revoked.name, "prefix": revoked.prefix }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller a bearer access token names, as a session-like view:
    /// `amr` is `["pat"]`, `aal` the owner's MFA state when the token was
    /// made, and no step-up window, ever. A text that is not a well-formed
    /// token (checksum included) is refused before any database work;
    /// a token without `needs` among its scopes gets `InsufficientScope`.
    pub async fn authenticate_access_token(
        &self,
        text: &str,
        needs: Scope,
        ctx: &RequestContext,
    ) -> AppResult<Session> {
        let token = AccessToken::parse(text).map_err(|_| AppError::Unauthenticated)?;
        let now = self.clock.now();
        let grant = self
            .store
            .access_token_by_hash(&token.hash(&self.key), now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !grant.token.scopes.contains(needs) {
            return Err(AppError::InsufficientScope(needs.as_str()));
        }
        self.note_token_use(&grant.token, ctx).await?;
        Ok(token_session(grant, now))
    }

    /// Records when and from where a token was last used: at most once a
    /// minute from the same address, at once from another one (audited
    /// `token.used_from_new_address`; the first use ever is not "new").
    async fn note_token_use(
        &self,
        token: &AccessTokenRecord,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let now = self.clock.now();
        let ip = ctx.ip.as_deref();
        let moved = token.last_used_at.is_some() && token.last_used_ip.as_deref() != ip;
        let stale = token
            .last_used_at
            .is_none_or(|at| now.unix() - at.unix() >= TOKEN_TOUCH_SECONDS);
        if !(moved || stale) {
            return Ok(());
        }
        let wrote = self
            .store
            .record_access_token_use(token.id, token.last_used_at, now, ip)
            .await?;
        if wrote && moved {
            let event = self.event(
                EventKind::TokenUsedFromNewAddress,
                Some(token.account_id),
                Actor::Myself,
                ctx,
                json!({
                    "token_id": token.id,
                    "name": token.name,
                    "previous_ip": token.last_used_ip,
                }),
            );
            self.record_event(event).await?;
        }
        Ok(())
    }
}

/// How often a token's last use is written when its address stays the same.
const TOKEN_TOUCH_SECONDS: i64 = 60;

/// Whether the caller came with an access token rather than a session.
pub fn is_token(session: &Session) -> bool {
    session.amr.contains(&Amr::Pat)
}

fn token_session(grant: AccessTokenGrant, now: twofold_core::Timestamp) -> Session {
    let token = grant.token;
    Session {
        // The token's public id stands in the session's place: listing and
        // revoking sessions refuse tokens, so it is never taken for one.
        id: SessionId::from_uuid(token.id.uuid()),
        account_id: token.account_id,
        account_email: grant.account_email,
        account_role: grant.account_role,
        aal: token.aal,
        amr: vec![Amr::Pat],
        created_at: token.created_at,
        last_seen_at: now,
        expires_at: token.expires_at,
        remembered: false,
        privileged_until: None,
        enrolment_only: false,
        ip: token.last_used_ip,
        user_agent: None,
    }
}
