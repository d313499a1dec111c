//! The frame around every page: the name, the language switch, the account
//! menu and the footer.
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::i18n::*;
use crate::sign_in::SignOut;

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <header class="site-header">
            <a class="brand" href="/">{t!(i18n, app_name)}</a>
            <LanguageSwitch/>
        </header>
    }
}

/// Links that work without JavaScript (the server sets the language cookie
/// and sends the browser back); with JavaScript the page switches in place.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let href = move |code: &str| {
        let next = location.pathname.get();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &next)
            .finish();
        format!("/lang/{code}?{query}")
    };
    let link = move |locale: Locale, code: &'static str, text: &'static str| {
        view! {
            <a
                href=move || href(code)
                lang=code
                hreflang=code
                aria-current=move || (i18n.get_locale() == locale).then_some("true")
                on:click=move |ev| {
                    ev.prevent_default();
                    i18n.set_locale(locale);
                }
            >
                {text}
            </a>
        }
    };
    view! {
        <nav class="languages" aria-label=move || t_string!(i18n, lang_label)>
            {link(Locale::en, "en", "English")}
            " | "
            {link(Locale::zh_Hant, "zh-Hant", "繁體中文")}
        </nav>
    }
}

#[component]
pub fn AccountNav() -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <nav class="account-nav">
            <a href="/account">{t!(i18n, nav_my_profile)}</a>
            <ActionForm action=sign_out attr:class="inline">
                <button type="submit" class="link">{t!(i18n, nav_logout)}</button>
            </ActionForm>
        </nav>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            <nav class="footer-links" aria-label=move || t_string!(i18n, footer_help)>
                <a href="/help" id="footer-help">{t!(i18n, footer_help)}</a>
                <a href="/help#contact" id="footer-contact">{t!(i18n, footer_contact)}</a>
            </nav>
            <p>{t!(i18n, lang_note)}</p>
        </footer>
    }
}
