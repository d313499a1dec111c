//! The built site's files under `/pkg`, precompressed and cached by name.
use std::path::Path;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http::header::{self, HeaderValue};
use tower_http::services::ServeDir;

/// What a hashed file may be kept for: it never changes under its name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A file whose name stays the same from one build to the next.
const REVALIDATE: &str = "no-cache";

/// `/pkg/...` from `<site_root>/pkg`. A release build
/// (`LEPTOS_HASH_FILES=true cargo leptos build --release --precompress`)
/// names the files by their content's hash and writes a `.br` and a `.gz`
/// beside each: the copy the browser accepts is sent, and a hashed file may
/// be kept for a year, since a new build gives new names. A name without a
/// hash is checked again at every use. Pages are never kept (`no-store`,
/// from `security::add_headers`).
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let files = ServeDir::new(Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(axum::middleware::from_fn(caching))
}

async fn caching(request: Request, next: Next) -> Response {
    let policy = if is_hashed(request.uri().path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == http::StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // The same address answers differently by `Accept-Encoding`.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether a file's name carries its content's hash as cargo-leptos names
/// it: `name.<hash>.ext`, the hash at least 16 characters of base64url.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() >= 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_names_carrying_a_hash_count_as_hashed() {
        assert!(is_hashed("/pkg/gatehouse.3Vd1uTQ8hzMC_kpwBNDj2g.wasm"));
        assert!(is_hashed("/pkg/gatehouse.0123456789abcdef.css"));
        assert!(!is_hashed("/pkg/gatehouse.wasm"));
        assert!(!is_hashed("/pkg/gatehouse.css"));
        assert!(!is_hashed("/pkg/gatehouse_bg.wasm"));
        assert!(!is_hashed("/pkg/.3Vd1uTQ8hzMC_kpwBNDj2g.wasm"));
        assert!(!is_hashed("/pkg/gatehouse.not a hash at all!.js"));
        assert!(!is_hashed("/pkg/gatehouse.short.js"));
    }
}
