//! Who is asking: the client address and browser, as audit and notices
//! report them.
use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

pub use gatehouse_store::ClientInfo;

use gatehouse_core::config::Config;

/// Longest user-agent string kept; the rest is noise or abuse.
const MAX_USER_AGENT: usize = 256;

/// The client of a request: the address the trusted proxies report (or
/// the socket's), and the browser.
pub fn client_info(config: &Config, headers: &HeaderMap, socket: Option<SocketAddr>) -> ClientInfo {
    let forwarded = config
        .client_ip_header
        .as_deref()
        .and_then(|name| forwarded_client(headers, name, config.trusted_proxy_hops));
    let addr = forwarded
        .or_else(|| socket.map(|s| s.ip()))
        .map_or_else(|| "unknown".into(), |ip| ip.to_string());
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .chars()
        .take(MAX_USER_AGENT)
        .collect();
    ClientInfo { addr, user_agent }
}

/// The address `hops` places from the right of the header's list (every
/// value of the header, in order), as each trusted proxy appends the
/// address it saw. Anything that is not an IP address is not believed.
fn forwarded_client(headers: &HeaderMap, name: &str, hops: u32) -> Option<IpAddr> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let hops = usize::try_from(hops).ok().filter(|h| *h >= 1)?;
    let value = values.len().checked_sub(hops).map(|i| values[i])?;
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_client_is_what_the_last_trusted_proxy_saw() {
        let h = headers(&["1.2.3.4, 10.9.9.9", "203.0.113.7"]);
        assert_eq!(
            forwarded_client(&h, "x-forwarded-for", 1),
            "203.0.113.7".parse().ok()
        );
        assert_eq!(
            forwarded_client(&h, "x-forwarded-for", 2),
            "10.9.9.9".parse().ok()
        );
    }

    #[test]
    fn a_forged_or_missing_value_is_not_believed() {
        assert_eq!(
            forwarded_client(&headers(&["evil, nonsense"]), "x-forwarded-for", 1),
            None
        );
        assert_eq!(
            forwarded_client(&headers(&["203.0.113.7"]), "x-forwarded-for", 2),
            None
        );
        assert_eq!(
            forwarded_client(&HeaderMap::new(), "x-forwarded-for", 1),
            None
        );
        assert_eq!(
            forwarded_client(&headers(&["203.0.113.7"]), "x-forwarded-for", 0),
            None
        );
    }
}
