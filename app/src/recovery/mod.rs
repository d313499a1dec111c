//! Forgot password and first-time password: a wizard on one page. The flow
//! lives on the server, keyed by a cookie that only this page's requests
//! carry; each server function answers with the step to show next.
mod countdown;
mod page;

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
    let browser = crate::ssr::browser::of_request(&state).await;
    let step = gatehouse_core::recovery::current_step(&state, &browser, resume).await;
    crate::ssr::browser::answer(&state, &browser, step)
}

/// A new CAPTCHA challenge ("Display another Security Code").
#[server(endpoint = "recovery_captcha", client = crate::api::Client)]
pub async fn recovery_captcha() -> Result<String, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    gatehouse_core::recovery::new_captcha(&state, &browser.client)
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
    let browser = crate::ssr::browser::of_request(&state).await;
    let form = gatehouse_core::recovery::StartForm {
        login: &login,
        email: email.as_deref().unwrap_or_default(),
        captcha_id: &captcha_id,
        captcha: &captcha,
    };
    let step = gatehouse_core::recovery::start(&state, &form, &browser).await;
    after(&state, &browser, step)
}

/// Sends a code to the chosen channel; also "Regenerate Verification Code".
#[server(endpoint = "recovery_send", client = crate::api::Client)]
pub async fn recovery_send(channel: Channel) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let step = gatehouse_core::recovery::send_code(&state, channel, &browser).await;
    after(&state, &browser, step)
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
    use gatehouse_core::factors::Proof;
    use gatehouse_core::recovery::{verify_code, verify_held};
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let code = code.unwrap_or_default();
    let step = match channel.filter(|c| !c.is_sent()) {
        Some(Channel::Questions) => {
            let answers = answer.unwrap_or_default();
            verify_held(
                &state,
                Channel::Questions,
                Proof::Answers(&answers),
                &browser,
            )
            .await
        }
        Some(held) => verify_held(&state, held, Proof::Code(&code), &browser).await,
        None => verify_code(&state, &code, &browser).await,
    };
    after(&state, &browser, step)
}

#[server(endpoint = "recovery_reset", client = crate::api::Client)]
pub async fn recovery_reset(
    new_password: Password,
    confirm_password: Password,
) -> Result<Step, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let step =
        gatehouse_core::recovery::reset(&state, &new_password, &confirm_password, &browser).await;
    after(&state, &browser, step)
}

/// Ends this browser's flow: the page calls it when it is left.
#[server(endpoint = "recovery_abandon", client = crate::api::Client)]
pub async fn recovery_abandon() -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::recovery::abandon(&state, &browser).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// A step's answer: errors get their status; a plain form post is sent
/// back to the page, which shows the flow's new step.
#[cfg(feature = "ssr")]
fn after(
    state: &crate::ssr::AppState,
    browser: &gatehouse_core::Browser,
    step: gatehouse_core::Result<Step>,
) -> Result<Step, AppError> {
    use crate::ssr::state::is_form_post;
    let step = crate::ssr::browser::answer(state, browser, step)?;
    if is_form_post() {
        leptos_axum::redirect(RESUME_PATH);
    }
    Ok(step)
}
