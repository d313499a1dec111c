//! "New Password" and "Re-enter New Password" with the live checklist and
//! the match hint: the same fields wherever a password is set.
use gatehouse_policy::{check, Context, Policy, Report, Reuse};
use leptos::prelude::*;

use crate::components::{Checklist, FieldProblem, MatchHint, PasswordInput};
use crate::i18n::*;
use gatehouse_types::error::{AppError, Field};

#[component]
pub fn NewPasswordFields(
    policy: Policy,
    login: String,
    display_name: String,
    new_password: RwSignal<String>,
    confirm: RwSignal<String>,
    /// The last answer's error, whose field problems are shown here.
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
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
    let problem = move |field: Field| error.get().and_then(|e| e.field(field).cloned());
    view! {
        <PasswordInput
            name="new_password"
            label=move || t!(i18n, cp_new)
            autocomplete="new-password"
            value=new_password
            described_by="new_password-rules"
            invalid=Signal::derive(move || problem(Field::NewPassword).is_some())
        />
        {move || problem(Field::NewPassword).map(|problem| view! { <FieldProblem problem id="new_password-error"/> })}
        <Checklist report touched/>
        <PasswordInput
            name="confirm_password"
            label=move || t!(i18n, cp_confirm)
            autocomplete="new-password"
            value=confirm
            invalid=Signal::derive(move || problem(Field::ConfirmPassword).is_some())
        />
        <MatchHint new=new_password confirm/>
        {move || problem(Field::ConfirmPassword).map(|problem| view! { <FieldProblem problem id="confirm_password-error"/> })}
    }
}
