//! Telling e-services that a sign-in session ended (sign-out, a password
//! change or reset, an administrator's action, expiry): an OpenID Connect
//! back-channel logout token (Back-Channel Logout 1.0) to each client that
//! registered a URI for it, and a SAML `LogoutRequest` (CAS single logout)
//! to each CAS service that opted in. A worker finds the sessions that
//! ended, queues one notice per e-service in the database, and delivers
//! them with retries, so none is lost across a restart and none ever
//! delays the user.
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::error::{Context, Result};
use crate::oidc::{self, keys};
use crate::Core;
use gatehouse_store::{EndedLogin, LogoutNotice, NoticeBody};

/// How often the worker looks for ended sessions when not woken.
const POLL: Duration = Duration::from_secs(2);
/// Deliveries tried before a notice is given up (the last about an hour
/// after the first).
const ATTEMPTS: i64 = 8;
const BATCH: i64 = 50;
/// How long an e-service may take to answer a notice.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The SAML 2.0 `LogoutRequest` CAS sends (Apereo CAS protocol, section
/// "Single Logout"): the ticket is the session index the service knows.
pub fn saml_logout_request(ticket: &str, id: &str, issue_instant: &str) -> String {
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{issue_instant}\"><saml:NameID>@NOT_USED@</saml:NameID>\
         <samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"
    )
}

fn form(name: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish()
}

/// The notice an ended sign-in gets, if its e-service asked for one.
fn notice(state: &Core, login: &EndedLogin) -> Option<LogoutNotice> {
    match login {
        EndedLogin::Oidc {
            client_id,
            account_id,
            ..
        } => {
            let uri = oidc::client(state, client_id)?
                .backchannel_logout_uri
                .clone()?;
            Some(LogoutNotice {
                target: uri,
                what: NoticeBody::BackChannel {
                    client_id: client_id.clone(),
                    account_id: *account_id,
                },
            })
        }
        EndedLogin::Cas {
            service, ticket, ..
        } => {
            let told = crate::cas::service_for(state, service).is_some_and(|s| s.single_logout);
            if !told || ticket.is_empty() {
                return None;
            }
            let now = state.clock.unix();
            let instant = time::OffsetDateTime::from_unix_timestamp(now)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            let id = format!("LR-{}", oidc::new_token());
            Some(LogoutNotice {
                target: service.clone(),
                what: NoticeBody::Form(form(
                    "logoutRequest",
                    &saml_logout_request(ticket, &id, &instant),
                )),
            })
        }
    }
}

/// The form body a notice is sent with: a logout token is signed now, so
/// a retry never carries an expired one.
async fn body(state: &Core, what: &NoticeBody) -> Result<Option<String>> {
    match what {
        NoticeBody::Form(body) => Ok(Some(body.clone())),
        NoticeBody::BackChannel {
            client_id,
            account_id,
        } => {
            // A client no longer registered is told nothing.
            let Some(client) = oidc::client(state, client_id) else {
                return Ok(None);
            };
            let now = state.clock.unix();
            let claims = json!({
                "iss": oidc::issuer(state),
                "aud": client.client_id,
                "iat": now,
                "exp": now + 120,
                "jti": oidc::new_token(),
                "sub": oidc::subject(state, client, *account_id),
                "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
            });
            let token = keys::sign(
                state,
                &client.id_token_signed_response_alg,
                "logout+jwt",
                &claims,
            )
            .await?;
            Ok(Some(form("logout_token", &token)))
        }
    }
}

/// Queues a notice for every e-service sign-in whose session has ended;
/// how many were queued.
pub async fn queue_ended(state: &Core) -> Result<usize> {
    let mut queued = 0;
    let ended = state
        .store
        .ended_logins(crate::sessions::limits(state), BATCH)
        .await?;
    for login in ended {
        let notice = notice(state, &login);
        let claimed = state
            .store
            .queue_logout(&login, notice.as_ref(), state.clock.unix())
            .await?;
        if claimed && notice.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Tries every notice that is due; how many were delivered.
pub async fn deliver_due(state: &Core, http: &reqwest::Client) -> Result<usize> {
    let now = state.clock.unix();
    let mut delivered = 0;
    for (id, attempts, notice) in state.store.due_logout_notices(now, BATCH).await? {
        let Some(body) = body(state, &notice.what).await? else {
            state.store.mark_logout_failed(id, None).await?;
            continue;
        };
        let sent = http
            .post(&notice.target)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                state.store.mark_logout_sent(id, now).await?;
                delivered += 1;
            }
            failed => {
                let why = match failed {
                    Ok(r) => format!("answered {}", r.status()),
                    Err(e) => e.to_string(),
                };
                let tried = attempts + 1;
                // 30 s, 1, 2, 4 … minutes apart.
                let retry_at = (tried < ATTEMPTS).then(|| now + 30 * (1 << (tried - 1).min(7)));
                tracing::warn!(target = %notice.target, attempt = tried, "a logout notice was not delivered: {why}");
                state.store.mark_logout_failed(id, retry_at).await?;
            }
        }
    }
    Ok(delivered)
}

/// The HTTP client notices go out with.
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the logout notices' HTTP client")
}

/// Runs until the process stops: queues and delivers notices when woken
/// (a sign-out) and every few seconds (sessions that ended otherwise).
pub fn spawn(state: Arc<Core>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = match http_client() {
            Ok(http) => http,
            Err(e) => {
                e.set_aside("logout notices cannot be sent");
                return;
            }
        };
        loop {
            if let Err(e) = queue_ended(&state).await {
                e.set_aside("queuing logout notices");
            }
            if let Err(e) = deliver_due(&state, &http).await {
                e.set_aside("delivering logout notices");
            }
            tokio::select! {
                _ = state.logout_wakeup.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logout_request_names_the_ticket_as_its_session_index() {
        let xml = saml_logout_request("ST-abc", "LR-1", "2026-12-05T12:00:00Z");
        assert!(xml.contains("<samlp:SessionIndex>ST-abc</samlp:SessionIndex>"));
        assert!(xml.starts_with(
            "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\""
        ));
        assert_eq!(
            form("logoutRequest", "<a b=\"c\"/>"),
            "logoutRequest=%3Ca+b%3D%22c%22%2F%3E"
        );
    }
}
