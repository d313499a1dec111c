-- OpenID Connect: whether a session passed 2-step verification (the ID
-- token's amr and acr say so), the signing keys, authorization codes, and
-- the grants a code starts with their tokens. Only hashes of codes and
-- tokens are kept; a private key is kept sealed with the server's key.
ALTER TABLE sessions ADD COLUMN two_step INTEGER NOT NULL DEFAULT 0;

CREATE TABLE oidc_keys (
    kid            TEXT    PRIMARY KEY,
    alg            TEXT    NOT NULL,
    public_jwk     TEXT    NOT NULL,
    private_sealed TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    retired_at     INTEGER            -- no longer signs; published until its tokens expire
);

CREATE TABLE oidc_codes (
    code_hash      TEXT    PRIMARY KEY,
    client_id      TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_hash   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      INTEGER NOT NULL,
    two_step       INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER            -- set on exchange; a second exchange revokes the grant
);
CREATE INDEX oidc_codes_expiry ON oidc_codes(expires_at);

CREATE TABLE oidc_grants (
    id           TEXT    PRIMARY KEY,
    code_hash    TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_hash TEXT    NOT NULL,  -- the sign-in session: the grant ends with it
    scope        TEXT    NOT NULL,
    auth_time    INTEGER NOT NULL,
    two_step     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    logout_queued_at INTEGER          -- the e-service was told the session ended
);
CREATE INDEX oidc_grants_code ON oidc_grants(code_hash);
CREATE INDEX oidc_grants_session ON oidc_grants(session_hash);

CREATE TABLE oidc_tokens (
    token_hash TEXT    PRIMARY KEY,
    grant_id   TEXT    NOT NULL REFERENCES oidc_grants(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,  -- access or refresh
    expires_at INTEGER NOT NULL,
    used_at    INTEGER            -- a refresh token is used once; reuse revokes the grant
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens(grant_id);
CREATE INDEX oidc_tokens_expiry ON oidc_tokens(expires_at);

-- The CAS e-services a session signed in to, for single logout: the
-- ticket is what the e-service knows its session by (it was used up when
-- it was validated, so keeping it opens nothing).
CREATE TABLE cas_logins (
    session_hash TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    ticket       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX cas_logins_session ON cas_logins(session_hash);

-- Logout notices to e-services (OpenID Connect back-channel logout, CAS
-- single logout), queued when a session ends and delivered by a worker
-- with retries, so none is lost across a restart.
CREATE TABLE logout_notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    target      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,  -- backchannel (signed at delivery) or form
    body        TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX logout_notices_pending ON logout_notices(sent_at, next_try_at);

-- What a user allowed an e-service that asks first (`consent = true`).
CREATE TABLE oidc_consents (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
