-- Recovery codes: keyed hashes only, one sheet per account at a time.
CREATE TABLE recovery_codes (
    account_id   UUID   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash    BYTEA  NOT NULL, -- HMAC-SHA-256 under the recovery subkey
    generated_at BIGINT NOT NULL,
    used_at      BIGINT,
    PRIMARY KEY (account_id, code_hash)
);
