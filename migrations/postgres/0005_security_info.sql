-- Security info: one document per account (JSON) holding the registered
-- methods, the default one, the 2-step choice and the recovery codes.
-- Authenticator secrets in it are encrypted (AES-256-GCM), answers and
-- recovery codes only hashed. `version` makes every change a
-- compare-and-set, so a code is never accepted twice.
CREATE TABLE security_info (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    document   TEXT   NOT NULL,
    version    BIGINT NOT NULL
);

ALTER TABLE sessions ADD COLUMN reauthenticated_at BIGINT;

ALTER TABLE recovery_flows ADD COLUMN first_factor TEXT;
ALTER TABLE recovery_flows ADD COLUMN service TEXT;
