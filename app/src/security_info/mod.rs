//! Security info (`/account/security-info`): the methods a user registers
//! for 2-step verification and password reset, the default one, recovery
//! codes, and 2-step verification itself.
mod page;

use leptos::prelude::*;

pub use page::{AnswerFields, SecurityInfoPage};

use gatehouse_types::{AppError, Password};

pub use gatehouse_types::security::{
    AppEnrolment, Ceremony, Method, MethodView, PasskeyView, Pending, Question, SecurityOverview,
};

/// The signed-in user's security info; `None` when nobody is signed in.
#[server(endpoint = "security_info", client = crate::api::Client)]
pub async fn security_info() -> Result<Option<SecurityOverview>, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::overview(&state, &browser).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Enter the password again, which allows changes for a few minutes.
#[server(endpoint = "security_reauth", client = crate::api::Client)]
pub async fn security_reauth(password: Password) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::reauthenticate(&state, &browser, &password).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Starts enrolling an authenticator app: a new secret to scan.
#[server(endpoint = "security_app_start", client = crate::api::Client)]
pub async fn security_app_start() -> Result<AppEnrolment, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::start_app(&state, &browser).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_app_confirm", client = crate::api::Client)]
pub async fn security_app_confirm(code: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::confirm_app(&state, &browser, &code).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Sends a code to a new alternate email or mobile number.
#[server(endpoint = "security_contact_start", client = crate::api::Client)]
pub async fn security_contact_start(method: Method, address: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result =
        gatehouse_core::security_info::start_contact(&state, &browser, method, &address).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_contact_confirm", client = crate::api::Client)]
pub async fn security_contact_confirm(code: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::confirm_contact(&state, &browser, &code).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Sets the security questions: `question[i]` is answered by `answer[i]`.
#[server(endpoint = "security_questions", client = crate::api::Client)]
pub async fn security_questions(
    question: Vec<String>,
    answer: Vec<String>,
) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result =
        gatehouse_core::security_info::set_questions(&state, &browser, &question, &answer).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_remove", client = crate::api::Client)]
pub async fn security_remove(method: Method) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::remove(&state, &browser, method).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_default", client = crate::api::Client)]
pub async fn security_default(method: Method) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::set_default(&state, &browser, method).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_two_step", client = crate::api::Client)]
pub async fn security_two_step(on: bool) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::set_two_step(&state, &browser, on).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// A new set of recovery codes, shown this once; the old set is void.
#[server(endpoint = "security_recovery_codes", client = crate::api::Client)]
pub async fn security_recovery_codes() -> Result<Vec<String>, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::security_info::new_recovery_codes(&state, &browser).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Starts adding a passkey or security key: options for the browser.
#[server(endpoint = "security_passkey_start", client = crate::api::Client)]
pub async fn security_passkey_start(name: String) -> Result<Ceremony, AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::passkeys::start_enrol(&state, &browser, &name).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

/// Saves the new passkey under the name the user gave it.
#[server(endpoint = "security_passkey_finish", client = crate::api::Client)]
pub async fn security_passkey_finish(
    handle: String,
    credential: String,
    name: String,
) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result =
        gatehouse_core::passkeys::finish_enrol(&state, &browser, &handle, &credential, &name).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_passkey_rename", client = crate::api::Client)]
pub async fn security_passkey_rename(id: String, name: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::passkeys::rename(&state, &browser, &id, &name).await;
    crate::ssr::browser::answer(&state, &browser, result)
}

#[server(endpoint = "security_passkey_remove", client = crate::api::Client)]
pub async fn security_passkey_remove(id: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let browser = crate::ssr::browser::of_request(&state).await;
    let result = gatehouse_core::passkeys::remove(&state, &browser, &id).await;
    crate::ssr::browser::answer(&state, &browser, result)
}
