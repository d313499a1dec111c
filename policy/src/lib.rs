//! Password policy shared by the browser and the server: the rules, the
//! presets that reproduce each deployment's published rules, and one pure
//! checking function whose result is data the UI renders as a checklist.
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod blocklist;
mod check;
mod preset;

#[cfg(feature = "estimator")]
pub use check::{check, estimate_strength};
pub use check::{
    check_given_strength, normalize, rules_of, CharClass, Context, Outcome, Report, Reuse, Rule,
    Status,
};
pub use preset::{Policy, PolicyOverrides, Preset};
