//! Sign in and sign out.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;

pub use page::SignInPage;

use crate::error::{AppError, Password};

#[server(endpoint = "sign_in")]
pub async fn sign_in(login: String, password: Password) -> Result<(), AppError> {
    use crate::ssr::{request::ClientInfo, sessions, state, state::respond};
    let state = state()?;
    let client = ClientInfo::current(&state.config).await;
    let previous = sessions::current_token(&state).await;
    match service::sign_in(&state, &login, &password, &client, previous.as_deref()).await {
        Ok(signed_in) => {
            sessions::set_cookie(&state, &signed_in.token);
            leptos_axum::redirect(if signed_in.must_change {
                "/account/password"
            } else {
                "/account"
            });
            Ok(())
        }
        Err(e) => Err(respond(e)),
    }
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{request::ClientInfo, sessions, state};
    let state = state()?;
    let client = ClientInfo::current(&state.config).await;
    if let Some(token) = sessions::current_token(&state).await {
        service::sign_out(&state, &token, &client).await?;
    }
    sessions::clear_cookie(&state);
    leptos_axum::redirect("/login");
    Ok(())
}
