//! "Where you are signed in" on My Profile: the user's own open sessions,
//! each with "Sign out this session", and "Sign out everywhere else".
use leptos::prelude::*;

use super::page::format_unix;
use crate::i18n::*;
use gatehouse_types::error::AppError;

pub use gatehouse_types::account::SessionView;

#[server(endpoint = "my_sessions", client = crate::api::Client)]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::ssr::{browser, state};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let result = gatehouse_core::my_sessions::list(&state, &browser).await;
    browser::answer(&state, &browser, result)
}

/// Ends one of the user's sessions; ending this one signs out here.
#[server(endpoint = "end_session", client = crate::api::Client)]
pub async fn end_session(reference: String) -> Result<(), AppError> {
    use crate::ssr::{browser, state};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let result = gatehouse_core::my_sessions::end(&state, &browser, &reference).await;
    if let Ok(true) = result {
        leptos_axum::redirect("/login");
    }
    browser::answer(&state, &browser, result.map(|_| ()))
}

#[server(endpoint = "end_other_sessions", client = crate::api::Client)]
pub async fn end_other_sessions() -> Result<(), AppError> {
    use crate::ssr::{browser, state};
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let result = gatehouse_core::my_sessions::end_others(&state, &browser).await;
    browser::answer(&state, &browser, result)
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
                                        <th scope="col">{t!(i18n, profile_session_services)}</th>
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
                                                <td class="services">{if s.services.is_empty() { "—".to_owned() } else { s.services.join(", ") }}</td>
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
