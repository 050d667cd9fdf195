-- Personal access tokens: only a keyed hash of each token is kept.
CREATE TABLE access_tokens (
    id           UUID     NOT NULL PRIMARY KEY,
    account_id   UUID     NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   BYTEA    NOT NULL UNIQUE, -- HMAC-SHA-256 under the server key's token subkey
    prefix       TEXT     NOT NULL,        -- `tfp_` and six characters, to tell tokens apart
    name         TEXT     NOT NULL,
    scopes       TEXT     NOT NULL,        -- space-separated: read, write
    aal          BIGINT   NOT NULL CHECK (aal IN (1, 2)), -- the owner's MFA state at creation
    created_at   BIGINT   NOT NULL,
    expires_at   BIGINT   NOT NULL,
    last_used_at BIGINT,
    last_used_ip TEXT
);

CREATE INDEX access_tokens_by_account ON access_tokens (account_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
