-- The audit log (append-only) and the shared attempt counters.
CREATE TABLE audit_events (
    id         UUID   NOT NULL PRIMARY KEY, -- UUID v7: sorts by time
    at         BIGINT NOT NULL,
    account_id UUID,                        -- no foreign key: the log outlives accounts
    actor_kind TEXT   NOT NULL CHECK (actor_kind IN ('self', 'account', 'cli', 'anonymous')),
    actor_id   UUID,
    kind       TEXT   NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT   NOT NULL              -- JSON object, never a secret
);

CREATE INDEX audit_events_by_account ON audit_events (account_id, id);
CREATE INDEX audit_events_by_kind ON audit_events (kind, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- One row per failed attempt; a limit counts the rows of its key inside a
-- sliding window.
CREATE TABLE throttle_failures (
    key TEXT   NOT NULL,
    at  BIGINT NOT NULL
);

CREATE INDEX throttle_failures_by_key ON throttle_failures (key, at);
