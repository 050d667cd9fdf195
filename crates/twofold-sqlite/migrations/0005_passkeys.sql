-- Passkeys and security keys (WebAuthn), and ceremony state shared by all
-- instances (never the client).
ALTER TABLE accounts ADD COLUMN webauthn_user_id BLOB; -- random, never the email or row id
CREATE UNIQUE INDEX accounts_by_webauthn_user ON accounts (webauthn_user_id);

CREATE TABLE passkeys (
    id              BLOB    NOT NULL PRIMARY KEY,
    account_id      BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id   BLOB    NOT NULL UNIQUE, -- unique across all accounts
    credential      TEXT    NOT NULL,        -- the webauthn-rs credential, JSON
    sign_count      INTEGER NOT NULL,        -- only ever moves forward
    backup_eligible INTEGER NOT NULL,
    backup_state    INTEGER NOT NULL,
    transports      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
) STRICT;

CREATE INDEX passkeys_by_account ON passkeys (account_id);

CREATE TABLE webauthn_ceremonies (
    id_hash        BLOB    NOT NULL PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('register', 'passwordless', 'mfa', 'reauth')),
    account_id     BLOB REFERENCES accounts (id) ON DELETE CASCADE,
    session_id     BLOB,
    state          TEXT    NOT NULL, -- serialised webauthn-rs state, single use
    name           TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);
