-- Personal access tokens: only a keyed hash of each token is kept.
CREATE TABLE access_tokens (
    id           BLOB    NOT NULL PRIMARY KEY,
    account_id   BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE, -- HMAC-SHA-256 under the server key's token subkey
    prefix       TEXT    NOT NULL,        -- `tfp_` and six characters, to tell tokens apart
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,        -- space-separated: read, write
    aal          INTEGER NOT NULL CHECK (aal IN (1, 2)), -- the owner's MFA state at creation
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    last_used_ip TEXT
) STRICT;

CREATE INDEX access_tokens_by_account ON access_tokens (account_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
