//! How errors read on the page.
use gatehouse_policy::Rule;
use leptos::prelude::*;

use crate::components::checklist::RuleText;
use crate::i18n::*;
use gatehouse_types::error::{AppError, Problem};

/// The message for an error that belongs to no single field.
#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let text = match error {
        AppError::InvalidCredentials => t!(i18n, login_error_invalid).into_any(),
        AppError::PasskeyRefused => t!(i18n, error_passkey_refused).into_any(),
        AppError::Throttled { seconds } => t!(i18n, login_throttled, seconds).into_any(),
        AppError::Locked { minutes } => t!(i18n, login_locked, minutes).into_any(),
        AppError::Unauthenticated => t!(i18n, error_signed_out).into_any(),
        AppError::PasswordChangeRequired => t!(i18n, cp_must_change).into_any(),
        AppError::EnrolmentRequired => view! {
            {t!(i18n, si_required_add)}
            " "
            <a href="/account/security-info">{t!(i18n, si_title)}</a>
        }
        .into_any(),
        AppError::Forbidden => t!(i18n, error_forbidden).into_any(),
        AppError::AccountInactive => {
            let contact = move || t_string!(i18n, contact_name);
            t!(i18n, login_inactive, contact).into_any()
        }
        AppError::NotFound => t!(i18n, not_found).into_any(),
        AppError::Invalid(_) => t!(i18n, cp_policy_failed).into_any(),
        AppError::RateLimited { minutes } => t!(i18n, fp_rate_limited, minutes).into_any(),
        AppError::CodeWrong { attempts_left } => {
            t!(i18n, fp_code_wrong, left = attempts_left).into_any()
        }
        AppError::CodeExpired => t!(i18n, fp_code_expired_error).into_any(),
        AppError::ResendTooSoon { seconds } => t!(i18n, fp_resend_wait, seconds).into_any(),
        AppError::ResendCapReached => t!(i18n, fp_resend_cap).into_any(),
        AppError::FlowVoid => view! {
            {t!(i18n, fp_flow_void)}
            " "
            <a href="/forgot-password" rel="external">{t!(i18n, fp_start_again)}</a>
        }
        .into_any(),
        AppError::DeliveryFailed => t!(i18n, fp_delivery_failed).into_any(),
        AppError::Conflict => t!(i18n, error_conflict).into_any(),
        AppError::ReauthRequired => t!(i18n, si_reauth_needed).into_any(),
        AppError::LastMethod => t!(i18n, si_last_method).into_any(),
        AppError::NoMethod => t!(i18n, si_no_method).into_any(),
        AppError::BadRequest => t!(i18n, error_bad_request).into_any(),
        AppError::TooLarge => t!(i18n, error_too_large).into_any(),
        AppError::Network => t!(i18n, error_network).into_any(),
        AppError::Busy { .. } => t!(i18n, error_busy).into_any(),
        AppError::Internal => return view! { <SystemError/> }.into_any(),
    };
    view! { <p class="error" role="alert">{text}</p> }.into_any()
}

/// The seed's wording for a failure that is not the user's fault.
#[component]
fn SystemError() -> impl IntoView {
    let i18n = use_i18n();
    let contact = move || t_string!(i18n, contact_name);
    view! {
        <div class="error" role="alert" data-error="system">
            <p>{t!(i18n, error_system)}</p>
            <p>{t!(i18n, error_system_more, contact)}</p>
            <a class="button" href="" rel="external">{t!(i18n, error_reload)}</a>
        </div>
    }
}

/// `aria-invalid` and `aria-describedby` of a field: invalid while `wrong`
/// says so, described by its `hint` (if it has one) and, while wrong, by
/// its error (the `FieldProblem` with the id `error`).
pub fn field_aria(
    hint: Option<&'static str>,
    error: &'static str,
    wrong: impl Fn() -> bool + Copy + Send + Sync + 'static,
) -> (
    impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static,
    impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
) {
    let invalid = move || wrong().then_some("true");
    let described = move || {
        let ids: Vec<&str> = hint.into_iter().chain(wrong().then_some(error)).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    (invalid, described)
}

#[component]
pub fn FieldProblem(problem: Problem, id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let body = match problem {
        Problem::Required => t!(i18n, cp_required).into_any(),
        Problem::WrongCurrentPassword => t!(i18n, cp_wrong_current).into_any(),
        Problem::Mismatch => t!(i18n, cp_mismatch).into_any(),
        Problem::CaptchaWrong => t!(i18n, fp_captcha_wrong).into_any(),
        Problem::BadEmail => t!(i18n, si_bad_email).into_any(),
        Problem::BadMobile => t!(i18n, si_bad_mobile).into_any(),
        Problem::TooLong { max } => t!(i18n, error_too_long, max).into_any(),
        Problem::SameAsRegistered => t!(i18n, si_alt_same).into_any(),
        Problem::Policy { failed } => view! {
            {t!(i18n, cp_policy_failed)}
            <ul>
                {failed.into_iter().map(|rule: Rule| view! { <li><RuleText rule/></li> }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! { <div class="field-error" id=id role="alert">{body}</div> }
}
