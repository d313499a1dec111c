//! The shipped list of common passwords (see `data/README.md` for its source).
use std::collections::HashSet;
use std::sync::OnceLock;

static LIST: &str = include_str!("../data/common-passwords.txt");

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| LIST.lines().filter(|l| !l.is_empty()).collect())
}

/// Whether the password, compared without regard to case, is on the list.
pub(crate) fn is_common(normalized: &str) -> bool {
    set().contains(normalized.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_ten_thousand_passwords() {
        assert_eq!(set().len(), 10_000);
    }

    #[test]
    fn a_listed_password_is_found_whatever_its_case() {
        assert!(is_common("PassWord"));
        assert!(is_common("qwerty"));
        assert!(!is_common("correct-horse-battery-staple-9"));
    }
}
