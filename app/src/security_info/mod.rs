//! Security info (`/account/security-info`): the methods a user registers
//! for 2-step verification and password reset, the default one, recovery
//! codes, and 2-step verification itself.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;

pub use page::{AnswerFields, SecurityInfoPage};

use gatehouse_types::{AppError, Password};

pub use gatehouse_types::security::{
    AppEnrolment, Method, MethodView, Pending, Question, SecurityOverview,
};

#[cfg(feature = "ssr")]
fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    result.map_err(crate::ssr::state::respond)
}

/// The signed-in user's security info; `None` when nobody is signed in.
#[server(endpoint = "security_info", client = crate::api::Client)]
pub async fn security_info() -> Result<Option<SecurityOverview>, AppError> {
    let state = crate::ssr::state()?;
    answer(service::overview(&state).await)
}

/// Enter the password again, which allows changes for a few minutes.
#[server(endpoint = "security_reauth", client = crate::api::Client)]
pub async fn security_reauth(password: Password) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::reauthenticate(&state, &password).await)
}

/// Starts enrolling an authenticator app: a new secret to scan.
#[server(endpoint = "security_app_start", client = crate::api::Client)]
pub async fn security_app_start() -> Result<AppEnrolment, AppError> {
    let state = crate::ssr::state()?;
    answer(service::start_app(&state).await)
}

#[server(endpoint = "security_app_confirm", client = crate::api::Client)]
pub async fn security_app_confirm(code: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::confirm_app(&state, &code).await)
}

/// Sends a code to a new alternate email or mobile number.
#[server(endpoint = "security_contact_start", client = crate::api::Client)]
pub async fn security_contact_start(method: Method, address: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::start_contact(&state, method, &address).await)
}

#[server(endpoint = "security_contact_confirm", client = crate::api::Client)]
pub async fn security_contact_confirm(code: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::confirm_contact(&state, &code).await)
}

/// Sets the security questions: `question[i]` is answered by `answer[i]`.
#[server(endpoint = "security_questions", client = crate::api::Client)]
pub async fn security_questions(
    question: Vec<String>,
    answer: Vec<String>,
) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    self::answer(service::set_questions(&state, &question, &answer).await)
}

#[server(endpoint = "security_remove", client = crate::api::Client)]
pub async fn security_remove(method: Method) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::remove(&state, method).await)
}

#[server(endpoint = "security_default", client = crate::api::Client)]
pub async fn security_default(method: Method) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::set_default(&state, method).await)
}

#[server(endpoint = "security_two_step", client = crate::api::Client)]
pub async fn security_two_step(on: bool) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    answer(service::set_two_step(&state, on).await)
}

/// A new set of recovery codes, shown this once; the old set is void.
#[server(endpoint = "security_recovery_codes", client = crate::api::Client)]
pub async fn security_recovery_codes() -> Result<Vec<String>, AppError> {
    let state = crate::ssr::state()?;
    answer(service::new_recovery_codes(&state).await)
}
