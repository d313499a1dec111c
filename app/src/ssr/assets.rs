//! The stylesheet's address, under its hashed name when the site has one.
use std::sync::OnceLock;

use leptos::config::LeptosOptions;

static STYLESHEET: OnceLock<String> = OnceLock::new();

/// `/pkg/gatehouse.<hash>.css` when the files are hashed, else
/// `/pkg/gatehouse.css`; the first options asked with decide it (the
/// server asks at start). The hash file does not change while the program
/// runs, so it is read once (leptos_meta's `HashedStylesheet` reads it at
/// every page and panics when it cannot).
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    STYLESHEET.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| listed_hash(options.hash_file.as_ref(), "css"))
            .flatten();
        let name = match hash {
            Some(hash) => format!("{}.{hash}.css", options.output_name),
            None => format!("{}.css", options.output_name),
        };
        format!("/{}/{name}", options.site_pkg_dir)
    })
}

/// The stylesheet's address as decided at start, for pages drawn outside
/// the app (the protocol endpoints' refusals).
pub fn stylesheet() -> &'static str {
    STYLESHEET
        .get()
        .map(String::as_str)
        .unwrap_or("/pkg/gatehouse.css")
}

/// The hash cargo-leptos listed for one kind of file (`js`, `wasm`, `css`)
/// in the hash file beside the running program.
pub fn listed_hash(file: &str, kind: &str) -> Option<String> {
    let path = std::env::current_exe().ok()?.parent()?.join(file);
    let text = std::fs::read_to_string(&path)
        .inspect_err(|e| tracing::debug!(path = %path.display(), error = %e, "no hash file"))
        .ok()?;
    text.lines().find_map(|line| {
        let (listed, hash) = line.split_once(':')?;
        (listed.trim() == kind).then(|| hash.trim().to_owned())
    })
}
