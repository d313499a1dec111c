//! Server-only glue between the server functions and the core services:
//! the state they reach, the request's browser (client and cookies), the
//! content security policy and the notice texts. The services themselves
//! are `gatehouse_core`'s, re-exported here under their names.
pub mod csp;
pub mod notice_texts;
pub mod request;
pub mod sessions;
pub mod state;

pub use gatehouse_core::{
    captcha, cas, clock, codes, config, factors, housekeeping, lifecycle, mail, mailbox, notices,
    passwords, records, service_url, sms, throttle,
};
pub use state::{state, AppState};
