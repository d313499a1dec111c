//! A login name, normalised once: every comparison, lookup, throttle key
//! and stored key uses the same form.
use unicode_normalization::UnicodeNormalization as _;

/// A login name as typed (trimmed) with the key it is compared by:
/// Unicode NFC, then lower case. Never longer than [`LoginName::MAX_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName {
    as_typed: String,
    key: String,
}

/// Longer than any login name can be: certainly wrong, and refused before
/// it is counted, stored or looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a login name is at most {} characters", LoginName::MAX_CHARS)]
pub struct TooLong;

impl LoginName {
    /// Longest login name looked up.
    pub const MAX_CHARS: usize = 128;

    /// Trims and normalises `input`. An empty name is a valid (if
    /// unknown) one: a sign-in with it is counted like any other.
    pub fn parse(input: &str) -> Result<LoginName, TooLong> {
        let as_typed: String = input.trim().nfc().collect();
        if as_typed.chars().count() > Self::MAX_CHARS {
            return Err(TooLong);
        }
        let key = Self::key_of(&as_typed);
        Ok(LoginName { as_typed, key })
    }

    /// The key of a name known to be valid (a stored or imported record).
    pub fn key_of(name: &str) -> String {
        name.trim().nfc().collect::<String>().to_lowercase()
    }

    /// The name as typed, trimmed.
    pub fn as_str(&self) -> &str {
        &self.as_typed
    }

    /// The form two names are compared and stored by.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn is_empty(&self) -> bool {
        self.as_typed.is_empty()
    }
}

impl std::fmt::Display for LoginName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_spaces_and_unicode_forms_name_one_account() {
        let plain = LoginName::parse("Jos\u{e9}").unwrap();
        let decomposed = LoginName::parse("  JOSE\u{301}\t").unwrap();
        assert_eq!(plain.key(), decomposed.key());
        assert_eq!(plain.key(), "jos\u{e9}");
        assert_eq!(decomposed.as_str(), "JOS\u{c9}");
    }

    #[test]
    fn a_name_past_the_longest_is_refused_and_an_empty_one_kept() {
        let longest = "a".repeat(LoginName::MAX_CHARS);
        assert!(LoginName::parse(&longest).is_ok());
        assert_eq!(LoginName::parse(&format!("{longest}b")), Err(TooLong));
        assert!(LoginName::parse("   ").unwrap().is_empty());
    }
}
