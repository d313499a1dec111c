-- Passkeys and security keys live in the security-info document; this
-- index keeps each credential id to one account (a key registered twice,
-- to two accounts, is refused) and finds the account a key signs in to.
-- It is rewritten in the same transaction as the document.
CREATE TABLE passkey_ids (
    credential_id TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE INDEX passkey_ids_account ON passkey_ids (account_id);

-- The server's half of a WebAuthn ceremony between its two requests:
-- taken (deleted) by the answer, so each challenge is answered once.
-- `bound_to`: the hash of the session or second step it belongs to.
CREATE TABLE webauthn_challenges (
    id_hash    TEXT    PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    bound_to   TEXT,
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
-- Expired ceremonies are swept by the housekeeping.
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
