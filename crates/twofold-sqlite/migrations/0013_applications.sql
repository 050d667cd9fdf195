-- Applications allowed to introspect tokens: only a hash of each secret.
CREATE TABLE applications (
    id          BLOB    NOT NULL PRIMARY KEY, -- the client id
    name        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
