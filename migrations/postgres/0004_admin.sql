-- What each import did, for the administration console.
CREATE TABLE import_reports (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT  NOT NULL,
    actor   TEXT    NOT NULL,
    dry_run BOOLEAN NOT NULL,
    summary TEXT    NOT NULL,
    report  TEXT    NOT NULL
);
CREATE INDEX audit_events_action ON audit_events(action, at);
