//! Administration → Users: the list of accounts and one account's detail,
//! for owners and admins. The list lives on [`Operator`] too, so the CLI can
//! print it with the database settings alone.

use twofold_core::email::Email;
use twofold_core::{AccountId, Role};
use twofold_store::{
    AccessTokenRecord, Account, AccountListQuery, AccountSummary, AuditEvent, EventQuery, Session,
};

use crate::events::{DEFAULT_PAGE, MAX_PAGE};
use crate::{
    App, AppError, AppResult, MfaOverview, Operator, UserMfaRequirement, UserMfaRequirements,
};

/// How many of the account's latest security events its detail shows.
pub const DETAIL_EVENTS: u32 = 20;
/// The longest search text: an email address is at most 254 characters.
const MAX_SEARCH: usize = 254;

/// What the administration list asks for.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Only emails containing this text, whatever its case.
    pub search: Option<String>,
    pub role: Option<Role>,
    /// Only accounts with (`true`) or without (`false`) two-factor authentication.
    pub mfa: Option<bool>,
    /// Only disabled (`true`) or active (`false`) accounts.
    pub disabled: Option<bool>,
    /// The page after the account with this id (the previous page's cursor).
    pub after: Option<AccountId>,
    /// Page size: default 50, at most 200.
    pub limit: Option<u32>,
}

/// One page of the list, by email.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<AccountSummary>,
    /// The cursor of the next page; `None` on the last one.
    pub next: Option<AccountId>,
    /// MFA required by role, for each account of the page (filled by
    /// [`App::list_users`], which knows the settings; empty from the CLI).
    pub mfa_required: UserMfaRequirements,
}

impl UserPage {
    /// The requirement for one account of the page.
    pub fn mfa_required_of(&self, id: AccountId) -> UserMfaRequirement {
        self.mfa_required.get(&id).copied().unwrap_or_default()
    }
}

/// What an admin sees of one account: never a secret.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub account: Account,
    pub mfa: MfaOverview,
    /// Its live sessions, on every instance.
    pub sessions: Vec<Session>,
    /// Its live personal access tokens (never the tokens themselves).
    pub tokens: Vec<AccessTokenRecord>,
    /// Its latest security events, newest first.
    pub events: Vec<AuditEvent>,
}

impl Operator {
    /// One page of the accounts, ordered by email.
    pub async fn list_users(&self, query: &UserQuery) -> AppResult<UserPage> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let search = query.search.as_deref().map(str::trim);
        if search.is_some_and(|text| text.chars().count() > MAX_SEARCH) {
            return Err(AppError::InvalidInput {
                field: "q",
                message: format!("the search is at most {MAX_SEARCH} characters"),
            });
        }
        let after = match query.after {
            None => None,
            Some(id) => Some(self.cursor(id).await?),
        };
        // One row more than the page tells whether another page follows.
        let mut users = self
            .store()
            .list_accounts(&AccountListQuery {
                email_contains: search
                    .filter(|text| !text.is_empty())
                    .map(twofold_core::email::normalize),
                role: query.role,
                mfa: query.mfa,
                disabled: query.disabled,
                after,
                limit: limit + 1,
            })
            .await?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        let next = if more {
            users.last().map(|u| u.id)
        } else {
            None
        };
        Ok(UserPage {
            users,
            next,
            mfa_required: UserMfaRequirements::new(),
        })
    }

    /// The keyset position of the account a cursor names.
    async fn cursor(&self, id: AccountId) -> AppResult<(String, AccountId)> {
        let invalid = || AppError::InvalidInput {
            field: "cursor",
            message: "unknown cursor".into(),
        };
        let account = self.store().account_by_id(id).await?.ok_or_else(invalid)?;
        let email = Email::parse(&account.email).map_err(|_| invalid())?;
        Ok((email.normalized().to_owned(), id))
    }
}

impl App {
    fn require_admin(session: &Session) -> AppResult<()> {
        if session.account_role.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "only owners and admins can manage users",
            ))
        }
    }

    /// Administration → Users (owners and admins).
    pub async fn list_users(&self, session: &Session, query: &UserQuery) -> AppResult<UserPage> {
        Self::require_admin(session)?;
        let mut page = self.operator().list_users(query).await?;
        page.mfa_required = self.user_mfa_requirements(&page.users).await?;
        Ok(page)
    }

    /// One account's factors, sessions and latest events (owners and admins).
    pub async fn user_detail(&self, session: &Session, id: AccountId) -> AppResult<UserDetail> {
        Self::require_admin(session)?;
        let account = self
            .store
            .account_by_id(id)
            .await?
            .ok_or(AppError::NotFound("no such account"))?;
        let mfa = self.mfa_overview(id).await?;
        let sessions = self.store.sessions_of(id, self.now()).await?;
        let tokens = self.store.access_tokens_of(id, self.now()).await?;
        let events = self
            .store
            .events(&EventQuery {
                account_id: Some(id),
                kind: None,
                before: None,
                limit: DETAIL_EVENTS,
            })
            .await?;
        Ok(UserDetail {
            account,
            mfa,
            sessions,
            tokens,
            events,
        })
    }
}
