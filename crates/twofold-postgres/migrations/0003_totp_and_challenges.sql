-- Authenticator apps, MFA sign-in challenges, the consecutive TOTP failure
-- count, and the server key check.
CREATE TABLE totp_authenticators (
    id             UUID   NOT NULL PRIMARY KEY,
    account_id     UUID   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT   NOT NULL,
    secret_sealed  BYTEA  NOT NULL, -- XChaCha20-Poly1305, bound to id and account
    created_at     BIGINT NOT NULL,
    pending_until  BIGINT,          -- set while unconfirmed
    confirmed_at   BIGINT,
    last_used_step BIGINT,          -- only a later step is ever accepted
    last_used_at   BIGINT
);

CREATE INDEX totp_authenticators_by_account ON totp_authenticators (account_id);

CREATE TABLE mfa_challenges (
    id_hash     BYTEA   NOT NULL PRIMARY KEY,
    account_id  UUID    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    failures    BIGINT  NOT NULL DEFAULT 0,
    remember_me BOOLEAN NOT NULL
);

CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at);

ALTER TABLE accounts ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0;

CREATE TABLE server_key_check (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    key_id      BYTEA   NOT NULL,
    check_value BYTEA   NOT NULL
);
