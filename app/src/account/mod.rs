//! My Profile: who is signed in, and the way to the account's pages.
pub mod page;
pub mod sessions;

pub use page::ProfilePage;

use gatehouse_types::error::AppError;
use leptos::prelude::*;

pub use gatehouse_types::account::{AccountStatus, Me, Role};

#[server(endpoint = "whoami", client = crate::api::Client)]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    use crate::ssr::{browser, state};

    use gatehouse_core::sessions;
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let Some((_, account)) = sessions::current(&state, &browser)
        .await
        .map_err(crate::ssr::state::respond)?
    else {
        return Ok(None);
    };
    Ok(Some(Me {
        must_change: sessions::must_change(&state, &account),
        password_due_in_days: gatehouse_core::lifecycle::reminder_days_left(&state, &account),
        login: account.login,
        display_name: account.display_name,
        role: account.role,
        email: account.email,
        password_changed_at: account.password_changed_at,
    }))
}
