//! "Forgot your login name?": the registered email plus the CAPTCHA, and
//! the login names registered to that address go to it by email. The page
//! answers the same whether or not the address is registered.
mod page;

use leptos::prelude::*;

pub use page::LoginNamePage;

use gatehouse_types::error::AppError;

/// Where a plain form post (JavaScript off) is sent once it was taken.
pub const SENT_PATH: &str = "/forgot-login-name?sent=1";

/// Sends the login names registered to `email` there, if there are any.
#[server(endpoint = "send_login_names", client = crate::api::Client)]
pub async fn send_login_names(
    email: String,
    captcha_id: String,
    captcha: String,
) -> Result<(), AppError> {
    use crate::ssr::state::{is_form_post, respond};
    use gatehouse_core::login_name::{self, Form};
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let form = Form {
        email: &email,
        captcha_id: &captcha_id,
        captcha: &captcha,
    };
    login_name::send(&state, &form, &browser.client)
        .await
        .map_err(respond)?;
    if is_form_post() {
        leptos_axum::redirect(SENT_PATH);
    }
    Ok(())
}
