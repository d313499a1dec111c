//! What the browser and the server exchange. Nothing here reaches a
//! database, the network or the clock, so the wasm bundle and every
//! server crate can use it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod account;
pub mod admin;
pub mod error;
pub mod login;
pub mod mailbox;
pub mod password;
pub mod recovery;
pub mod secret;
pub mod security;
pub mod sign_in;

pub use account::{AccountStatus, Me, Role};
pub use error::{AppError, Field, FieldError, Problem};
pub use login::LoginName;
pub use secret::Password;
