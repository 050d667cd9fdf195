-- MFA required by role: each account's deadline, set the first time the
-- requirement applies to it (a sign-in without a strong factor), so turning
-- the requirement on locks no one out at once.
CREATE TABLE mfa_deadlines (
    account_id UUID   NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    due_at     BIGINT NOT NULL
);

-- A session of an account past its deadline may only enrol a factor
-- (cleared when it does).
ALTER TABLE sessions ADD COLUMN enrolment_only BOOLEAN NOT NULL DEFAULT FALSE;
