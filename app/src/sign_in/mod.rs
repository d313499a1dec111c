//! Sign in and sign out.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;

pub use page::SignInPage;

use crate::error::{AppError, Password};

/// Signs in; `service` is the CAS e-service the user came from, which
/// then gets a ticket (unless the password must be changed first).
#[server(endpoint = "sign_in", client = crate::api::Client)]
pub async fn sign_in(
    login: String,
    password: Password,
    service: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{cas, request::ClientInfo, sessions, state, state::respond};
    let state = state()?;
    let client = ClientInfo::current(&state.config).await;
    let previous = sessions::current_token(&state).await;
    match service::sign_in(&state, &login, &password, &client, previous.as_deref()).await {
        Ok(signed_in) => {
            sessions::set_cookie(&state, &signed_in.token);
            let service = service.filter(|s| cas::service_for(&state, s).is_some());
            let target = match service {
                _ if signed_in.must_change => "/account/password".to_owned(),
                Some(service) => cas::issue(&state, &service, &signed_in.account, true, &client)
                    .await
                    .map_err(sessions::internal)?,
                None => "/account".to_owned(),
            };
            leptos_axum::redirect(&target);
            Ok(())
        }
        Err(e) => Err(respond(e)),
    }
}

/// The name of the registered e-service a sign-in is for, if it is one.
#[server(endpoint = "cas_service", client = crate::api::Client)]
pub async fn cas_service(service: String) -> Result<Option<String>, AppError> {
    let state = crate::ssr::state()?;
    Ok(crate::ssr::cas::service_for(&state, &service).map(|s| s.name.clone()))
}

#[server(endpoint = "sign_out", client = crate::api::Client)]
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
