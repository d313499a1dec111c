//! The strength estimate of a new password as it is typed. The estimator's
//! dictionaries would be most of the browser's bundle, so the browser asks
//! the server, which estimates with the same code it decides with
//! (`gatehouse_policy::check`): the meter never disagrees with the answer
//! to the form. The rest of the checklist is checked in the browser at
//! once.
use gatehouse_types::error::AppError;
use gatehouse_types::secret::Password;
use leptos::prelude::*;

/// The longest name the estimate takes: longer is no account's, and the
/// estimator's work grows with each word of the names.
pub const MAX_NAME_CHARS: usize = 128;

/// `password`'s strength (0 to 4) for the account named `login` and
/// `display_name`. Nothing is stored or counted: it only estimates. The
/// password's length is bounded by the estimate itself (its first 100
/// characters), the names here: a longer one is refused.
#[server(endpoint = "strength", client = crate::api::Client)]
pub async fn estimate_strength(
    password: Password,
    login: String,
    display_name: String,
) -> Result<u8, AppError> {
    use gatehouse_policy::{Context, Reuse};
    if login.chars().count() > MAX_NAME_CHARS || display_name.chars().count() > MAX_NAME_CHARS {
        return Err(crate::ssr::state::respond(AppError::BadRequest));
    }
    let ctx = Context {
        login: &login,
        display_name: &display_name,
        reuse: Reuse::Unknown,
    };
    Ok(gatehouse_policy::estimate_strength(password.expose(), &ctx))
}
