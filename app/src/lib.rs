//! Gatehouse: the pages, and their server functions (with `ssr`: thin
//! adapters over `gatehouse_core`'s services).
#![recursion_limit = "256"]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

#[cfg(any(
    all(feature = "ssr", feature = "hydrate"),
    all(feature = "ssr", feature = "csr"),
    all(feature = "hydrate", feature = "csr"),
))]
compile_error!("build `app` with one of the features ssr, hydrate and csr");

// The build-script generator that replaces this macro pulls the ICU data
// exporter into every build, minutes on a fresh machine; the macro still
// checks every key in both languages at compile time.
#[allow(deprecated)]
mod i18n_keys {
    leptos_i18n::load_locales!();
}
pub use i18n_keys::i18n;

pub mod account;
pub mod admin;
pub mod api;
pub mod change_password;
pub mod components;
pub mod dev_mailbox;

pub mod help;
pub mod login_name;
mod pages;
pub mod recovery;
pub mod security_info;
pub mod sign_in;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use crate::components::{DocumentTitle, Footer, Header};
use crate::i18n::*;

/// The document's title: the page's own (each page sets it, naming the
/// step where there are steps), then the portal's name.
#[component]
fn PageTitle() -> impl IntoView {
    let i18n = use_i18n();
    // Read as the page renders on the server, as `DocumentTitle` is; in the
    // browser, at each change of the title, in the language of the moment.
    #[cfg(feature = "ssr")]
    let app_name = t_string!(i18n, app_name).to_string();
    let formatter = move |page: String| {
        #[cfg(feature = "ssr")]
        let app = app_name.clone();
        #[cfg(not(feature = "ssr"))]
        let app = t_string!(i18n, app_name);
        if page.is_empty() {
            app.to_string()
        } else {
            format!("{page} · {app}")
        }
    };
    view! { <Title formatter/> }
}

/// The HTML document around the app, rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    ssr::csp::apply();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name=LANGUAGE_COOKIE_META content=language_cookie()/>
                <link rel="stylesheet" id="gatehouse" href=ssr::assets::stylesheet_href(&options)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The base name of the cookie that keeps the chosen language.
pub const LANGUAGE_COOKIE: &str = "gatehouse_lang";
/// The `<meta>` that tells the browser half the language cookie's name.
const LANGUAGE_COOKIE_META: &str = "gatehouse-language-cookie";

/// The language cookie's name: `__Host-` prefixed in production like every
/// cookie of the site. The server knows it from its settings and writes it
/// in the page's head, where the browser half reads it; the static bundle,
/// with no such head, prefixes it whenever the page came over HTTPS.
fn language_cookie() -> String {
    #[cfg(feature = "ssr")]
    {
        // No state while the server lists its routes at start: the base
        // name then (nothing is rendered for a browser).
        use_context::<ssr::AppState>()
            .map(|state| state.config.cookie_name(LANGUAGE_COOKIE))
            .unwrap_or_else(|| LANGUAGE_COOKIE.to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let document = document();
        let selector = format!("meta[name={LANGUAGE_COOKIE_META}]");
        document
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_else(|| {
                let https = document
                    .location()
                    .and_then(|l| l.protocol().ok())
                    .is_some_and(|p| p == "https:");
                if https {
                    format!("__Host-{LANGUAGE_COOKIE}")
                } else {
                    LANGUAGE_COOKIE.to_owned()
                }
            })
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let cookie_name = language_cookie();
    // A year, for the whole site; `Secure` whenever the name says so.
    let cookie_options = leptos_use::UseCookieOptions::default()
        .path("/")
        .max_age(365_i64 * 24 * 3600 * 1000)
        .same_site(leptos_use::SameSite::Lax)
        .secure(cookie_name.starts_with("__Host-"));
    let cookie_name = std::borrow::Cow::Owned(cookie_name);
    view! {
        <I18nContextProvider cookie_name cookie_options>
            // The server's pages link the stylesheet from the document
            // (under its hashed name); the static bundle's from here.
            {cfg!(feature = "csr").then(|| view! { <Stylesheet id="gatehouse" href="/pkg/gatehouse.css"/> })}
            <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
            <PageTitle/>
            <Router>
                <Header/>
                <main>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=|| view! { <Redirect path="/account"/> } ssr=SsrMode::Async/>
                        <Route path=path!("/login") view={Lazy::<pages::SignIn>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/login/verify") view={Lazy::<pages::SecondStep>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account") view={Lazy::<pages::Profile>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account/password") view={Lazy::<pages::ChangePassword>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account/password/done") view={Lazy::<pages::PasswordChanged>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account/security-info") view={Lazy::<pages::SecurityInfo>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/forgot-password") view={Lazy::<pages::Recovery>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/forgot-login-name") view={Lazy::<pages::LoginName>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/help") view={Lazy::<pages::Help>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/dev/mailbox") view={Lazy::<pages::Mailbox>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin") view={Lazy::<pages::AdminHome>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/accounts/:login") view={Lazy::<pages::AdminAccount>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/audit") view={Lazy::<pages::AdminAudit>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/import") view={Lazy::<pages::AdminImport>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <Footer/>
            </Router>
        </I18nContextProvider>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <DocumentTitle text=move || t_string!(i18n, not_found).to_string()/>
        <section class="card"><h1>{t!(i18n, not_found)}</h1></section>
        <pages::PageShown/>
    }
}
