//! Sign in (with its second step when 2-step verification is on) and
//! sign out.
mod page;
#[cfg(feature = "ssr")]
pub mod second_step;
#[cfg(feature = "ssr")]
pub mod service;
mod verify_page;

use leptos::prelude::*;

pub use page::SignInPage;
pub use verify_page::SecondStepPage;

use crate::security_info::Method;
use gatehouse_types::{AppError, Password};

pub use gatehouse_types::sign_in::SecondStepView;

/// Where a signed-in browser goes: the new-password page, the e-service
/// with its ticket, or My Profile.
#[cfg(feature = "ssr")]
async fn enter(
    state: &crate::ssr::AppState,
    signed_in: service::SignedIn,
    service: Option<String>,
    client: &gatehouse_store::ClientInfo,
) -> Result<(), AppError> {
    use crate::ssr::{cas, sessions};
    sessions::set_cookie(state, &signed_in.token);
    let service = service.filter(|s| cas::service_for(state, s).is_some());
    let enrolling = sessions::enrolment_pending(state, &signed_in.account).await?;
    let target = match service {
        _ if signed_in.must_change => "/account/password".to_owned(),
        // No ticket until the role's 2-step verification can be asked.
        _ if enrolling => "/account/security-info".to_owned(),
        Some(service) => cas::issue(state, &service, &signed_in.account, true, client)
            .await
            .map_err(sessions::internal)?,
        None => "/account".to_owned(),
    };
    leptos_axum::redirect(&target);
    Ok(())
}

/// Signs in; `service` is the CAS e-service the user came from, which
/// then gets a ticket (unless the password must be changed first).
#[server(endpoint = "sign_in", client = crate::api::Client)]
pub async fn sign_in(
    login: String,
    password: Password,
    service: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{sessions, state, state::respond};
    let state = state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let previous = sessions::current_token(&state).await;
    let result = service::sign_in(
        &state,
        &login,
        &password,
        &client,
        previous.as_deref(),
        service.as_deref(),
    )
    .await;
    match result {
        Ok(service::SignInResult::SignedIn(signed_in)) => {
            enter(&state, *signed_in, service, &client).await
        }
        Ok(service::SignInResult::SecondStep { token }) => {
            second_step::set_cookie(&state, &token);
            leptos_axum::redirect("/login/verify");
            Ok(())
        }
        Err(e) => Err(respond(e)),
    }
}

/// The second step of this browser's sign-in; `None` when there is none.
#[server(endpoint = "second_step", client = crate::api::Client)]
pub async fn second_step() -> Result<Option<SecondStepView>, AppError> {
    let state = crate::ssr::state()?;
    second_step::current(&state)
        .await
        .map_err(crate::ssr::state::respond)
}

/// "Use another method": switches to `method`, sending a code if it is one
/// that is sent (also "Send another code").
#[server(endpoint = "second_step_choose", client = crate::api::Client)]
pub async fn second_step_choose(method: Method) -> Result<SecondStepView, AppError> {
    let state = crate::ssr::state()?;
    second_step::choose(&state, method)
        .await
        .map_err(crate::ssr::state::respond)
}

/// Checks the code (or the answers, for security questions) and signs in.
#[server(endpoint = "second_step_verify", client = crate::api::Client)]
pub async fn second_step_verify(
    method: Method,
    code: Option<String>,
    answer: Option<Vec<String>>,
) -> Result<(), AppError> {
    use crate::ssr::factors::Proof;
    use crate::ssr::state::respond;
    let state = crate::ssr::state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let answers = answer.unwrap_or_default();
    let proof = match method {
        Method::Questions => Proof::Answers(&answers),
        _ => Proof::Code(code.as_deref().unwrap_or_default()),
    };
    match second_step::verify(&state, method, proof, &client).await {
        Ok((signed_in, service)) => enter(&state, signed_in, service, &client)
            .await
            .map_err(respond),
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
    use crate::ssr::{sessions, state};
    let state = state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    if let Some(token) = sessions::current_token(&state).await {
        service::sign_out(&state, &token, &client).await?;
    }
    sessions::clear_cookie(&state);
    leptos_axum::redirect("/login");
    Ok(())
}
