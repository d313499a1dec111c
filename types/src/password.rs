//! The change-password form as the server fills it.
use gatehouse_policy::Policy;
use serde::{Deserialize, Serialize};

/// What the form needs from the server: the active policy (so the browser
/// checks with the server's own settings) and whom the password is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordForm {
    pub policy: Policy,
    pub login: String,
    pub display_name: String,
    pub must_change: bool,
}
