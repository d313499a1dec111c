//! `/account/security-info`: the registered methods, the default one,
//! adding and removing methods, 2-step verification and recovery codes.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    security_info, Method, PasskeyView, Pending, Question, SecurityAppConfirm, SecurityAppStart,
    SecurityContactConfirm, SecurityContactStart, SecurityDefault, SecurityOverview,
    SecurityPasskeyRemove, SecurityPasskeyRename, SecurityQuestions, SecurityReauth,
    SecurityRecoveryCodes, SecurityRemove, SecurityTwoStep,
};
use crate::account::page::{format_unix, Loading};
use crate::components::{field_aria, AccountNav, ErrorMessage, FieldProblem, PasswordInput};
use crate::i18n::*;
use gatehouse_types::error::{AppError, Field};

#[component]
pub fn SecurityInfoPage() -> impl IntoView {
    let i18n = use_i18n();
    // Bumped after every change, to read the info again.
    let version = RwSignal::new(0u32);
    let info = Resource::new(move || version.get(), |_| security_info());
    view! {
        <AccountNav/>
        <section class="card" id="security-info">
            <h1>{t!(i18n, si_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, si_title).to_string()/>
            <p>{t!(i18n, si_intro)}</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(Some(info)) => view! { <Overview info version/> }.into_any(),
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(AppError::PasswordChangeRequired) => view! { <Redirect path="/account/password"/> }.into_any(),
                        Err(error) => view! { <ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Reads the info again once `action` succeeded; returns its last error.
fn after<A, T>(action: ServerAction<A>, version: RwSignal<u32>) -> Signal<Option<AppError>>
where
    A: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            version.update(|v| *v += 1);
        }
    });
    Signal::derive(move || action.value().get().and_then(Result::err))
}

fn shown(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid(_)))
            .map(|error| view! { <ErrorMessage error/> })
    }
}

/// Whether the last answer found `field` wrong.
fn wrong(
    error: Signal<Option<AppError>>,
    field: Field,
) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    move || error.with(|e| e.as_ref().is_some_and(|e| e.field(field).is_some()))
}

fn problem(error: Signal<Option<AppError>>, field: Field, id: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.field(field).cloned())
            .map(|problem| view! { <FieldProblem problem id/> })
    }
}

fn method_name(method: Method) -> AnyView {
    let i18n = use_i18n();
    match method {
        Method::Email => t!(i18n, si_method_email).into_any(),
        Method::App => t!(i18n, si_method_app).into_any(),
        Method::AltEmail => t!(i18n, si_method_alt_email).into_any(),
        Method::Mobile => t!(i18n, si_method_mobile).into_any(),
        Method::Questions => t!(i18n, si_method_questions).into_any(),
        Method::RecoveryCode => t!(i18n, si_method_recovery_code).into_any(),
        Method::Passkey => t!(i18n, si_method_passkey).into_any(),
    }
}

#[component]
fn Overview(info: SecurityOverview, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let can_change = info.reauth_seconds_left > 0;
    let minutes = (info.reauth_seconds_left + 59) / 60;
    view! {
        {(info.two_step_required && info.methods.is_empty()).then(|| view! {
            <p class="notice" role="status" id="two-step-required">{t!(i18n, si_required_add)}</p>
        })}
        <Methods info=info.clone() version can_change/>
        // Keys already added stay listed (to rename or remove) even where
        // the portal's address no longer allows adding one.
        {(info.passkeys_available || !info.passkeys.is_empty()).then(|| view! {
            <Passkeys passkeys=info.passkeys.clone() available=info.passkeys_available version can_change/>
        })}
        <TwoStep info=info.clone() version can_change/>
        {if can_change {
            view! {
                <p class="hint" id="reauth-window">{t!(i18n, si_reauth_window, minutes)}</p>
                <AddMethods info=info.clone() version/>
                <RecoveryCodes left=info.recovery_codes_left/>
            }.into_any()
        } else {
            view! { <Reauthenticate version/> }.into_any()
        }}
    }
}

#[component]
fn Reauthenticate(version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SecurityReauth>::new();
    let error = after(action, version);
    view! {
        <h2>{t!(i18n, si_reauth_title)}</h2>
        <p>{t!(i18n, si_reauth_intro)}</p>
        {shown(error)}
        <ActionForm action attr:class="form" attr:id="reauth-form">
            <PasswordInput
                name="password"
                label=move || t!(i18n, password)
                autocomplete="current-password"
                invalid=Signal::derive(wrong(error, Field::CurrentPassword))
            />
            {problem(error, Field::CurrentPassword, "password-error")}
            <button type="submit" class="primary" disabled=move || action.pending().get()>{t!(i18n, si_reauth_button)}</button>
        </ActionForm>
    }
}

#[component]
fn Methods(info: SecurityOverview, version: RwSignal<u32>, can_change: bool) -> impl IntoView {
    let i18n = use_i18n();
    let remove = ServerAction::<SecurityRemove>::new();
    let make_default = ServerAction::<SecurityDefault>::new();
    let remove_error = after(remove, version);
    let default_error = after(make_default, version);
    let none = info.methods.is_empty();
    let rows = info
        .methods
        .into_iter()
        .map(|m| {
            let value = m.method.as_str();
            let is_default = Some(m.method) == info.default;
            view! {
                <tr data-method=value>
                    <td>{method_name(m.method)}</td>
                    <td class="detail">{m.detail}</td>
                    <td>{format_unix(m.added_at)}</td>
                    <td>
                        {if is_default {
                            view! { <span class="badge" data-default="true">{t!(i18n, si_default)}</span> }.into_any()
                        } else if can_change {
                            view! {
                                <ActionForm action=make_default attr:class="inline">
                                    <input type="hidden" name="method" value=value/>
                                    <button type="submit" class="link" data-action="default">{t!(i18n, si_make_default)}</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            ().into_any()
                        }}
                    </td>
                    <td>
                        // Passkeys are removed one by one, in their own list.
                        {(can_change && m.method != Method::Passkey).then(|| view! {
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="method" value=value/>
                                <button type="submit" class="link" data-action="remove">{t!(i18n, si_remove)}</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>{t!(i18n, si_methods_title)}</h2>
        {shown(remove_error)}
        {shown(default_error)}
        <table class="methods" id="methods">
            <thead>
                <tr>
                    <th>{t!(i18n, si_col_method)}</th>
                    <th>{t!(i18n, si_col_detail)}</th>
                    <th>{t!(i18n, si_col_added)}</th>
                    <th>{t!(i18n, si_col_default)}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {none.then(|| view! { <p class="hint" id="no-methods">{t!(i18n, si_no_methods)}</p> })}
    }
}

/// The passkeys and security keys: each listed with its name, when it was
/// added and last used, to rename or remove; and adding one, which needs
/// the browser's WebAuthn (hidden without JavaScript).
#[component]
fn Passkeys(
    passkeys: Vec<PasskeyView>,
    available: bool,
    version: RwSignal<u32>,
    can_change: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let rename = ServerAction::<SecurityPasskeyRename>::new();
    let remove = ServerAction::<SecurityPasskeyRemove>::new();
    let rename_error = after(rename, version);
    let remove_error = after(remove, version);
    let none = passkeys.is_empty();
    let rows = passkeys
        .into_iter()
        .map(|key| {
            let field = format!("passkey-name-{}", key.id);
            let (rename_id, remove_id, name) = (key.id.clone(), key.id.clone(), key.name.clone());
            view! {
                <tr data-passkey=key.name.clone() data-disabled=key.disabled.to_string()>
                    <td class="detail">{key.name.clone()}</td>
                    <td>{format_unix(key.added_at)}</td>
                    <td>{match key.last_used_at {
                        Some(at) => format_unix(at).into_any(),
                        None => t!(i18n, pk_never).into_any(),
                    }}</td>
                    <td>{key.disabled.then(|| view! { <span class="badge warning">{t!(i18n, pk_disabled)}</span> })}</td>
                    <td>
                        {can_change.then(|| view! {
                            <ActionForm action=rename attr:class="inline">
                                <input type="hidden" name="id" value=rename_id.clone()/>
                                <label class="sr-only" for=field.clone()>{t!(i18n, pk_rename)}</label>
                                <input id=field name="name" type="text" maxlength="60" value=name.clone() autocomplete="off"/>
                                <button type="submit" class="link" data-action="rename">{t!(i18n, pk_save_name)}</button>
                            </ActionForm>
                        })}
                    </td>
                    <td>
                        {can_change.then(|| view! {
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="id" value=remove_id.clone()/>
                                <button type="submit" class="link" data-action="remove-passkey">{t!(i18n, si_remove)}</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="method-form" id="passkeys">
            <h2>{t!(i18n, pk_title)}</h2>
            <p class="hint">{t!(i18n, pk_intro)}</p>
            <p class="hint" id="passkey-reset-note">{t!(i18n, pk_reset_note)}</p>
            {shown(rename_error)}
            {problem(rename_error, Field::Name, "passkey-rename-error")}
            {shown(remove_error)}
            {if none {
                view! { <p class="hint" id="no-passkeys">{t!(i18n, pk_none)}</p> }.into_any()
            } else {
                view! {
                    <table class="methods" id="passkey-list">
                        <thead>
                            <tr>
                                <th>{t!(i18n, pk_name)}</th>
                                <th>{t!(i18n, si_col_added)}</th>
                                <th>{t!(i18n, pk_last_used)}</th>
                                <th></th>
                                <th></th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {(can_change && available).then(|| view! { <AddPasskey version/> })}
        </section>
    }
}

/// Names a new passkey and runs the browser's ceremony to make it.
#[component]
fn AddPasskey(version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    // Shown once the page runs in a browser that can make passkeys.
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(crate::components::webauthn::supported()));
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let no_answer = RwSignal::new(false);
    let add = move |_| {
        busy.set(true);
        error.set(None);
        no_answer.set(false);
        let name = name.get_untracked();
        leptos::task::spawn_local(async move {
            use crate::components::webauthn;
            let adding = async {
                let ceremony = super::security_passkey_start(name.clone())
                    .await
                    .map_err(Some)?;
                let credential = webauthn::create(&ceremony.options)
                    .await
                    .map_err(|_| None)?;
                super::security_passkey_finish(ceremony.handle, credential, name)
                    .await
                    .map_err(Some)
            };
            let outcome = adding.await;
            busy.set(false);
            match outcome {
                Ok(()) => version.update(|v| *v += 1),
                Err(Some(e)) => error.set(Some(e)),
                Err(None) => no_answer.set(true),
            }
        });
    };
    let error = Signal::derive(move || error.get());
    let name_aria = field_aria(
        Some("passkey-name-hint"),
        "passkey-name-error",
        wrong(error, Field::Name),
    );
    view! {
        <div class="form" id="add-passkey" hidden=move || !scripted.get()>
            {shown(error)}
            {move || no_answer.get().then(|| view! {
                <p class="error" role="alert" id="passkey-no-answer">{t!(i18n, pk_browser_failed)}</p>
            })}
            <div class="field">
                <label for="passkey-name">{t!(i18n, pk_name)}</label>
                <input
                    id="passkey-name"
                    type="text"
                    maxlength="60"
                    autocomplete="off"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                    aria-invalid=name_aria.0
                    aria-describedby=name_aria.1
                />
                <p class="hint" id="passkey-name-hint">{t!(i18n, pk_name_hint)}</p>
                {problem(error, Field::Name, "passkey-name-error")}
            </div>
            <button type="button" class="primary" id="passkey-add" disabled=move || busy.get() on:click=add>
                {t!(i18n, pk_add)}
            </button>
        </div>
    }
}

#[component]
fn TwoStep(info: SecurityOverview, version: RwSignal<u32>, can_change: bool) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SecurityTwoStep>::new();
    let error = after(action, version);
    let on = info.two_step;
    view! {
        <h2>{t!(i18n, si_two_step_title)}</h2>
        <p id="two-step-status" data-on=on.to_string()>
            {if on { t!(i18n, si_two_step_on).into_any() } else { t!(i18n, si_two_step_off).into_any() }}
        </p>
        {info.two_step_required.then(|| view! { <p class="hint">{t!(i18n, si_two_step_required)}</p> })}
        {shown(error)}
        {(can_change && !info.two_step_required).then(|| view! {
            <ActionForm action attr:class="inline" attr:id="two-step-form">
                <input type="hidden" name="on" value=(!on).to_string()/>
                <button type="submit" id="two-step-toggle">
                    {if on { t!(i18n, si_two_step_turn_off).into_any() } else { t!(i18n, si_two_step_turn_on).into_any() }}
                </button>
            </ActionForm>
        })}
    }
}

#[component]
fn AddMethods(info: SecurityOverview, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let (pending_app, pending_contact) = match info.pending {
        Some(Pending::App(app)) => (Some(app), None),
        Some(Pending::Contact {
            method, address, ..
        }) => (None, Some((method, address))),
        None => (None, None),
    };
    let has = |m: Method| info.methods.iter().any(|v| v.method == m);
    view! {
        <h2>{t!(i18n, si_add_title)}</h2>
        <AddApp pending=pending_app replace=has(Method::App) version/>
        <AddContact method=Method::AltEmail pending=pending_contact.clone().filter(|(m, _)| *m == Method::AltEmail).map(|(_, a)| a) version/>
        <AddContact method=Method::Mobile pending=pending_contact.filter(|(m, _)| *m == Method::Mobile).map(|(_, a)| a) version/>
        {(!info.questions.is_empty()).then(|| view! {
            <AddQuestions questions=info.questions.clone() required=info.questions_required version/>
        })}
    }
}

#[component]
fn AddApp(
    pending: Option<super::AppEnrolment>,
    replace: bool,
    version: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let start = ServerAction::<SecurityAppStart>::new();
    let confirm = ServerAction::<SecurityAppConfirm>::new();
    let start_error = Signal::derive(move || start.value().get().and_then(Result::err));
    let confirm_error = after(confirm, version);
    let code_aria = field_aria(None, "app-code-error", wrong(confirm_error, Field::Code));
    let enrolment = Signal::derive(move || {
        start
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| pending.clone())
    });
    view! {
        <section class="method-form" id="add-app">
            <h3>{t!(i18n, si_method_app)}</h3>
            <p class="hint">{t!(i18n, si_app_intro)}</p>
            {shown(start_error)}
            <ActionForm action=start attr:class="inline">
                <button type="submit" id="app-start">
                    {if replace { t!(i18n, si_app_replace).into_any() } else { t!(i18n, si_app_start).into_any() }}
                </button>
            </ActionForm>
            {move || enrolment.get().map(|app| view! {
                <ol class="steps">
                    <li>{t!(i18n, si_app_scan)}</li>
                </ol>
                <div class="qr" id="app-qr" inner_html=app.qr_svg></div>
                <p>{t!(i18n, si_app_manual)} " " <code id="app-secret">{app.secret.clone()}</code></p>
                <AppLinks url=app.url secret=app.secret/>
                {shown(confirm_error)}
                <ActionForm action=confirm attr:class="form" attr:id="app-confirm">
                    <div class="field">
                        <label for="app-code">{t!(i18n, si_app_code)}</label>
                        <input
                            id="app-code"
                            name="code"
                            type="text"
                            inputmode="numeric"
                            autocomplete="one-time-code"
                            aria-invalid=code_aria.0
                            aria-describedby=code_aria.1
                        />
                        {problem(confirm_error, Field::Code, "app-code-error")}
                    </div>
                    <button type="submit" class="primary">{t!(i18n, fp_verify)}</button>
                </ActionForm>
            })}
        </section>
    }
}

/// For an app on this same phone: open the `otpauth://` link, or copy the
/// key (the copy button needs JavaScript and shows only with it).
#[component]
fn AppLinks(url: String, secret: String) -> impl IntoView {
    let i18n = use_i18n();
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            let promise = window().navigator().clipboard().write_text(&secret);
            leptos::task::spawn_local(async move {
                let done = wasm_bindgen_futures::JsFuture::from(promise).await;
                copied.set(Some(done.is_ok()));
            });
        }
        #[cfg(not(any(feature = "hydrate", feature = "csr")))]
        let _ = &secret;
    };
    view! {
        <p class="app-links">
            <a class="button" id="app-open" href=url>{t!(i18n, si_app_open)}</a>
            <button type="button" id="app-copy" hidden=move || !scripted.get() on:click=copy>
                {t!(i18n, si_app_copy)}
            </button>
            <span id="app-copied" role="status">
                {move || copied.get().map(|ok| if ok {
                    t!(i18n, si_app_copied).into_any()
                } else {
                    t!(i18n, si_app_copy_failed).into_any()
                })}
            </span>
        </p>
    }
}

#[component]
fn AddContact(method: Method, pending: Option<String>, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let start = ServerAction::<SecurityContactStart>::new();
    let confirm = ServerAction::<SecurityContactConfirm>::new();
    let start_error = after(start, version);
    let confirm_error = after(confirm, version);
    let id = method.as_str();
    let (field, kind) = match method {
        Method::Mobile => (Field::Mobile, "tel"),
        _ => (Field::Email, "email"),
    };
    let label = match method {
        Method::Mobile => t!(i18n, si_mobile_label).into_any(),
        _ => t!(i18n, si_alt_email_label).into_any(),
    };
    let address_aria = field_aria(None, "address-error", wrong(start_error, field));
    view! {
        <section class="method-form" id=format!("add-{id}")>
            <h3>{method_name(method)}</h3>
            {shown(start_error)}
            <ActionForm action=start attr:class="form">
                <input type="hidden" name="method" value=id/>
                <div class="field">
                    <label for=format!("{id}-address")>{label}</label>
                    <input
                        id=format!("{id}-address")
                        name="address"
                        type=kind
                        autocomplete="off"
                        aria-invalid=address_aria.0
                        aria-describedby=address_aria.1
                    />
                    {problem(start_error, field, "address-error")}
                </div>
                <button type="submit" data-action="send">{t!(i18n, fp_send)}</button>
            </ActionForm>
            {pending.map(|address| view! {
                <p class="notice" role="status">{t!(i18n, si_code_sent, address)}</p>
                {shown(confirm_error)}
                <ActionForm action=confirm attr:class="form">
                    <div class="field">
                        <label for=format!("{id}-code")>{t!(i18n, fp_code)}</label>
                        <input id=format!("{id}-code") name="code" type="text" autocomplete="one-time-code" autocapitalize="characters"/>
                    </div>
                    <button type="submit" class="primary" data-action="verify">{t!(i18n, fp_verify)}</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn AddQuestions(
    questions: Vec<Question>,
    required: usize,
    version: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SecurityQuestions>::new();
    let error = after(action, version);
    let zh = move || i18n.get_locale() == Locale::zh_Hant;
    let pickers = (0..required)
        .map(|i| {
            let options = questions
                .iter()
                .enumerate()
                .map(|(n, q)| {
                    let q = q.clone();
                    view! {
                        <option value=q.id.clone() selected=n == i>
                            {move || if zh() { q.zh_hant.clone() } else { q.en.clone() }}
                        </option>
                    }
                })
                .collect_view();
            view! {
                <div class="field">
                    <label for=format!("question-{i}")>{t!(i18n, si_question_n, n = i + 1)}</label>
                    <select id=format!("question-{i}") name=format!("question[{i}]")>{options}</select>
                    <label for=format!("answer-{i}")>{t!(i18n, si_answer)}</label>
                    <input id=format!("answer-{i}") name=format!("answer[{i}]") type="text" autocomplete="off"/>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="method-form" id="add-questions">
            <h3>{t!(i18n, si_method_questions)}</h3>
            <p class="hint">{t!(i18n, si_questions_note)}</p>
            {shown(error)}
            {problem(error, Field::Question, "question-error")}
            {problem(error, Field::Answer, "answer-error")}
            <ActionForm action attr:class="form">
                {pickers}
                <button type="submit" id="questions-save">{t!(i18n, si_questions_save)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RecoveryCodes(left: Option<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SecurityRecoveryCodes>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let codes = Signal::derive(move || action.value().get().and_then(Result::ok));
    view! {
        <section class="method-form" id="recovery-codes">
            <h2>{t!(i18n, si_method_recovery_code)}</h2>
            <p class="hint">{t!(i18n, si_codes_intro)}</p>
            {move || match codes.get() {
                Some(_) => ().into_any(),
                None => match left {
                    Some(n) => view! { <p id="codes-left">{t!(i18n, si_codes_left, n)}</p> }.into_any(),
                    None => ().into_any(),
                },
            }}
            {shown(error)}
            {move || codes.get().map(|codes| view! {
                <p class="notice" role="status">{t!(i18n, si_codes_once)}</p>
                <ul class="codes" id="codes-list">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            })}
            <ActionForm action attr:class="inline">
                <button type="submit" id="codes-new">{t!(i18n, si_codes_new)}</button>
            </ActionForm>
        </section>
    }
}

/// One text field per security question, named `answer[i]` for the server
/// function, labelled in the page's language.
#[component]
pub fn AnswerFields(questions: Vec<Question>) -> impl IntoView {
    let i18n = use_i18n();
    questions
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let id = format!("answer-{i}");
            let text = move || {
                if i18n.get_locale() == Locale::zh_Hant {
                    q.zh_hant.clone()
                } else {
                    q.en.clone()
                }
            };
            view! {
                <div class="field">
                    <label for=id.clone()>{text}</label>
                    <input id=id name=format!("answer[{i}]") type="text" autocomplete="off"/>
                </div>
            }
        })
        .collect_view()
}
