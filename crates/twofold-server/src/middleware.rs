//! Layers around every route: request tracing (never bodies, never
//! credentials), security headers, the origin check, the request deadline,
//! and the panic net. (The log of internal errors is `internal_causes`.)

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::{AppState, WebConfig};

/// The content security policy: our own scripts and styles only, no inline
/// script, no framing, forms only to ourselves.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers every response carries; HSTS only when the public URL
/// is https.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    web: &WebConfig,
) -> axum::Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(
            HeaderName::from_static("permissions-policy"),
            "publickey-credentials-get=(self), publickey-credentials-create=(self)",
        ))
        // Nothing twofold serves may be cached: pages show account data and
        // API answers carry tokens. Static assets set their own policy.
        .layer(set(header::CACHE_CONTROL, "no-store"));
    if web.https {
        router.layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        router
    }
}

/// A browser request that changes state passes only when its `Origin` is
/// the public URL's origin, or when it carries neither `Origin` nor
/// `Sec-Fetch-Site` (a non-browser client). The `Host` header is never
/// trusted: a DNS-rebinding page is "same-origin" to the browser, but its
/// `Origin` names the attacker's host.
///
/// Only a bearer token on an API route skips the check: a browser never
/// attaches a bearer token by itself, and API routes then authenticate by
/// that token alone. Any other `Authorization` scheme (Basic, Digest,
/// Negotiate, NTLM) may be a credential the browser cached and attaches to a
/// cross-site form, and page routes authenticate by cookie whatever else the
/// request carries: those requests are checked.
pub async fn origin_check(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_bearer_api_call(&request) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match headers.get(header::ORIGIN) {
        Some(origin) => {
            origin.as_bytes() == state.web.origin.as_bytes()
                || (origin.as_bytes() == b"null" && request.uri().path() == NO_REFERRER_FORM)
        }
        None => !headers.contains_key("sec-fetch-site"),
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(target: "security", "cross-origin request refused");
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "cross-origin request refused",
    )
    .into_response()
}

/// The one page form served under `Referrer-Policy: no-referrer` (its
/// address holds a set-password token), so browsers post it with `Origin:
/// null`. It reads no cookie and acts only on the token in its body, which
/// any client could post without a browser: a cross-site post gains nothing.
const NO_REFERRER_FORM: &str = "/set-password";

/// A call to `/api/v1` carrying `Authorization: Bearer …` (the scheme
/// `ApiSession` accepts).
fn is_bearer_api_call(request: &Request) -> bool {
    let path = request.uri().path();
    let api_route = path == "/api/v1" || path.starts_with("/api/v1/");
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes().starts_with(b"Bearer "));
    api_route && bearer
}

/// Answers `408` when the answer is not ready within `limit` of the request
/// head's arrival, body upload included: a client that sends its body slowly
/// or never finishes it cannot hold a handler. The handler is dropped, so an
/// open transaction rolls back.
pub async fn request_deadline(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response<Body> {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::info!(
                limit_secs = limit.as_secs(),
                "request timed out (request_timeout)"
            );
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the request was not complete within {} s", limit.as_secs()),
            )
            .into_response()
        }
    }
}

/// A panic is a bug: log it and answer 500 in our error shape.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
    .into_response()
}

/// One span per request with its method, path and request id; headers and
/// bodies are never recorded (they carry passwords, cookies and tokens).
pub fn trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, impl Fn(&Request) -> tracing::Span + Clone>
{
    TraceLayer::new_for_http().make_span_with(|request: &Request| {
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id,
        )
    })
}
