-- The password (by its change time) a "password due soon" reminder went out for.
ALTER TABLE accounts ADD COLUMN password_reminded_for BIGINT;
