//! Settings: every one has a default, a TOML name and an environment
//! variable (`TWOFOLD_` + the name in upper case). Precedence: flags >
//! environment > TOML file > defaults. A bad value names its setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use twofold_app::{Policy, Signup};
use twofold_core::session::SessionLifetimes;
use twofold_server::TransportLimits;
use url::Url;

use self::values::{
    boolean, duration, duration_text, idle_timeout, issuer, max_connections, parse_public_url,
    roles, roles_text,
};

mod values;

/// Every setting twofold reads but the policy's, with its default ("" = unset).
const SETTINGS: &[(&str, &str)] = &[
    ("listen", "127.0.0.1:8080"),
    ("data_dir", "./twofold-data"),
    ("database_url", ""),
    ("public_url", "http://localhost:8080"),
    ("secret_key_file", ""),
    ("secret_key", ""),
    ("trusted_proxies", ""),
    ("log_format", "pretty"),
    ("hash_concurrency", "0"),
    ("header_read_timeout", "10s"),
    ("request_timeout", "30s"),
    ("max_connections", "4096"),
];

/// The policy's settings, whose defaults are `Policy::default()`'s (the one
/// place they are written), as the text a file or variable would give.
fn policy_defaults() -> [(&'static str, String); 11] {
    let policy = Policy::default();
    let signup = match policy.signup {
        Signup::Closed => "closed",
        Signup::Open => "open",
    };
    [
        ("signup", signup.to_owned()),
        ("session_lifetime", duration_text(policy.sessions.default)),
        (
            "remember_me_lifetime",
            duration_text(policy.sessions.remembered),
        ),
        ("session_idle_timeout", duration_text(policy.sessions.idle)),
        ("step_up_window", duration_text(policy.step_up_window)),
        ("issuer", policy.issuer),
        (
            "remember_me_with_mfa",
            policy.remember_me_with_mfa.to_string(),
        ),
        ("audit_retention", duration_text(policy.audit_retention)),
        ("mfa_required_roles", roles_text(&policy.mfa_required_roles)),
        ("mfa_grace_period", duration_text(policy.mfa_grace_period)),
        (
            "token_max_lifetime",
            duration_text(policy.token_max_lifetime),
        ),
    ]
}

/// Every setting twofold reads, with its default ("" = unset).
fn defaults() -> Vec<(&'static str, String)> {
    SETTINGS
        .iter()
        .map(|(name, default)| (*name, (*default).to_owned()))
        .chain(policy_defaults())
        .collect()
}

/// A setting that could not be used; printed as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{name}` ({env}): {reason}")]
pub struct SettingError {
    pub name: String,
    pub env: String,
    pub reason: String,
}

impl SettingError {
    fn new(name: &str, reason: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            env: env_name(name),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything the binary needs, parsed.
#[derive(Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub public_url: Url,
    pub secret_key_file: Option<PathBuf>,
    pub secret_key: Option<SecretString>,
    pub policy: Policy,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub log_format: LogFormat,
    /// Argon2id runs at once; 0 in the file means "one per core".
    pub hash_concurrency: usize,
    /// Timeouts and the connection cap that hold slow clients off.
    pub transport: TransportLimits,
}

fn env_name(name: &str) -> String {
    format!("TWOFOLD_{}", name.to_uppercase())
}

/// Collects the raw values by precedence, then parses them.
///
/// `flags` are (name, value) pairs given on the command line; `env` looks up
/// an environment variable (a parameter so tests need not mutate the process).
pub fn load(
    config_file: Option<&Path>,
    flags: &[(&str, Option<String>)],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, SettingError> {
    let defaults = defaults();
    let names: Vec<&'static str> = defaults.iter().map(|(name, _)| *name).collect();
    let mut raw: BTreeMap<&str, String> = defaults.into_iter().collect();
    if let Some(path) = config_file {
        for (name, value) in read_toml(path)? {
            let known = names.iter().find(|n| **n == name).copied().ok_or_else(|| {
                SettingError::new(&name, format!("unknown setting in {}", path.display()))
            })?;
            raw.insert(known, value);
        }
    }
    for name in names {
        if let Some(value) = env(&env_name(name)) {
            raw.insert(name, value);
        }
    }
    for (name, value) in flags {
        if let Some(value) = value {
            raw.insert(name, value.clone());
        }
    }
    parse(&raw)
}

fn read_toml(path: &Path) -> Result<Vec<(String, String)>, SettingError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SettingError::new("config", format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        SettingError::new("config", format!("{}: {}", path.display(), e.message()))
    })?;
    table
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(SettingError::new(
                        &name,
                        format!("expected a string or number, found {}", other.type_str()),
                    ));
                }
            };
            Ok((name, text))
        })
        .collect()
}

fn parse(raw: &BTreeMap<&str, String>) -> Result<Settings, SettingError> {
    let get = |name: &str| raw.get(name).map(String::as_str).unwrap_or("");
    let optional = |name: &str| Some(get(name)).filter(|v| !v.is_empty()).map(str::to_owned);

    let listen = get("listen")
        .parse()
        .map_err(|_| SettingError::new("listen", "expected an address such as 127.0.0.1:8080"))?;
    let public_url = parse_public_url(get("public_url"))?;
    let data_dir = PathBuf::from(get("data_dir"));
    if data_dir.as_os_str().is_empty() {
        return Err(SettingError::new("data_dir", "must not be empty"));
    }
    let database_url = optional("database_url");
    if let Some(url) = &database_url
        && crate::boot::Backend::of(url).is_err()
    {
        return Err(SettingError::new(
            "database_url",
            "must start with sqlite: or postgres://",
        ));
    }
    let signup = match get("signup") {
        "closed" => Signup::Closed,
        "open" => Signup::Open,
        _ => return Err(SettingError::new("signup", "expected closed or open")),
    };
    let log_format = match get("log_format") {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        _ => return Err(SettingError::new("log_format", "expected pretty or json")),
    };
    let hash_concurrency = match get("hash_concurrency").parse::<usize>() {
        Ok(0) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Ok(n) if n <= 256 => n,
        _ => {
            return Err(SettingError::new(
                "hash_concurrency",
                "expected a whole number from 0 (one per core) to 256",
            ));
        }
    };
    Ok(Settings {
        listen,
        data_dir,
        database_url,
        public_url,
        secret_key_file: optional("secret_key_file").map(PathBuf::from),
        secret_key: optional("secret_key").map(SecretString::from),
        policy: Policy {
            signup,
            sessions: SessionLifetimes {
                default: duration("session_lifetime", get("session_lifetime"))?,
                remembered: duration("remember_me_lifetime", get("remember_me_lifetime"))?,
                idle: idle_timeout(get("session_idle_timeout"))?,
            },
            step_up_window: duration("step_up_window", get("step_up_window"))?,
            issuer: issuer(get("issuer"))?,
            remember_me_with_mfa: boolean("remember_me_with_mfa", get("remember_me_with_mfa"))?,
            audit_retention: duration("audit_retention", get("audit_retention"))?,
            mfa_required_roles: roles("mfa_required_roles", get("mfa_required_roles"))?,
            mfa_grace_period: duration("mfa_grace_period", get("mfa_grace_period"))?,
            token_max_lifetime: duration("token_max_lifetime", get("token_max_lifetime"))?,
        },
        trusted_proxies: twofold_server::client_ip::parse_trusted_proxies(get("trusted_proxies"))
            .map_err(|reason| SettingError::new("trusted_proxies", reason))?,
        log_format,
        hash_concurrency,
        transport: TransportLimits {
            header_read_timeout: duration("header_read_timeout", get("header_read_timeout"))?,
            request_timeout: duration("request_timeout", get("request_timeout"))?,
            max_connections: max_connections(get("max_connections"))?,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_alone_make_a_working_configuration() {
        let s = load(None, &[], no_env).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./twofold-data"));
        assert_eq!(s.public_url.as_str(), "http://localhost:8080/");
        assert_eq!(s.policy.signup, Signup::Closed);
        assert!(s.database_url.is_none());
        assert_eq!(s.policy.step_up_window, Duration::from_secs(300));
        assert_eq!(s.policy.sessions.idle, Duration::from_secs(3600));
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(s.policy.issuer, "twofold");
        assert!(!s.policy.remember_me_with_mfa);
        assert_eq!(s.policy.audit_retention, Duration::from_secs(400 * 86_400));
        assert!(s.policy.mfa_required_roles.is_empty());
        assert_eq!(s.policy.mfa_grace_period, Duration::from_secs(7 * 86_400));
        assert_eq!(
            s.policy.token_max_lifetime,
            Duration::from_secs(365 * 86_400)
        );
        assert_eq!(s.transport, TransportLimits::default());
        assert_eq!(s.transport.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.transport.request_timeout, Duration::from_secs(30));
        assert_eq!(s.transport.max_connections, 4096);
    }

    #[test]
    fn transport_limits_are_settings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twofold.toml");
        std::fs::write(&file, "max_connections = 512\nrequest_timeout = \"1m\"\n").unwrap();
        let env = |name: &str| (name == "TWOFOLD_HEADER_READ_TIMEOUT").then(|| "5s".to_owned());
        let s = load(Some(&file), &[], env).unwrap();
        assert_eq!(
            s.transport,
            TransportLimits {
                header_read_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(60),
                max_connections: 512,
            }
        );
        for (name, value) in [
            ("header_read_timeout", "0s"),
            ("header_read_timeout", "10"),
            ("request_timeout", "soon"),
            ("max_connections", "0"),
            ("max_connections", "-1"),
            ("max_connections", "1000001"),
            ("max_connections", "many"),
        ] {
            let variable = format!("TWOFOLD_{}", name.to_uppercase());
            let env = |n: &str| (n == variable).then(|| value.to_owned());
            let e = load(None, &[], env).unwrap_err();
            assert_eq!(e.name, name, "{value}");
            assert!(e.to_string().contains(&variable), "{e}");
        }
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twofold.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1111\"\nsignup = \"open\"\ndata_dir = \"/from/file\"\n",
        )
        .unwrap();
        let env = |name: &str| match name {
            "TWOFOLD_LISTEN" => Some("127.0.0.1:2222".to_owned()),
            "TWOFOLD_DATA_DIR" => Some("/from/env".to_owned()),
            _ => None,
        };
        let s = load(
            Some(&file),
            &[("listen", Some("127.0.0.1:3333".into()))],
            env,
        )
        .unwrap();
        assert_eq!(s.listen.port(), 3333);
        assert_eq!(s.data_dir, PathBuf::from("/from/env"));
        assert_eq!(s.policy.signup, Signup::Open);
    }

    #[test]
    fn a_bad_value_names_its_setting_and_variable() {
        let env = |name: &str| (name == "TWOFOLD_LISTEN").then(|| "not an address".to_owned());
        let e = load(None, &[], env).unwrap_err();
        assert_eq!(e.name, "listen");
        assert!(e.to_string().contains("TWOFOLD_LISTEN"), "{e}");
        let e = load(None, &[("public_url", Some("ftp://x".into()))], no_env).unwrap_err();
        assert_eq!(e.name, "public_url");
        let env =
            |name: &str| (name == "TWOFOLD_TRUSTED_PROXIES").then(|| "10.0.0.0/99".to_owned());
        assert_eq!(load(None, &[], env).unwrap_err().name, "trusted_proxies");
        let env = |name: &str| (name == "TWOFOLD_STEP_UP_WINDOW").then(|| "5".to_owned());
        assert_eq!(load(None, &[], env).unwrap_err().name, "step_up_window");
        for bad in ["soon", "90s"] {
            let env = |name: &str| (name == "TWOFOLD_SESSION_IDLE_TIMEOUT").then(|| bad.to_owned());
            assert_eq!(
                load(None, &[], env).unwrap_err().name,
                "session_idle_timeout"
            );
        }
        let env = |name: &str| (name == "TWOFOLD_SESSION_IDLE_TIMEOUT").then(|| "30m".to_owned());
        assert_eq!(
            load(None, &[], env).unwrap().policy.sessions.idle,
            Duration::from_secs(1800)
        );
        let env = |name: &str| (name == "TWOFOLD_ISSUER").then(|| "My:App".to_owned());
        assert_eq!(load(None, &[], env).unwrap_err().name, "issuer");
        let env = |name: &str| (name == "TWOFOLD_REMEMBER_ME_WITH_MFA").then(|| "yes".to_owned());
        assert_eq!(
            load(None, &[], env).unwrap_err().name,
            "remember_me_with_mfa"
        );
    }

    #[test]
    fn mfa_required_roles_and_grace_period() {
        let env = |name: &str| match name {
            "TWOFOLD_MFA_REQUIRED_ROLES" => Some(" owner, admin ".to_owned()),
            "TWOFOLD_MFA_GRACE_PERIOD" => Some("3d".to_owned()),
            _ => None,
        };
        let s = load(None, &[], env).unwrap();
        assert_eq!(
            s.policy.mfa_required_roles,
            vec![twofold_core::Role::Owner, twofold_core::Role::Admin]
        );
        assert_eq!(s.policy.mfa_grace_period, Duration::from_secs(3 * 86_400));
        for (name, bad) in [
            ("mfa_required_roles", "owner,boss"),
            ("mfa_required_roles", "admin,admin"),
            ("mfa_grace_period", "soon"),
            ("mfa_grace_period", "0s"),
        ] {
            let variable = format!("TWOFOLD_{}", name.to_uppercase());
            let env = |n: &str| (n == variable).then(|| bad.to_owned());
            let e = load(None, &[], env).unwrap_err();
            assert_eq!(e.name, name, "{bad}");
        }
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twofold.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:1111\"\n").unwrap();
        assert_eq!(load(Some(&file), &[], no_env).unwrap_err().name, "lisen");
    }
}
