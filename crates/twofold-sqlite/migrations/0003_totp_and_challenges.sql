-- Authenticator apps, MFA sign-in challenges, the consecutive TOTP failure
-- count, and the server key check.
CREATE TABLE totp_authenticators (
    id             BLOB    NOT NULL PRIMARY KEY,
    account_id     BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    secret_sealed  BLOB    NOT NULL, -- XChaCha20-Poly1305, bound to id and account
    created_at     INTEGER NOT NULL,
    pending_until  INTEGER,          -- set while unconfirmed
    confirmed_at   INTEGER,
    last_used_step INTEGER,          -- only a later step is ever accepted
    last_used_at   INTEGER
) STRICT;

CREATE INDEX totp_authenticators_by_account ON totp_authenticators (account_id);

CREATE TABLE mfa_challenges (
    id_hash     BLOB    NOT NULL PRIMARY KEY,
    account_id  BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    remember_me INTEGER NOT NULL
) STRICT;

CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at);

ALTER TABLE accounts ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;

CREATE TABLE server_key_check (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    key_id      BLOB    NOT NULL,
    check_value BLOB    NOT NULL
) STRICT;
