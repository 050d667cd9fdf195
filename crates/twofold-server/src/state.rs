//! What every handler can reach: the app and the web settings.

use std::sync::Arc;
use std::time::Duration;

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
    /// How long a client may take and how many may be connected at once.
    pub limits: TransportLimits,
}

/// What keeps slow or numerous clients from holding the server: every
/// connection and request ends in bounded time, and the number of open
/// connections is capped (so are the open files they use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportLimits {
    /// A connection that has not sent a whole request head (request line and
    /// headers) this long after it opened or after its previous request is
    /// closed (`header_read_timeout`).
    pub header_read_timeout: Duration,
    /// A request whose answer is not ready this long after its head arrived,
    /// body upload included, is answered `408` (`request_timeout`).
    pub request_timeout: Duration,
    /// Connections open at once; further clients wait in the listen backlog
    /// until one closes (`max_connections`).
    pub max_connections: usize,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// `__Host-twofold_session` on https (no Domain, Path=/, Secure),
/// `twofold_session` otherwise.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-twofold_session"
    } else {
        "twofold_session"
    }
}

impl WebConfig {
    pub fn from_public_url(url: &Url) -> Self {
        Self {
            origin: url.origin().ascii_serialization(),
            https: url.scheme() == "https",
            trusted_proxies: Vec::new(),
            limits: TransportLimits::default(),
        }
    }

    pub fn session_cookie(&self) -> &'static str {
        session_cookie_name(self.https)
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
