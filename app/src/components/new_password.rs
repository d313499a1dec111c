//! "New Password" and "Re-enter New Password" with the live checklist and
//! the match hint: the same fields wherever a password is set.
use gatehouse_policy::{check_given_strength, Context, Policy, Report, Reuse};
use leptos::prelude::*;

use crate::components::{Checklist, FieldProblem, MatchHint, PasswordInput};
use crate::i18n::*;
use gatehouse_types::error::{AppError, Field};

/// How long typing must pause before the strength is estimated: one request
/// per pause, not one per keystroke.
#[cfg(any(feature = "hydrate", feature = "csr"))]
const ESTIMATE_AFTER_MS: u32 = 250;

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
    // The estimate and the password it is for: the checklist shows no
    // estimate of an earlier password. The server estimates once typing
    // pauses; the page may be gone when its answer arrives (then it is
    // dropped), and without one the strength rule stays for the server to
    // decide when the form is sent.
    let estimated = RwSignal::new(None::<(String, u8)>);
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    Effect::new({
        let (login, display_name) = (login.clone(), display_name.clone());
        move |_| {
            let password = new_password.get();
            if password.is_empty() {
                return;
            }
            let (login, display_name) = (login.clone(), display_name.clone());
            let typed = gatehouse_types::Password::new(password.clone());
            let current =
                move || new_password.try_with_untracked(|now| *now == password) == Some(true);
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(ESTIMATE_AFTER_MS).await;
                if !current() {
                    return;
                }
                let answer = crate::components::strength::estimate_strength(
                    typed.clone(),
                    login,
                    display_name,
                )
                .await;
                if let (Ok(strength), true) = (answer, current()) {
                    estimated.try_set(Some((typed.expose().to_owned(), strength)));
                }
            });
        }
    });
    let report: Signal<Report> = Memo::new(move |_| {
        let ctx = Context {
            login: &login,
            display_name: &display_name,
            reuse: Reuse::Unknown,
        };
        new_password.with(|pw| {
            let strength = estimated.with(|e| e.as_ref().filter(|(p, _)| p == pw).map(|(_, s)| *s));
            check_given_strength(pw, &policy, &ctx, strength)
        })
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
