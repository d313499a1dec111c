-- Messages written in the same transaction as the change they report, then
-- delivered by a background worker (an outbox), so a notice is never lost or
-- sent for a change that did not happen.
CREATE TABLE mail_queue (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    INTEGER NOT NULL,
    recipient     TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    body_text     TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   INTEGER NOT NULL,
    sent_at       INTEGER
);
CREATE INDEX mail_queue_pending ON mail_queue(sent_at, next_try_at);
