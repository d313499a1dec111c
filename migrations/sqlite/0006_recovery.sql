-- CAPTCHA challenges: single use, short-lived. The answer is kept so the
-- image and the audio can be drawn on request by any instance.
CREATE TABLE captchas (
    id_hash    TEXT    PRIMARY KEY,  -- SHA-256 of the id the page holds
    answer     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX captchas_expiry ON captchas(expires_at);

-- Forgot-password and first-time flows. A flow for an unknown login name
-- has no account and moves through the same states, so nothing outside
-- tells the two apart.
CREATE TABLE recovery_flows (
    id_hash         TEXT    PRIMARY KEY,  -- SHA-256 of the token in the browser's cookie
    login_key       TEXT    NOT NULL,     -- the login name typed, lower-cased
    account_id      INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,     -- channel, code, password, done, void
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    channel         TEXT,                 -- email or mobile
    code_hash       TEXT,                 -- HMAC-SHA-256 of the code, keyed with the server secret
    code_expires_at INTEGER,
    codes_sent      INTEGER NOT NULL DEFAULT 0,
    last_sent_at    INTEGER,
    wrong_codes     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recovery_flows_login ON recovery_flows(login_key, state);
