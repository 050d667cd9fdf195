-- Passkeys and security keys (WebAuthn), and ceremony state shared by all
-- instances (never the client).
ALTER TABLE accounts ADD COLUMN webauthn_user_id UUID; -- random, never the email or row id
CREATE UNIQUE INDEX accounts_by_webauthn_user ON accounts (webauthn_user_id);

CREATE TABLE passkeys (
    id              UUID    NOT NULL PRIMARY KEY,
    account_id      UUID    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id   BYTEA   NOT NULL UNIQUE, -- unique across all accounts
    credential      TEXT    NOT NULL,        -- the webauthn-rs credential, JSON
    sign_count      BIGINT  NOT NULL,        -- only ever moves forward
    backup_eligible BOOLEAN NOT NULL,
    backup_state    BOOLEAN NOT NULL,
    transports      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT
);

CREATE INDEX passkeys_by_account ON passkeys (account_id);

CREATE TABLE webauthn_ceremonies (
    id_hash    BYTEA  NOT NULL PRIMARY KEY,
    kind       TEXT   NOT NULL CHECK (kind IN ('register', 'passwordless', 'mfa', 'reauth')),
    account_id UUID REFERENCES accounts (id) ON DELETE CASCADE,
    session_id UUID,
    state      TEXT   NOT NULL, -- serialised webauthn-rs state, single use
    name       TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);
