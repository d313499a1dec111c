//! `/dev/mailbox`, in demo mode only: the messages the portal sent, so
//! someone trying it can read a verification code without a real inbox.
//! In every other mode the page does not exist.
use crate::components::DocumentTitle;
use leptos::prelude::*;

use crate::account::page::{format_unix, Loading};
use crate::components::ErrorMessage;
use crate::i18n::*;
use gatehouse_types::error::AppError;

pub use gatehouse_types::mailbox::MailboxEntry;

#[server(endpoint = "dev_mailbox", client = crate::api::Client)]
pub async fn dev_mailbox() -> Result<Vec<MailboxEntry>, AppError> {
    use crate::ssr::state::respond;
    let state = crate::ssr::state()?;
    match &state.mailbox {
        Some(mailbox) => Ok(mailbox.entries()),
        None => Err(respond(AppError::NotFound)),
    }
}

#[component]
pub fn MailboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let entries = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(entries) => view! {
                        <section class="card" id="mailbox">
                            <h1>{t!(i18n, mailbox_title)}</h1>
                            <DocumentTitle text=move || t_string!(i18n, mailbox_title).to_string()/>
                            <p class="notice">{t!(i18n, mailbox_intro)}</p>
                            {entries.is_empty().then(|| view! { <p>{t!(i18n, mailbox_empty)}</p> })}
                            {entries
                                .into_iter()
                                .map(|e| view! {
                                    <article class="message" data-kind=e.kind.clone() data-to=e.to.clone()>
                                        <h2>{format!("{} · {} · {}", e.kind, e.to, format_unix(e.at))}</h2>
                                        {(!e.subject.is_empty()).then(|| view! { <p class="subject">{e.subject.clone()}</p> })}
                                        <pre>{e.text}</pre>
                                    </article>
                                })
                                .collect_view()}
                        </section>
                    }
                    .into_any(),
                    Err(AppError::NotFound) => view! { <crate::NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorMessage error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
