//! Server-only glue between HTTP and the core services: the state the
//! server functions reach, the request's client and cookies, the content
//! security policy, the CAS endpoints and the CAPTCHA media. The services
//! themselves are `gatehouse_core`'s, re-exported here under their names.
pub mod captcha;
pub mod cas;
pub mod csp;
pub mod notice_texts;
pub mod request;
pub mod sessions;
pub mod state;

pub use gatehouse_core::{
    clock, codes, config, factors, housekeeping, lifecycle, mail, mailbox, notices, passwords,
    records, service_url, sms, throttle,
};
pub use state::{state, AppState};
