-- The same schema as migrations/sqlite, for deployments where several
-- Gatehouse instances share one PostgreSQL database. Times are unix seconds.

CREATE TABLE accounts (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login_key           TEXT    NOT NULL UNIQUE, -- lower-cased login name, for lookup
    login               TEXT    NOT NULL,
    display_name        TEXT    NOT NULL,
    role                TEXT    NOT NULL,
    email               TEXT    NOT NULL,
    alt_email           TEXT,
    mobile              TEXT,
    status              TEXT    NOT NULL DEFAULT 'active',
    valid_until         TEXT,                    -- ISO date, inclusive
    password_hash       TEXT,                    -- argon2id PHC string; NULL until first set
    password_changed_at BIGINT,
    must_change         BOOLEAN NOT NULL DEFAULT FALSE,
    language            TEXT    NOT NULL DEFAULT 'en',
    created_at          BIGINT  NOT NULL
);

CREATE TABLE password_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash        TEXT   NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX password_history_account ON password_history(account_id, id);

CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    client_addr  TEXT   NOT NULL,
    user_agent   TEXT   NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE throttle (
    key             TEXT   PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT,
    subject     TEXT,
    action      TEXT   NOT NULL,
    outcome     TEXT   NOT NULL,
    client_addr TEXT   NOT NULL,
    user_agent  TEXT   NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_events_subject ON audit_events(subject, at);

CREATE TABLE mail_queue (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    recipient   TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    body_text   TEXT   NOT NULL,
    body_html   TEXT   NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_try_at BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX mail_queue_pending ON mail_queue(sent_at, next_try_at);

CREATE TABLE captchas (
    id_hash    TEXT   PRIMARY KEY,
    answer     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX captchas_expiry ON captchas(expires_at);

CREATE TABLE recovery_flows (
    id_hash         TEXT   PRIMARY KEY,
    login_key       TEXT   NOT NULL,
    account_id      BIGINT REFERENCES accounts(id) ON DELETE CASCADE,
    state           TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    channel         TEXT,
    code_hash       TEXT,
    code_expires_at BIGINT,
    codes_sent      BIGINT NOT NULL DEFAULT 0,
    last_sent_at    BIGINT,
    wrong_codes     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX recovery_flows_login ON recovery_flows(login_key, state);
