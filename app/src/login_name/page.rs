//! `/forgot-login-name`: the registered email and the CAPTCHA. Whether or
//! not the address is registered, the page then says the same.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::SendLoginNames;
use crate::account::page::Loading;
use crate::components::{
    field_aria, renew_after_refusal, CaptchaField, ErrorMessage, FieldProblem,
};
use crate::i18n::*;
use crate::recovery::recovery_captcha;
use gatehouse_types::error::{AppError, Field};

#[component]
pub fn LoginNamePage() -> impl IntoView {
    let i18n = use_i18n();
    // A form posted without JavaScript comes back here once taken.
    let sent = use_query_map().with_untracked(|q| q.get("sent").is_some());
    let challenge = Resource::new(|| (), |_| recovery_captcha());
    view! {
        <section class="card narrow" id="login-name">
            <h1>{t!(i18n, ln_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, ln_title).to_string()/>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match challenge.await {
                        Ok(captcha) => view! { <LoginNameForm captcha sent/> }.into_any(),
                        Err(error) => view! { <ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LoginNameForm(captcha: String, sent: bool) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SendLoginNames>::new();
    let captcha = RwSignal::new(captcha);
    let error = move || action.value().get().and_then(Result::err);
    let problem = move |field: Field| error().and_then(|e| e.field(field).cloned());
    let done = move || sent || matches!(action.value().get(), Some(Ok(())));
    renew_after_refusal(captcha, move || {
        matches!(action.value().get(), Some(Err(_)))
    });
    let email_problem = move || problem(Field::Email);
    let (email_invalid, email_described) =
        field_aria(Some("email-hint"), "email-error", move || {
            email_problem().is_some()
        });
    move || {
        if done() {
            return view! {
                <div class="success" role="status" id="login-name-sent">
                    <p>{t!(i18n, ln_sent)}</p>
                </div>
                <p>{t!(i18n, ln_sent_more)}</p>
                <p class="links">
                    <a class="button primary" href="/login" rel="external">{t!(i18n, fp_login)}</a>
                    <a href="/forgot-password" rel="external">{t!(i18n, login_forgot)}</a>
                </p>
            }
            .into_any();
        }
        view! {
            <p>{t!(i18n, ln_intro)}</p>
            {move || error()
                .filter(|e| !matches!(e, AppError::Invalid(_)))
                .map(|error| view! { <ErrorMessage error/> })}
            <ActionForm action attr:class="form" attr:id="login-name-form">
                <div class="field">
                    <label for="email">{t!(i18n, fp_email)}</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="email"
                        inputmode="email"
                        aria-invalid=email_invalid
                        aria-describedby=email_described
                    />
                    <p class="hint" id="email-hint">{t!(i18n, ln_email_hint)}</p>
                    {move || email_problem().map(|problem| view! { <FieldProblem problem id="email-error"/> })}
                </div>
                <CaptchaField captcha page="/forgot-login-name" problem=Signal::derive(move || problem(Field::Captcha))/>
                <button type="submit" class="primary" disabled=move || action.pending().get()>{t!(i18n, ln_send)}</button>
            </ActionForm>
            <p class="hint">{t!(i18n, ln_not_registered, contact = move || t_string!(i18n, contact_name))}</p>
        }
        .into_any()
    }
}
