-- The audit log (append-only) and the shared attempt counters.
CREATE TABLE audit_events (
    id         BLOB    NOT NULL PRIMARY KEY, -- UUID v7: sorts by time
    at         INTEGER NOT NULL,
    account_id BLOB,                         -- no foreign key: the log outlives accounts
    actor_kind TEXT    NOT NULL CHECK (actor_kind IN ('self', 'account', 'cli', 'anonymous')),
    actor_id   BLOB,
    kind       TEXT    NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT    NOT NULL              -- JSON object, never a secret
) STRICT;

CREATE INDEX audit_events_by_account ON audit_events (account_id, id);
CREATE INDEX audit_events_by_kind ON audit_events (kind, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- One row per failed attempt; a limit counts the rows of its key inside a
-- sliding window.
CREATE TABLE throttle_failures (
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
) STRICT;

CREATE INDEX throttle_failures_by_key ON throttle_failures (key, at);
