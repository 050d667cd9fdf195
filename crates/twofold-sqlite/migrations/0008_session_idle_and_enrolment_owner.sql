-- Whether "remember me" made a session: only the others end when idle.
-- Sessions from before this migration count as not remembered.
ALTER TABLE sessions ADD COLUMN remembered INTEGER NOT NULL DEFAULT 0;

-- A pending authenticator app belongs to the session that started it
-- (cleared on confirmation).
ALTER TABLE totp_authenticators ADD COLUMN pending_session_id BLOB;
