//! `twofold user list [--json]`: every account with its role and factor
//! counts. Like `twofold recover`, it needs the database settings only, so an
//! operator can look before a break-glass reset.

use std::io::Write as _;

use twofold_app::{AccountSummary, MAX_PAGE, UserQuery};

use crate::Failure;
use crate::config::Settings;
use crate::recover::open_operator;

/// One account, as a JSON line: the fields of `GET /admin/users`.
#[derive(serde::Serialize)]
struct UserLine<'a> {
    id: String,
    email: &'a str,
    role: &'a str,
    created_at: String,
    mfa: bool,
    totp: u64,
    passkeys: u64,
    recovery_codes_left: u64,
    last_sign_in: Option<String>,
    /// `active` or `disabled`.
    status: &'static str,
    disabled_at: Option<String>,
}

impl<'a> From<&'a AccountSummary> for UserLine<'a> {
    fn from(u: &'a AccountSummary) -> Self {
        Self {
            id: u.id.uuid().to_string(),
            email: &u.email,
            role: u.role.as_str(),
            created_at: u.created_at.to_rfc3339(),
            mfa: u.mfa(),
            totp: u.totp,
            passkeys: u.passkeys,
            recovery_codes_left: u.recovery_codes_left,
            last_sign_in: u.last_sign_in.map(|at| at.to_rfc3339()),
            status: status(u),
            disabled_at: u.disabled_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// Prints every account by email: a table, or one JSON object a line.
pub(crate) async fn list_users(settings: &Settings, json: bool) -> Result<(), Failure> {
    let operator = open_operator(settings).await?;
    let mut out = std::io::stdout().lock();
    let write_failed = |e: std::io::Error| Failure::Other(format!("cannot write: {e}"));
    if !json {
        writeln!(out, "{}", header()).map_err(write_failed)?;
    }
    let mut query = UserQuery {
        limit: Some(MAX_PAGE),
        ..UserQuery::default()
    };
    loop {
        let page = operator.list_users(&query).await?;
        for user in &page.users {
            let line = if json {
                serde_json::to_string(&UserLine::from(user))
                    .map_err(|e| Failure::Other(e.to_string()))?
            } else {
                row(user)
            };
            writeln!(out, "{line}").map_err(write_failed)?;
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(()),
        }
    }
}

fn status(u: &AccountSummary) -> &'static str {
    if u.disabled_at.is_some() {
        "disabled"
    } else {
        "active"
    }
}

fn header() -> String {
    format!(
        "{:<40} {:<6} {:<3} {:>4} {:>8} {:>5} {:<8} {:<20} {}",
        "EMAIL", "ROLE", "MFA", "APPS", "PASSKEYS", "CODES", "STATUS", "CREATED", "LAST SIGN-IN"
    )
}

fn row(u: &AccountSummary) -> String {
    format!(
        "{:<40} {:<6} {:<3} {:>4} {:>8} {:>5} {:<8} {:<20} {}",
        u.email,
        u.role.as_str(),
        if u.mfa() { "on" } else { "off" },
        u.totp,
        u.passkeys,
        u.recovery_codes_left,
        status(u),
        u.created_at.to_rfc3339(),
        u.last_sign_in
            .map_or_else(|| "never".to_owned(), |at| at.to_rfc3339()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use twofold_core::{AccountId, Role, Timestamp};

    #[test]
    fn a_row_lines_up_under_the_header() {
        let user = AccountSummary {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            email: "mia@example.com".into(),
            email_normalized: "mia@example.com".into(),
            role: Role::Member,
            created_at: Timestamp::from_unix(1_700_000_000),
            totp: 1,
            passkeys: 0,
            recovery_codes_left: 10,
            last_sign_in: None,
            disabled_at: None,
        };
        let row = row(&user);
        assert!(row.starts_with("mia@example.com "), "{row}");
        assert!(row.ends_with(" never"), "{row}");
        assert_eq!(header().find("ROLE"), row.find("member"));
        assert_eq!(header().find("STATUS"), row.find("active"));
        assert_eq!(header().find("MFA"), row.find("on "));
    }
}
