//! Pieces several pages share.
mod checklist;
mod layout;
mod messages;
mod new_password;
mod password_input;
mod reminders;

pub use checklist::{Checklist, MatchHint};
pub use layout::{AccountNav, Footer, Header};
pub use messages::{ErrorMessage, FieldProblem};
pub use new_password::NewPasswordFields;
pub use password_input::PasswordInput;
pub use reminders::SecurityReminders;
