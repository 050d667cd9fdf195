-- Attempts are reserved before the work they limit; a success releases its
-- reservation by this id (older rows have none: they are plain failures).
ALTER TABLE throttle_failures ADD COLUMN attempt UUID;

-- One row per counter key while it refuses attempts: the first refusal of a
-- lockout is audited, the rest only add to `refused` (no row per request).
CREATE TABLE throttle_lockouts (
    key     TEXT   NOT NULL PRIMARY KEY,
    until   BIGINT NOT NULL,
    refused BIGINT NOT NULL
);

-- Audit retention: rows older than `keep_after` may be deleted (by the
-- retention sweep, which only moves it forward); every other row stays
-- append-only, and TRUNCATE is refused like UPDATE and DELETE.
CREATE TABLE audit_retention (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    keep_after BIGINT  NOT NULL
);
INSERT INTO audit_retention (id, keep_after) VALUES (1, 0);

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < (SELECT keep_after FROM audit_retention WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE FUNCTION audit_retention_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.keep_after >= OLD.keep_after THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit retention only moves forward';
END;
$$;
CREATE TRIGGER audit_retention_forward BEFORE UPDATE OR DELETE ON audit_retention
FOR EACH ROW EXECUTE FUNCTION audit_retention_guard();
CREATE TRIGGER audit_retention_no_truncate BEFORE TRUNCATE ON audit_retention
FOR EACH STATEMENT EXECUTE FUNCTION audit_retention_guard();
