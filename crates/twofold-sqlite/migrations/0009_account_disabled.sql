-- When an owner or admin disabled the account (Unix seconds); NULL while it
-- is active. A disabled account cannot sign in and has no session.
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
