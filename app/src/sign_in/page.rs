//! `/login`: login name, password, one generic failure message, and the
//! help that answers "why does my password not work?".
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{ErrorMessage, PasswordInput};
use crate::i18n::*;
use crate::sign_in::{
    cas_service, passkey_sign_in, passkey_sign_in_start, passkeys_offered, SignIn,
};
use gatehouse_types::AppError;

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
    let passkey_service = service.clone();
    // Read while the page is rendered on the server, so it costs the
    // browser no request.
    let offered = Resource::new(|| (), |_| passkeys_offered());
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
                    <input id="login" name="login" type="text" autocomplete="username webauthn" autocapitalize="off" required value=login_hint/>
                </div>
                <PasswordInput name="password" label=move || t!(i18n, password) autocomplete="current-password"/>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {t!(i18n, login_button)}
                </button>
            </ActionForm>
            <Suspense>
                {move || {
                    let service = passkey_service.clone();
                    Suspend::new(async move {
                        offered.await.unwrap_or(false).then(|| view! { <PasskeySignIn service/> })
                    })
                }}
            </Suspense>
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

/// "Sign in with a passkey", and the same offered in the login name's
/// autofill where the browser can (`mediation: "conditional"`). Shown only
/// where the browser can run WebAuthn, so never without JavaScript.
#[component]
fn PasskeySignIn(service: String) -> impl IntoView {
    let i18n = use_i18n();
    let scripted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let no_answer = RwSignal::new(false);
    // The button was used: the autofill request is not (or no longer) made.
    let asked = RwSignal::new(false);
    let service = StoredValue::new(service);
    let finish = move |handle: String, credential: String| async move {
        let service = Some(service.get_value()).filter(|s| !s.is_empty());
        match passkey_sign_in(handle, credential, service).await {
            Ok(target) => {
                // A whole new page: the session is new, and the e-service
                // it may go to is another site.
                let _ = window().location().set_href(&target);
            }
            Err(e) => {
                busy.set(false);
                error.set(Some(e));
            }
        }
    };
    Effect::new(move |_| {
        use crate::components::webauthn;
        if !webauthn::supported() {
            return;
        }
        scripted.set(true);
        // The autofill request waits in the background until the user picks
        // a passkey there, the button asks instead, or the page is left.
        leptos::task::spawn_local(async move {
            if !webauthn::conditional_available().await {
                return;
            }
            let Ok(ceremony) = passkey_sign_in_start().await else {
                return;
            };
            if asked.get_untracked() {
                return;
            }
            // Aborted or dismissed: the button and the password remain.
            if let Ok(credential) = webauthn::get(&ceremony.options, true).await {
                busy.set(true);
                finish(ceremony.handle, credential).await;
            }
        });
    });
    on_cleanup(crate::components::webauthn::abort_waiting);
    let ask = move |_| {
        use crate::components::webauthn;
        asked.set(true);
        busy.set(true);
        error.set(None);
        no_answer.set(false);
        leptos::task::spawn_local(async move {
            let ceremony = match passkey_sign_in_start().await {
                Ok(ceremony) => ceremony,
                Err(e) => {
                    busy.set(false);
                    error.set(Some(e));
                    return;
                }
            };
            match webauthn::get(&ceremony.options, false).await {
                Ok(credential) => finish(ceremony.handle, credential).await,
                Err(_) => {
                    busy.set(false);
                    no_answer.set(true);
                }
            }
        });
    };
    view! {
        <div class="passkey-sign-in" id="passkey-sign-in" hidden=move || !scripted.get()>
            <p class="or">{t!(i18n, login_or)}</p>
            {move || error.get().map(|error| view! { <ErrorMessage error/> })}
            {move || no_answer.get().then(|| view! {
                <p class="error" role="alert" id="passkey-no-answer">{t!(i18n, pk_browser_failed)}</p>
            })}
            <button type="button" id="passkey-sign-in-button" disabled=move || busy.get() on:click=ask>
                {t!(i18n, login_passkey)}
            </button>
        </div>
    }
}
