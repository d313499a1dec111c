//! Forgot password and first-time password: a wizard on one page. The flow
//! lives on the server, keyed by a cookie that only this page's requests
//! carry; each server function answers with the step to show next.
mod countdown;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;

pub use page::RecoveryPage;

use gatehouse_types::{AppError, Password};

pub use gatehouse_types::recovery::{Channel, ChannelOption, CodeStep, Step};
/// Where a plain form post (JavaScript off) is sent after each step.
pub const RESUME_PATH: &str = "/forgot-password?resume=1";

/// The step to show. A fresh visit (`resume` false) ends any flow this
/// browser had open, as leaving the page does.
#[server(endpoint = "recovery_step", client = crate::api::Client)]
pub async fn recovery_step(resume: bool) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    service::current_step(&state, resume)
        .await
        .map_err(crate::ssr::state::respond)
}

/// A new CAPTCHA challenge ("Display another Security Code").
#[server(endpoint = "recovery_captcha", client = crate::api::Client)]
pub async fn recovery_captcha() -> Result<String, AppError> {
    let state = crate::ssr::state()?;
    service::new_captcha(&state)
        .await
        .map_err(crate::ssr::state::respond)
}

#[server(endpoint = "recovery_start", client = crate::api::Client)]
pub async fn recovery_start(
    login: String,
    email: Option<String>,
    captcha_id: String,
    captcha: String,
) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let form = service::StartForm {
        login: &login,
        email: email.as_deref().unwrap_or_default(),
        captcha_id: &captcha_id,
        captcha: &captcha,
    };
    let step = service::start(&state, &form, &client).await;
    after(step)
}

/// Sends a code to the chosen channel; also "Regenerate Verification Code".
#[server(endpoint = "recovery_send", client = crate::api::Client)]
pub async fn recovery_send(channel: Channel) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let step = service::send_code(&state, channel, &client).await;
    after(step)
}

/// Checks the code that was sent, or with `channel` a factor the user
/// holds (authenticator app or recovery code: `code`; security questions:
/// `answer`, one per question).
#[server(endpoint = "recovery_verify", client = crate::api::Client)]
pub async fn recovery_verify(
    code: Option<String>,
    channel: Option<Channel>,
    answer: Option<Vec<String>>,
) -> Result<Step, AppError> {
    use crate::ssr::factors::Proof;
    let state = crate::ssr::state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let code = code.unwrap_or_default();
    let step = match channel.filter(|c| !c.is_sent()) {
        Some(Channel::Questions) => {
            let answers = answer.unwrap_or_default();
            service::verify_held(
                &state,
                Channel::Questions,
                Proof::Answers(&answers),
                &client,
            )
            .await
        }
        Some(held) => service::verify_held(&state, held, Proof::Code(&code), &client).await,
        None => service::verify_code(&state, &code, &client).await,
    };
    after(step)
}

#[server(endpoint = "recovery_reset", client = crate::api::Client)]
pub async fn recovery_reset(
    new_password: Password,
    confirm_password: Password,
) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let step = service::reset(&state, &new_password, &confirm_password, &client).await;
    after(step)
}

/// Ends this browser's flow: the page calls it when it is left.
#[server(endpoint = "recovery_abandon", client = crate::api::Client)]
pub async fn recovery_abandon() -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    service::abandon(&state).await
}

/// A step's answer: errors get their status; a plain form post is sent
/// back to the page, which shows the flow's new step.
#[cfg(feature = "ssr")]
fn after(step: Result<Step, AppError>) -> Result<Step, AppError> {
    use crate::ssr::state::{is_form_post, respond};
    let step = step.map_err(respond)?;
    if is_form_post() {
        leptos_axum::redirect(RESUME_PATH);
    }
    Ok(step)
}
