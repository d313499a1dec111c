-- Append-only record of what happened: who, what, when, from where. Never a secret.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT,
    subject     TEXT,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    client_addr TEXT    NOT NULL,
    user_agent  TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_events_subject ON audit_events(subject, at);
