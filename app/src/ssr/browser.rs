//! The browser of a request, as core sees it: its client and Gatehouse's
//! cookies read from the headers, and the cookies a service set written
//! back as `Set-Cookie` headers. What a cookie names is checked by core
//! (`gatehouse_core::sessions`, the flows).
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use leptos_axum::ResponseOptions;

use crate::ssr::request::client_info;
use crate::ssr::state::respond;
use crate::ssr::AppState;
use gatehouse_core::browser::SetCookie;
use gatehouse_core::config::Config;
use gatehouse_core::{Browser, Cookie};
use gatehouse_types::error::AppError;

pub fn token_from_headers(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.to_owned())
}

/// The browser of a request with these headers, from this socket.
pub fn of(config: &Config, headers: &HeaderMap, socket: Option<SocketAddr>) -> Browser {
    let cookies = Cookie::ALL.into_iter().filter_map(|cookie| {
        token_from_headers(headers, &cookie.name(config)).map(|token| (cookie, token))
    });
    Browser::new(client_info(config, headers, socket), cookies)
}

/// The browser of the request a server function is answering.
pub async fn of_request(state: &AppState) -> Browser {
    let headers = leptos_axum::extract::<HeaderMap>()
        .await
        .unwrap_or_default();
    let socket = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr);
    of(&state.config, &headers, socket)
}

/// A `Set-Cookie` value for one of Gatehouse's cookies: always `HttpOnly`
/// on `/`, `Secure` over HTTPS.
fn header_value(set: &SetCookie, config: &Config) -> String {
    let mut c = format!(
        "{}={}; Path=/; HttpOnly; SameSite={}",
        set.cookie.name(config),
        set.value,
        set.cookie.same_site()
    );
    if let Some(age) = set.max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if config.secure_cookie() {
        c.push_str("; Secure");
    }
    c
}

/// The `Set-Cookie` values of the cookies a service set, in order.
pub fn set_cookie_values(state: &AppState, browser: &Browser) -> Vec<HeaderValue> {
    browser
        .to_set()
        .iter()
        .filter_map(|set| HeaderValue::from_str(&header_value(set, &state.config)).ok())
        .collect()
}

/// A service's answer to a server function: the cookies it set go into
/// the response, and an error gets its status.
pub fn answer<T>(
    state: &AppState,
    browser: &Browser,
    result: gatehouse_core::Result<T>,
) -> Result<T, AppError> {
    if let Some(options) = leptos::prelude::use_context::<ResponseOptions>() {
        for value in set_cookie_values(state, browser) {
            options.append_header(SET_COOKIE, value);
        }
    }
    result.map_err(respond)
}
