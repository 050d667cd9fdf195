-- Accounts and server-side sessions. Times are integer Unix seconds, as on SQLite.
CREATE TABLE accounts (
    id               UUID    NOT NULL PRIMARY KEY,
    email            TEXT    NOT NULL,
    email_normalized TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    password_hash    TEXT,
    created_at       BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id               UUID    NOT NULL PRIMARY KEY,
    token_hash       BYTEA   NOT NULL UNIQUE,
    account_id       UUID    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    aal              BIGINT  NOT NULL CHECK (aal IN (1, 2)),
    amr              TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_seen_at     BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    privileged_until BIGINT,
    ip               TEXT,
    user_agent       TEXT
);

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
