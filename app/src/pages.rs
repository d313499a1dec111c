//! Every page as a route whose view the hydrated bundle loads in a chunk of
//! its own (`cargo leptos build --split`): a browser downloads the pages it
//! visits, not the admin console with the sign-in page. The server names a
//! page's chunks in the page's head (preloaded with the main bundle), and
//! a link in the browser loads the next page's chunks before it navigates.
//! The static bundle (Trunk, which does not split) compiles them in.
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// `$route`: the route type, showing the component `$page` through the
/// loader `$load` (a name of its own: the chunk is named after it).
/// `$preload` is the function `#[lazy]` makes beside the loader in the
/// hydrated bundle, `__preload_<loader>`, which fetches the chunk without
/// running it: the router awaits it before it hydrates the page, whose
/// view must be there by then.
macro_rules! lazy_pages {
    ($($route:ident => $page:path, $load:ident, $preload:ident;)*) => {$(
        pub struct $route;

        #[cfg_attr(not(feature = "csr"), leptos::lazy)]
        async fn $load() -> AnyView {
            use $page as Page;
            view! { <Page/> }.into_any()
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_: Self) -> AnyView {
                let page = $load().await;
                view! { {page} <PageShown/> }.into_any()
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*};
}

/// Marks the document with the path of the page it shows once the page's
/// view is in place (`<body data-page="/login">`): after a link, the address
/// changes at once and the view when its chunk has come, and whoever acts
/// on the page (a test, an assistive tool's script) can wait for this.
#[component]
pub fn PageShown() -> impl IntoView {
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    {
        let path = leptos_router::hooks::use_location()
            .pathname
            .get_untracked();
        Effect::new(move |_| {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-page", &path);
            }
        });
    }
}

lazy_pages! {
    SignIn => crate::sign_in::SignInPage, sign_in_page, __preload_sign_in_page;
    SecondStep => crate::sign_in::SecondStepPage, second_step_page, __preload_second_step_page;
    Profile => crate::account::ProfilePage, profile_page, __preload_profile_page;
    ChangePassword => crate::change_password::ChangePasswordPage, change_password_page, __preload_change_password_page;
    PasswordChanged => crate::change_password::PasswordChangedPage, password_changed_page, __preload_password_changed_page;
    SecurityInfo => crate::security_info::SecurityInfoPage, security_info_page, __preload_security_info_page;
    Recovery => crate::recovery::RecoveryPage, recovery_page, __preload_recovery_page;
    LoginName => crate::login_name::LoginNamePage, login_name_page, __preload_login_name_page;
    Help => crate::help::HelpPage, help_page, __preload_help_page;
    Mailbox => crate::dev_mailbox::MailboxPage, mailbox_page, __preload_mailbox_page;
    AdminHome => crate::admin::AdminHomePage, admin_home_page, __preload_admin_home_page;
    AdminAccount => crate::admin::AdminAccountPage, admin_account_page, __preload_admin_account_page;
    AdminAudit => crate::admin::AdminAuditPage, admin_audit_page, __preload_admin_audit_page;
    AdminImport => crate::admin::AdminImportPage, admin_import_page, __preload_admin_import_page;
}
