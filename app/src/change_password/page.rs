//! `/account/password` and its confirmation page.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{load_password_form, ChangePassword, PasswordForm};
use crate::account::{page::Loading, whoami};
use crate::components::{
    AccountNav, ErrorMessage, FieldProblem, NewPasswordFields, PasswordInput, SecurityReminders,
};
use crate::i18n::*;
use gatehouse_types::error::{AppError, Field};

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
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let problem = move |field: Field| error.get().and_then(|e| e.field(field).cloned());
    let general = move || error.get().filter(|e| !matches!(e, AppError::Invalid(_)));
    let clear = move |_| {
        new_password.set(String::new());
        confirm.set(String::new());
        action.value().set(None);
    };
    view! {
        {(!must_change).then(|| view! { <AccountNav/> })}
        <section class="card">
            <h1>{t!(i18n, cp_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, cp_title).to_string()/>
            {must_change.then(|| view! { <p class="notice" role="status">{t!(i18n, cp_must_change)}</p> })}
            {move || general().map(|error| view! { <ErrorMessage error/> })}
            <ActionForm action attr:class="form" attr:id="change-password-form">
                <PasswordInput
                    name="current_password"
                    label=move || t!(i18n, cp_current)
                    autocomplete="current-password"
                    invalid=Signal::derive(move || problem(Field::CurrentPassword).is_some())
                />
                {move || problem(Field::CurrentPassword).map(|problem| view! { <FieldProblem problem id="current_password-error"/> })}
                <NewPasswordFields policy login display_name new_password confirm error/>
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
                            <DocumentTitle text=move || t_string!(i18n, cp_title).to_string()/>
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
