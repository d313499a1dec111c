//! The wasm entry points: hydrate the page the server rendered (`hydrate`,
//! built by cargo-leptos), or render the whole app in the browser (`csr`,
//! the static bundle built by Trunk).

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Each page's view is a chunk of its own, loaded before it hydrates:
    // the body is marked once all of the page has (the end-to-end tests
    // wait for the mark). Leptos's executor starts inside
    // `hydrate_from_async`, so the browser's runs this.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

/// The server the bundle talks to, fixed when it is built:
/// `CSR_API_URL=https://login.example.edu trunk build --release`. Unset,
/// the bundle calls the origin it is served from (`trunk serve` proxies).
#[cfg(feature = "csr")]
const API_URL: Option<&str> = option_env!("CSR_API_URL");

#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(url) = API_URL
        .map(|u| u.trim_end_matches('/'))
        .filter(|u| !u.is_empty())
    {
        leptos::server_fn::client::set_server_url(url);
    }
    leptos::mount::mount_to_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
