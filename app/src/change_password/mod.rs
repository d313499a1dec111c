//! Change password while signed in: the form with its live checklist, the
//! confirmation page, and the server function that makes the change.
mod page;

use leptos::prelude::*;

pub use page::{ChangePasswordPage, PasswordChangedPage};

use gatehouse_types::{AppError, Password};

pub use gatehouse_types::password::PasswordForm;

#[server(endpoint = "load_password_form", client = crate::api::Client)]
pub async fn load_password_form() -> Result<Option<PasswordForm>, AppError> {
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
    Ok(Some(PasswordForm {
        policy: (*state.policy).clone(),
        must_change: sessions::must_change(&state, &account),
        login: account.login,
        display_name: account.display_name,
    }))
}

#[server(endpoint = "change_password", client = crate::api::Client)]
pub async fn change_password(
    current_password: Password,
    new_password: Password,
    confirm_password: Password,
) -> Result<(), AppError> {
    use crate::ssr::{browser, state};

    use gatehouse_core::change_password::{self, ChangeRequest};
    use gatehouse_core::sessions;
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let changing = async {
        let (session, account) = sessions::require(&state, &browser, true).await?;
        let form = ChangeRequest {
            current: &current_password,
            new: &new_password,
            confirm: &confirm_password,
        };
        change_password::change_password(&state, &session, &account, &form, &browser.client)
            .await?;
        leptos_axum::redirect("/account/password/done");
        Ok(())
    };
    let result = changing.await;
    browser::answer(&state, &browser, result)
}
