//! "Where you are signed in": the signed-in user's own open sessions, one
//! of them ended, or every other one.
use crate::error::Result;
use crate::sessions;
use crate::{Browser, Cookie, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_types::account::SessionView;
use gatehouse_types::error::AppError;

pub async fn list(state: &Core, browser: &Browser) -> Result<Vec<SessionView>> {
    let (session, account) = sessions::require(state, browser, false).await?;
    let now = state.clock.unix();
    let idle = i64::from(state.config.session.idle_minutes) * 60;
    let absolute = i64::from(state.config.session.absolute_hours) * 3600;
    let listed = state
        .store
        .account_sessions(account.id, now - idle, now - absolute)
        .await?;
    let sign_ins = state.store.session_sign_ins(account.id).await?;
    let services_of = |id_hash: &str| {
        let mut names: Vec<String> = sign_ins
            .iter()
            .filter(|(session, _, _)| session == id_hash)
            .filter_map(|(_, oidc, what)| {
                if *oidc {
                    crate::oidc::client(state, what).map(|c| c.name.clone())
                } else {
                    crate::cas::service_for(state, what).map(|s| s.name.clone())
                }
            })
            .collect();
        names.sort();
        names.dedup();
        names
    };
    Ok(listed
        .into_iter()
        .map(|s| SessionView {
            services: services_of(&s.id_hash),
            current: s.id_hash == session.id_hash,
            reference: s.id_hash,
            browser: s.user_agent,
            address: s.client_addr,
            started: s.created_at,
            last_seen: s.last_seen_at,
        })
        .collect())
}

/// Ends one of the user's sessions; whether it was this browser's, which
/// is then signed out.
pub async fn end(state: &Core, browser: &Browser, reference: &str) -> Result<bool> {
    let (session, account) = sessions::require(state, browser, false).await?;
    let ended = state
        .store
        .end_account_session(account.id, reference)
        .await?;
    if !ended {
        return Err(AppError::NotFound.into());
    }
    audit(state, browser, &account.login, "session_ended").await?;
    let this_one = reference == session.id_hash;
    if this_one {
        browser.clear(Cookie::Session);
    }
    Ok(this_one)
}

pub async fn end_others(state: &Core, browser: &Browser) -> Result<()> {
    let (session, account) = sessions::require(state, browser, false).await?;
    state
        .store
        .end_other_sessions(account.id, &session.id_hash)
        .await?;
    audit(state, browser, &account.login, "other_sessions_ended").await
}

async fn audit(state: &Core, browser: &Browser, login: &str, detail: &str) -> Result<()> {
    let event = AuditEvent::by_user(login, Action::SignOut, Outcome::Success, &browser.client)
        .detail(detail);
    Ok(state.store.record_audit(&event, state.clock.unix()).await?)
}
