//! The personal access tokens card of the Security page: the live tokens,
//! the form that makes one (after a step-up; the token is shown once, on a
//! page of its own), and revoking one. The rules are the use cases' (the
//! same `App` methods as `/api/v1/me/tokens`); this module only reads the
//! form and words the answers.

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use twofold_app::{AccessTokenRecord, AccessTokenRequest, AppError, CreatedAccessToken, Session};
use twofold_core::AccessTokenId;

use super::action::{NoFields, PageAction};
use super::paths;
use super::respond::{explain, render};
use super::security;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::TOKENS, post(create))
        .route(paths::TOKEN_REVOKE, post(revoke))
}

const DAY: u64 = 86_400;
/// The lifetimes the form offers, in days (those above the instance's
/// `token_max_lifetime` are left out).
const EXPIRY_DAYS: [u64; 4] = [7, 30, 90, 365];
/// The lifetime selected when the form is first shown.
const DEFAULT_DAYS: u64 = 30;

/// The card as the Security page shows it.
pub struct TokensCard {
    pub rows: Vec<TokenRow>,
    pub expiry: Vec<ExpiryChoice>,
    pub draft: Draft,
}

pub struct TokenRow {
    pub id: AccessTokenId,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: String,
    pub expires_at: String,
    /// "never", or when and from which address.
    pub last_used: String,
}

impl From<&AccessTokenRecord> for TokenRow {
    fn from(t: &AccessTokenRecord) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scopes: scopes_text(t),
            created_at: t.created_at.to_human(),
            expires_at: t.expires_at.to_human(),
            last_used: match (&t.last_used_at, &t.last_used_ip) {
                (None, _) => "never".to_owned(),
                (Some(at), Some(ip)) => format!("{} from {ip}", at.to_human()),
                (Some(at), None) => at.to_human(),
            },
        }
    }
}

fn scopes_text(t: &AccessTokenRecord) -> String {
    t.scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct ExpiryChoice {
    pub seconds: u64,
    pub label: String,
    pub selected: bool,
}

/// What the create form shows: empty with `read` ticked at first; after a
/// refusal, what was sent and why it was refused.
pub struct Draft {
    pub name: String,
    pub expires_in: Option<u64>,
    pub read: bool,
    pub write: bool,
    pub error: Option<String>,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            name: String::new(),
            expires_in: None,
            read: true,
            write: false,
            error: None,
        }
    }
}

/// The card: the live tokens of the session's account and the form.
pub async fn card(
    state: &AppState,
    session: &Session,
    draft: Draft,
) -> Result<TokensCard, AppError> {
    let tokens = state.app.access_tokens(session).await?;
    Ok(TokensCard {
        rows: tokens.iter().map(TokenRow::from).collect(),
        expiry: expiry_choices(state.app.policy().token_max_lifetime, draft.expires_in),
        draft,
    })
}

/// 7, 30, 90 and 365 days, up to `max`; only `max` itself when it is
/// shorter than all of them. `wanted` (a refused form's) is selected when
/// offered, else 30 days, else the longest.
fn expiry_choices(max: Duration, wanted: Option<u64>) -> Vec<ExpiryChoice> {
    let max = max.as_secs();
    let mut choices: Vec<(u64, String)> = EXPIRY_DAYS
        .iter()
        .map(|days| days * DAY)
        .filter(|&seconds| seconds <= max)
        .map(|seconds| (seconds, lifetime_label(seconds)))
        .collect();
    if choices.is_empty() {
        choices.push((max, lifetime_label(max)));
    }
    let selected = [wanted, Some(DEFAULT_DAYS * DAY)]
        .into_iter()
        .flatten()
        .find(|s| choices.iter().any(|(c, _)| c == s))
        .or_else(|| choices.last().map(|(c, _)| *c));
    choices
        .into_iter()
        .map(|(seconds, label)| ExpiryChoice {
            seconds,
            label,
            selected: Some(seconds) == selected,
        })
        .collect()
}

fn lifetime_label(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s >= DAY && s % DAY == 0 => plural(s / DAY, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s => plural(s.div_ceil(60), "minute"),
    }
}

/// The create form: `name`, `expires_in` (seconds, from the select) and
/// `scopes` (one checkbox each, so the field repeats). Read from the pairs,
/// since a repeated field is not a struct field to serde.
#[derive(Deserialize)]
#[serde(from = "Vec<(String, String)>")]
struct TokenForm {
    name: String,
    expires_in: Option<String>,
    scopes: Vec<String>,
}

impl From<Vec<(String, String)>> for TokenForm {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let first = |field: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, v)| v.clone())
        };
        Self {
            name: first("name").unwrap_or_default(),
            expires_in: first("expires_in"),
            scopes: pairs
                .iter()
                .filter(|(name, _)| name == "scopes")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }
}

impl TokenForm {
    /// What the use case is asked for. A lifetime that is not a number
    /// becomes 0, which the use case refuses like any other out of range.
    fn request(&self) -> AccessTokenRequest {
        AccessTokenRequest {
            name: self.name.clone(),
            expires_in: self.expires_in().unwrap_or(0),
            scopes: self.scopes.clone(),
        }
    }

    fn expires_in(&self) -> Option<u64> {
        self.expires_in.as_deref()?.trim().parse().ok()
    }

    /// The form again, as sent, with the reason it was refused.
    fn refused(&self, error: String) -> Draft {
        Draft {
            name: self.name.clone(),
            expires_in: self.expires_in(),
            read: self.scopes.iter().any(|s| s == "read"),
            write: self.scopes.iter().any(|s| s == "write"),
            error: Some(error),
        }
    }
}

/// The token, shown this once.
#[derive(Template)]
#[template(path = "token_created.html")]
struct CreatedPage<'a> {
    token: &'a str,
    name: &'a str,
    prefix: &'a str,
    scopes: String,
    expires_at: String,
}

fn created_page(created: &CreatedAccessToken) -> Response {
    let record = &created.record;
    let mut response = render(
        StatusCode::OK,
        &CreatedPage {
            token: created.token.expose(),
            name: &record.name,
            prefix: &record.prefix,
            scopes: scopes_text(record),
            expires_at: record.expires_at.to_human(),
        },
    );
    // Said here too (every answer gets it): this page is never kept.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// "Create token". Without an open step-up window: the step-up screen,
/// which posts the form again. Bad input or the limit: the Security page
/// again with the reason on the card and what was typed; nothing created.
async fn create(State(state): State<AppState>, a: PageAction<TokenForm>) -> Response {
    let result = state
        .app
        .create_access_token(&a.session, a.form.request(), &a.ctx)
        .await;
    match result {
        Ok(created) => created_page(&created),
        Err(e @ (AppError::InvalidInput { .. } | AppError::Conflict(_))) => {
            let max = state.app.policy().token_max_lifetime;
            let (status, error) = form_error(e, max);
            security::show(&state, &a.session, None, status, a.form.refused(error)).await
        }
        Err(e) => a.refused(&state, "Token not created", e).await,
    }
}

/// A refused form in the card's words: the lifetime and the scopes are
/// chosen on the form, so their reasons name the control, not the field.
fn form_error(e: AppError, max: Duration) -> (StatusCode, String) {
    let reworded = match &e {
        AppError::InvalidInput {
            field: "expires_in",
            ..
        } => Some(format!(
            "Choose when the token expires: at most {}.",
            lifetime_label(max.as_secs())
        )),
        AppError::InvalidInput {
            field: "scopes", ..
        } => Some("Tick at least one scope: read, write or both.".to_owned()),
        _ => None,
    };
    let (status, error) = explain(e);
    (status, reworded.unwrap_or(error))
}

/// "Revoke": the token stops working at once. No step-up (it only takes
/// access away), but the same page-action policy as every other button.
async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<AccessTokenId>,
    a: PageAction<NoFields>,
) -> Response {
    let result = state.app.revoke_access_token(&a.session, id, &a.ctx).await;
    a.answer(&state, result, "token_revoked", "Token not revoked")
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(max_days: u64, wanted: Option<u64>) -> Vec<(u64, bool)> {
        expiry_choices(Duration::from_secs(max_days * DAY), wanted)
            .into_iter()
            .map(|c| (c.seconds / DAY, c.selected))
            .collect()
    }

    #[test]
    fn the_form_offers_no_lifetime_above_the_instance_maximum() {
        assert_eq!(
            offered(365, None),
            [(7, false), (30, true), (90, false), (365, false)]
        );
        assert_eq!(
            offered(90, Some(90 * DAY)),
            [(7, false), (30, false), (90, true)]
        );
        assert_eq!(offered(10, None), [(7, true)]);
        let short = expiry_choices(Duration::from_secs(2 * 3_600), None);
        assert_eq!(short.len(), 1);
        assert_eq!(
            (short[0].seconds, short[0].label.as_str()),
            (7_200, "2 hours")
        );
        assert!(short[0].selected);
    }

    #[test]
    fn repeated_scopes_are_all_read() {
        let form: TokenForm =
            serde_urlencoded::from_str("name=CI&expires_in=604800&scopes=read&scopes=write")
                .unwrap();
        assert_eq!(form.name, "CI");
        assert_eq!(form.scopes, ["read", "write"]);
        let request = form.request();
        assert_eq!(request.expires_in, 604_800);
        let none: TokenForm = serde_urlencoded::from_str("expires_in=soon").unwrap();
        assert_eq!(none.request().expires_in, 0);
        assert!(none.request().scopes.is_empty() && none.name.is_empty());
    }
}
