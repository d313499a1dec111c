//! Gatehouse's services without HTTP: what every flow shares, whether a
//! page, a server function or a protocol endpoint calls it. Nothing here
//! parses or writes a header: what a request carries arrives as a
//! [`Browser`] and cookies to set leave in it; time, randomness, mail and
//! SMS are injected through [`Core`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod browser;
pub mod captcha;
pub mod cas;
pub mod change_password;
pub mod clock;
pub mod codes;
pub mod config;
pub mod error;
pub mod factors;
pub mod housekeeping;
pub mod lifecycle;
pub mod login_name;
pub mod mail;
pub mod mailbox;
pub mod my_sessions;
pub mod notices;
pub mod oidc;
pub mod passkeys;
pub mod passwords;
pub mod records;
pub mod recovery;
pub mod second_step;
pub mod security_info;
pub mod service_url;
pub mod sessions;
pub mod sign_in;
pub mod single_logout;
pub mod sms;
pub mod state;
pub mod throttle;

pub use browser::{Browser, Cookie};
pub use error::{Error, Result};
pub use state::{Core, SendTimes};
