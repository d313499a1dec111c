//! Content Security Policy for pages: only this site's own scripts and
//! wasm run, and inline scripts only with this response's nonce.
use http::header::CONTENT_SECURITY_POLICY;
use http::HeaderValue;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy for responses that are not pages (no script runs in them).
pub const STRICT: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `reload`: the development server's live-reload socket may connect
/// (development mode only).
pub fn page_policy(nonce: &str, reload: bool) -> String {
    let connect = if reload {
        "'self' ws://127.0.0.1:3001"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; img-src 'self' data:; connect-src {connect}; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Makes a nonce for this page and sends the policy that allows it.
pub fn apply() {
    provide_nonce();
    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
        let reload = use_context::<crate::ssr::AppState>()
            .is_some_and(|s| s.config.mode == gatehouse_core::config::Mode::Development);
        if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, reload)) {
            response.insert_header(CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::page_policy;

    #[test]
    fn the_reload_socket_is_allowed_in_development_only() {
        assert!(page_policy("n", true).contains("connect-src 'self' ws://127.0.0.1:3001;"));
        let production = page_policy("n", false);
        assert!(!production.contains("ws:"), "{production}");
        assert!(production.contains("connect-src 'self';"));
    }
}
