//! Presets: each reproduces one published set of rules; a deployment picks
//! one and may override single rules.
use serde::{Deserialize, Serialize};

use crate::check::CharClass;

/// A complete, active password policy. The server hands this to the page so
/// that the browser checks with the very same settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub preset: Preset,
    /// Minimum length in Unicode characters after NFKC normalisation.
    pub min_length: usize,
    /// Maximum length in Unicode characters after NFKC normalisation.
    pub max_length: usize,
    pub forbid_whitespace: bool,
    /// Characters that may not appear, besides whitespace.
    pub forbidden_chars: String,
    /// Every class listed here must appear at least once.
    pub required_classes: Vec<CharClass>,
    /// Advice only: a length and classes the deployment recommends.
    pub recommended: Option<Recommendation>,
    /// The new password must not equal any of the last N earlier passwords.
    pub history_depth: usize,
    pub forbid_login_and_name: bool,
    pub forbid_common: bool,
    /// Minimum strength score (0–4), if the deployment enforces one.
    pub min_strength: Option<u8>,
    /// Words refused like the login name (with `forbid_login_and_name`):
    /// the institution's and the product's names, from the configuration.
    #[serde(default)]
    pub context_words: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub min_length: usize,
    pub classes: Vec<CharClass>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The e-services rules (seed 002): at least 10 characters; none of
    /// `$ " \ / \`` or spaces; upper, lower and digit; not the last 3.
    Eservices,
    /// The staff reset wizard (seed 004): at least 10 characters; a letter
    /// and a digit; no whitespace or forbidden characters; 14 characters of
    /// upper, lower and digit recommended; not the last 3.
    StaffReset,
    /// The portal PIN (seed 003): 10 to 18 characters.
    PortalPin,
    /// NIST SP 800-63B and OWASP ASVS 5: long minimum, no composition
    /// rules, common passwords refused.
    Standards,
}

const SEED_FORBIDDEN: &str = "$\"\\/`";

// Every preset refuses the common-password list and the login name or the
// person's name (ASVS 5.0 6.2.4, 6.2.11): the seeds' composition rules are
// minimums, not a promise to accept the most guessed passwords. A
// deployment can turn either off in `[policy.rules]`, which is logged at
// start.

impl Preset {
    pub fn policy(self) -> Policy {
        use CharClass::*;
        match self {
            Preset::Eservices => Policy {
                preset: self,
                min_length: 10,
                max_length: 128,
                forbid_whitespace: true,
                forbidden_chars: SEED_FORBIDDEN.into(),
                required_classes: vec![Upper, Lower, Digit],
                recommended: None,
                history_depth: 3,
                forbid_login_and_name: true,
                forbid_common: true,
                min_strength: None,
                context_words: Vec::new(),
            },
            Preset::StaffReset => Policy {
                preset: self,
                min_length: 10,
                max_length: 128,
                forbid_whitespace: true,
                forbidden_chars: SEED_FORBIDDEN.into(),
                required_classes: vec![Letter, Digit],
                recommended: Some(Recommendation {
                    min_length: 14,
                    classes: vec![Upper, Lower, Digit],
                }),
                history_depth: 3,
                forbid_login_and_name: true,
                forbid_common: true,
                min_strength: None,
                context_words: Vec::new(),
            },
            Preset::PortalPin => Policy {
                preset: self,
                min_length: 10,
                max_length: 18,
                forbid_whitespace: false,
                forbidden_chars: String::new(),
                required_classes: vec![],
                recommended: None,
                history_depth: 0,
                forbid_login_and_name: true,
                forbid_common: true,
                min_strength: None,
                context_words: Vec::new(),
            },
            Preset::Standards => Policy {
                preset: self,
                min_length: 15,
                max_length: 128,
                forbid_whitespace: false,
                forbidden_chars: String::new(),
                required_classes: vec![],
                recommended: None,
                history_depth: 0,
                forbid_login_and_name: true,
                forbid_common: true,
                min_strength: None,
                context_words: Vec::new(),
            },
        }
    }
}

/// Single rules a deployment may set on top of its preset; `None` keeps the
/// preset's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverrides {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub forbid_whitespace: Option<bool>,
    pub forbidden_chars: Option<String>,
    pub required_classes: Option<Vec<CharClass>>,
    pub history_depth: Option<usize>,
    pub forbid_login_and_name: Option<bool>,
    pub forbid_common: Option<bool>,
    pub min_strength: Option<u8>,
}

impl Policy {
    /// The preset with the overrides applied, or a sentence saying which
    /// setting is wrong.
    pub fn from_preset(preset: Preset, o: &PolicyOverrides) -> Result<Policy, String> {
        let mut p = preset.policy();
        if let Some(v) = o.min_length {
            p.min_length = v;
        }
        if let Some(v) = o.max_length {
            p.max_length = v;
        }
        if let Some(v) = o.forbid_whitespace {
            p.forbid_whitespace = v;
        }
        if let Some(v) = &o.forbidden_chars {
            p.forbidden_chars = v.clone();
        }
        if let Some(v) = &o.required_classes {
            p.required_classes = v.clone();
        }
        if let Some(v) = o.history_depth {
            p.history_depth = v;
        }
        if let Some(v) = o.forbid_login_and_name {
            p.forbid_login_and_name = v;
        }
        if let Some(v) = o.forbid_common {
            p.forbid_common = v;
        }
        if o.min_strength.is_some() {
            p.min_strength = o.min_strength;
        }
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), String> {
        if self.min_length == 0 {
            return Err("policy.min_length must be at least 1".into());
        }
        if self.max_length < self.min_length {
            return Err(format!(
                "policy.max_length ({}) must not be less than policy.min_length ({})",
                self.max_length, self.min_length
            ));
        }
        if self.max_length > 1024 {
            return Err("policy.max_length must be at most 1024".into());
        }
        if self.min_strength.is_some_and(|s| s > 4) {
            return Err("policy.min_strength must be between 0 and 4".into());
        }
        if self.history_depth > 24 {
            return Err("policy.history_depth must be at most 24".into());
        }
        Ok(())
    }
}
