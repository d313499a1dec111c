//! The page's part of the document title.
use leptos::prelude::*;
use leptos::text_prop::TextProp;
use leptos_meta::Title;

/// A page's title in the current language. In the browser it follows the
/// language switch. On the server it is read once, while the page renders:
/// the title is written out later, on whichever thread finishes the
/// response, and reading the language there again, while other requests
/// render, made the server panic now and then under load.
#[component]
pub fn DocumentTitle<F>(text: F) -> impl IntoView
where
    F: Fn() -> String + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    let text = TextProp::from(text());
    #[cfg(not(feature = "ssr"))]
    let text = TextProp::from(text);
    view! { <Title text/> }
}
