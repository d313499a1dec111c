-- Failure counters for sign-in throttling, keyed by login name or client address.
CREATE TABLE throttle (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL
);
