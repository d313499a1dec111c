//! Sign in (with its second step when 2-step verification is on) and
//! sign out.
mod page;
mod verify_page;

use leptos::prelude::*;

pub use page::SignInPage;
pub use verify_page::SecondStepPage;

use crate::security_info::Method;
use gatehouse_types::security::Ceremony;
use gatehouse_types::{AppError, Password};

pub use gatehouse_types::sign_in::SecondStepView;

/// Signs in; `service` is the CAS e-service the user came from, which
/// then gets a ticket (unless the password must be changed first).
#[server(endpoint = "sign_in", client = crate::api::Client)]
pub async fn sign_in(
    login: String,
    password: Password,
    service: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{browser, state};
    use gatehouse_core::sign_in::{self, SignInResult};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let signing_in = async {
        let target = match sign_in::sign_in(&state, &browser, &login, &password, service.as_deref())
            .await?
        {
            SignInResult::SignedIn(signed_in) => {
                sign_in::enter(&state, &browser, *signed_in, service).await?
            }
            SignInResult::SecondStep => "/login/verify".to_owned(),
        };
        leptos_axum::redirect(&target);
        Ok(())
    };
    let result = signing_in.await;
    browser::answer(&state, &browser, result)
}

/// The second step of this browser's sign-in; `None` when there is none.
#[server(endpoint = "second_step", client = crate::api::Client)]
pub async fn second_step() -> Result<Option<SecondStepView>, AppError> {
    use crate::ssr::{browser, state};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let result = gatehouse_core::second_step::current(&state, &browser).await;
    browser::answer(&state, &browser, result)
}

/// "Use another method": switches to `method`, sending a code if it is one
/// that is sent (also "Send another code").
#[server(endpoint = "second_step_choose", client = crate::api::Client)]
pub async fn second_step_choose(method: Method) -> Result<SecondStepView, AppError> {
    use crate::ssr::{browser, state};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let result = gatehouse_core::second_step::choose(&state, &browser, method).await;
    browser::answer(&state, &browser, result)
}

/// Checks the code (or the answers, for security questions) and signs in.
#[server(endpoint = "second_step_verify", client = crate::api::Client)]
pub async fn second_step_verify(
    method: Method,
    code: Option<String>,
    answer: Option<Vec<String>>,
) -> Result<(), AppError> {
    use crate::ssr::{browser, state};
    use gatehouse_core::factors::Proof;
    use gatehouse_core::{second_step, sign_in};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let answers = answer.unwrap_or_default();
    let proof = match method {
        Method::Questions => Proof::Answers(&answers),
        _ => Proof::Code(code.as_deref().unwrap_or_default()),
    };
    let verifying = async {
        let (signed_in, service) = second_step::verify(&state, method, proof, &browser).await?;
        let target = sign_in::enter(&state, &browser, signed_in, service).await?;
        leptos_axum::redirect(&target);
        Ok(())
    };
    let result = verifying.await;
    browser::answer(&state, &browser, result)
}

/// Whether this portal offers passkeys (its address is a domain name).
#[server(endpoint = "passkeys_offered", client = crate::api::Client)]
pub async fn passkeys_offered() -> Result<bool, AppError> {
    let state = crate::ssr::state()?;
    Ok(gatehouse_core::passkeys::available(&state))
}

/// Starts a sign-in with a passkey alone (the button, or the login
/// name's autofill).
#[server(endpoint = "passkey_sign_in_start", client = crate::api::Client)]
pub async fn passkey_sign_in_start() -> Result<Ceremony, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::passkeys::start_sign_in(&state).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Signs in with the passkey's answer; returns where the browser goes next
/// (as a password sign-in would: a new password, the e-service, My Profile).
#[server(endpoint = "passkey_sign_in", client = crate::api::Client)]
pub async fn passkey_sign_in(
    handle: String,
    credential: String,
    service: Option<String>,
) -> Result<String, AppError> {
    use crate::ssr::{browser, state};
    use gatehouse_core::{passkeys, sign_in};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let signing_in = async {
        let signed_in = passkeys::sign_in(&state, &browser, &handle, &credential).await?;
        sign_in::enter(
            &state,
            &browser,
            signed_in,
            service.filter(|s| !s.is_empty()),
        )
        .await
    };
    let result = signing_in.await;
    browser::answer(&state, &browser, result)
}

/// Starts the passkey ceremony of this browser's second step.
#[server(endpoint = "second_step_passkey_start", client = crate::api::Client)]
pub async fn second_step_passkey_start() -> Result<Ceremony, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::second_step::passkey_ceremony(&state, &browser).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Checks the passkey's answer as the second step; returns where the
/// browser goes next.
#[server(endpoint = "second_step_passkey", client = crate::api::Client)]
pub async fn second_step_passkey(handle: String, credential: String) -> Result<String, AppError> {
    use crate::ssr::{browser, state};
    use gatehouse_core::factors::Proof;
    use gatehouse_core::{second_step, sign_in};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let proof = Proof::Passkey {
        handle: &handle,
        credential: &credential,
    };
    let verifying = async {
        let (signed_in, service) =
            second_step::verify(&state, Method::Passkey, proof, &browser).await?;
        sign_in::enter(&state, &browser, signed_in, service).await
    };
    let result = verifying.await;
    browser::answer(&state, &browser, result)
}

/// The name of the registered e-service a sign-in is for, if it is one
/// (CAS or OpenID Connect).
#[server(endpoint = "cas_service", client = crate::api::Client)]
pub async fn cas_service(service: String) -> Result<Option<String>, AppError> {
    let state = crate::ssr::state()?;
    Ok(gatehouse_core::sign_in::service_name(&state, &service))
}

#[server(endpoint = "sign_out", client = crate::api::Client)]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{browser, state};
    use gatehouse_core::Cookie;
    let state = state()?;
    let browser = browser::of_request(&state).await;
    if let Some(token) = browser.token(Cookie::Session) {
        gatehouse_core::sign_in::sign_out(&state, &token, &browser.client)
            .await
            .map_err(crate::ssr::state::respond)?;
    }
    browser.clear(Cookie::Session);
    leptos_axum::redirect("/login");
    browser::answer(&state, &browser, Ok(()))
}
