//! Who is asking: the client address and browser, as audit and notices
//! report them.
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::HeaderMap;

use crate::ssr::config::Config;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub addr: String,
    pub user_agent: String,
}

/// Longest user-agent string kept; the rest is noise or abuse.
const MAX_USER_AGENT: usize = 256;

impl ClientInfo {
    pub fn from_parts(config: &Config, headers: &HeaderMap, socket: Option<SocketAddr>) -> Self {
        let forwarded = config
            .client_ip_header
            .as_deref()
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let addr = forwarded
            .or_else(|| socket.map(|s| s.ip().to_string()))
            .unwrap_or_else(|| "unknown".into());
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .chars()
            .take(MAX_USER_AGENT)
            .collect();
        ClientInfo { addr, user_agent }
    }

    /// The client of the request a server function is answering.
    pub async fn current(config: &Config) -> Self {
        let headers = leptos_axum::extract::<HeaderMap>()
            .await
            .unwrap_or_default();
        let socket = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|ConnectInfo(addr)| addr);
        Self::from_parts(config, &headers, socket)
    }
}
