//! Server-only machinery the flows share: state, storage, hashing,
//! sessions, throttling, mail and audit.
pub mod captcha;
pub mod cas;
pub mod clock;
pub mod codes;
pub mod config;
pub mod csp;
pub mod factors;
pub mod housekeeping;
pub mod lifecycle;
pub mod mail;
pub mod mailbox;
pub mod notices;
pub mod passwords;
pub mod records;
pub mod request;
pub mod service_url;
pub mod sessions;
pub mod sms;
pub mod state;
pub mod throttle;

pub use state::{state, AppState};
