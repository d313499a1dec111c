//! The protocol logic of CAS 3.0 (Apereo's protocol): issuing one-time
//! service tickets and validating them, from request data to the answer's
//! body. The HTTP endpoints that call it are the server crate's.
use rand::Rng;
use serde::Deserialize;

use crate::config::CasService;
use crate::service_url::{ServicePattern, ServiceUrl};
use crate::sessions::hash_token;
use crate::Core;
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, StoreResult, Ticket};

/// The registered service a URL belongs to, if any: every place that
/// trusts a `service` asks this.
pub fn service_for<'a>(state: &'a Core, url: &str) -> Option<&'a CasService> {
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

/// Issues a service ticket for `account`, signed in with the session
/// whose hash is `session_hash`, and returns the service URL to send the
/// browser to.
pub async fn issue(
    state: &Core,
    service: &str,
    account: &Account,
    session_hash: &str,
    from_new_login: bool,
    client: &ClientInfo,
) -> StoreResult<String> {
    let ticket = new_ticket_id("ST");
    let now = state.clock.unix();
    // My Profile lists the e-services of each session; the ticket is kept
    // only for a service that is told when the session ends.
    let told = service_for(state, service).is_some_and(|s| s.single_logout);
    state
        .store
        .record_cas_login(session_hash, service, if told { &ticket } else { "" }, now)
        .await?;
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

pub fn service_name(state: &Core, service: &str) -> String {
    service_for(state, service)
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

/// A protocol flag: `true` or `1`.
pub fn flag(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| v == "true" || v == "1")
}

#[derive(Deserialize)]
pub struct ValidateQuery {
    pub service: Option<String>,
    pub ticket: Option<String>,
    pub renew: Option<String>,
    pub format: Option<String>,
    #[serde(rename = "pgtUrl")]
    pub pgt_url: Option<String>,
}

/// A validated ticket: who, and what the service may know.
pub struct Validated {
    pub account: Account,
    pub ticket: Ticket,
    pub attributes: Vec<(String, String)>,
}

/// The protocol's failure: a code and a description.
pub struct Failure(pub &'static str, pub String);

pub async fn check(state: &Core, q: &ValidateQuery) -> Result<Validated, Failure> {
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

/// The content type of every XML answer.
pub const XML: &str = "application/xml; charset=utf-8";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The answer to a validation: its content type and body, JSON or the
/// XML of CAS 3.0's schema.
pub fn answer(
    result: Result<Validated, Failure>,
    json: bool,
    with_attributes: bool,
) -> (&'static str, String) {
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
        return ("application/json", body.to_string());
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
        XML,
        format!("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">{inner}</cas:serviceResponse>"),
    )
}

/// Validates a ticket and records the validation in the audit log.
pub async fn validated(
    state: &Core,
    q: &ValidateQuery,
    client: &ClientInfo,
) -> Result<Validated, Failure> {
    let result = check(state, q).await;
    let (subject, outcome, detail) = match &result {
        Ok(v) => (
            v.account.login.clone(),
            Outcome::Success,
            service_name(state, &v.ticket.service),
        ),
        Err(Failure(code, _)) => (String::new(), Outcome::Failure, (*code).to_owned()),
    };
    let mut event =
        AuditEvent::by_user(&subject, Action::CasTicketValidated, outcome, client).detail(&detail);
    if subject.is_empty() {
        event.actor = None;
        event.subject = None;
    }
    if let Err(e) = state.store.record_audit(&event, state.clock.unix()).await {
        tracing::error!(error = %e, "recording a ticket validation failed");
    }
    result
}

pub fn wants_json(q: &ValidateQuery) -> bool {
    q.format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
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
