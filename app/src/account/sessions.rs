//! "Where you are signed in" on My Profile: the user's own open sessions,
//! each with "Sign out this session", and "Sign out everywhere else".
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::page::format_unix;
use crate::i18n::*;
use gatehouse_types::error::AppError;

/// One open session, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session in "Sign out this session" (the stored hash of
    /// its token, never the token).
    pub reference: String,
    pub current: bool,
    pub browser: String,
    pub address: String,
    pub started: i64,
    pub last_seen: i64,
}

#[server(endpoint = "my_sessions", client = crate::api::Client)]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    let state = crate::ssr::state()?;
    service::list(&state)
        .await
        .map_err(crate::ssr::state::respond)
}

/// Ends one of the user's sessions; ending this one signs out here.
#[server(endpoint = "end_session", client = crate::api::Client)]
pub async fn end_session(reference: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    service::end(&state, &reference)
        .await
        .map_err(crate::ssr::state::respond)
}

#[server(endpoint = "end_other_sessions", client = crate::api::Client)]
pub async fn end_other_sessions() -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    service::end_others(&state)
        .await
        .map_err(crate::ssr::state::respond)
}

#[cfg(feature = "ssr")]
mod service {
    use super::SessionView;
    use crate::ssr::sessions::{self, internal};
    use crate::ssr::AppState;
    use gatehouse_store::audit::{Action, AuditEvent, Outcome};

    use gatehouse_types::error::AppError;

    pub async fn list(state: &AppState) -> Result<Vec<SessionView>, AppError> {
        let (session, account) = sessions::require(state, false).await?;
        let now = state.clock.unix();
        let idle = i64::from(state.config.session.idle_minutes) * 60;
        let absolute = i64::from(state.config.session.absolute_hours) * 3600;
        let listed = state
            .store
            .account_sessions(account.id, now - idle, now - absolute)
            .await
            .map_err(internal)?;
        Ok(listed
            .into_iter()
            .map(|s| SessionView {
                current: s.id_hash == session.id_hash,
                reference: s.id_hash,
                browser: s.user_agent,
                address: s.client_addr,
                started: s.created_at,
                last_seen: s.last_seen_at,
            })
            .collect())
    }

    pub async fn end(state: &AppState, reference: &str) -> Result<(), AppError> {
        let (session, account) = sessions::require(state, false).await?;
        let ended = state
            .store
            .end_account_session(account.id, reference)
            .await
            .map_err(internal)?;
        if !ended {
            return Err(AppError::NotFound);
        }
        audit(state, &account.login, "session_ended").await?;
        if reference == session.id_hash {
            sessions::clear_cookie(state);
            leptos_axum::redirect("/login");
        }
        Ok(())
    }

    pub async fn end_others(state: &AppState) -> Result<(), AppError> {
        let (session, account) = sessions::require(state, false).await?;
        state
            .store
            .end_other_sessions(account.id, &session.id_hash)
            .await
            .map_err(internal)?;
        audit(state, &account.login, "other_sessions_ended").await
    }

    async fn audit(state: &AppState, login: &str, detail: &str) -> Result<(), AppError> {
        let client = crate::ssr::request::current_client(&state.config).await;
        let event =
            AuditEvent::by_user(login, Action::SignOut, Outcome::Success, &client).detail(detail);
        state
            .store
            .record_audit(&event, state.clock.unix())
            .await
            .map_err(internal)
    }
}

/// The list on My Profile, with its buttons (plain forms: they work
/// without JavaScript too).
#[component]
pub fn OpenSessions() -> impl IntoView {
    let i18n = use_i18n();
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let listed = Resource::new(
        move || (end.version().get(), end_others.version().get()),
        |_| my_sessions(),
    );
    view! {
        <section class="sessions" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{t!(i18n, profile_sessions_title)}</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    match listed.await {
                        Ok(sessions) => {
                            let others = sessions.iter().any(|s| !s.current);
                            view! {
                                <div class="table-scroll"><table class="data sessions" id="sessions">
                                    <thead><tr>
                                        <th scope="col">{t!(i18n, profile_session_browser)}</th>
                                        <th scope="col">{t!(i18n, profile_session_address)}</th>
                                        <th scope="col">{t!(i18n, profile_session_started)}</th>
                                        <th scope="col">{t!(i18n, profile_session_last_seen)}</th>
                                        <th scope="col"><span class="sr-only">{t!(i18n, profile_session_end)}</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {sessions.into_iter().map(|s| view! {
                                            <tr data-current=s.current.to_string()>
                                                <td>
                                                    {s.browser}
                                                    {s.current.then(|| view! { " " <strong class="this-session">{t!(i18n, profile_session_this)}</strong> })}
                                                </td>
                                                <td>{s.address}</td>
                                                <td>{format_unix(s.started)}</td>
                                                <td>{format_unix(s.last_seen)}</td>
                                                <td>
                                                    <ActionForm action=end attr:class="inline">
                                                        <input type="hidden" name="reference" value=s.reference/>
                                                        <button type="submit" class="end-session">{t!(i18n, profile_session_end)}</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                                {others.then(|| view! {
                                    <ActionForm action=end_others attr:class="inline" attr:id="end-other-sessions">
                                        <button type="submit">{t!(i18n, profile_sessions_end_others)}</button>
                                    </ActionForm>
                                })}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <crate::components::ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
