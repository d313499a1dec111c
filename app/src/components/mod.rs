//! Pieces several pages share.
mod captcha;
mod checklist;
mod layout;
mod messages;
mod new_password;
mod password_input;
mod reminders;
mod strength;
mod title;
pub mod webauthn;

pub use captcha::{renew_after_refusal, CaptchaField};
pub use checklist::{Checklist, MatchHint, RuleText};
pub use layout::{AccountNav, Footer, Header};
pub use messages::{field_aria, ErrorMessage, FieldProblem};
pub use new_password::NewPasswordFields;
pub use password_input::PasswordInput;
pub use reminders::SecurityReminders;
pub use strength::MAX_NAME_CHARS;
pub use title::DocumentTitle;
