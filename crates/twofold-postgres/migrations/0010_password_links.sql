-- One-time set-password links: the SHA-256 of the token only, never the
-- token. At most one per account: issuing a new link replaces the old one.
CREATE TABLE password_links (
    account_id UUID   NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash BYTEA  NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
