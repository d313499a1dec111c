//! `/account`: My Profile.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::sessions::OpenSessions;
use super::{whoami, Me, Role};
use crate::components::AccountNav;
use crate::i18n::*;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.must_change => view! { <Redirect path="/account/password"/> }.into_any(),
                    Ok(Some(me)) => view! { <Profile me/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <crate::components::ErrorMessage error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="loading">{t!(i18n, loading)}</p> }
}

#[component]
fn Profile(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let changed = me.password_changed_at.map(format_unix);
    view! {
        <AccountNav/>
        {me.password_due_in_days.map(|days| view! {
            <p class="notice" id="password-due" role="status">
                {t!(i18n, profile_password_due, days)}
                " "
                <a href="/account/password">{t!(i18n, profile_password_due_action)}</a>
            </p>
        })}
        <section class="card">
            <h1>{t!(i18n, profile_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, profile_title).to_string()/>
            <dl class="profile">
                <dt>{t!(i18n, profile_display_name)}</dt>
                <dd data-field="display_name">{me.display_name}</dd>
                <dt>{t!(i18n, profile_login_name)}</dt>
                <dd data-field="login">{me.login}</dd>
                <dt>{t!(i18n, profile_role)}</dt>
                <dd><RoleName role=me.role/></dd>
                <dt>{t!(i18n, profile_email)}</dt>
                <dd>{me.email}</dd>
                <dt>{t!(i18n, profile_password_changed)}</dt>
                <dd>{match changed {
                    Some(when) => when.into_any(),
                    None => t!(i18n, profile_never).into_any(),
                }}</dd>
            </dl>
            <h2>{t!(i18n, profile_account_password)}</h2>
            <a class="button" href="/account/password">{t!(i18n, profile_change_password)}</a>
            <h2>{t!(i18n, si_title)}</h2>
            <p>{t!(i18n, profile_security_info_intro)}</p>
            <a class="button" href="/account/security-info" id="security-info-link">{t!(i18n, si_title)}</a>
            {(me.role == Role::Admin).then(|| view! {
                <p><a class="button" href="/admin" id="admin-link">{t!(i18n, nav_admin)}</a></p>
            })}
            <OpenSessions/>
        </section>
    }
}

#[component]
pub fn RoleName(role: Role) -> impl IntoView {
    let i18n = use_i18n();
    match role {
        Role::Student => t!(i18n, role_student).into_any(),
        Role::Staff => t!(i18n, role_staff).into_any(),
        Role::Teacher => t!(i18n, role_teacher).into_any(),
        Role::Applicant => t!(i18n, role_applicant).into_any(),
        Role::Graduate => t!(i18n, role_graduate).into_any(),
        Role::Retiree => t!(i18n, role_retiree).into_any(),
        Role::Admin => t!(i18n, role_admin).into_any(),
    }
}

/// `YYYY-MM-DD HH:MM UTC`, the same on the server and in the browser.
pub fn format_unix(secs: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::format_unix;

    #[test]
    fn unix_times_format_as_utc_dates() {
        assert_eq!(format_unix(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_unix(1_795_000_000), "2026-11-18 11:06 UTC");
    }
}
