//! Request-level protections: same-origin checks on every state-changing
//! request (CSRF), CORS for the configured origins, security headers, and
//! the language cookie.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// The origins trusted besides this site (`cors.allowed_origins`): pages of
/// the static single-page bundle served from elsewhere.
#[derive(Clone, Default)]
pub struct TrustedOrigins(Arc<[String]>);

impl TrustedOrigins {
    pub fn new(origins: &[String]) -> Self {
        TrustedOrigins(origins.into())
    }

    fn allows(&self, headers: &http::HeaderMap) -> bool {
        headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| self.0.iter().any(|o| o == origin))
    }

    /// CORS for these origins only: cookies allowed, the headers a server
    /// function call sends, and the two its redirect answer carries. None
    /// when no origin is configured (same origin only).
    pub fn cors(&self) -> Option<CorsLayer> {
        let origins: Vec<HeaderValue> = self
            .0
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        (!origins.is_empty()).then(|| {
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_credentials(true)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
                .expose_headers([
                    header::LOCATION,
                    HeaderName::from_static(leptos::server_fn::redirect::REDIRECT_HEADER),
                ])
                .max_age(Duration::from_secs(600))
        })
    }
}

/// Refuses a state-changing request whose `Origin` (or, failing that,
/// `Referer`) is neither this very site nor a trusted origin; with
/// `SameSite=Lax` cookies this stops cross-site request forgery.
pub async fn same_origin_writes(
    State(trusted): State<TrustedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if is_same_origin(request.headers()) || trusted.allows(request.headers()) {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "cross-site request refused").into_response()
    }
}

fn is_same_origin(headers: &http::HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    let Some(rest) = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.eq_ignore_ascii_case(host)
}

/// Makes each request's script nonce, which the page renders its scripts
/// with (`app::ssr::csp::apply` reads it from the request), and gives every
/// HTML answer the page policy that allows that nonce. Any other answer
/// gets the strict policy from [`add_headers`].
pub async fn nonce_and_page_policy(
    State(state): State<app::ssr::AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if is_page
        && !response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        let reload = state.config.mode == gatehouse_core::config::Mode::Development;
        let policy = app::ssr::csp::page_policy(&nonce, reload);
        if let Ok(value) = HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// Adds the security headers every response carries (pages have their
/// nonce-bearing policy from [`nonce_and_page_policy`] already, which is kept).
pub fn add_headers<S: Clone + Send + Sync + 'static>(router: Router<S>, secure: bool) -> Router<S> {
    let fixed = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let hsts = if secure {
        "max-age=31536000; includeSubDomains"
    } else {
        "max-age=0"
    };
    router
        .layer(fixed("content-security-policy", app::ssr::csp::STRICT))
        .layer(fixed("x-frame-options", "DENY"))
        .layer(fixed("x-content-type-options", "nosniff"))
        // Same-origin: plain form posts need their own page as Referer, and
        // no address (with whatever it carries) ever leaves for another site.
        .layer(fixed("referrer-policy", "same-origin"))
        .layer(fixed("cross-origin-opener-policy", "same-origin"))
        .layer(fixed(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .layer(fixed("cache-control", "no-store"))
        .layer(fixed("strict-transport-security", hsts))
}

#[derive(Deserialize)]
pub struct LanguageQuery {
    next: Option<String>,
}

/// The locale codes the pages know.
const LANGUAGES: [&str; 2] = ["en", "zh-Hant"];

/// `GET /lang/{code}?next=/path`: remembers the language and goes back,
/// for browsers without JavaScript.
pub async fn set_language(
    State(state): State<app::ssr::AppState>,
    Path(code): Path<String>,
    Query(q): Query<LanguageQuery>,
) -> Response {
    let Some(code) = LANGUAGES.into_iter().find(|l| *l == code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    // Only a path on this site: never an open redirect.
    let next = q
        .next
        .as_deref()
        .and_then(gatehouse_core::service_url::local_path)
        .unwrap_or("/")
        .to_owned();
    // The cookie the i18n library reads on the server and writes in the browser.
    let name = state.config.cookie_name(app::LANGUAGE_COOKIE);
    let mut cookie = format!("{name}={code}; Path=/; Max-Age=31536000; SameSite=Lax");
    if state.config.secure_cookie() {
        cookie.push_str("; Secure");
    }
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn a_post_from_this_site_is_same_origin() {
        assert!(is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
    }

    #[test]
    fn a_post_from_another_site_or_with_no_origin_is_refused() {
        assert!(!is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000")])));
        assert!(!is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn a_trusted_origin_is_matched_exactly() {
        let trusted = TrustedOrigins::new(&["https://static.example.edu".into()]);
        assert!(trusted.allows(&headers(&[("origin", "https://static.example.edu")])));
        for other in [
            "https://static.example.edu:8443",
            "http://static.example.edu",
            "https://static.example.edu.evil.com",
        ] {
            let mut h = http::HeaderMap::new();
            h.insert(header::ORIGIN, HeaderValue::from_str(other).unwrap());
            assert!(!trusted.allows(&h), "{other}");
        }
        assert!(TrustedOrigins::default().cors().is_none());
    }

    #[test]
    fn a_referer_counts_when_origin_is_missing() {
        assert!(is_same_origin(&headers(&[
            ("host", "gh.example.edu"),
            ("referer", "https://gh.example.edu/login?x=1")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("host", "gh.example.edu"),
            ("referer", "https://gh.example.edu.evil.com/")
        ])));
    }
}
