-- CAS service tickets: single use, seconds-long, bound to the service URL
-- they were issued for. Only the SHA-256 of a ticket is kept.
CREATE TABLE cas_tickets (
    id_hash        TEXT    PRIMARY KEY,
    service        TEXT    NOT NULL,
    account_id     BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_new_login BOOLEAN NOT NULL,
    issued_at      BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL
);
CREATE INDEX cas_tickets_expiry ON cas_tickets(expires_at);
