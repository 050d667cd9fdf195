-- Recovery codes: keyed hashes only, one sheet per account at a time.
CREATE TABLE recovery_codes (
    account_id   BLOB    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash    BLOB    NOT NULL, -- HMAC-SHA-256 under the recovery subkey
    generated_at INTEGER NOT NULL,
    used_at      INTEGER,
    PRIMARY KEY (account_id, code_hash)
) STRICT;
