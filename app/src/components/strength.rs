//! The strength estimate in the browser. The estimator and its dictionaries
//! are most of the bundle's bytes, so the hydrated bundle loads them on
//! demand, in a chunk of their own, the first time a new password is typed;
//! the rules checklist does not wait for them. The server always estimates
//! with the same code (`gatehouse_policy::check`) and decides.
use gatehouse_policy::{estimate_strength, Context, Reuse};

/// `password`'s strength for the account named `login` and `display_name`.
/// The static bundle (Trunk) cannot load chunks: there it is compiled in.
#[cfg_attr(feature = "hydrate", leptos::lazy)]
pub async fn estimate(password: String, login: String, display_name: String) -> u8 {
    let ctx = Context {
        login: &login,
        display_name: &display_name,
        reuse: Reuse::Unknown,
    };
    estimate_strength(&password, &ctx)
}
