//! Secrets as they travel between the browser and the server: their
//! `Debug` never shows the value, so no log line or panic message can
//! leak one.
use serde::{Deserialize, Serialize};

/// A password as it travels in a server-function argument: its `Debug`
/// never shows the value, so no log line or panic message can leak it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_debug_prints_no_secret() {
        let p = Password::new("Harbour7Lights");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
