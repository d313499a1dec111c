//! Integration tests: the whole server on port 0 with a fresh SQLite file,
//! a clock the tests move, and every log line captured.
mod admin;
mod assets;
mod bodies;
mod cas;
mod change_password;
mod cors;
mod help;
mod helpers;
mod housekeeping;
mod import;
mod lifecycle;
mod oidc;
mod passkeys;
mod recovery;
mod security_info;
mod settings;
mod sign_in;
mod single_logout;
