-- What each import did, for the administration console.
CREATE TABLE import_reports (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    dry_run INTEGER NOT NULL,
    summary TEXT    NOT NULL,
    report  TEXT    NOT NULL
);
CREATE INDEX audit_events_action ON audit_events(action, at);
