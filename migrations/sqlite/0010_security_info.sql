-- Security info: one document per account (JSON) holding the registered
-- methods, the default one, the 2-step choice and the recovery codes.
-- Authenticator secrets in it are encrypted (AES-256-GCM), answers and
-- recovery codes only hashed. `version` makes every change a
-- compare-and-set, so a code is never accepted twice.
CREATE TABLE security_info (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    document   TEXT    NOT NULL,
    version    INTEGER NOT NULL
);

-- When the session's user last entered their password (sign-in or
-- re-entry): changing security info needs it to be recent.
ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER;

-- Flows also carry a sign-in's second step. `first_factor`: the channel a
-- reset already proved when 2-step verification asks for one more;
-- `service`: the CAS e-service a sign-in is for.
ALTER TABLE recovery_flows ADD COLUMN first_factor TEXT;
ALTER TABLE recovery_flows ADD COLUMN service TEXT;
