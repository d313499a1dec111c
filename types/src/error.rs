//! The one error type server functions return: user-facing variants carry
//! what the page needs to say; internal failures say nothing more.
use gatehouse_policy::Rule;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Every sign-in failure an attacker could learn from.
    #[error("invalid login name or password")]
    InvalidCredentials,
    /// A passkey's answer was not accepted (unknown, removed, turned off,
    /// or signed for another site or challenge).
    #[error("the passkey was not accepted")]
    PasskeyRefused,
    #[error("too many attempts; wait {seconds} seconds")]
    Throttled { seconds: u64 },
    #[error("temporarily locked for {minutes} minutes")]
    Locked { minutes: u64 },
    #[error("not signed in")]
    Unauthenticated,
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    /// The role requires 2-step verification and no method is registered:
    /// only adding one is open.
    #[error("a 2-step verification method must be added first")]
    EnrolmentRequired,
    #[error("forbidden")]
    Forbidden,
    /// Past its end date and its role's grace; said only after the right
    /// password.
    #[error("this account is no longer active")]
    AccountInactive,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A message-sending or secret-checking flow hit its hourly limit.
    #[error("too many requests; try again in {minutes} minutes")]
    RateLimited { minutes: u64 },
    #[error("wrong verification code; {attempts_left} attempts left")]
    CodeWrong { attempts_left: u32 },
    #[error("the verification code has expired")]
    CodeExpired,
    #[error("wait {seconds} seconds before asking for another code")]
    ResendTooSoon { seconds: u64 },
    #[error("no more codes can be sent for this request")]
    ResendCapReached,
    /// The forgot-password flow is over (left, replaced, expired or voided
    /// by wrong codes): start again.
    #[error("this request is no longer valid")]
    FlowVoid,
    /// The code could not be sent; nothing was used up.
    #[error("the message could not be sent")]
    DeliveryFailed,
    /// Another request changed the same thing first; nothing was changed.
    #[error("changed meanwhile; try again")]
    Conflict,
    /// Security info changes need the password entered again.
    #[error("enter your password again")]
    ReauthRequired,
    /// The last method 2-step verification depends on stays until 2-step
    /// verification is off.
    #[error("the last method cannot be removed while 2-step verification is on")]
    LastMethod,
    /// 2-step verification needs a method first.
    #[error("add a method first")]
    NoMethod,
    /// A request the server could not read; its details stay on the server.
    #[error("bad request")]
    BadRequest,
    /// A request body over the size the endpoint accepts.
    #[error("request too large")]
    TooLarge,
    /// The browser could not reach the server.
    #[error("network error")]
    Network,
    /// Every hashing thread is busy and the queue for them is full: try
    /// again in `seconds`. Nothing was checked or counted.
    #[error("too busy; try again in {seconds} seconds")]
    Busy { seconds: u64 },
    #[error("an internal error occurred")]
    Internal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CurrentPassword,
    NewPassword,
    ConfirmPassword,
    Login,
    Email,
    Captcha,
    Code,
    Confirm,
    Mobile,
    Question,
    Answer,
    /// A passkey's name.
    Name,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    Required,
    WrongCurrentPassword,
    Mismatch,
    CaptchaWrong,
    BadEmail,
    BadMobile,
    /// An alternate email that is the registered one.
    SameAsRegistered,
    /// Longer than `max` characters.
    TooLong {
        max: usize,
    },
    /// The rules the password failed, as the policy crate names them.
    Policy {
        failed: Vec<Rule>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

impl AppError {
    pub fn field(&self, field: Field) -> Option<&Problem> {
        match self {
            AppError::Invalid(errors) => {
                errors.iter().find(|e| e.field == field).map(|e| &e.problem)
            }
            _ => None,
        }
    }

    /// The HTTP status for this error; exhaustive on purpose, so a new
    /// variant must decide its own.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidCredentials => 401,
            AppError::PasskeyRefused => 401,
            AppError::Throttled { .. } => 429,
            AppError::Locked { .. } => 429,
            AppError::Unauthenticated => 401,
            AppError::PasswordChangeRequired => 403,
            AppError::EnrolmentRequired => 403,
            AppError::Forbidden => 403,
            AppError::AccountInactive => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::RateLimited { .. } => 429,
            AppError::CodeWrong { .. } => 422,
            AppError::CodeExpired => 422,
            AppError::ResendTooSoon { .. } => 429,
            AppError::ResendCapReached => 429,
            AppError::FlowVoid => 410,
            AppError::DeliveryFailed => 503,
            AppError::Conflict => 409,
            AppError::ReauthRequired => 403,
            AppError::LastMethod => 409,
            AppError::NoMethod => 409,
            AppError::BadRequest => 400,
            AppError::TooLarge => 413,
            AppError::Network => 503,
            AppError::Busy { .. } => 503,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => AppError::Network,
            ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::Response(_)
            | ServerFnErrorErr::Registration(_) => AppError::Internal,
            ServerFnErrorErr::UnsupportedRequestMethod(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_side_failure_reaches_the_browser_without_its_text() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "db at /var/secret".into(),
        ));
        assert_eq!(e, AppError::Internal);
        assert!(!format!("{e}").contains("secret"));
    }
}
