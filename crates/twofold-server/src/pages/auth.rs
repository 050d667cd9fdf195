//! Setup, sign-in and sign-out pages.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use twofold_app::{AppError, IssuedSession};

use super::paths::{HOME, MFA_REQUIRED};
use super::respond::{explain, render, see_other};
use crate::cookies;
use crate::error::ApiError;
use crate::extract::{Client, PageForm, PageSession};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup_page).post(setup))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    email: String,
    error: Option<String>,
    /// Offer passkeys through autofill (not right after signing out).
    autofill: bool,
}

#[derive(Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    email: String,
    #[serde(default = "empty_secret")]
    password: SecretString,
    #[serde(default)]
    remember_me: Option<String>,
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

/// `/`: setup on an empty instance, else the security page or sign-in.
pub async fn home(State(state): State<AppState>, PageSession(session): PageSession) -> Response {
    match state.app.needs_setup().await {
        Ok(true) => see_other("/setup"),
        Ok(false) if session.is_some() => see_other(HOME),
        Ok(false) => see_other("/login"),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub async fn setup_page(State(state): State<AppState>) -> Response {
    match state.app.needs_setup().await {
        Ok(true) => render(
            StatusCode::OK,
            &SetupPage {
                email: String::new(),
                error: None,
            },
        ),
        Ok(false) => see_other("/login"),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub async fn setup(
    State(state): State<AppState>,
    Client(ctx): Client,
    PageForm(form): PageForm<CredentialsForm>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(e) => return form_error::<SetupPage>(e, String::new()),
    };
    match state
        .app
        .set_up_owner(&form.email, form.password, &ctx)
        .await
    {
        Ok(issued) => signed_in(&state, &issued),
        Err(e) => refused::<SetupPage>(e, form.email),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
    signed_out: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<LoginQuery>,
) -> Response {
    match state.app.needs_setup().await {
        Ok(true) => see_other("/setup"),
        Ok(false) if session.is_some() => see_other(HOME),
        Ok(false) => render(
            StatusCode::OK,
            &LoginPage {
                email: String::new(),
                error: query.expired.map(|_| {
                    "That sign-in expired or had too many wrong codes. Sign in again.".to_owned()
                }),
                autofill: query.signed_out.is_none(),
            },
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub async fn login(
    State(state): State<AppState>,
    Client(ctx): Client,
    PageForm(form): PageForm<CredentialsForm>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(e) => return form_error::<LoginPage>(e, String::new()),
    };
    let remember_me = form.remember_me.is_some();
    match state
        .app
        .sign_in(&form.email, form.password, remember_me, &ctx)
        .await
    {
        Ok(twofold_app::SignInOutcome::Active(issued)) => signed_in(&state, &issued),
        Ok(twofold_app::SignInOutcome::MfaRequired(challenge)) => {
            let cookies = cookies::challenge_cookies(&state.web, &challenge.id);
            (
                AppendHeaders(cookies.map(|cookie| (header::SET_COOKIE, cookie))),
                see_other("/login/mfa"),
            )
                .into_response()
        }
        Err(e) => refused::<LoginPage>(e, form.email),
    }
}

pub async fn logout(State(state): State<AppState>, PageSession(session): PageSession) -> Response {
    if let Some(session) = session
        && let Err(e) = state.app.sign_out(&session).await
    {
        return ApiError::from(e).into_response();
    }
    let cookie = cookies::clear_session_cookie(&state.web);
    (
        [(header::SET_COOKIE, cookie)],
        see_other("/login?signed_out=1"),
    )
        .into_response()
}

/// The new session's cookie, then home, or the page that asks for two-factor
/// authentication when the account must set it up.
fn signed_in(state: &AppState, issued: &IssuedSession) -> Response {
    let cookie = cookies::session_cookie(&state.web, issued);
    let next = if issued.mfa_enrollment_due.is_some() || issued.session.enrolment_only {
        MFA_REQUIRED
    } else {
        HOME
    };
    ([(header::SET_COOKIE, cookie)], see_other(next)).into_response()
}

/// A form body that could not be read at all (too large, wrong type).
fn form_error<P: FormPage>(e: ApiError, email: String) -> Response {
    render(e.status, &P::with_error(email, e.message))
}

/// A use case refused the form: the page again, with the email kept.
fn refused<P: FormPage>(e: AppError, email: String) -> Response {
    let (status, error) = explain(e);
    render(status, &P::with_error(email, error))
}

trait FormPage: Template {
    fn with_error(email: String, error: String) -> Self;
}

impl FormPage for SetupPage {
    fn with_error(email: String, error: String) -> Self {
        Self {
            email,
            error: Some(error),
        }
    }
}

impl FormPage for LoginPage {
    fn with_error(email: String, error: String) -> Self {
        Self {
            email,
            error: Some(error),
            autofill: false,
        }
    }
}
