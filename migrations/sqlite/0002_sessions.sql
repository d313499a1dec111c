-- Signed-in sessions; the cookie holds a random token, the table only its SHA-256.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    client_addr  TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
