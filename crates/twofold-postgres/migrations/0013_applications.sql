-- Applications allowed to introspect tokens: only a hash of each secret.
CREATE TABLE applications (
    id          UUID   NOT NULL PRIMARY KEY, -- the client id
    name        TEXT   NOT NULL,
    secret_hash BYTEA  NOT NULL,
    created_at  BIGINT NOT NULL
);
