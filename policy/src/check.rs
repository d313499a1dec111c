//! The checking function: a pure function of (password, policy, context)
//! that returns every rule's outcome as data, never prose.
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::blocklist;
use crate::preset::Policy;

/// Character classes as the published rules define them (ASCII ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharClass {
    /// A–Z
    Upper,
    /// a–z
    Lower,
    /// A–Z or a–z
    Letter,
    /// 0–9
    Digit,
    /// Anything that is not an ASCII letter, digit or whitespace.
    Symbol,
}

impl CharClass {
    fn matches(self, c: char) -> bool {
        match self {
            CharClass::Upper => c.is_ascii_uppercase(),
            CharClass::Lower => c.is_ascii_lowercase(),
            CharClass::Letter => c.is_ascii_alphabetic(),
            CharClass::Digit => c.is_ascii_digit(),
            CharClass::Symbol => !c.is_ascii_alphanumeric() && !c.is_whitespace(),
        }
    }
}

/// One rule with its parameters; the UI turns it into a localised line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    MinLength {
        min: usize,
    },
    MaxLength {
        max: usize,
    },
    RequiredClass {
        class: CharClass,
    },
    NoForbiddenChars {
        chars: String,
        whitespace: bool,
    },
    NotLoginOrName,
    NotCommon,
    MinStrength {
        min: u8,
    },
    DiffersFromCurrent,
    NotRecent {
        depth: usize,
    },
    /// Advice, never a requirement.
    Recommended {
        min_length: usize,
        classes: Vec<CharClass>,
    },
}

impl Rule {
    pub fn is_advice(&self) -> bool {
        matches!(self, Rule::Recommended { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Unmet,
    /// Only the server can tell (password history), or the input was too
    /// long to be worth checking further.
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub rule: Rule,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Length in Unicode characters after NFKC normalisation.
    pub length: usize,
    /// Strength estimate from 0 (very weak) to 4 (very strong); `None`
    /// until it is estimated (the browser asks the server once typing
    /// pauses).
    pub strength: Option<u8>,
}

impl Report {
    /// Every requirement is met (advice aside). Pending rules count as not
    /// met, so the server, which resolves them all, is the authority.
    pub fn is_acceptable(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| o.rule.is_advice() || o.status == Status::Met)
    }

    /// No requirement is known to fail: what the browser can tell before
    /// the server resolves the rules only it can check.
    pub fn has_no_failures(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| o.rule.is_advice() || o.status != Status::Unmet)
    }

    pub fn failed_rules(&self) -> impl Iterator<Item = &Rule> {
        self.outcomes
            .iter()
            .filter(|o| !o.rule.is_advice() && o.status != Status::Met)
            .map(|o| &o.rule)
    }
}

/// Whether the new password repeats an earlier one: only the server, which
/// holds the hashes, can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    Unknown,
    Fresh,
    SameAsCurrent,
    Recent,
}

/// What the check needs to know about the account.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub reuse: Reuse,
}

/// The form in which a password is measured, hashed and compared: NFKC, so
/// that the same visible password typed on different keyboards is the same.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Zxcvbn's cost grows quickly with length; strength beyond this many
/// characters adds nothing a user needs to see.
#[cfg(feature = "estimator")]
const STRENGTH_SAMPLE_CHARS: usize = 100;
/// NFKC never shrinks text by more than this factor, so anything longer (in
/// bytes) is certainly over the maximum and is refused without more work.
const BYTES_PER_ALLOWED_CHAR: usize = 16;

/// Checks `password` against every rule of `policy`, the strength
/// estimate included.
#[cfg(feature = "estimator")]
pub fn check(password: &str, policy: &Policy, ctx: &Context<'_>) -> Report {
    check_with(password, policy, ctx, |normalized| {
        Some(strength(normalized, ctx))
    })
}

/// The same check with the strength estimated elsewhere: `None` leaves the
/// strength rule pending. The browser shows the checklist at once and adds
/// the estimate when the server's answer comes (the estimator and its
/// dictionaries would be most of the bundle); the server always runs
/// `check`.
pub fn check_given_strength(
    password: &str,
    policy: &Policy,
    ctx: &Context<'_>,
    strength: Option<u8>,
) -> Report {
    check_with(password, policy, ctx, |_| strength)
}

/// The strength estimate of `password` alone (0 to 4), as [`check`] makes
/// it.
#[cfg(feature = "estimator")]
pub fn estimate_strength(password: &str, ctx: &Context<'_>) -> u8 {
    let bounded: String = password
        .chars()
        .take(STRENGTH_SAMPLE_CHARS * BYTES_PER_ALLOWED_CHAR)
        .collect();
    strength(&normalize(&bounded), ctx)
}

fn check_with(
    password: &str,
    policy: &Policy,
    ctx: &Context<'_>,
    strength: impl FnOnce(&str) -> Option<u8>,
) -> Report {
    let rules = rules_of(policy);
    if password.len() > policy.max_length.saturating_mul(BYTES_PER_ALLOWED_CHAR) {
        return too_long_to_check(rules, password.len() / 4);
    }
    let normalized = normalize(password);
    let length = normalized.chars().count();
    let strength = strength(&normalized);
    let outcomes = rules
        .into_iter()
        .map(|rule| {
            let status = evaluate(&rule, &normalized, length, strength, ctx, policy);
            Outcome { rule, status }
        })
        .collect();
    Report {
        outcomes,
        length,
        strength,
    }
}

/// Every rule of `policy`, in the order a checklist shows them.
pub fn rules_of(policy: &Policy) -> Vec<Rule> {
    let mut rules = vec![
        Rule::MinLength {
            min: policy.min_length,
        },
        Rule::MaxLength {
            max: policy.max_length,
        },
    ];
    rules.extend(
        policy
            .required_classes
            .iter()
            .map(|&class| Rule::RequiredClass { class }),
    );
    if policy.forbid_whitespace || !policy.forbidden_chars.is_empty() {
        rules.push(Rule::NoForbiddenChars {
            chars: policy.forbidden_chars.clone(),
            whitespace: policy.forbid_whitespace,
        });
    }
    if policy.forbid_login_and_name {
        rules.push(Rule::NotLoginOrName);
    }
    if policy.forbid_common {
        rules.push(Rule::NotCommon);
    }
    if let Some(min) = policy.min_strength {
        rules.push(Rule::MinStrength { min });
    }
    rules.push(Rule::DiffersFromCurrent);
    if policy.history_depth > 0 {
        rules.push(Rule::NotRecent {
            depth: policy.history_depth,
        });
    }
    if let Some(r) = &policy.recommended {
        rules.push(Rule::Recommended {
            min_length: r.min_length,
            classes: r.classes.clone(),
        });
    }
    rules
}

fn too_long_to_check(rules: Vec<Rule>, at_least_chars: usize) -> Report {
    let outcomes = rules
        .into_iter()
        .map(|rule| {
            let status = match rule {
                Rule::MaxLength { .. } => Status::Unmet,
                _ => Status::Pending,
            };
            Outcome { rule, status }
        })
        .collect();
    Report {
        outcomes,
        length: at_least_chars,
        strength: Some(0),
    }
}

fn evaluate(
    rule: &Rule,
    pw: &str,
    length: usize,
    strength: Option<u8>,
    ctx: &Context<'_>,
    policy: &Policy,
) -> Status {
    let met = match rule {
        Rule::MinLength { min } => length >= *min,
        Rule::MaxLength { max } => length <= *max,
        Rule::RequiredClass { class } => pw.chars().any(|c| class.matches(c)),
        Rule::NoForbiddenChars { chars, whitespace } => !pw
            .chars()
            .any(|c| (*whitespace && c.is_whitespace()) || chars.contains(c)),
        Rule::NotLoginOrName => !contains_identity(pw, ctx, &policy.context_words),
        Rule::NotCommon => !blocklist::is_common(pw),
        Rule::MinStrength { min } => match strength {
            None => return Status::Pending,
            Some(strength) => strength >= *min,
        },
        Rule::DiffersFromCurrent => match ctx.reuse {
            Reuse::Unknown => return Status::Pending,
            Reuse::SameAsCurrent => false,
            Reuse::Fresh | Reuse::Recent => true,
        },
        Rule::NotRecent { .. } => match ctx.reuse {
            Reuse::Unknown => return Status::Pending,
            Reuse::Recent => false,
            Reuse::Fresh | Reuse::SameAsCurrent => true,
        },
        Rule::Recommended {
            min_length,
            classes,
        } => length >= *min_length && classes.iter().all(|c| pw.chars().any(|ch| c.matches(ch))),
    };
    if met {
        Status::Met
    } else {
        Status::Unmet
    }
}

/// Parts of a name shorter than this are too common inside words to refuse.
const MIN_IDENTITY_PART: usize = 3;

/// The login name, each part of the person's name, and the deployment's
/// context words (the institution's and the product's names).
fn contains_identity(pw: &str, ctx: &Context<'_>, context_words: &[String]) -> bool {
    let pw = pw.to_lowercase();
    std::iter::once(ctx.login)
        .chain(
            ctx.display_name
                .split(|c: char| c.is_whitespace() || c == ','),
        )
        .chain(context_words.iter().map(String::as_str))
        .map(|part| normalize(part.trim()).to_lowercase())
        .filter(|part| part.chars().count() >= MIN_IDENTITY_PART)
        .any(|part| pw.contains(&part))
}

#[cfg(feature = "estimator")]
fn strength(pw: &str, ctx: &Context<'_>) -> u8 {
    let sample: String = pw.chars().take(STRENGTH_SAMPLE_CHARS).collect();
    let inputs: Vec<&str> = std::iter::once(ctx.login)
        .chain(ctx.display_name.split_whitespace())
        .collect();
    zxcvbn::zxcvbn(&sample, &inputs).score().into()
}
