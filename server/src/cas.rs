//! Gatehouse as a CAS 3.0 server (Apereo's protocol): e-services send the
//! browser to `/cas/login`, get back a one-time service ticket, and
//! validate it server to server. They never see a password. The Gatehouse
//! session is the single sign-on session: a sign-out or a password change
//! ends it. The protocol logic is `gatehouse_core::cas`; these are its
//! HTTP endpoints.
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::ssr::browser;
use app::ssr::request::client_info;
use app::ssr::state::to_browser;
use app::ssr::AppState;
use gatehouse_core::cas::{
    answer, flag, issue, service_for, validated, wants_json, Failure, ValidateQuery, XML,
};
use gatehouse_core::sessions;
use gatehouse_core::Cookie;

#[derive(Deserialize)]
pub struct LoginQuery {
    service: Option<String>,
    renew: Option<String>,
    gateway: Option<String>,
}

/// A value for a query string (`form_urlencoded`, as browsers encode).
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A page of its own for a refusal (the app's pages need a request the
/// protocol endpoints do not have).
pub(crate) fn refusal(status: StatusCode, title: &str, text: &str) -> Response {
    let css = app::ssr::assets::stylesheet();
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} - Gatehouse</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body><main><section class=\"card\" id=\"cas-refusal\">\
         <h1>{title}</h1><p>{text}</p><p><a class=\"button\" href=\"/\">Gatehouse</a></p></section></main></body></html>"
    );
    let policy = (header::CONTENT_SECURITY_POLICY, app::ssr::csp::PLAIN_PAGE);
    (status, [policy], Html(page)).into_response()
}

fn unregistered() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Unknown e-service",
        "This e-service is not registered with Gatehouse, so Gatehouse will not sign you in to it. \
         Please check the address, or contact the e-service's administrator.",
    )
}

/// A failure as the answer: logged once with its cause, then a bare status.
fn failed(error: gatehouse_core::Error) -> Response {
    let status = to_browser(error).status();
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}

/// A validation's answer as the response.
fn validation_response((content_type, body): (&'static str, String)) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /cas/login`
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let Some(service) = q.service.filter(|s| !s.is_empty()) else {
        return Redirect::to("/account").into_response();
    };
    if service_for(&state, &service).is_none() {
        return unregistered();
    }
    let renew = flag(&q.renew);
    if !renew {
        let browser = browser::of(&state.config, &headers, None);
        let signed_in = match browser.token(Cookie::Session) {
            // A session that cannot be read counts as none (the failure is
            // logged where it becomes the browser's error).
            Some(token) => sessions::live(&state, &token).await.unwrap_or_else(|e| {
                to_browser(e);
                None
            }),
            None => None,
        };
        if let Some((session, account)) = signed_in {
            if sessions::must_change(&state, &account) {
                return Redirect::to("/account/password").into_response();
            }
            match sessions::enrolment_pending(&state, &account).await {
                Ok(false) => {}
                Ok(true) => return Redirect::to("/account/security-info").into_response(),
                Err(e) => return failed(e),
            }
            let issued = issue(
                &state,
                &service,
                &account,
                &session.id_hash,
                false,
                &browser.client,
            );
            return match issued.await {
                Ok(url) => Redirect::to(&url).into_response(),
                Err(e) => failed(e.into()),
            };
        }
        if flag(&q.gateway) {
            return Redirect::to(&service).into_response();
        }
    }
    let mut to = format!("/login?service={}", encode(&service));
    if renew {
        to.push_str("&renew=true");
    }
    Redirect::to(&to).into_response()
}

#[derive(Deserialize)]
pub struct LogoutQuery {
    service: Option<String>,
}

/// `GET /cas/logout`: ends the single sign-on session.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    let browser = browser::of(&state.config, &headers, None);
    if let Some(token) = browser.token(Cookie::Session) {
        if let Err(e) = gatehouse_core::sign_in::sign_out(&state, &token, &browser.client).await {
            // Logged there; the browser is signed out here all the same.
            to_browser(e);
        }
    }
    browser.clear(Cookie::Session);
    let target = q
        .service
        .filter(|s| service_for(&state, s).is_some())
        .unwrap_or_else(|| "/login".into());
    let mut response = Redirect::to(&target).into_response();
    for value in browser::set_cookie_values(&state, &browser) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /cas/serviceValidate` and `/cas/p3/serviceValidate`.
pub async fn service_validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ValidateQuery>,
) -> Response {
    let client = client_info(&state.config, &headers, None);
    let result = validated(&state, &q, &client).await;
    validation_response(answer(result, wants_json(&q), true))
}

/// `GET /cas/proxyValidate`: validates service tickets as
/// `serviceValidate` does; Gatehouse issues no proxy tickets, so a
/// `pgtUrl` is refused.
pub async fn proxy_validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ValidateQuery>,
) -> Response {
    if q.pgt_url.is_some() {
        let failure = Failure(
            "UNAUTHORIZED_SERVICE_PROXY",
            "Proxying is not offered by Gatehouse".into(),
        );
        return validation_response(answer(Err(failure), wants_json(&q), true));
    }
    let client = client_info(&state.config, &headers, None);
    let result = validated(&state, &q, &client).await;
    validation_response(answer(result, wants_json(&q), true))
}

/// `GET /cas/proxy`: no proxy granting tickets are ever issued.
pub async fn proxy() -> Response {
    (
        [(header::CONTENT_TYPE, XML)],
        "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\"><cas:proxyFailure code=\"UNAUTHORIZED_SERVICE_PROXY\">\
         Proxying is not offered by Gatehouse</cas:proxyFailure></cas:serviceResponse>",
    )
        .into_response()
}

/// `GET /cas/validate` (CAS 1.0): `yes\nlogin\n` or `no\n`.
pub async fn validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ValidateQuery>,
) -> Response {
    let client = client_info(&state.config, &headers, None);
    let body = match validated(&state, &q, &client).await {
        Ok(v) => format!("yes\n{}\n", v.account.login),
        Err(_) => "no\n\n".to_owned(),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
