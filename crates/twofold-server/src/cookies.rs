//! The session cookie: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure and
//! `__Host-` prefixed when the public URL is https. The MFA challenge
//! cookie: the same, but scoped to the paths that read it (so `__Secure-`
//! rather than `__Host-`, which requires `Path=/`).

use axum::http::HeaderValue;
use axum_extra::extract::cookie::{Cookie, SameSite};
use twofold_app::{CHALLENGE_LIFETIME, IssuedSession};
use twofold_core::token::ChallengeId;

use crate::state::WebConfig;

/// `Set-Cookie` for a newly issued session. A persistent session's cookie
/// outlives the browser session ("remember me") until the session expires;
/// otherwise it ends with the browser session. The app decides which.
pub fn session_cookie(web: &WebConfig, issued: &IssuedSession) -> HeaderValue {
    let mut cookie = base(
        web,
        web.session_cookie(),
        issued.token.expose().to_owned(),
        "/",
    );
    if issued.persistent {
        let session = &issued.session;
        let lifetime = session.created_at.seconds_until(session.expires_at);
        let seconds = i64::try_from(lifetime).unwrap_or(i64::MAX);
        cookie.set_max_age(time::Duration::seconds(seconds));
    }
    header(cookie)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(web: &WebConfig) -> HeaderValue {
    let mut cookie = base(web, web.session_cookie(), String::new(), "/");
    cookie.make_removal();
    header(cookie)
}

/// The attributes every twofold cookie has: HttpOnly, SameSite=Lax, the
/// given path, and Secure when the public URL is https.
fn base(web: &WebConfig, name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path(path)
        .secure(web.https)
        .build()
}

fn header(cookie: Cookie<'_>) -> HeaderValue {
    // A cookie built from a base64url token and fixed attributes is always a
    // valid header value.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// The only paths that read the MFA challenge cookie: the MFA page, and the
/// API's second step (its passkey options and the answer). Everywhere else
/// the browser does not send it.
pub const CHALLENGE_PATHS: [&str; 2] = ["/login/mfa", "/api/v1/sessions/mfa"];

/// The MFA challenge cookie of a browser sign-in: as short-lived as the
/// challenge, one copy for each path that reads it.
pub fn challenge_cookies(web: &WebConfig, challenge: &ChallengeId) -> [HeaderValue; 2] {
    CHALLENGE_PATHS.map(|path| {
        let mut cookie = base(
            web,
            web.challenge_cookie(),
            challenge.expose().to_owned(),
            path,
        );
        let seconds = i64::try_from(CHALLENGE_LIFETIME.as_secs()).unwrap_or(i64::MAX);
        cookie.set_max_age(time::Duration::seconds(seconds));
        header(cookie)
    })
}

/// `Set-Cookie`s that remove both copies of the challenge cookie.
pub fn clear_challenge_cookies(web: &WebConfig) -> [HeaderValue; 2] {
    CHALLENGE_PATHS.map(|path| {
        let mut cookie = base(web, web.challenge_cookie(), String::new(), path);
        cookie.make_removal();
        header(cookie)
    })
}
