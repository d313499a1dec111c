//! The session cookie of a request: read, set and cleared here; what it
//! names is checked by `gatehouse_core::sessions`.
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use leptos_axum::ResponseOptions;

use crate::ssr::AppState;
pub use gatehouse_core::sessions::{
    enrolment_pending, hash_token, in_good_standing, internal, live, must_change, new_token,
};
use gatehouse_store::{Account, Session};
use gatehouse_types::error::AppError;

pub fn token_from_headers(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for one of Gatehouse's cookies: always
/// `HttpOnly` on `/`, `Secure` over HTTPS.
pub fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    same_site: &str,
    max_age: Option<i64>,
) -> String {
    let name = state.config.cookie_name(name);
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookie() {
        c.push_str("; Secure");
    }
    c
}

/// The session cookie: its value is `token`, or with `max_age` 0 it is
/// removed.
pub fn session_cookie(state: &AppState, token: &str, max_age: Option<i64>) -> String {
    cookie(
        state,
        &state.config.session.cookie_name,
        token,
        "Lax",
        max_age,
    )
}

pub fn set_cookie(state: &AppState, token: &str) {
    append_set_cookie(session_cookie(state, token, None));
}

pub fn clear_cookie(state: &AppState) {
    append_set_cookie(session_cookie(state, "", Some(0)));
}

pub fn append_set_cookie(value: String) {
    if let (Some(options), Ok(value)) = (
        leptos::prelude::use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        options.append_header(SET_COOKIE, value);
    }
}

/// The token the current request carries, if any.
pub async fn current_token(state: &AppState) -> Option<String> {
    let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
    token_from_headers(&headers, &state.config.session_cookie_name())
}

/// The signed-in session and account of the current request, if it has a
/// live one; an idle or too-old session is ended here.
pub async fn current(state: &AppState) -> Result<Option<(Session, Account)>, AppError> {
    match current_token(state).await {
        Some(token) => live(state, &token).await,
        None => Ok(None),
    }
}

/// The signed-in account, or `Unauthenticated`; unless the caller is the
/// change-password flow, an account that must change its password is
/// refused too, and so is one whose role requires 2-step verification
/// while it has no method yet (it may only add one: `require_enrolling`).
pub async fn require(
    state: &AppState,
    allow_must_change: bool,
) -> Result<(Session, Account), AppError> {
    let (session, account) = current(state).await?.ok_or(AppError::Unauthenticated)?;
    if !allow_must_change && must_change(state, &account) {
        return Err(AppError::PasswordChangeRequired);
    }
    // Changing the password comes first; enrolment after it.
    if !allow_must_change && enrolment_pending(state, &account).await? {
        return Err(AppError::EnrolmentRequired);
    }
    Ok((session, account))
}

/// As `require`, for the security-info page, where an account that must
/// still add its first method does so.
pub async fn require_enrolling(state: &AppState) -> Result<(Session, Account), AppError> {
    let (session, account) = current(state).await?.ok_or(AppError::Unauthenticated)?;
    if must_change(state, &account) {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok((session, account))
}
