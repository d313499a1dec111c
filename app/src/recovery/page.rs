//! `/forgot-password`: the four steps on one page. Each action answers with
//! the next step; without JavaScript each form posts and the page comes
//! back at the flow's new step.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::countdown::{announced, mm_ss, seconds_left, Announce};
use super::{
    Channel, ChannelOption, CodeStep, RecoveryReset, RecoverySend, RecoveryStart, RecoveryVerify,
    Step,
};
use crate::account::page::Loading;
use crate::components::{
    field_aria, renew_after_refusal, CaptchaField, ErrorMessage, FieldProblem, NewPasswordFields,
    SecurityReminders,
};
use crate::i18n::*;
use crate::security_info::{AnswerFields, Question};
use gatehouse_types::error::{AppError, Field};

#[component]
pub fn RecoveryPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let resume = move || query.with(|q| q.get("resume").is_some());
    let loaded = Resource::new(resume, super::recovery_step);
    view! {
        <section class="card" id="recovery">
            <h1>{t!(i18n, fp_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, fp_title).to_string()/>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(step) => view! { <Wizard step/> }.into_any(),
                        Err(error) => view! { <ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The actions of the wizard and the error the last one gave.
#[derive(Clone, Copy)]
struct Actions {
    start: ServerAction<RecoveryStart>,
    send: ServerAction<RecoverySend>,
    verify: ServerAction<RecoveryVerify>,
    reset: ServerAction<RecoveryReset>,
    error: RwSignal<Option<AppError>>,
}

impl Actions {
    fn pending(self) -> Signal<bool> {
        Signal::derive(move || {
            self.start.pending().get()
                || self.send.pending().get()
                || self.verify.pending().get()
                || self.reset.pending().get()
        })
    }
}

/// Moves the wizard on when `value` holds a step; keeps an error for the
/// page to show.
fn follow(
    value: MappedSignal<Option<Result<Step, AppError>>>,
    step: RwSignal<Step>,
    error: RwSignal<Option<AppError>>,
) {
    Effect::new(move |_| match value.get() {
        Some(Ok(next)) => {
            error.set(None);
            step.set(next);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
}

#[component]
fn Wizard(step: Step) -> impl IntoView {
    let step = RwSignal::new(step);
    let start = ServerAction::<RecoveryStart>::new();
    let send = ServerAction::<RecoverySend>::new();
    let verify = ServerAction::<RecoveryVerify>::new();
    let reset = ServerAction::<RecoveryReset>::new();
    // A form posted without JavaScript comes back with its error here.
    let first_error = start
        .value()
        .get_untracked()
        .and_then(Result::err)
        .or_else(|| send.value().get_untracked().and_then(Result::err))
        .or_else(|| verify.value().get_untracked().and_then(Result::err))
        .or_else(|| reset.value().get_untracked().and_then(Result::err));
    let error = RwSignal::new(first_error);
    follow(start.value(), step, error);
    follow(send.value(), step, error);
    follow(verify.value(), step, error);
    follow(reset.value(), step, error);
    let actions = Actions {
        start,
        send,
        verify,
        reset,
        error,
    };

    // Leaving the page ends the flow (a fresh visit ends it too).
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    on_cleanup(move || {
        if matches!(
            step.get_untracked(),
            Step::Channel { .. } | Step::Code(_) | Step::Held { .. } | Step::NewPassword { .. }
        ) {
            leptos::task::spawn_local(async {
                let _ = super::recovery_abandon().await;
            });
        }
    });

    move || match step.get() {
        Step::Identify {
            captcha,
            ask_email,
            restarted,
        } => view! { <Identify actions captcha ask_email restarted/> }.into_any(),
        Step::Channel { options, second } => {
            view! { <ChooseChannel actions options second/> }.into_any()
        }
        Step::Code(code) => view! { <EnterCode actions code/> }.into_any(),
        Step::Held { channel, questions } => {
            view! { <EnterHeld actions channel questions/> }.into_any()
        }
        Step::NewPassword {
            policy,
            login,
            display_name,
        } => view! { <SetPassword actions policy login display_name/> }.into_any(),
        Step::Done => view! { <Done/> }.into_any(),
        Step::Unavailable { phone, email } => view! { <Unavailable phone email/> }.into_any(),
    }
}

#[component]
fn StepHeading(n: u8, title: AnyView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <DocumentTitle text=move || format!("{} ({n}/4)", t_string!(i18n, fp_title))/>
        <p class="step-count">{t!(i18n, fp_step, n)}</p>
        <h2>{title}</h2>
    }
}

/// The error that belongs to no single field, if the last answer was one.
fn general_error(actions: Actions) -> impl IntoView {
    move || {
        actions
            .error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid(_)))
            .map(|error| view! { <ErrorMessage error/> })
    }
}

fn field_problem(actions: Actions, field: Field, id: &'static str) -> impl IntoView {
    move || {
        actions
            .error
            .get()
            .and_then(|e| e.field(field).cloned())
            .map(|problem| view! { <FieldProblem problem id/> })
    }
}

#[component]
fn Identify(actions: Actions, captcha: String, ask_email: bool, restarted: bool) -> impl IntoView {
    let i18n = use_i18n();
    let captcha = RwSignal::new(captcha);
    renew_after_refusal(captcha, move || {
        matches!(actions.start.value().get(), Some(Err(_)))
    });
    let (login_invalid, login_described) = field_aria(
        Some("login-hint"),
        "login-error",
        wrong(actions, Field::Login),
    );
    let (email_invalid, email_described) =
        field_aria(None, "email-error", wrong(actions, Field::Email));
    let captcha_problem = Signal::derive(move || {
        actions
            .error
            .get()
            .and_then(|e| e.field(Field::Captcha).cloned())
    });
    view! {
        <p>{t!(i18n, fp_intro)}</p>
        <p>{t!(i18n, fp_need_access)}</p>
        {restarted.then(|| view! { <p class="notice" role="status">{t!(i18n, fp_restarted)}</p> })}
        <StepHeading n=1 title=t!(i18n, fp_identify_title).into_any()/>
        {general_error(actions)}
        <ActionForm action=actions.start attr:class="form" attr:id="recovery-identify">
            <div class="field">
                <label for="login">{t!(i18n, login_name)}</label>
                <input
                    id="login"
                    name="login"
                    type="text"
                    autocomplete="username"
                    autocapitalize="off"
                    aria-invalid=login_invalid
                    aria-describedby=login_described
                />
                <p class="hint" id="login-hint">
                    {t!(i18n, fp_login_hint)} " "
                    <a href="/forgot-login-name" id="forgot-login-name">{t!(i18n, ln_link)}</a>
                </p>
                {field_problem(actions, Field::Login, "login-error")}
            </div>
            {ask_email.then(|| view! {
                <div class="field">
                    <label for="email">{t!(i18n, fp_email)}</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="email"
                        aria-invalid=email_invalid
                        aria-describedby=email_described
                    />
                    {field_problem(actions, Field::Email, "email-error")}
                </div>
            })}
            <CaptchaField captcha page="/forgot-password" problem=captcha_problem/>
            <button type="submit" class="primary" disabled=actions.pending()>{t!(i18n, fp_continue)}</button>
        </ActionForm>
    }
}

/// Whether the last answer found `field` wrong.
fn wrong(actions: Actions, field: Field) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    move || {
        actions
            .error
            .with(|e| e.as_ref().is_some_and(|e| e.field(field).is_some()))
    }
}

#[component]
fn ChooseChannel(actions: Actions, options: Vec<ChannelOption>, second: bool) -> impl IntoView {
    let i18n = use_i18n();
    let has_mobile = options.iter().any(|o| o.channel == Channel::Mobile);
    view! {
        <StepHeading n=2 title=t!(i18n, fp_channel_title).into_any()/>
        {second.then(|| view! { <p class="notice" role="status" id="second-factor">{t!(i18n, fp_second_factor)}</p> })}
        {general_error(actions)}
        <ActionForm action=actions.send attr:class="form" attr:id="recovery-channel">
            <fieldset>
                <legend>{t!(i18n, fp_channel_intro)}</legend>
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, option)| {
                        let ChannelOption { channel, masked } = option;
                        let value = channel.as_str();
                        let text = channel_text(channel, masked);
                        view! {
                            <label class="choice">
                                <input type="radio" name="channel" value=value checked=i == 0/>
                                " "
                                <span data-channel=value>{text}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {has_mobile.then(|| view! { <p class="hint">{t!(i18n, fp_channel_sim)}</p> })}
            <p class="hint">{t!(i18n, fp_channel_not_yours, contact = move || t_string!(i18n, contact_name))}</p>
            <button type="submit" class="primary" disabled=actions.pending()>{t!(i18n, fp_send)}</button>
        </ActionForm>
    }
}

#[component]
fn EnterCode(actions: Actions, code: CodeStep) -> impl IntoView {
    let i18n = use_i18n();
    let CodeStep {
        channel,
        masked,
        seconds_left: from,
        expires_at,
        resend_in,
        resends_left,
    } = code;
    let left = seconds_left(from);
    let wait = seconds_left(resend_in);
    // Changes once a minute, so a screen reader is not told every second.
    let announce = Memo::new(move |_| announced(left.get()));
    let channel = channel.as_str();
    view! {
        <StepHeading n=3 title=t!(i18n, fp_code_title).into_any()/>
        <div class="warnings" role="note">
            <p class="warning">{t!(i18n, fp_warn_stay)}</p>
            <p class="warning">{t!(i18n, fp_warn_retrieve, masked = masked.clone())}</p>
            <p class="warning">{t!(i18n, fp_warn_enter)}</p>
            <p class="warning">{t!(i18n, fp_warn_invalid)}</p>
        </div>
        <p class="countdown-line">
            {t!(i18n, fp_code_time_left)} ": "
            <span id="countdown" class="countdown" role="timer" aria-live="off">{move || mm_ss(left.get())}</span>
            " "
            <span class="hint">{t!(i18n, fp_code_expires_at, time = expires_at.clone())}</span>
        </p>
        <p class="sr-only" role="status" id="countdown-announce">
            {move || match announce.get() {
                Announce::Minutes(minutes) => t!(i18n, fp_countdown_minutes, minutes).into_any(),
                Announce::LastMinute => t!(i18n, fp_countdown_last_minute).into_any(),
                Announce::Over => t!(i18n, fp_countdown_over).into_any(),
            }}
        </p>
        {move || (left.get() == 0).then(|| view! {
            <p class="error" role="alert" id="code-expired">{t!(i18n, fp_code_expired)}</p>
        })}
        {general_error(actions)}
        <ActionForm action=actions.verify attr:class="form" attr:id="recovery-code">
            <div class="field">
                <label for="code">{t!(i18n, fp_code)}</label>
                <input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false"/>
                {field_problem(actions, Field::Code, "code-error")}
            </div>
            <button type="submit" class="primary" disabled=actions.pending()>{t!(i18n, fp_verify)}</button>
        </ActionForm>
        <ActionForm action=actions.send attr:class="form regenerate" attr:id="recovery-regenerate">
            <input type="hidden" name="channel" value=channel/>
            <p class="hint">{t!(i18n, fp_regenerate_hint)}</p>
            {move || (wait.get() > 0).then(|| view! {
                <p class="hint" id="regenerate-wait">{t!(i18n, fp_regenerate_wait, time = mm_ss(wait.get()))}</p>
            })}
            <p class="hint">{t!(i18n, fp_regenerate_left, n = resends_left)}</p>
            <button type="submit" id="regenerate" disabled=actions.pending()>{t!(i18n, fp_regenerate)}</button>
        </ActionForm>
        <SecurityReminders/>
    }
}

/// How a channel reads in the list of choices.
fn channel_text(channel: Channel, masked: String) -> AnyView {
    let i18n = use_i18n();
    match channel {
        Channel::Email => t!(i18n, fp_channel_email, masked).into_any(),
        Channel::AltEmail => t!(i18n, fp_channel_alt_email, masked).into_any(),
        Channel::Mobile => t!(i18n, fp_channel_mobile, masked).into_any(),
        Channel::App => t!(i18n, fp_channel_app).into_any(),
        Channel::Questions => t!(i18n, fp_channel_questions).into_any(),
        Channel::RecoveryCode => t!(i18n, fp_channel_recovery_code).into_any(),
        // Never offered by the wizard (it runs no WebAuthn ceremony).
        Channel::Passkey => t!(i18n, ss_option_passkey).into_any(),
    }
}

/// A factor the user holds: a code from the app, a recovery code, or the
/// answers to their security questions.
#[component]
fn EnterHeld(actions: Actions, channel: Channel, questions: Vec<Question>) -> impl IntoView {
    let i18n = use_i18n();
    let label = match channel {
        Channel::App => t!(i18n, fp_app_code).into_any(),
        Channel::RecoveryCode => t!(i18n, fp_recovery_code).into_any(),
        _ => t!(i18n, fp_questions_intro).into_any(),
    };
    let asks_code = channel != Channel::Questions;
    view! {
        <StepHeading n=3 title=t!(i18n, fp_code_title).into_any()/>
        {general_error(actions)}
        <ActionForm action=actions.verify attr:class="form" attr:id="recovery-held">
            <input type="hidden" name="channel" value=channel.as_str()/>
            {if asks_code {
                view! {
                    <div class="field">
                        <label for="code">{label}</label>
                        <input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false"/>
                        {field_problem(actions, Field::Code, "code-error")}
                    </div>
                }.into_any()
            } else {
                view! {
                    <p>{label}</p>
                    <AnswerFields questions/>
                }.into_any()
            }}
            <button type="submit" class="primary" disabled=actions.pending()>{t!(i18n, fp_verify)}</button>
        </ActionForm>
    }
}

#[component]
fn SetPassword(
    actions: Actions,
    policy: gatehouse_policy::Policy,
    login: String,
    display_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = Signal::derive(move || actions.error.get());
    let clear = move |_| {
        new_password.set(String::new());
        confirm.set(String::new());
        actions.error.set(None);
    };
    view! {
        <StepHeading n=4 title=t!(i18n, fp_new_title).into_any()/>
        <p>{t!(i18n, fp_new_for, login = login.clone())}</p>
        {general_error(actions)}
        <ActionForm action=actions.reset attr:class="form" attr:id="recovery-password">
            <NewPasswordFields policy login display_name new_password confirm error/>
            <div class="buttons">
                <button type="submit" class="primary" disabled=actions.pending()>{t!(i18n, fp_submit)}</button>
                <button type="reset" on:click=clear>{t!(i18n, cp_reset)}</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn Done() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="success" role="status" id="recovery-done">
            <p>{t!(i18n, fp_done)}</p>
        </div>
        <p>{t!(i18n, fp_done_note)}</p>
        <a class="button primary" href="/login" rel="external">{t!(i18n, fp_login)}</a>
    }
}

#[component]
fn Unavailable(phone: String, email: String) -> impl IntoView {
    let i18n = use_i18n();
    let mailto = format!("mailto:{email}");
    view! {
        <h2>{t!(i18n, fp_unavailable_title)}</h2>
        <p class="error" role="alert" id="recovery-unavailable">
            {t!(i18n, fp_unavailable, contact = move || t_string!(i18n, contact_name))}
        </p>
        <p class="contact">{phone} " · " <a href=mailto>{email.clone()}</a></p>
    }
}
