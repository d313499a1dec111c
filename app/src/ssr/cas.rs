//! Gatehouse as a CAS 3.0 server (Apereo's protocol): e-services send the
//! browser to `/cas/login`, get back a one-time service ticket, and
//! validate it server to server. They never see a password. The Gatehouse
//! session is the single sign-on session: a sign-out or a password change
//! ends it.
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rand::Rng;
use serde::Deserialize;

use crate::ssr::config::CasService;
use crate::ssr::service_url::{ServicePattern, ServiceUrl};
use crate::ssr::sessions::{self, hash_token, token_from_headers};
use crate::ssr::AppState;
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, StoreResult, Ticket};

/// The registered service a URL belongs to, if any: every place that
/// trusts a `service` asks this.
pub fn service_for<'a>(state: &'a AppState, url: &str) -> Option<&'a CasService> {
    let url = ServiceUrl::parse(url)?;
    state
        .config
        .cas
        .services
        .iter()
        .find(|s| ServicePattern::parse(&s.url_pattern).is_ok_and(|pattern| pattern.matches(&url)))
}

/// A ticket id: the prefix, then 43 characters of the alphabet CAS 3.0
/// section 3.7 allows (`A-Z a-z 0-9`; 43 of them carry 256 bits).
fn new_ticket_id(prefix: &str) -> String {
    let random: String = rand::rngs::OsRng
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect();
    format!("{prefix}-{random}")
}

/// Issues a service ticket for `account` and returns the service URL to
/// send the browser to.
pub async fn issue(
    state: &AppState,
    service: &str,
    account: &Account,
    from_new_login: bool,
    client: &ClientInfo,
) -> StoreResult<String> {
    let ticket = new_ticket_id("ST");
    let now = state.clock.unix();
    state
        .store
        .create_ticket(
            &hash_token(&ticket),
            &Ticket {
                service: service.to_owned(),
                account_id: account.id,
                from_new_login,
                issued_at: now,
                expires_at: now + i64::from(state.config.cas.ticket_lifetime_seconds),
            },
        )
        .await?;
    let event = AuditEvent::by_user(
        &account.login,
        Action::CasTicketIssued,
        Outcome::Success,
        client,
    )
    .detail(&service_name(state, service));
    state.store.record_audit(&event, now).await?;
    let separator = if service.contains('?') { '&' } else { '?' };
    Ok(format!("{service}{separator}ticket={ticket}"))
}

fn service_name(state: &AppState, service: &str) -> String {
    service_for(state, service)
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    service: Option<String>,
    renew: Option<String>,
    gateway: Option<String>,
}

fn flag(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| v == "true" || v == "1")
}

/// A value for a query string (`form_urlencoded`, as browsers encode).
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn refusal(status: StatusCode, title: &str, text: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} - Gatehouse</title>\
         <link rel=\"stylesheet\" href=\"/pkg/gatehouse.css\"></head><body><main><section class=\"card\" id=\"cas-refusal\">\
         <h1>{title}</h1><p>{text}</p><p><a class=\"button\" href=\"/\">Gatehouse</a></p></section></main></body></html>"
    );
    (status, Html(page)).into_response()
}

fn unregistered() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Unknown e-service",
        "This e-service is not registered with Gatehouse, so Gatehouse will not sign you in to it. \
         Please check the address, or contact the e-service's administrator.",
    )
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
        let token = token_from_headers(&headers, &state.config.session_cookie_name());
        let signed_in = match token {
            Some(token) => sessions::live(&state, &token).await.ok().flatten(),
            None => None,
        };
        if let Some((_, account)) = signed_in {
            if sessions::must_change(&state, &account) {
                return Redirect::to("/account/password").into_response();
            }
            match sessions::enrolment_pending(&state, &account).await {
                Ok(false) => {}
                Ok(true) => return Redirect::to("/account/security-info").into_response(),
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
            let client = crate::ssr::request::client_info(&state.config, &headers, None);
            return match issue(&state, &service, &account, false, &client).await {
                Ok(url) => Redirect::to(&url).into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "issuing a service ticket failed");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
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
    if let Some(token) = token_from_headers(&headers, &state.config.session_cookie_name()) {
        let client = crate::ssr::request::client_info(&state.config, &headers, None);
        if let Err(e) = crate::sign_in::service::sign_out(&state, &token, &client).await {
            tracing::error!(error = ?e, "CAS logout failed");
        }
    }
    let target = q
        .service
        .filter(|s| service_for(&state, s).is_some())
        .unwrap_or_else(|| "/login".into());
    let mut response = Redirect::to(&target).into_response();
    let cookie = sessions::session_cookie(&state, "", Some(0));
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct ValidateQuery {
    service: Option<String>,
    ticket: Option<String>,
    renew: Option<String>,
    format: Option<String>,
    #[serde(rename = "pgtUrl")]
    pgt_url: Option<String>,
}

/// A validated ticket: who, and what the service may know.
struct Validated {
    account: Account,
    ticket: Ticket,
    attributes: Vec<(String, String)>,
}

/// The protocol's failure: a code and a description.
struct Failure(&'static str, String);

async fn check(state: &AppState, q: &ValidateQuery) -> Result<Validated, Failure> {
    let (Some(service), Some(ticket)) = (
        q.service.as_deref().filter(|s| !s.is_empty()),
        q.ticket.as_deref().filter(|t| !t.is_empty()),
    ) else {
        return Err(Failure(
            "INVALID_REQUEST",
            "service and ticket parameters are both required".into(),
        ));
    };
    if !ticket.starts_with("ST-") {
        return Err(Failure(
            "INVALID_TICKET_SPEC",
            format!("Ticket {ticket} is not a service ticket"),
        ));
    }
    let stored = state
        .store
        .take_ticket(&hash_token(ticket))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading a service ticket failed");
            Failure("INTERNAL_ERROR", "The ticket could not be checked".into())
        })?;
    let not_recognized = || Failure("INVALID_TICKET", format!("Ticket {ticket} not recognized"));
    let stored = stored.ok_or_else(not_recognized)?;
    if stored.expires_at <= state.clock.unix() {
        return Err(not_recognized());
    }
    if stored.service != service {
        return Err(Failure(
            "INVALID_SERVICE",
            format!("Ticket {ticket} was not issued for this service"),
        ));
    }
    if flag(&q.renew) && !stored.from_new_login {
        return Err(Failure(
            "INVALID_TICKET",
            format!("Ticket {ticket} was not issued from a new sign-in"),
        ));
    }
    let account = state
        .store
        .account_by_id(stored.account_id)
        .await
        .ok()
        .flatten()
        .ok_or_else(not_recognized)?;
    let allowed = service_for(state, service)
        .map(|s| s.attributes.clone())
        .unwrap_or_default();
    // The order CAS 3.0's schema (appendix A) fixes for the first three.
    let mut attributes = vec![
        (
            "authenticationDate".to_owned(),
            time::OffsetDateTime::from_unix_timestamp(stored.issued_at)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default(),
        ),
        (
            "longTermAuthenticationRequestTokenUsed".to_owned(),
            "false".to_owned(),
        ),
        (
            "isFromNewLogin".to_owned(),
            stored.from_new_login.to_string(),
        ),
    ];
    for name in allowed {
        let value = match name.as_str() {
            "display_name" => account.display_name.clone(),
            "email" => account.email.clone(),
            "role" => account.role.as_str().to_owned(),
            _ => continue,
        };
        attributes.push((name, value));
    }
    Ok(Validated {
        account,
        ticket: stored,
        attributes,
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn answer(result: Result<Validated, Failure>, json: bool, with_attributes: bool) -> Response {
    if json {
        let body = match result {
            Ok(v) => {
                let mut success = serde_json::json!({ "user": v.account.login });
                if with_attributes {
                    let attrs: serde_json::Map<String, serde_json::Value> = v
                        .attributes
                        .into_iter()
                        .map(|(k, val)| (k, serde_json::Value::Array(vec![val.into()])))
                        .collect();
                    success["attributes"] = attrs.into();
                }
                serde_json::json!({ "serviceResponse": { "authenticationSuccess": success } })
            }
            Err(Failure(code, description)) => serde_json::json!({
                "serviceResponse": { "authenticationFailure": { "code": code, "description": description } }
            }),
        };
        return (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let inner = match result {
        Ok(v) => {
            let attributes = if with_attributes {
                let items: String = v
                    .attributes
                    .iter()
                    .map(|(k, val)| format!("<cas:{k}>{}</cas:{k}>", xml_escape(val)))
                    .collect();
                format!("<cas:attributes>{items}</cas:attributes>")
            } else {
                String::new()
            };
            format!(
                "<cas:authenticationSuccess><cas:user>{}</cas:user>{attributes}</cas:authenticationSuccess>",
                xml_escape(&v.account.login)
            )
        }
        Err(Failure(code, description)) => format!(
            "<cas:authenticationFailure code=\"{code}\">{}</cas:authenticationFailure>",
            xml_escape(&description)
        ),
    };
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        format!("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">{inner}</cas:serviceResponse>"),
    )
        .into_response()
}

async fn validated(
    state: &AppState,
    q: &ValidateQuery,
    headers: &HeaderMap,
) -> Result<Validated, Failure> {
    let result = check(state, q).await;
    let client = crate::ssr::request::client_info(&state.config, headers, None);
    let (subject, outcome, detail) = match &result {
        Ok(v) => (
            v.account.login.clone(),
            Outcome::Success,
            service_name(state, &v.ticket.service),
        ),
        Err(Failure(code, _)) => (String::new(), Outcome::Failure, (*code).to_owned()),
    };
    let mut event =
        AuditEvent::by_user(&subject, Action::CasTicketValidated, outcome, &client).detail(&detail);
    if subject.is_empty() {
        event.actor = None;
        event.subject = None;
    }
    if let Err(e) = state.store.record_audit(&event, state.clock.unix()).await {
        tracing::error!(error = %e, "recording a ticket validation failed");
    }
    result
}

fn wants_json(q: &ValidateQuery) -> bool {
    q.format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
}

/// `GET /cas/serviceValidate` and `/cas/p3/serviceValidate`.
pub async fn service_validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ValidateQuery>,
) -> Response {
    let result = validated(&state, &q, &headers).await;
    answer(result, wants_json(&q), true)
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
        return answer(Err(failure), wants_json(&q), true);
    }
    let result = validated(&state, &q, &headers).await;
    answer(result, wants_json(&q), true)
}

/// `GET /cas/proxy`: no proxy granting tickets are ever issued.
pub async fn proxy() -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
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
    let body = match validated(&state, &q, &headers).await {
        Ok(v) => format!("yes\n{}\n", v.account.login),
        Err(_) => "no\n\n".to_owned(),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::new_ticket_id;

    #[test]
    fn tickets_use_only_the_protocol_alphabet() {
        for _ in 0..200 {
            let ticket = new_ticket_id("ST");
            let (prefix, random) = ticket.split_at(3);
            assert_eq!(prefix, "ST-");
            assert_eq!(random.len(), 43);
            assert!(
                random.chars().all(|c| c.is_ascii_alphanumeric()),
                "{ticket}"
            );
        }
    }
}
