-- Accounts and their earlier password hashes.
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    login_key           TEXT    NOT NULL UNIQUE, -- lower-cased login name, for lookup
    login               TEXT    NOT NULL,        -- as the institution spells it
    display_name        TEXT    NOT NULL,
    role                TEXT    NOT NULL,
    email               TEXT    NOT NULL,
    alt_email           TEXT,
    mobile              TEXT,
    status              TEXT    NOT NULL DEFAULT 'active',
    valid_until         TEXT,                    -- ISO date, inclusive
    password_hash       TEXT,                    -- argon2id PHC string; NULL until first set
    password_changed_at INTEGER,                 -- unix seconds
    must_change         INTEGER NOT NULL DEFAULT 0,
    language            TEXT    NOT NULL DEFAULT 'en',
    created_at          INTEGER NOT NULL
);

CREATE TABLE password_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash        TEXT    NOT NULL,
    replaced_at INTEGER NOT NULL
);
CREATE INDEX password_history_account ON password_history(account_id, id);
