//! SQL text both backends run as is: the dialects agree on `$n` parameters,
//! `RETURNING` and `ON CONFLICT`, and every time is an integer of seconds.
//! Where they differ, the backend crate has its own statement.

pub const COUNT_ACCOUNTS: &str = "SELECT COUNT(*) FROM accounts";

pub const ACCOUNT_BY_EMAIL: &str =
    "SELECT id, email, role, password_hash, created_at FROM accounts WHERE email_normalized = $1";

pub const ACCOUNT_BY_ID: &str =
    "SELECT id, email, role, password_hash, created_at FROM accounts WHERE id = $1";

pub const INSERT_ACCOUNT: &str = "INSERT INTO accounts \
     (id, email, email_normalized, role, password_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Inserts only into an empty table. On SQLite the write lock taken by
/// `BEGIN IMMEDIATE` makes this atomic; PostgreSQL locks the table first.
pub const INSERT_FIRST_ACCOUNT: &str = "INSERT INTO accounts \
     (id, email, email_normalized, role, password_hash, created_at) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM accounts)";

pub const SET_PASSWORD_HASH: &str = "UPDATE accounts SET password_hash = $1 WHERE id = $2";

pub const SESSION_BY_TOKEN: &str = "SELECT s.id, s.account_id, a.email AS account_email, \
     a.role AS account_role, s.aal, s.amr, s.created_at, s.last_seen_at, s.expires_at, \
     s.remembered, s.privileged_until, s.ip, s.user_agent \
     FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2";

pub const INSERT_SESSION: &str = "INSERT INTO sessions \
     (id, token_hash, account_id, aal, amr, created_at, last_seen_at, expires_at, remembered, ip, \
     user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)";

pub const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at <= $3";

pub const DELETE_SESSION: &str =
    "DELETE FROM sessions WHERE id = $1 AND account_id = $2 RETURNING id";

pub const SESSIONS_OF_ACCOUNT: &str = "SELECT s.id, s.account_id, a.email AS account_email, \
     a.role AS account_role, s.aal, s.amr, s.created_at, s.last_seen_at, s.expires_at, \
     s.remembered, s.privileged_until, s.ip, s.user_agent \
     FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE s.account_id = $1 AND s.expires_at > $2 \
     ORDER BY s.created_at DESC, s.id DESC";

pub const SET_PRIVILEGED_UNTIL: &str = "UPDATE sessions SET privileged_until = $1 WHERE id = $2";

pub const DELETE_OTHER_SESSIONS: &str = "DELETE FROM sessions WHERE account_id = $1 AND id <> $2";

pub const DELETE_OTHER_SESSIONS_BELOW_AAL: &str =
    "DELETE FROM sessions WHERE account_id = $1 AND id <> $2 AND aal < $3";

pub const INSERT_EVENT: &str = "INSERT INTO audit_events \
     (id, at, account_id, actor_kind, actor_id, kind, ip, user_agent, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Newest first; every filter is optional (NULL matches all).
pub const EVENTS: &str = "SELECT id, at, account_id, actor_kind, actor_id, kind, ip, user_agent, detail \
     FROM audit_events \
     WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR id < $3) \
     ORDER BY id DESC LIMIT $4";

/// A failed (or reserved, in-flight) attempt; `attempt` names the
/// reservation so a success can release exactly it.
pub const INSERT_FAILURE: &str =
    "INSERT INTO throttle_failures (key, at, attempt) VALUES ($1, $2, $3)";

pub const PRUNE_FAILURES: &str = "DELETE FROM throttle_failures WHERE key = $1 AND at <= $2";

pub const COUNT_FAILURES: &str =
    "SELECT COUNT(*) AS count, MIN(at) AS oldest FROM throttle_failures WHERE key = $1 AND at > $2";

/// A success gives its reservation back.
pub const RELEASE_ATTEMPT: &str = "DELETE FROM throttle_failures WHERE key = $1 AND attempt = $2";

/// Counts a refusal under `key`: a refusal after the last lockout ended
/// starts a new one (`refused` = 1, the caller audits it); refusals inside
/// it only add to its count, so a flood writes no new rows.
pub const NOTE_REFUSAL: &str = "INSERT INTO throttle_lockouts (key, until, refused) VALUES ($1, $2, 1) \
     ON CONFLICT (key) DO UPDATE SET \
     refused = CASE WHEN throttle_lockouts.until > $3 THEN throttle_lockouts.refused + 1 ELSE 1 END, \
     until = CASE WHEN throttle_lockouts.until > $3 THEN throttle_lockouts.until ELSE excluded.until END \
     RETURNING refused";

pub const TOTP_OF_ACCOUNT: &str = "SELECT id, account_id, name, secret_sealed, created_at, pending_until, \
     pending_session_id, confirmed_at, last_used_step, last_used_at FROM totp_authenticators \
     WHERE account_id = $1 ORDER BY created_at, id";

pub const INSERT_TOTP: &str = "INSERT INTO totp_authenticators \
     (id, account_id, name, secret_sealed, created_at, pending_until, pending_session_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Confirms a pending authenticator, from the session that started it, with
/// the step its code matched.
pub const CONFIRM_TOTP: &str = "UPDATE totp_authenticators \
     SET confirmed_at = $1, pending_until = NULL, pending_session_id = NULL, last_used_step = $2, \
     last_used_at = $1, name = $3 \
     WHERE id = $4 AND account_id = $5 AND pending_session_id = $6 AND confirmed_at IS NULL \
     AND pending_until > $1";

/// The replay guard: a step is accepted only if it is later than the last one.
pub const USE_TOTP_STEP: &str = "UPDATE totp_authenticators SET last_used_step = $1, last_used_at = $2 \
     WHERE id = $3 AND account_id = $4 AND confirmed_at IS NOT NULL \
     AND (last_used_step IS NULL OR last_used_step < $1)";

pub const RENAME_TOTP: &str = "UPDATE totp_authenticators SET name = $1 \
     WHERE id = $2 AND account_id = $3 AND confirmed_at IS NOT NULL";

pub const DELETE_TOTP: &str = "DELETE FROM totp_authenticators WHERE id = $1 AND account_id = $2";

pub const DELETE_EXPIRED_PENDING_TOTP: &str = "DELETE FROM totp_authenticators \
     WHERE account_id = $1 AND confirmed_at IS NULL AND pending_until <= $2";

/// Confirmed authenticators and unexpired enrolments: what the cap counts.
pub const COUNT_LIVE_TOTP: &str = "SELECT COUNT(*) FROM totp_authenticators \
     WHERE account_id = $1 AND (confirmed_at IS NOT NULL OR pending_until > $2)";

pub const INSERT_MFA_CHALLENGE: &str = "INSERT INTO mfa_challenges \
     (id_hash, account_id, created_at, expires_at, failures, remember_me) VALUES ($1, $2, $3, $4, 0, $5)";

pub const MFA_CHALLENGE: &str = "SELECT account_id, created_at, expires_at, failures, remember_me \
     FROM mfa_challenges WHERE id_hash = $1 AND expires_at > $2";

/// Single use: exactly one caller gets the row back.
pub const CONSUME_MFA_CHALLENGE: &str = "DELETE FROM mfa_challenges WHERE id_hash = $1 AND expires_at > $2 \
     RETURNING account_id, created_at, expires_at, failures, remember_me";

/// Reserves one of the challenge's attempts: no row back means it is
/// unknown, expired, or out of attempts.
pub const RESERVE_CHALLENGE_ATTEMPT: &str = "UPDATE mfa_challenges SET failures = failures + 1 \
     WHERE id_hash = $1 AND expires_at > $2 AND failures < $3 RETURNING failures";

pub const DELETE_MFA_CHALLENGE: &str = "DELETE FROM mfa_challenges WHERE id_hash = $1";

pub const DELETE_MFA_CHALLENGES_OF_ACCOUNT: &str =
    "DELETE FROM mfa_challenges WHERE account_id = $1";

/// Reserves one consecutive TOTP attempt: no row back means the account is
/// at the cap (or gone).
pub const RESERVE_TOTP_ATTEMPT: &str = "UPDATE accounts SET totp_failures = totp_failures + 1 \
     WHERE id = $1 AND totp_failures < $2 RETURNING totp_failures";

pub const RESET_TOTP_FAILURES: &str =
    "UPDATE accounts SET totp_failures = 0 WHERE id = $1 AND totp_failures <> 0";

pub const KEY_CHECK: &str = "SELECT key_id, check_value FROM server_key_check WHERE id = 1";

pub const INSERT_KEY_CHECK: &str = "INSERT INTO server_key_check (id, key_id, check_value) VALUES (1, $1, $2) \
     ON CONFLICT (id) DO NOTHING";

pub const DELETE_RECOVERY_CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";

pub const INSERT_RECOVERY_CODE: &str =
    "INSERT INTO recovery_codes (account_id, code_hash, generated_at) VALUES ($1, $2, $3)";

/// Single use: one conditional update, so one code signs in exactly once.
pub const USE_RECOVERY_CODE: &str = "UPDATE recovery_codes SET used_at = $1 \
     WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL";

pub const RECOVERY_STATUS: &str = "SELECT COUNT(*) AS total, COUNT(*) - COUNT(used_at) AS remaining, \
     MIN(generated_at) AS generated_at FROM recovery_codes WHERE account_id = $1";

pub const DELETE_ALL_TOTP: &str = "DELETE FROM totp_authenticators WHERE account_id = $1";

pub const WEBAUTHN_USER_ID: &str = "SELECT webauthn_user_id FROM accounts WHERE id = $1";

pub const SET_WEBAUTHN_USER_ID: &str =
    "UPDATE accounts SET webauthn_user_id = $1 WHERE id = $2 AND webauthn_user_id IS NULL";

pub const ACCOUNT_BY_WEBAUTHN_USER: &str =
    "SELECT id, email, role, password_hash, created_at FROM accounts WHERE webauthn_user_id = $1";

pub const PASSKEYS_OF_ACCOUNT: &str = "SELECT id, account_id, credential_id, credential, sign_count, \
     backup_eligible, backup_state, transports, aaguid, name, created_at, last_used_at \
     FROM passkeys WHERE account_id = $1 ORDER BY created_at, id";

pub const PASSKEY_BY_CREDENTIAL_ID: &str = "SELECT id, account_id, credential_id, credential, sign_count, \
     backup_eligible, backup_state, transports, aaguid, name, created_at, last_used_at \
     FROM passkeys WHERE credential_id = $1";

pub const INSERT_PASSKEY: &str = "INSERT INTO passkeys \
     (id, account_id, credential_id, credential, sign_count, backup_eligible, backup_state, transports, \
     name, created_at, aaguid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The counter only moves forward (authenticators without a counter report 0
/// every time): a stale copy from another instance can never win.
pub const USE_PASSKEY: &str = "UPDATE passkeys SET sign_count = $1, credential = $2, backup_state = $3, \
     last_used_at = $4 WHERE id = $5 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))";

pub const RENAME_PASSKEY: &str = "UPDATE passkeys SET name = $1 WHERE id = $2 AND account_id = $3";

pub const DELETE_PASSKEY: &str = "DELETE FROM passkeys WHERE id = $1 AND account_id = $2";

pub const DELETE_ALL_PASSKEYS: &str = "DELETE FROM passkeys WHERE account_id = $1";

/// The strong factors: confirmed authenticators, then passkeys.
pub const STRONG_FACTORS: &str = "SELECT \
     (SELECT COUNT(*) FROM totp_authenticators WHERE account_id = $1 AND confirmed_at IS NOT NULL), \
     (SELECT COUNT(*) FROM passkeys WHERE account_id = $1)";

pub const INSERT_CEREMONY: &str = "INSERT INTO webauthn_ceremonies \
     (id_hash, kind, account_id, session_id, state, name, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Single use: exactly one caller gets the state back.
pub const CONSUME_CEREMONY: &str = "DELETE FROM webauthn_ceremonies \
     WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
     RETURNING kind, account_id, session_id, state, name, created_at, expires_at";

pub const PRUNE_CEREMONIES: &str = "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1";

/// The retention sweep: the triggers refuse to delete any audit row at or
/// after `keep_after`, which only moves forward.
pub const ADVANCE_AUDIT_RETENTION: &str =
    "UPDATE audit_retention SET keep_after = $1 WHERE id = 1 AND keep_after < $1";

pub const DELETE_OLD_EVENTS: &str = "DELETE FROM audit_events WHERE at < $1";

/// Housekeeping: rows that can never be used again.
pub const SWEEP: [&str; 6] = [
    "DELETE FROM sessions WHERE expires_at <= $1",
    "DELETE FROM mfa_challenges WHERE expires_at <= $1",
    "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1",
    "DELETE FROM totp_authenticators WHERE confirmed_at IS NULL AND pending_until <= $1",
    // Failures older than a day count in no window (the longest is 15 minutes).
    "DELETE FROM throttle_failures WHERE at <= $1 - 86400",
    "DELETE FROM throttle_lockouts WHERE until <= $1",
];
