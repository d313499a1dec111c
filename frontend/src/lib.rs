//! The wasm entry points: hydrate the page the server rendered (`hydrate`,
//! built by cargo-leptos), or render the whole app in the browser (`csr`,
//! the static bundle built by Trunk).

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
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
}
