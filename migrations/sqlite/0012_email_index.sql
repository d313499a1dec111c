-- "Forgot your login name?" looks accounts up by their registered email.
CREATE INDEX accounts_email_key ON accounts (lower(email));
