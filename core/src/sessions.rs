//! Server-side sessions: the cookie holds a random token; the database holds
//! only its SHA-256, so a copy of the database signs nobody in. What a
//! request carries (the cookie itself) is read and set by the app.
use crate::error::Result;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Browser, Cookie, Core};
use gatehouse_store::{Account, Session};
use gatehouse_types::account::AccountStatus;
use gatehouse_types::error::AppError;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    crate::codes::hex(&Sha256::digest(token.as_bytes()))
}

/// The live session a token names, and its account; an idle or too-old
/// session is ended here.
pub async fn live(state: &Core, token: &str) -> Result<Option<(Session, Account)>> {
    let store = state.store.as_ref();
    let id_hash = hash_token(token);
    let Some(session) = store.session(&id_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.unix();
    let idle = i64::from(state.config.session.idle_minutes) * 60;
    let absolute = i64::from(state.config.session.absolute_hours) * 3600;
    if now - session.last_seen_at > idle || now - session.created_at > absolute {
        store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    let Some(account) = store.account_by_id(session.account_id).await? else {
        return Ok(None);
    };
    // Checked at every request: a disabled or locked account, or one past
    // its end date and grace, keeps no session.
    if !in_good_standing(state, &account) {
        store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    store.touch_session(&id_hash, now).await?;
    Ok(Some((session, account)))
}

/// The times a session must have been seen and begun after to be on now.
pub fn limits(state: &Core) -> gatehouse_store::SessionLimits {
    let now = state.clock.unix();
    gatehouse_store::SessionLimits {
        seen_after: now - i64::from(state.config.session.idle_minutes) * 60,
        started_after: now - i64::from(state.config.session.absolute_hours) * 3600,
    }
}

/// Active, and not past its end date and its role's grace: what every
/// session and open sign-in step needs at every request.
pub fn in_good_standing(state: &Core, account: &Account) -> bool {
    account.status == AccountStatus::Active && !crate::lifecycle::ended(state, account)
}

/// Whether the account must change its password before anything else:
/// an initial password, or one older than the configured maximum age.
pub fn must_change(state: &Core, account: &Account) -> bool {
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

/// Whether the account's role requires 2-step verification and it has no
/// method yet: its session is good for adding one and nothing else (no
/// other page's data, no e-service ticket).
pub async fn enrolment_pending(state: &Core, account: &Account) -> Result<bool> {
    if !crate::factors::required_by_role(state, account) {
        return Ok(false);
    }
    let doc = crate::factors::load(state, account.id).await?.doc;
    Ok(doc.registered().is_empty())
}

/// The signed-in session and account of the browser, if it holds a live
/// one; an idle or too-old session is ended here.
pub async fn current(state: &Core, browser: &Browser) -> Result<Option<(Session, Account)>> {
    match browser.token(Cookie::Session) {
        Some(token) => live(state, &token).await,
        None => Ok(None),
    }
}

/// The signed-in account, or `Unauthenticated`; unless the caller is the
/// change-password flow, an account that must change its password is
/// refused too, and so is one whose role requires 2-step verification
/// while it has no method yet (it may only add one: `require_enrolling`).
pub async fn require(
    state: &Core,
    browser: &Browser,
    allow_must_change: bool,
) -> Result<(Session, Account)> {
    let (session, account) = current(state, browser)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !allow_must_change && must_change(state, &account) {
        return Err(AppError::PasswordChangeRequired.into());
    }
    // Changing the password comes first; enrolment after it.
    if !allow_must_change && enrolment_pending(state, &account).await? {
        return Err(AppError::EnrolmentRequired.into());
    }
    Ok((session, account))
}

/// As `require`, for the security-info page, where an account that must
/// still add its first method does so.
pub async fn require_enrolling(state: &Core, browser: &Browser) -> Result<(Session, Account)> {
    let (session, account) = current(state, browser)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if must_change(state, &account) {
        return Err(AppError::PasswordChangeRequired.into());
    }
    Ok((session, account))
}
