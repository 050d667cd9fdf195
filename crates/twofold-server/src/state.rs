//! What every handler can reach: the app and the web settings.

use std::sync::Arc;

use twofold_app::App;
use url::Url;

/// Settings of the web layer, derived from the public URL.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The only origin a browser request that changes state may come from,
    /// e.g. `http://localhost:8080` (no trailing slash).
    pub origin: String,
    /// The public URL is https: cookies get `Secure` and the `__Host-`
    /// prefix, and responses carry HSTS.
    pub https: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`trusted_proxies`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl WebConfig {
    pub fn from_public_url(url: &Url) -> Self {
        Self {
            origin: url.origin().ascii_serialization(),
            https: url.scheme() == "https",
            trusted_proxies: Vec::new(),
        }
    }

    /// `__Host-twofold_session` on https (no Domain, Path=/, Secure),
    /// `twofold_session` otherwise.
    pub fn session_cookie(&self) -> &'static str {
        if self.https {
            "__Host-twofold_session"
        } else {
            "twofold_session"
        }
    }
}

impl WebConfig {
    /// The cookie holding a browser's pending MFA challenge. `__Secure-`
    /// on https: `__Host-` would require `Path=/`, and this cookie is
    /// scoped to the MFA paths.
    pub fn challenge_cookie(&self) -> &'static str {
        if self.https {
            "__Secure-twofold_mfa"
        } else {
            "twofold_mfa"
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
}
