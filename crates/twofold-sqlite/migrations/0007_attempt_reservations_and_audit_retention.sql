-- Attempts are reserved before the work they limit; a success releases its
-- reservation by this id (older rows have none: they are plain failures).
ALTER TABLE throttle_failures ADD COLUMN attempt BLOB;

-- One row per counter key while it refuses attempts: the first refusal of a
-- lockout is audited, the rest only add to `refused` (no row per request).
CREATE TABLE throttle_lockouts (
    key     TEXT    NOT NULL PRIMARY KEY,
    until   INTEGER NOT NULL,
    refused INTEGER NOT NULL
) STRICT;

-- Audit retention: rows older than `keep_after` may be deleted (by the
-- retention sweep, which only moves it forward); every other row stays
-- append-only.
CREATE TABLE audit_retention (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    keep_after INTEGER NOT NULL
) STRICT;
INSERT INTO audit_retention (id, keep_after) VALUES (1, 0);

DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.at >= (SELECT keep_after FROM audit_retention WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TRIGGER audit_retention_only_forward BEFORE UPDATE ON audit_retention
WHEN NEW.keep_after < OLD.keep_after
BEGIN SELECT RAISE(ABORT, 'audit retention only moves forward'); END;
CREATE TRIGGER audit_retention_no_delete BEFORE DELETE ON audit_retention
BEGIN SELECT RAISE(ABORT, 'audit retention cannot be removed'); END;
