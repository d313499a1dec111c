//! Content Security Policy for pages: only this site's own scripts and
//! wasm run, and inline scripts only with this response's nonce.
//!
//! The server's outermost page layer makes each request's nonce and writes
//! the policy on the HTML it answers with (see `server::security`); the
//! page renders its scripts with that very nonce, which the layer puts in
//! the request. Nothing the render does can leave a page without its
//! policy.
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// The policy for responses that are not pages (no script runs in them).
pub const STRICT: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy for the plain pages the protocol endpoints answer with (no
/// script in them): their stylesheet and nothing else.
pub const PLAIN_PAGE: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

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

/// The page's scripts carry the nonce the server's page layer made for
/// this request (in the request's extensions).
pub fn apply() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    match nonce {
        Some(nonce) => provide_context(nonce),
        None => tracing::error!("no page nonce in the request: the page's scripts will not run"),
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
