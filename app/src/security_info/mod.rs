//! Security info (`/account/security-info`): the methods a user registers
//! for 2-step verification and password reset, the default one, recovery
//! codes, and 2-step verification itself.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::{AnswerFields, SecurityInfoPage};

use crate::error::{AppError, Password};

/// A way to prove who one is beyond the password. `Email` is the
/// registered address from the institution's records; the others are
/// registered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Email,
    Mobile,
    AltEmail,
    App,
    Questions,
    RecoveryCode,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Email,
        Method::Mobile,
        Method::AltEmail,
        Method::App,
        Method::Questions,
        Method::RecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Email => "email",
            Method::Mobile => "mobile",
            Method::AltEmail => "alt_email",
            Method::App => "app",
            Method::Questions => "questions",
            Method::RecoveryCode => "recovery_code",
        }
    }

    /// Whether a code is sent for it (rather than the user holding it).
    pub fn is_sent(self) -> bool {
        matches!(self, Method::Email | Method::Mobile | Method::AltEmail)
    }
}

impl std::str::FromStr for Method {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Method::ALL.into_iter().find(|m| m.as_str() == s).ok_or(())
    }
}

/// One registered method as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodView {
    pub method: Method,
    /// The address or number (the user's own, shown in full), else empty.
    pub detail: String,
    /// Unix seconds.
    pub added_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub en: String,
    pub zh_hant: String,
}

#[cfg(feature = "ssr")]
impl From<&crate::ssr::config::SecurityQuestion> for Question {
    fn from(q: &crate::ssr::config::SecurityQuestion) -> Self {
        Question {
            id: q.id.clone(),
            en: q.en.clone(),
            zh_hant: q.zh_hant.clone(),
        }
    }
}

/// An enrolment waiting for its confirming code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    App(AppEnrolment),
    Contact {
        method: Method,
        address: String,
        seconds_left: i64,
    },
}

/// What the page shows to enrol an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// The `otpauth://` link the QR code holds.
    pub url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub login: String,
    /// The registered methods, the default first.
    pub methods: Vec<MethodView>,
    pub default: Option<Method>,
    pub two_step: bool,
    pub two_step_required: bool,
    /// Recovery codes not yet used; `None` before the first set.
    pub recovery_codes_left: Option<usize>,
    /// Empty when the deployment does not offer security questions.
    pub questions: Vec<Question>,
    pub questions_required: usize,
    /// Seconds left in which changes need no password; 0: enter it first.
    pub reauth_seconds_left: i64,
    pub pending: Option<Pending>,
}

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
