//! `/login`: login name, password, one generic failure message, and the
//! help that answers "why does my password not work?".
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{ErrorMessage, PasswordInput};
use crate::i18n::*;
use crate::sign_in::{cas_service, SignIn};

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(Result::err);
    // Coming from an e-service (CAS or OpenID Connect): say which, and go
    // back to it afterwards.
    let (service, login_hint) = use_query_map().with_untracked(|q| {
        (
            q.get("service").unwrap_or_default(),
            // An e-service (OpenID Connect) may say who is signing in.
            q.get("login_hint").unwrap_or_default(),
        )
    });
    let service_name = {
        let service = service.clone();
        Resource::new(
            move || service.clone(),
            |s| async move {
                if s.is_empty() {
                    Ok(None)
                } else {
                    cas_service(s).await
                }
            },
        )
    };
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, login_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, login_title).to_string()/>
            <Suspense>
                {move || Suspend::new(async move {
                    service_name.await.ok().flatten().map(|name| view! {
                        <p class="notice" id="cas-service">{t!(i18n, login_for_service, name)}</p>
                    })
                })}
            </Suspense>
            {move || error().map(|error| view! { <ErrorMessage error/> })}
            <ActionForm action attr:class="form" attr:id="sign-in-form">
                {(!service.is_empty()).then(|| view! { <input type="hidden" name="service" value=service.clone()/> })}
                <div class="field">
                    <label for="login">{t!(i18n, login_name)}</label>
                    <input id="login" name="login" type="text" autocomplete="username" autocapitalize="off" required value=login_hint/>
                </div>
                <PasswordInput name="password" label=move || t!(i18n, password) autocomplete="current-password"/>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {t!(i18n, login_button)}
                </button>
            </ActionForm>
            <p class="links">
                <a href="/forgot-password" id="forgot-password">{t!(i18n, login_forgot)}</a>
                <a href="/forgot-password" id="first-time">{t!(i18n, login_first_time)}</a>
                <a href="/forgot-login-name" id="forgot-login-name">{t!(i18n, ln_link)}</a>
            </p>
            <section class="help" aria-labelledby="login-help">
                <h2 id="login-help">{t!(i18n, help_title)}</h2>
                <p>{t!(i18n, help_case_sensitive)}</p>
                <p>{t!(i18n, help_single_password)}</p>
                <p><a href="/help" id="login-help-link">{t!(i18n, login_help_link)}</a></p>
            </section>
        </section>
    }
}
