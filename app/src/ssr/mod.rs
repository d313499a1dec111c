//! Server-only glue between the server functions and the core services:
//! the state they reach, the request's browser (client and cookies), the
//! content security policy and the notice texts. The services themselves
//! are `gatehouse_core`'s.
pub mod assets;
pub mod browser;
pub mod csp;
pub mod notice_texts;
pub mod request;
pub mod state;

pub use state::{state, AppState};
