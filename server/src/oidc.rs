//! Gatehouse as an OpenID Connect provider: the HTTP endpoints over
//! `gatehouse_core::oidc`. The browser-facing ones (authorization,
//! logout) share the sign-in session with CAS; the back-channel ones
//! (token, userinfo, revocation, introspection) take no cookies, answer
//! any origin, and are kept out of the same-origin check for that reason.
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use app::ssr::browser;
use app::ssr::state::to_browser;
use app::ssr::AppState;
use gatehouse_core::oidc::authorize::{
    authorize as decide, Authorize, AuthorizeRequest, Untrusted,
};
use gatehouse_core::oidc::logout::{plan, Logout, LogoutRefusal, LogoutRequest};
use gatehouse_core::oidc::token::{self, Basic, TokenRequest};
use gatehouse_core::oidc::{self, OAuthError};
use gatehouse_core::{sessions, Cookie};

/// The endpoints e-services call server to server (or from a page of
/// theirs, with CORS): no cookie is read, so no cross-site forgery.
pub fn back_channel() -> Router<AppState> {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/token", post(token_endpoint))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/revoke", post(revoke))
        .route("/oidc/introspect", post(introspect))
        .layer(cors)
}

/// The endpoints the browser is sent to.
pub fn front_channel() -> Router<AppState> {
    Router::new()
        .route(oidc::AUTHORIZE_PATH, get(authorize_get))
        .route("/oidc/logout", get(logout_get).post(logout_post))
        .route("/oidc/consent", post(consent_post))
}

/// The authorization endpoint takes a cross-site form post too (Core 1.0
/// section 3.1.2.1); it changes nothing a forged request could use.
pub fn authorize_post_route() -> Router<AppState> {
    Router::new().route(oidc::AUTHORIZE_PATH, post(authorize_post))
}

/// A failure as the answer: logged once with its cause.
fn failed(error: gatehouse_core::Error) -> Response {
    let status = to_browser(error).status();
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(e: &OAuthError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, Json(e.body())).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    no_store(response)
}

fn json_answer(answer: gatehouse_core::Result<Result<serde_json::Value, OAuthError>>) -> Response {
    match answer {
        Ok(Ok(body)) => no_store(Json(body).into_response()),
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => failed(e),
    }
}

/// A form body, or the protocol's own `invalid_request`.
fn form<T>(body: Result<Form<T>, FormRejection>) -> Result<T, OAuthError> {
    body.map(|Form(t)| t).map_err(|rejection| {
        OAuthError::new(
            "invalid_request",
            format!(
                "the request body is not a valid form: {}",
                rejection.body_text()
            ),
        )
    })
}

/// A direct request's form and its client's Basic credentials, if any.
fn direct(
    headers: &HeaderMap,
    body: Result<Form<TokenRequest>, FormRejection>,
) -> Result<(TokenRequest, Option<Basic>), OAuthError> {
    Ok((form(body)?, basic(headers)?))
}

/// `Authorization: Basic`, decoded as RFC 6749 section 2.3.1 says (each
/// part form-urlencoded before base64). `Err`: a header that is there
/// but cannot be read.
fn basic(headers: &HeaderMap) -> Result<Option<Basic>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::new("invalid_client", "the Authorization header cannot be read");
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded)
    else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some(Basic {
        client_id: unescape(id),
        secret: unescape(secret),
    }))
}

/// `GET /.well-known/openid-configuration`
async fn discovery(State(state): State<AppState>) -> Response {
    Json(oidc::discovery(&state)).into_response()
}

/// `GET /oidc/jwks`
async fn jwks(State(state): State<AppState>) -> Response {
    match oidc::keys::jwks(&state).await {
        Ok(set) => {
            let mut response = Json(set).into_response();
            // Short: a rotation reaches clients within minutes.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        Err(e) => failed(e),
    }
}

async fn token_endpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let (req, basic) = match direct(&headers, body) {
        Ok(parts) => parts,
        Err(e) => return oauth_error(&e),
    };
    let from = app::ssr::request::client_info(&state.config, &headers, None);
    json_answer(token::token(&state, &req, basic.as_ref(), &from).await)
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    match direct(&headers, body) {
        Ok((req, basic)) => json_answer(token::revoke(&state, &req, basic.as_ref()).await),
        Err(e) => oauth_error(&e),
    }
}

async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    match direct(&headers, body) {
        Ok((req, basic)) => json_answer(token::introspect(&state, &req, basic.as_ref()).await),
        Err(e) => oauth_error(&e),
    }
}

/// `GET|POST /oidc/userinfo` with `Authorization: Bearer` (RFC 6750).
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // The scheme's name is case-insensitive (RFC 9110 section 11.1).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // Without a token at all, no error code (RFC 6750 section 3.1).
    let refused = |error: Option<&'static str>| {
        let body = error.map_or_else(
            || serde_json::json!({}),
            |e| serde_json::json!({ "error": e }),
        );
        let mut response = no_store((StatusCode::UNAUTHORIZED, Json(body)).into_response());
        let challenge = match error {
            Some(e) => format!("Bearer realm=\"gatehouse\", error=\"{e}\""),
            None => "Bearer realm=\"gatehouse\"".to_owned(),
        };
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(token) = bearer.filter(|t| !t.is_empty()) else {
        return refused(None);
    };
    match token::userinfo(&state, token).await {
        Ok(Some(claims)) => no_store(Json(claims).into_response()),
        Ok(None) => refused(Some("invalid_token")),
        Err(e) => failed(e),
    }
}

/// The language of a plain page: the one the person chose, else English.
fn chinese(state: &AppState, headers: &HeaderMap) -> bool {
    let name = state.config.cookie_name(app::LANGUAGE_COOKIE);
    browser::token_from_headers(headers, &name).is_some_and(|l| l == "zh-Hant")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain page in the person's language: `lang`, title and body HTML.
fn page(status: StatusCode, zh: bool, id: &str, title: &str, body: &str) -> Response {
    let lang = if zh { "zh-Hant" } else { "en" };
    let css = app::ssr::assets::stylesheet();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} - Gatehouse</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body><main><section class=\"card narrow\" id=\"{id}\">\
         <h1>{title}</h1>{body}</section></main></body></html>"
    );
    let policy = (header::CONTENT_SECURITY_POLICY, app::ssr::csp::PLAIN_PAGE);
    (status, [policy], Html(html)).into_response()
}

fn untrusted(zh: bool, why: Untrusted) -> Response {
    let text = match (why, zh) {
        (Untrusted::UnknownClient, false) => "This e-service is not registered with Gatehouse, so Gatehouse will not sign you in to it. Please check the address, or contact the e-service's administrator.",
        (Untrusted::UnknownClient, true) => "此電子服務未在 Gatehouse 登記，因此 Gatehouse 不會為你登入。請檢查網址，或聯絡該電子服務的管理員。",
        (Untrusted::RedirectUri, false) => "This e-service asked Gatehouse to send you to an address it has not registered, so Gatehouse will not sign you in to it. Please contact the e-service's administrator.",
        (Untrusted::RedirectUri, true) => "此電子服務要求 Gatehouse 把你送往一個未登記的網址，因此 Gatehouse 不會為你登入。請聯絡該電子服務的管理員。",
    };
    let title = if zh {
        "未知的電子服務"
    } else {
        "Unknown e-service"
    };
    page(
        StatusCode::BAD_REQUEST,
        zh,
        "oidc-refusal",
        title,
        &format!("<p>{text}</p><p><a class=\"button\" href=\"/\">Gatehouse</a></p>"),
    )
}

async fn authorize_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuthorizeRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match query {
        Ok(Query(req)) => authorize(&state, &headers, req).await,
        // Duplicated or unreadable parameters: nothing can be trusted.
        Err(_) => untrusted(chinese(&state, &headers), Untrusted::UnknownClient),
    }
}

async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<AuthorizeRequest>, FormRejection>,
) -> Response {
    match body {
        Ok(Form(req)) => authorize(&state, &headers, req).await,
        Err(_) => untrusted(chinese(&state, &headers), Untrusted::UnknownClient),
    }
}

async fn authorize(state: &AppState, headers: &HeaderMap, req: AuthorizeRequest) -> Response {
    let browser = browser::of(&state.config, headers, None);
    let signed_in = match browser.token(Cookie::Session) {
        Some(token) => match sessions::live(state, &token).await {
            Ok(found) => found,
            Err(e) => return failed(e),
        },
        None => None,
    };
    match decide(state, &req, signed_in, &browser.client).await {
        Ok(Authorize::Redirect(to)) => no_store(Redirect::to(&to).into_response()),
        Ok(Authorize::SignIn {
            continuation,
            login_hint,
        }) => {
            let mut to = format!("/login?service={}", encode(&continuation));
            if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
                to.push_str("&login_hint=");
                to.push_str(&encode(&hint));
            }
            Redirect::to(&to).into_response()
        }
        Ok(Authorize::Interrupted(path)) => Redirect::to(path).into_response(),
        Ok(Authorize::Refused(why)) => untrusted(chinese(state, headers), why),
        Ok(Authorize::Consent {
            client_name,
            scopes,
            continuation,
        }) => consent_page(
            chinese(state, headers),
            &client_name,
            &scopes,
            &continuation,
        ),
        Err(e) => failed(e),
    }
}

/// What a scope gives an e-service, in the person's language.
fn scope_words(zh: bool, scope: &str) -> &'static str {
    match (scope, zh) {
        ("profile", false) => "your name and login name",
        ("profile", true) => "你的姓名及登入名稱",
        ("email", false) => "your email address",
        ("email", true) => "你的電郵地址",
        ("roles", false) => "your role at the university (student, staff …)",
        ("roles", true) => "你在大學的身分（學生、職員等）",
        (_, false) => "that you are signed in",
        (_, true) => "你已登入",
    }
}

fn consent_page(zh: bool, client_name: &str, scopes: &[String], continuation: &str) -> Response {
    let name = escape(client_name);
    let mut items: Vec<&str> = scopes.iter().map(|s| scope_words(zh, s)).collect();
    if items.is_empty() {
        items.push(scope_words(zh, "openid"));
    }
    let list: String = items.iter().map(|i| format!("<li>{i}</li>")).collect();
    let (title, lead, allow, deny) = if zh {
        (
            "允許電子服務存取",
            format!("「{name}」希望透過 Gatehouse 得知："),
            "允許",
            "不允許",
        )
    } else {
        (
            "Allow an e-service",
            format!("{name} would like to know, through Gatehouse:"),
            "Allow",
            "Don't allow",
        )
    };
    let body = format!(
        "<p>{lead}</p><ul id=\"consent-scopes\">{list}</ul>\
         <form method=\"post\" action=\"/oidc/consent\" class=\"form\">\
         <input type=\"hidden\" name=\"continuation\" value=\"{}\">\
         <button type=\"submit\" class=\"primary\" name=\"decision\" value=\"allow\" id=\"consent-allow\">{allow}</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"consent-deny\">{deny}</button></form>",
        escape(continuation)
    );
    no_store(page(StatusCode::OK, zh, "oidc-consent", title, &body))
}

#[derive(serde::Deserialize)]
struct ConsentForm {
    continuation: String,
    decision: String,
}

/// `POST /oidc/consent`: the consent page's answer (same origin only).
async fn consent_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    let zh = chinese(&state, &headers);
    let Ok(Form(answer)) = body else {
        return untrusted(zh, Untrusted::UnknownClient);
    };
    let allow = match answer.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return untrusted(zh, Untrusted::UnknownClient),
    };
    let browser = browser::of(&state.config, &headers, None);
    let signed_in = match browser.token(Cookie::Session) {
        Some(token) => match sessions::live(&state, &token).await {
            Ok(found) => found,
            Err(e) => return failed(e),
        },
        None => None,
    };
    let Some((_, account)) = signed_in else {
        // Signed out meanwhile: sign in again, then the same question.
        let to = if oidc::is_continuation(&answer.continuation) {
            format!("/login?service={}", encode(&answer.continuation))
        } else {
            "/login".to_owned()
        };
        return Redirect::to(&to).into_response();
    };
    match oidc::authorize::consent(&state, &answer.continuation, &account, allow).await {
        Ok(Authorize::Redirect(to)) => no_store(Redirect::to(&to).into_response()),
        Ok(Authorize::Refused(why)) => untrusted(zh, why),
        Ok(_) => untrusted(zh, Untrusted::UnknownClient),
        Err(e) => failed(e),
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn logout_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<LogoutRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(req)) = query else {
        return logout_refused(chinese(&state, &headers), LogoutRefusal::BadHint);
    };
    logout(&state, &headers, req, false).await
}

/// The confirmation page's form (same origin: the check before every
/// write applies).
async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<LogoutRequest>, FormRejection>,
) -> Response {
    let Ok(Form(req)) = body else {
        return logout_refused(chinese(&state, &headers), LogoutRefusal::BadHint);
    };
    logout(&state, &headers, req, true).await
}

async fn logout(
    state: &AppState,
    headers: &HeaderMap,
    req: LogoutRequest,
    confirmed: bool,
) -> Response {
    let zh = chinese(state, headers);
    let browser = browser::of(&state.config, headers, None);
    let signed_in = match browser.token(Cookie::Session) {
        Some(token) => match sessions::live(state, &token).await {
            Ok(found) => found.map(|(_, account)| account.id),
            Err(e) => return failed(e),
        },
        None => None,
    };
    let then = match plan(state, &req, signed_in).await {
        Ok(Logout::SignOut { then }) => then,
        Ok(Logout::Confirm { then }) if confirmed => then,
        Ok(Logout::Confirm { .. }) => return confirm_page(zh, &req),
        Ok(Logout::Refused(why)) => return logout_refused(zh, why),
        Err(e) => return failed(e),
    };
    if let Some(token) = browser.token(Cookie::Session) {
        if let Err(e) = gatehouse_core::sign_in::sign_out(state, &token, &browser.client).await {
            // Logged there; the browser is signed out here all the same.
            to_browser(e);
        }
    }
    browser.clear(Cookie::Session);
    let mut response = Redirect::to(&then).into_response();
    for value in browser::set_cookie_values(state, &browser) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn confirm_page(zh: bool, req: &LogoutRequest) -> Response {
    let hidden = |name: &str, value: &Option<String>| {
        value.as_deref().map_or(String::new(), |v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    };
    let (title, text, button) = if zh {
        (
            "登出",
            "你是否要登出 Gatehouse？你將會從所有經 Gatehouse 登入的電子服務登出。",
            "登出",
        )
    } else {
        (
            "Sign out",
            "Do you want to sign out of Gatehouse? You will be signed out of every e-service you signed in to through Gatehouse.",
            "Sign out",
        )
    };
    let body = format!(
        "<p>{text}</p><form method=\"post\" action=\"/oidc/logout\" class=\"form\">{}{}{}\
         <button type=\"submit\" class=\"primary\" id=\"confirm-sign-out\">{button}</button></form>",
        hidden("post_logout_redirect_uri", &req.post_logout_redirect_uri),
        hidden("state", &req.state),
        hidden("client_id", &req.client_id),
    );
    page(StatusCode::OK, zh, "oidc-logout", title, &body)
}

fn logout_refused(zh: bool, why: LogoutRefusal) -> Response {
    let text = match (why, zh) {
        (LogoutRefusal::BadHint, false) => "This sign-out request did not come with a valid sign-in of Gatehouse's, so it cannot be completed here. You can still sign out from My Profile.",
        (LogoutRefusal::BadHint, true) => "此登出要求沒有附上有效的 Gatehouse 登入資料，因此無法在此完成。你仍可在「我的個人資料」登出。",
        (LogoutRefusal::UnregisteredUri, false) => "This e-service asked Gatehouse to send you to an address it has not registered after signing out. Please contact the e-service's administrator.",
        (LogoutRefusal::UnregisteredUri, true) => "此電子服務要求 Gatehouse 在登出後把你送往一個未登記的網址。請聯絡該電子服務的管理員。",
    };
    let title = if zh {
        "無法登出"
    } else {
        "Sign-out not completed"
    };
    page(
        StatusCode::BAD_REQUEST,
        zh,
        "oidc-logout-refusal",
        title,
        &format!("<p>{text}</p><p><a class=\"button\" href=\"/account\">Gatehouse</a></p>"),
    )
}
