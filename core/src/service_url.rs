//! Where a browser may be sent back to: which e-service a CAS `service`
//! URL belongs to (the one function every place that trusts a `service`
//! goes through), and which return paths are this site's own. A pattern is
//! matched part by part (scheme, host, port, path segments), never as one
//! string, so a `*` cannot swallow a `/`, `?`, `#` or `@` and carry the
//! browser elsewhere.
use url::Url;

/// A registered `url_pattern`, parsed once at start.
///
/// `*` matches within one host label or one path segment; a path segment
/// that is exactly `**` matches any number of segments (none included).
/// Without a `?` in the pattern any query is allowed; with one, the query
/// is matched like a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePattern {
    scheme: String,
    host_labels: Vec<String>,
    port: Option<u16>,
    path: Vec<String>,
    query: Option<String>,
}

impl ServicePattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let (scheme, rest) = pattern
            .split_once("://")
            .ok_or("it must start with https:// (or http:// outside production)")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err("it must start with https:// (or http:// outside production)".into());
        }
        if rest.contains(['#', '@', '\\']) || rest.chars().any(|c| c.is_control() || c == ' ') {
            return Err("it may not contain #, @, \\, spaces or control characters".into());
        }
        let (authority, path_and_query) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => return Err("it needs a path after the host, at least `/`".into()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .map_err(|_| format!("the port {port:?} is not a number"))?;
                (host, Some(port))
            }
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("it has no host".into());
        }
        let host_labels: Vec<String> = host.split('.').map(str::to_ascii_lowercase).collect();
        if host_labels.iter().any(|l| l.is_empty() || l.contains("**")) {
            return Err("each host label must be a name or use a single `*`".into());
        }
        if host_labels.last().is_some_and(|l| l.contains('*')) {
            return Err("`*` may not stand in the last label of the host".into());
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (path_and_query, None),
        };
        let path: Vec<String> = path[1..].split('/').map(str::to_owned).collect();
        if path.iter().any(|s| is_dot_segment(s)) {
            return Err("it may not contain `.` or `..` segments".into());
        }
        let port = port.filter(|p| Some(*p) != default_port(&scheme));
        Ok(ServicePattern {
            scheme,
            host_labels,
            port,
            path,
            query,
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// Whether `service` (as the e-service sent it) belongs to this pattern.
    pub fn matches(&self, service: &ServiceUrl) -> bool {
        let url = &service.0;
        if url.scheme() != self.scheme || url.port() != self.port {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() != self.host_labels.len()
            || !labels
                .iter()
                .zip(&self.host_labels)
                .all(|(label, pattern)| glob(pattern, label))
        {
            return false;
        }
        let path = url.path();
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        if !path_matches(&self.path, &segments) {
            return false;
        }
        match (&self.query, url.query()) {
            (None, _) => true,
            (Some(pattern), query) => glob(pattern, query.unwrap_or("")),
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// A service URL as an e-service sent it, checked to mean exactly what a
/// browser will make of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl(Url);

impl ServiceUrl {
    /// `None` for anything a browser could resolve to another address than
    /// the one matched: dot segments (raw or percent-encoded), backslashes,
    /// control characters or spaces (browsers drop or rewrite them), user
    /// info, a fragment, or a scheme other than http(s).
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.contains('\\') || raw.chars().any(|c| c.is_control() || c == ' ') {
            return None;
        }
        let (scheme, rest) = raw.split_once("://")?;
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return None;
        }
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        let path = path.split('?').next().unwrap_or("");
        if path.split('/').any(is_dot_segment) {
            return None;
        }
        let url = Url::parse(raw).ok()?;
        let plain = url.host_str().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.fragment().is_none();
        plain.then_some(ServiceUrl(url))
    }
}

/// A return address on this site (`/lang/en?next=…`): a path that stays
/// on this origin once a browser has read it, or `None`. Browsers drop
/// tabs and line breaks and read `\` as `/`, so `/<tab>/evil.example`
/// would leave the site: anything of the kind is refused.
pub fn local_path(next: &str) -> Option<&str> {
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    plain.then_some(next)
}

/// `.` or `..`, however its dots are written (`%2e`, `.%2E`, …).
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

fn path_matches(pattern: &[String], segments: &[&str]) -> bool {
    match pattern.split_first() {
        None => segments.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=segments.len()).any(|skip| path_matches(rest, &segments[skip..]))
        }
        Some((first, rest)) => match segments.split_first() {
            Some((segment, others)) => glob(first, segment) && path_matches(rest, others),
            None => false,
        },
    }
}

/// `*` matches any run of characters within the one piece it stands in.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, url: &str) -> bool {
        let pattern = ServicePattern::parse(pattern).unwrap();
        ServiceUrl::parse(url).is_some_and(|u| pattern.matches(&u))
    }

    #[test]
    fn a_star_stays_inside_one_host_label() {
        let p = "https://*.example.edu/cas";
        assert!(matches(p, "https://lib.example.edu/cas"));
        assert!(!matches(p, "https://evil.test/.example.edu/cas"));
        assert!(!matches(p, "https://a.b.example.edu/cas"));
        assert!(!matches(p, "https://lib.example.edu.evil.test/cas"));
        assert!(!matches(p, "https://lib.example.edu/cas/x"));
    }

    #[test]
    fn a_star_stays_inside_one_path_segment_and_two_go_deeper() {
        assert!(matches(
            "https://portal.example.edu/*",
            "https://portal.example.edu/"
        ));
        assert!(matches(
            "https://portal.example.edu/*",
            "https://portal.example.edu/courses?id=1"
        ));
        assert!(!matches(
            "https://portal.example.edu/*",
            "https://portal.example.edu/a/b"
        ));
        assert!(matches(
            "https://portal.example.edu/**",
            "https://portal.example.edu/a/b"
        ));
        assert!(matches(
            "https://portal.example.edu/**",
            "https://portal.example.edu"
        ));
        assert!(matches(
            "https://p.example.edu/app/**",
            "https://p.example.edu/app/"
        ));
        assert!(!matches(
            "https://p.example.edu/app/**",
            "https://p.example.edu/other/"
        ));
        assert!(!matches(
            "https://portal.example.edu/*",
            "http://portal.example.edu/"
        ));
        assert!(!matches(
            "https://portal.example.edu/*",
            "https://portal.example.edu.evil.test/"
        ));
    }

    #[test]
    fn dot_segments_are_refused_raw_or_encoded() {
        let p = "http://host.example.edu/app/**";
        assert!(!matches(p, "http://host.example.edu/app/../other/"));
        assert!(!matches(p, "http://host.example.edu/app/%2e%2e/other/"));
        assert!(!matches(p, "http://host.example.edu/app/.%2E/other/"));
        assert!(!matches(p, "http://host.example.edu/app/./x"));
        assert!(!matches(p, "http://host.example.edu/app/.."));
        assert!(matches(p, "http://host.example.edu/app/..x/"));
        assert!(matches(p, "http://host.example.edu/app/x?next=../y"));
    }

    #[test]
    fn what_a_browser_would_rewrite_is_refused() {
        let p = "https://portal.example.edu/**";
        for url in [
            "https://portal.example.edu\\@evil.test/",
            "https://user@portal.example.edu/",
            "https://portal.example.edu/a\tb",
            "https://portal.example.edu/#x",
            "javascript://portal.example.edu/",
        ] {
            assert!(!matches(p, url), "{url}");
        }
    }

    #[test]
    fn a_return_address_stays_on_this_site() {
        assert_eq!(local_path("/account?x=1"), Some("/account?x=1"));
        for next in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "/\n/x",
            "account",
        ] {
            assert_eq!(local_path(next), None, "{next:?}");
        }
    }

    #[test]
    fn ports_must_agree_with_the_default_left_out() {
        assert!(matches(
            "http://127.0.0.1:3100/**",
            "http://127.0.0.1:3100/secure/"
        ));
        assert!(!matches(
            "http://127.0.0.1:3100/**",
            "http://127.0.0.1:3101/"
        ));
        assert!(matches(
            "https://p.example.edu/x",
            "https://p.example.edu:443/x"
        ));
        assert!(!matches(
            "https://p.example.edu/x",
            "https://p.example.edu:8443/x"
        ));
    }

    #[test]
    fn a_pattern_with_a_query_matches_the_query_too() {
        let p = "https://p.example.edu/app?site=*";
        assert!(matches(p, "https://p.example.edu/app?site=lib"));
        assert!(!matches(p, "https://p.example.edu/app?other=1"));
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_reason() {
        for p in [
            "portal.example.edu/*",
            "ftp://portal.example.edu/",
            "https://portal.example.edu",
            "https://*/x",
            "https://portal.*/x",
            "https://a@portal.example.edu/",
            "https://portal.example.edu/../x",
            "https://portal.example.edu:x/",
        ] {
            assert!(ServicePattern::parse(p).is_err(), "{p}");
        }
    }
}
