//! Extractors: JSON bodies with our error shape, the caller's session (bearer
//! or cookie), and the facts about the client a use case records.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use twofold_app::{AppError, RequestContext, Session};
use twofold_core::access_token::{Scope, is_access_token};

use crate::client_ip::client_ip;
use crate::error::ApiError;
use crate::state::AppState;

/// `Json<T>` whose rejections answer in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(body_rejection(rejection.status(), rejection.body_text())),
        }
    }
}

/// A JSON body that may be left out: an empty (or all-whitespace) body, or
/// `null`, is `T::default()`. A body that is there must parse, or the answer is `400
/// invalid_request`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        serde_json::from_slice::<Option<T>>(&body)
            .map(|value| OptionalJson(value.unwrap_or_default()))
            .map_err(|e| ApiError::invalid_request(e.to_string()).into_response())
    }
}

/// `Form<T>` for pages; the rejection is kept for the page to explain.
pub struct PageForm<T>(pub Result<T, ApiError>);

impl<S, T> FromRequest<S> for PageForm<T>
where
    Form<T>: FromRequest<S, Rejection = FormRejection>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PageForm(
            Form::<T>::from_request(req, state)
                .await
                .map(|Form(value)| value)
                .map_err(|r| body_rejection(r.status(), r.body_text())),
        ))
    }
}

fn body_rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            "the request body is larger than 64 KiB",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "send a JSON body with Content-Type: application/json",
        ),
        // Malformed JSON, wrong types and missing fields alike: the request
        // itself is malformed. serde's message names the field and position.
        _ => ApiError::invalid_request(text),
    }
}

/// The client facts recorded with a session: peer address and user agent.
pub struct Client(pub RequestContext);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| {
                client_ip(addr.ip(), &forwarded, &state.web.trusted_proxies).to_string()
            });
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Client(RequestContext { ip, user_agent }))
    }
}

/// Who may call a route: whether a personal access token may, and whether
/// a session that may only enrol a factor may.
#[derive(Clone, Copy)]
struct Accept {
    tokens: bool,
    enrolling: bool,
}

/// The caller of an API route, by the one rule every extractor below
/// applies. When an `Authorization` header is present it alone decides (an
/// invalid one is 401 even beside a valid cookie); otherwise the session
/// cookie does. A token where tokens are not accepted is refused
/// (`403 token_not_allowed`) before any database work; a token needs the
/// `read` scope for `GET` and `HEAD`, `write` for anything else. An
/// enrolment-only session where it is not accepted gets
/// `403 mfa_enrollment_required`.
async fn caller(parts: &mut Parts, state: &AppState, accept: Accept) -> Result<Session, ApiError> {
    let credential = match parts.headers.get(header::AUTHORIZATION) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
            .ok_or(AppError::Unauthenticated)?,
        None => CookieJar::from_headers(&parts.headers)
            .get(state.web.session_cookie())
            .map(|c| c.value().to_owned())
            .ok_or(AppError::Unauthenticated)?,
    };
    if is_access_token(&credential) {
        if !accept.tokens {
            return Err(AppError::TokenNotAllowed.into());
        }
        let needs = if parts.method.is_safe() {
            Scope::Read
        } else {
            Scope::Write
        };
        let Ok(Client(ctx)) = Client::from_request_parts(parts, state).await;
        return Ok(state
            .app
            .authenticate_access_token(&credential, needs, &ctx)
            .await?);
    }
    let session = state.app.authenticate(&credential).await?;
    if !accept.enrolling {
        state.app.require_full_session(&session)?;
    }
    Ok(session)
}

/// One extractor a kind of route, each over [`caller`].
macro_rules! callers {
    ($($(#[$doc:meta])* $name:ident { tokens: $tokens:expr, enrolling: $enrolling:expr })*) => {$(
        $(#[$doc])*
        pub struct $name(pub Session);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, ApiError> {
                let accept = Accept { tokens: $tokens, enrolling: $enrolling };
                caller(parts, state, accept).await.map($name)
            }
        }
    )*};
}

callers! {
    /// A person signed in with a session that may do everything: every
    /// route that changes security takes this one.
    ApiSession { tokens: false, enrolling: false }
    /// A session, enrolment-only ones included: only the routes such a
    /// session may use take this (signing out, step-up, enrolling an
    /// authenticator app or a passkey).
    EnrollingSession { tokens: false, enrolling: true }
    /// A full session or a personal access token: the read routes tokens
    /// may use.
    ApiCaller { tokens: true, enrolling: false }
    /// Anyone signed in at all: reading who one is (`GET /me`,
    /// `GET /sessions/current`).
    AnyCaller { tokens: true, enrolling: true }
}

/// A caller whose step-up window is open: the guard of every security
/// change (`403 reauth_required` otherwise). The use cases check it again,
/// so a page or a future caller cannot skip it.
pub struct RequireStepUp(pub Session);

impl FromRequestParts<AppState> for RequireStepUp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiSession(session) = ApiSession::from_request_parts(parts, state).await?;
        state.app.require_step_up(&session)?;
        Ok(RequireStepUp(session))
    }
}

/// [`RequireStepUp`] for the routes that start enrolling a factor, which an
/// enrolment-only session may use too.
pub struct EnrollingStepUp(pub Session);

impl FromRequestParts<AppState> for EnrollingStepUp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let EnrollingSession(session) = EnrollingSession::from_request_parts(parts, state).await?;
        state.app.require_step_up(&session)?;
        Ok(EnrollingStepUp(session))
    }
}

/// `Path<T>` whose rejections answer in the API's error shape.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.body_text()))
    }
}

/// `Query<T>` whose rejections answer in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::invalid_request(format!("invalid query string: {e}")))
    }
}

/// The session of a page visitor (cookie only), if signed in.
pub struct PageSession(pub Option<Session>);

impl FromRequestParts<AppState> for PageSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(state.web.session_cookie()) else {
            return Ok(PageSession(None));
        };
        match state.app.authenticate(cookie.value()).await {
            Ok(session) => Ok(PageSession(Some(session))),
            Err(AppError::Unauthenticated) => Ok(PageSession(None)),
            Err(e) => Err(e.into()),
        }
    }
}

/// The page an enrolment-only session is sent to from every other page.
pub const MFA_REQUIRED_PAGE: &str = "/settings/security/mfa-required";

/// A signed-in page visitor who may do everything; without a session, `303`
/// to `/login`; with one that may only enrol a factor, `303` to the page
/// that says so.
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let EnrollingSignedIn(session) =
            EnrollingSignedIn::from_request_parts(parts, state).await?;
        match state.app.require_full_session(&session) {
            Ok(()) => Ok(SignedIn(session)),
            Err(_) => Err(Redirect::to(MFA_REQUIRED_PAGE).into_response()),
        }
    }
}

/// A signed-in page visitor, enrolment-only sessions included: the pages
/// such a session may use (the MFA-required page, the step-up screen,
/// adding an authenticator app).
pub struct EnrollingSignedIn(pub Session);

impl FromRequestParts<AppState> for EnrollingSignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match PageSession::from_request_parts(parts, state).await {
            Ok(PageSession(Some(session))) => Ok(EnrollingSignedIn(session)),
            Ok(PageSession(None)) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
