//! `/login/verify`: the second step of a sign-in. The default method is
//! asked first; "Use another method" lists the others.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    second_step, second_step_passkey, second_step_passkey_start, SecondStepChoose,
    SecondStepVerify, SecondStepView,
};
use crate::account::page::Loading;
use crate::components::ErrorMessage;
use crate::i18n::*;
use crate::security_info::{AnswerFields, Method};
use gatehouse_types::AppError;

#[component]
pub fn SecondStepPage() -> impl IntoView {
    let i18n = use_i18n();
    let step = Resource::new(|| (), |_| second_step());
    view! {
        <section class="card narrow" id="second-step">
            <h1>{t!(i18n, ss_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, ss_title).to_string()/>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match step.await {
                        Ok(Some(step)) => view! { <Verify step/> }.into_any(),
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Verify(step: SecondStepView) -> impl IntoView {
    let i18n = use_i18n();
    // A passkey needs JavaScript: the other methods are listed at once.
    let others = RwSignal::new(step.method == Method::Passkey);
    let step = RwSignal::new(step);
    let choose = ServerAction::<SecondStepChoose>::new();
    let verify = ServerAction::<SecondStepVerify>::new();
    Effect::new(move |_| {
        if let Some(Ok(next)) = choose.value().get() {
            step.set(next);
            others.set(false);
            verify.value().set(None);
        }
    });
    let error = move || {
        verify
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| choose.value().get().and_then(Result::err))
    };
    view! {
        {move || {
            let SecondStepView { method, options, questions, code_sent, seconds_left } = step.get();
            let masked = options
                .iter()
                .find(|o| o.channel == method)
                .map(|o| o.masked.clone())
                .unwrap_or_default();
            let prompt = match method {
                Method::App => t!(i18n, ss_prompt_app).into_any(),
                Method::RecoveryCode => t!(i18n, ss_prompt_recovery_code).into_any(),
                Method::Questions => t!(i18n, ss_prompt_questions).into_any(),
                Method::Passkey => t!(i18n, ss_prompt_passkey).into_any(),
                Method::Mobile => t!(i18n, ss_prompt_mobile, masked = masked.clone()).into_any(),
                _ => t!(i18n, ss_prompt_email, masked = masked.clone()).into_any(),
            };
            let minutes = (seconds_left + 59) / 60;
            view! {
                <p id="second-step-prompt" data-method=method.as_str()>{prompt}</p>
                {(method.is_sent() && code_sent).then(|| view! {
                    <p class="hint" id="code-valid">{t!(i18n, ss_code_valid, minutes)}</p>
                })}
                {move || error().map(|error| view! { <ErrorMessage error/> })}
                {if method == Method::Passkey {
                    view! { <PasskeyStep/> }.into_any()
                } else { view! {
                <ActionForm action=verify attr:class="form" attr:id="second-step-form">
                    <input type="hidden" name="method" value=method.as_str()/>
                    {if method == Method::Questions {
                        view! { <AnswerFields questions/> }.into_any()
                    } else {
                        view! {
                            <div class="field">
                                <label for="code">{t!(i18n, fp_code)}</label>
                                <input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false"/>
                            </div>
                        }.into_any()
                    }}
                    <button type="submit" class="primary" disabled=move || verify.pending().get()>{t!(i18n, fp_verify)}</button>
                </ActionForm>
                }.into_any() }}
                {method.is_sent().then(|| view! {
                    <ActionForm action=choose attr:class="inline">
                        <input type="hidden" name="method" value=method.as_str()/>
                        <button type="submit" class="link" id="send-again">{t!(i18n, ss_send_again)}</button>
                    </ActionForm>
                })}
                // Only where there is another method to use.
                {options.iter().any(|o| o.channel != method).then(|| view! {
                    <p>
                        <button
                            type="button"
                            class="link"
                            id="use-another"
                            aria-expanded=move || others.get().to_string()
                            aria-controls="other-methods"
                            on:click=move |_| others.update(|o| *o = !*o)
                        >
                            {t!(i18n, ss_use_another)}
                        </button>
                    </p>
                })}
                {move || others.get().then(|| {
                    let list = options.clone().into_iter().filter(|o| o.channel != method).map(|o| {
                        let label = match o.channel {
                            Method::App => t!(i18n, ss_option_app).into_any(),
                            Method::RecoveryCode => t!(i18n, ss_option_recovery_code).into_any(),
                            Method::Questions => t!(i18n, ss_option_questions).into_any(),
                            Method::Passkey => t!(i18n, ss_option_passkey).into_any(),
                            Method::Mobile => t!(i18n, ss_option_mobile, masked = o.masked.clone()).into_any(),
                            _ => t!(i18n, ss_option_email, masked = o.masked.clone()).into_any(),
                        };
                        view! {
                            <li>
                                <ActionForm action=choose attr:class="inline">
                                    <input type="hidden" name="method" value=o.channel.as_str()/>
                                    <button type="submit" class="link" data-method=o.channel.as_str()>{label}</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view();
                    view! { <ul class="other-methods" id="other-methods">{list}</ul> }
                })}
            }
        }}
        <p><a href="/login" rel="external">{t!(i18n, ss_cancel)}</a></p>
    }
}

/// "Use my passkey": the browser's ceremony for the second step, then on
/// to wherever the sign-in goes. Hidden without JavaScript.
#[component]
fn PasskeyStep() -> impl IntoView {
    let i18n = use_i18n();
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(crate::components::webauthn::supported()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let no_answer = RwSignal::new(false);
    let ask = move |_| {
        busy.set(true);
        error.set(None);
        no_answer.set(false);
        leptos::task::spawn_local(async move {
            use crate::components::webauthn;
            let verifying = async {
                let ceremony = second_step_passkey_start().await.map_err(Some)?;
                let credential = webauthn::get(&ceremony.options, false)
                    .await
                    .map_err(|_| None)?;
                second_step_passkey(ceremony.handle, credential)
                    .await
                    .map_err(Some)
            };
            match verifying.await {
                Ok(target) => {
                    let _ = window().location().set_href(&target);
                }
                Err(outcome) => {
                    busy.set(false);
                    match outcome {
                        Some(e) => error.set(Some(e)),
                        None => no_answer.set(true),
                    }
                }
            }
        });
    };
    view! {
        <div id="passkey-step" hidden=move || !scripted.get()>
            {move || error.get().map(|error| view! { <ErrorMessage error/> })}
            {move || no_answer.get().then(|| view! {
                <p class="error" role="alert" id="passkey-no-answer">{t!(i18n, pk_browser_failed)}</p>
            })}
            <button type="button" class="primary" id="passkey-step-button" disabled=move || busy.get() on:click=ask>
                {t!(i18n, ss_passkey_button)}
            </button>
        </div>
    }
}
