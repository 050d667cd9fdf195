-- Accounts and server-side sessions. Times are integer Unix seconds.
CREATE TABLE accounts (
    id               BLOB    NOT NULL PRIMARY KEY,
    email            TEXT    NOT NULL,
    email_normalized TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    password_hash    TEXT,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id               BLOB    NOT NULL PRIMARY KEY,
    token_hash       BLOB    NOT NULL UNIQUE,
    account_id       BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    aal              INTEGER NOT NULL CHECK (aal IN (1, 2)),
    amr              TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    privileged_until INTEGER,
    ip               TEXT,
    user_agent       TEXT
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
