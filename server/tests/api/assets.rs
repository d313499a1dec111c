//! The built site's files: a hashed name is kept for a year, a plain one
//! is checked again, the precompressed copy the browser accepts is the one
//! sent, and pages are never kept.
use std::path::PathBuf;

use crate::helpers::{spawn_app, TestApp};

const HASHED: &str = "gatehouse.3Vd1uTQ8hzMC_kpwBNDj2g.wasm";

/// Writes a build's files into the site: a hashed wasm with its `.br` and
/// `.gz` (each with its own bytes, to tell which was sent) and a plain
/// stylesheet.
fn build_site(app: &TestApp) -> PathBuf {
    let pkg = PathBuf::from(app.state.leptos_options.site_root.as_ref()).join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(HASHED), b"\0asm plain").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.br")), b"brotli bytes").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.gz")), b"gzip bytes").unwrap();
    std::fs::write(pkg.join("gatehouse.css"), b"body {}").unwrap();
    pkg
}

async fn get(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    // No decompression here: the bytes are compared as sent.
    let mut request = reqwest::Client::new().get(format!("{}{path}", app.address));
    if let Some(encodings) = accept_encoding {
        request = request.header("accept-encoding", encodings);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hashed_file_is_sent_precompressed_as_accepted_and_kept_for_a_year() {
    let app = spawn_app().await;
    build_site(&app);
    let path = format!("/pkg/{HASHED}");

    for (accepted, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), &b"brotli bytes"[..]),
        (Some("gzip"), Some("gzip"), &b"gzip bytes"[..]),
        (None, None, &b"\0asm plain"[..]),
    ] {
        let response = get(&app, &path, accepted).await;
        assert_eq!(response.status(), 200, "{accepted:?}");
        assert_eq!(header(&response, "content-encoding").as_deref(), encoding);
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some("application/wasm")
        );
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            header(&response, "vary").as_deref(),
            Some("accept-encoding")
        );
        assert_eq!(&response.bytes().await.unwrap()[..], body, "{accepted:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_without_a_hash_is_sent_as_it_is_and_checked_again() {
    let app = spawn_app().await;
    build_site(&app);

    let css = get(&app, "/pkg/gatehouse.css", Some("br")).await;
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, "cache-control").as_deref(), Some("no-cache"));
    // No precompressed copy of it: sent as it is.
    assert_eq!(header(&css, "content-encoding"), None);
    let modified = header(&css, "last-modified").expect("a date to check against");
    let again = reqwest::Client::new()
        .get(format!("{}/pkg/gatehouse.css", app.address))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "cache-control").as_deref(), Some("no-cache"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_is_never_kept_and_links_the_stylesheet() {
    let app = spawn_app().await;
    build_site(&app);

    let page = get(&app, "/login", Some("br")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control").as_deref(), Some("no-store"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<link rel="stylesheet" id="gatehouse" href="/pkg/gatehouse.css""#),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_file_or_a_way_out_of_the_folder_is_not_found_and_not_kept() {
    let app = spawn_app().await;
    let pkg = build_site(&app);
    std::fs::write(pkg.parent().unwrap().join("secret.txt"), b"outside pkg").unwrap();

    for path in [
        "/pkg/gatehouse.0123456789abcdef.wasm",
        // (A plain `/pkg/../` is resolved by the client before it is sent.)
        "/pkg/..%2fsecret.txt",
        "/pkg/%2e%2e%2fsecret.txt",
    ] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert!(
            !response.text().await.unwrap().contains("outside pkg"),
            "{path}"
        );
    }
}
