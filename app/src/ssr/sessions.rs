//! Server-side sessions: the cookie holds a random token; the database holds
//! only its SHA-256, so a copy of the database signs nobody in.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use leptos_axum::ResponseOptions;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::ssr::AppState;
use gatehouse_store::{Account, Session};
use gatehouse_types::error::AppError;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    crate::ssr::codes::hex(&Sha256::digest(token.as_bytes()))
}

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

/// The live session a token names, and its account; an idle or too-old
/// session is ended here.
pub async fn live(state: &AppState, token: &str) -> Result<Option<(Session, Account)>, AppError> {
    let store = state.store.as_ref();
    let id_hash = hash_token(token);
    let Some(session) = store.session(&id_hash).await.map_err(internal)? else {
        return Ok(None);
    };
    let now = state.clock.unix();
    let idle = i64::from(state.config.session.idle_minutes) * 60;
    let absolute = i64::from(state.config.session.absolute_hours) * 3600;
    if now - session.last_seen_at > idle || now - session.created_at > absolute {
        store.delete_session(&id_hash).await.map_err(internal)?;
        return Ok(None);
    }
    let Some(account) = store
        .account_by_id(session.account_id)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    // Checked at every request: a disabled or locked account, or one past
    // its end date and grace, keeps no session.
    if !in_good_standing(state, &account) {
        store.delete_session(&id_hash).await.map_err(internal)?;
        return Ok(None);
    }
    store.touch_session(&id_hash, now).await.map_err(internal)?;
    Ok(Some((session, account)))
}

/// Active, and not past its end date and its role's grace: what every
/// session and open sign-in step needs at every request.
pub fn in_good_standing(state: &AppState, account: &Account) -> bool {
    account.status == crate::account::AccountStatus::Active
        && !crate::ssr::lifecycle::ended(state, account)
}

/// Whether the account must change its password before anything else:
/// an initial password, or one older than the configured maximum age.
pub fn must_change(state: &AppState, account: &Account) -> bool {
    if account.must_change {
        return true;
    }
    match (
        state.config.password_max_age_days,
        account.password_changed_at,
    ) {
        (Some(days), Some(changed)) => state.clock.unix() - changed > i64::from(days) * 86_400,
        _ => false,
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

/// Whether the account's role requires 2-step verification and it has no
/// method yet: its session is good for adding one and nothing else (no
/// other page's data, no e-service ticket).
pub async fn enrolment_pending(state: &AppState, account: &Account) -> Result<bool, AppError> {
    if !crate::ssr::factors::required_by_role(state, account) {
        return Ok(false);
    }
    let doc = crate::ssr::factors::load(state, account.id).await?.doc;
    Ok(doc.registered().is_empty())
}

pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error");
    AppError::Internal
}
