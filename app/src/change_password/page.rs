//! `/account/password` and its confirmation page.
use gatehouse_policy::{check, Context, Report, Reuse};
use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{load_password_form, ChangePassword, PasswordForm};
use crate::account::{page::Loading, whoami};
use crate::components::{
    AccountNav, Checklist, ErrorMessage, FieldProblem, MatchHint, PasswordInput, SecurityReminders,
};
use crate::error::{AppError, Field};
use crate::i18n::*;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| load_password_form());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(Some(form)) => view! { <ChangePasswordForm form/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <ErrorMessage error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangePasswordForm(form: PasswordForm) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ChangePassword>::new();
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let PasswordForm {
        policy,
        login,
        display_name,
        must_change,
    } = form;
    let report: Signal<Report> = Memo::new(move |_| {
        let ctx = Context {
            login: &login,
            display_name: &display_name,
            reuse: Reuse::Unknown,
        };
        new_password.with(|pw| check(pw, &policy, &ctx))
    })
    .into();
    let touched = Signal::derive(move || new_password.with(|pw| !pw.is_empty()));
    let error = move || action.value().get().and_then(Result::err);
    let problem = move |field: Field| error().and_then(|e| e.field(field).cloned());
    let general = move || error().filter(|e| !matches!(e, AppError::Invalid(_)));
    let clear = move |_| {
        new_password.set(String::new());
        confirm.set(String::new());
        action.value().set(None);
    };
    view! {
        {(!must_change).then(|| view! { <AccountNav/> })}
        <section class="card">
            <h1>{t!(i18n, cp_title)}</h1>
            {must_change.then(|| view! { <p class="notice" role="status">{t!(i18n, cp_must_change)}</p> })}
            {move || general().map(|error| view! { <ErrorMessage error/> })}
            <ActionForm action attr:class="form" attr:id="change-password-form">
                <PasswordInput
                    name="current_password"
                    label=move || t!(i18n, cp_current)
                    autocomplete="current-password"
                    described_by="current_password-error"
                />
                {move || problem(Field::CurrentPassword).map(|problem| view! { <FieldProblem problem id="current_password-error"/> })}
                <PasswordInput
                    name="new_password"
                    label=move || t!(i18n, cp_new)
                    autocomplete="new-password"
                    value=new_password
                    described_by="new_password-rules"
                />
                {move || problem(Field::NewPassword).map(|problem| view! { <FieldProblem problem id="new_password-error"/> })}
                <Checklist report touched/>
                <PasswordInput
                    name="confirm_password"
                    label=move || t!(i18n, cp_confirm)
                    autocomplete="new-password"
                    value=confirm
                    described_by="confirm_password-error"
                />
                <MatchHint new=new_password confirm/>
                {move || problem(Field::ConfirmPassword).map(|problem| view! { <FieldProblem problem id="confirm_password-error"/> })}
                <div class="buttons">
                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                        {t!(i18n, cp_submit)}
                    </button>
                    <button type="reset" on:click=clear>{t!(i18n, cp_reset)}</button>
                </div>
            </ActionForm>
            <SecurityReminders/>
        </section>
    }
}

#[component]
pub fn PasswordChangedPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => view! {
                        <AccountNav/>
                        <section class="card">
                            <h1>{t!(i18n, cp_title)}</h1>
                            <p class="success" role="status">{t!(i18n, cp_done_title)}</p>
                            <p>{t!(i18n, cp_done_email)}</p>
                            <p>{t!(i18n, cp_done_single)}</p>
                            <a class="button" href="/account">{t!(i18n, cp_back)}</a>
                            <SecurityReminders/>
                        </section>
                    }
                    .into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <ErrorMessage error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
