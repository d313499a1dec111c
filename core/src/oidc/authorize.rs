//! The authorization endpoint (OpenID Connect Core 1.0 section 3.1.2):
//! the authorization code flow only, PKCE, `prompt`, `max_age`,
//! `login_hint` and `acr_values`. Everything Gatehouse checks before a CAS
//! ticket applies before a code: the session, a password that must be
//! changed, a 2-step method still to add, the account's standing.
use serde::Deserialize;

use super::{client, hash, issuer, new_token, OAuthError, ACR_TWO_STEP, AUTHORIZE_PATH};
use crate::config::OidcClient;
use crate::error::Result;
use crate::{factors, sessions, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::{Account, AuthorizationCode, ClientInfo, Session};

/// An authorization request as it arrives (query or form).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Option<String>,
    pub ui_locales: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// Set by Gatehouse when it sends the browser to sign in again: a tag
    /// of the session that the new sign-in must replace.
    pub replaces: Option<String>,
}

/// Why a request is refused on Gatehouse's own page: nothing about it can
/// be trusted to redirect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted {
    UnknownClient,
    RedirectUri,
}

/// What the browser is sent to.
#[derive(Debug, PartialEq, Eq)]
pub enum Authorize {
    /// A page at Gatehouse says the request cannot be answered.
    Refused(Untrusted),
    /// Back to the client, with a code or an error.
    Redirect(String),
    /// To the sign-in page, coming back to `continuation` afterwards.
    SignIn {
        continuation: String,
        login_hint: Option<String>,
    },
    /// To a page of Gatehouse that must come first (a new password, a
    /// first 2-step method).
    Interrupted(&'static str),
    /// Ask the user first: the e-service's name, what it would receive
    /// (scopes besides `openid`), and the request to come back to.
    Consent {
        client_name: String,
        scopes: Vec<String>,
        continuation: String,
    },
}

/// The requested scopes that this client may have, in a fixed order.
fn granted_scope(client: &OidcClient, requested: &str) -> String {
    super::SCOPES
        .iter()
        .filter(|s| requested.split(' ').any(|r| r == **s))
        .filter(|s| client.scopes.iter().any(|c| c == *s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `uri` with `params` added to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = url::Url::parse(uri).map_or_else(|_| uri.to_owned(), |u| u.to_string());
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let query = query.finish();
    out.push(if out.contains('?') { '&' } else { '?' });
    out.push_str(&query);
    out
}

/// The same request, to come back to after signing in (`replacing`: the
/// tag of a session that does not count, so the sign-in must be new).
fn continuation(req: &AuthorizeRequest, replacing: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let fields: [(&str, &Option<String>); 15] = [
        ("client_id", &req.client_id),
        ("redirect_uri", &req.redirect_uri),
        ("response_type", &req.response_type),
        ("response_mode", &req.response_mode),
        ("scope", &req.scope),
        ("state", &req.state),
        ("nonce", &req.nonce),
        ("code_challenge", &req.code_challenge),
        ("code_challenge_method", &req.code_challenge_method),
        ("prompt", &req.prompt),
        ("max_age", &req.max_age),
        ("login_hint", &req.login_hint),
        ("acr_values", &req.acr_values),
        ("ui_locales", &req.ui_locales),
        ("replaces", &req.replaces),
    ];
    for (name, value) in fields {
        if name == "replaces" && replacing.is_some() {
            continue;
        }
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    if let Some(tag) = replacing {
        query.append_pair("replaces", tag);
    }
    format!("{AUTHORIZE_PATH}?{}", query.finish())
}

/// Answers an authorization request for a browser whose live session (if
/// any) is `signed_in`.
pub async fn authorize(
    state: &Core,
    req: &AuthorizeRequest,
    signed_in: Option<(Session, Account)>,
    from: &ClientInfo,
) -> Result<Authorize> {
    let Some(client) = req.client_id.as_deref().and_then(|id| client(state, id)) else {
        return Ok(Authorize::Refused(Untrusted::UnknownClient));
    };
    // Exact match only: a redirect URI is never guessed or completed.
    let Some(redirect_uri) = req
        .redirect_uri
        .as_deref()
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return Ok(Authorize::Refused(Untrusted::RedirectUri));
    };
    let back = |params: &[(&str, &str)]| {
        let mut params = params.to_vec();
        if let Some(s) = req.state.as_deref() {
            params.push(("state", s));
        }
        let iss = issuer(state);
        params.push(("iss", &iss));
        Authorize::Redirect(with_query(redirect_uri, &params))
    };
    let refuse = |e: OAuthError| {
        back(&[
            ("error", e.code),
            ("error_description", e.description.as_str()),
        ])
    };
    match checked(client, req) {
        Ok(()) => {}
        Err(e) => return Ok(refuse(e)),
    }
    let prompts: Vec<&str> = req
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .collect();
    let silent = prompts.contains(&"none");
    let now = state.clock.unix();
    let sign_in = |replacing: Option<&str>| Authorize::SignIn {
        continuation: continuation(req, replacing),
        login_hint: req.login_hint.clone(),
    };

    let Some((session, account)) = signed_in else {
        return Ok(if silent {
            refuse(OAuthError::new(
                "login_required",
                "the user is not signed in",
            ))
        } else {
            sign_in(None)
        });
    };
    // A session that began after Gatehouse asked for a new sign-in.
    let renewed = req
        .replaces
        .as_deref()
        .is_some_and(|mark| renews(state, mark, &session));
    let mark = replacement_mark(state, &session, now);
    let too_old = req
        .max_age
        .as_deref()
        .and_then(|m| m.parse::<i64>().ok())
        .is_some_and(|max_age| now - session.created_at > max_age);
    let wants_fresh = prompts.contains(&"login") || too_old;
    if wants_fresh && !renewed {
        return Ok(if silent {
            refuse(OAuthError::new(
                "login_required",
                "the sign-in is older than max_age allows",
            ))
        } else {
            sign_in(Some(&mark))
        });
    }
    if sessions::must_change(state, &account) {
        return Ok(if silent {
            refuse(OAuthError::new(
                "interaction_required",
                "the user must change their password first",
            ))
        } else {
            Authorize::Interrupted("/account/password")
        });
    }
    if sessions::enrolment_pending(state, &account).await? {
        return Ok(if silent {
            refuse(OAuthError::new(
                "interaction_required",
                "the user must add a 2-step verification method first",
            ))
        } else {
            Authorize::Interrupted("/account/security-info")
        });
    }
    let wants_two_step = client.require_two_step
        || req
            .acr_values
            .as_deref()
            .is_some_and(|v| v.split(' ').any(|a| a == ACR_TWO_STEP));
    if wants_two_step && !session.two_step {
        let doc = factors::load(state, account.id).await?.doc;
        if silent || !factors::two_step_on(state, &account, &doc) {
            return Ok(refuse(OAuthError::new(
                if silent {
                    "interaction_required"
                } else {
                    "access_denied"
                },
                "this e-service requires 2-step verification, which the user has not passed",
            )));
        }
        // A new sign-in asks the second step of an account that has it;
        // one that came back without it gets nothing.
        if renewed {
            return Ok(refuse(OAuthError::new(
                "access_denied",
                "this e-service requires 2-step verification, which the user has not passed",
            )));
        }
        return Ok(sign_in(Some(&mark)));
    }

    let scope = granted_scope(client, req.scope.as_deref().unwrap_or_default());
    if client.consent {
        let allowed = state
            .store
            .consented_scope(account.id, &client.client_id)
            .await?
            .unwrap_or_default();
        let covered = scope.split(' ').all(|s| allowed.split(' ').any(|a| a == s));
        if !covered {
            return Ok(if silent {
                refuse(OAuthError::new(
                    "consent_required",
                    "the user has not yet allowed this e-service",
                ))
            } else {
                Authorize::Consent {
                    client_name: client.name.clone(),
                    scopes: scope
                        .split(' ')
                        .filter(|s| *s != "openid")
                        .map(str::to_owned)
                        .collect(),
                    continuation: continuation(req, None),
                }
            });
        }
    }
    let code = new_token();
    state
        .store
        .create_code(
            &hash(&code),
            &AuthorizationCode {
                client_id: client.client_id.clone(),
                redirect_uri: redirect_uri.to_owned(),
                account_id: account.id,
                session_hash: session.id_hash.clone(),
                scope,
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                auth_time: session.created_at,
                two_step: session.two_step,
                issued_at: now,
                expires_at: now + i64::from(state.config.oidc.code_lifetime_seconds),
            },
        )
        .await?;
    let event = AuditEvent::by_user(
        &account.login,
        Action::OidcCodeIssued,
        Outcome::Success,
        from,
    )
    .detail(&client.name);
    state.store.record_audit(&event, now).await?;
    Ok(back(&[("code", &code)]))
}

/// A short tag naming a session in a URL without revealing it.
fn session_tag(state: &Core, session: &Session) -> String {
    crate::codes::hex(&state.keys.derive("oidc-replaced-session", &session.id_hash)[..12])
}

fn mark_mac(state: &Core, at: i64, tag: &str) -> String {
    crate::codes::hex(&state.keys.derive("oidc-replaces", &format!("{at}.{tag}"))[..16])
}

/// What Gatehouse puts in a request it sends back through the sign-in
/// page: when it asked, the session that does not count, and a MAC over
/// both, so only Gatehouse can say a sign-in is new.
fn replacement_mark(state: &Core, session: &Session, now: i64) -> String {
    let tag = session_tag(state, session);
    let mac = mark_mac(state, now, &tag);
    format!("{now}.{tag}.{mac}")
}

/// Whether `mark` is Gatehouse's, and `session` began since it was made
/// and is not the session it named.
fn renews(state: &Core, mark: &str, session: &Session) -> bool {
    let mut parts = mark.splitn(3, '.');
    let (Some(at), Some(tag), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(at) = at.parse::<i64>() else {
        return false;
    };
    let genuine = bool::from(subtle::ConstantTimeEq::ct_eq(
        mark_mac(state, at, tag).as_bytes(),
        mac.as_bytes(),
    ));
    genuine && session.created_at >= at && session_tag(state, session) != tag
}

/// The user's answer on the consent page for the request `continuation`
/// (a path that came back from the page): allowed, the request goes on;
/// denied, the client hears `access_denied`.
pub async fn consent(
    state: &Core,
    continuation: &str,
    account: &Account,
    allow: bool,
) -> Result<Authorize> {
    let query = continuation
        .strip_prefix(AUTHORIZE_PATH)
        .and_then(|rest| rest.strip_prefix('?'))
        .filter(|_| super::is_continuation(continuation));
    let Some(req) = query.and_then(|q| serde_urlencoded::from_str::<AuthorizeRequest>(q).ok())
    else {
        return Ok(Authorize::Refused(Untrusted::UnknownClient));
    };
    let Some(client) = req.client_id.as_deref().and_then(|id| client(state, id)) else {
        return Ok(Authorize::Refused(Untrusted::UnknownClient));
    };
    let Some(redirect_uri) = req
        .redirect_uri
        .as_deref()
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return Ok(Authorize::Refused(Untrusted::RedirectUri));
    };
    if !allow {
        let iss = issuer(state);
        let mut params = vec![
            ("error", "access_denied"),
            ("error_description", "the user did not allow it"),
        ];
        if let Some(s) = req.state.as_deref() {
            params.push(("state", s));
        }
        params.push(("iss", &iss));
        return Ok(Authorize::Redirect(with_query(redirect_uri, &params)));
    }
    let asked = granted_scope(client, req.scope.as_deref().unwrap_or_default());
    let before = state
        .store
        .consented_scope(account.id, &client.client_id)
        .await?
        .unwrap_or_default();
    let both = format!("{before} {asked}");
    let union = granted_scope(client, &both);
    state
        .store
        .record_consent(account.id, &client.client_id, &union, state.clock.unix())
        .await?;
    Ok(Authorize::Redirect(continuation.to_owned()))
}

/// What is wrong with a request from a known client to a registered
/// redirect URI, said to the client.
fn checked(client: &OidcClient, req: &AuthorizeRequest) -> std::result::Result<(), OAuthError> {
    let invalid = |words: &str| Err(OAuthError::new("invalid_request", words));
    if req.request.is_some() {
        return Err(OAuthError::new(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if req.request_uri.is_some() {
        return Err(OAuthError::new(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    if req.response_mode.as_deref().is_some_and(|m| m != "query") {
        return invalid("response_mode must be query");
    }
    match req.response_type.as_deref() {
        Some("code") => {}
        None => return invalid("response_type is required"),
        Some(_) => {
            return Err(OAuthError::new(
                "unsupported_response_type",
                "only the authorization code flow (response_type=code) is offered",
            ))
        }
    }
    let scope = req.scope.as_deref().unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return Err(OAuthError::new(
            "invalid_scope",
            "scope must include openid",
        ));
    }
    match (
        req.code_challenge.as_deref(),
        req.code_challenge_method.as_deref(),
    ) {
        (None, _) if client.is_public() => {
            return invalid("a public client must use PKCE (code_challenge with S256)")
        }
        (None, Some(_)) => return invalid("code_challenge_method without code_challenge"),
        (None, None) => {}
        (Some(challenge), method) => {
            if method != Some("S256") {
                return invalid("code_challenge_method must be S256");
            }
            if !is_pkce_value(challenge) {
                return invalid("code_challenge is not a S256 challenge");
            }
        }
    }
    let prompts: Vec<&str> = req
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return invalid("prompt=none cannot be combined with another prompt");
    }
    if req
        .max_age
        .as_deref()
        .is_some_and(|m| m.parse::<u32>().is_err())
    {
        return invalid("max_age must be a number of seconds");
    }
    if req.nonce.as_deref().is_some_and(|n| n.len() > 512) {
        return invalid("nonce is longer than 512 characters");
    }
    if req.state.as_deref().is_some_and(|s| s.len() > 1024) {
        return invalid("state is longer than 1024 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_keeps_the_client_s_own_query() {
        let to = with_query(
            "https://rp.example/cb?x=1",
            &[("error", "login_required"), ("state", "a b")],
        );
        assert_eq!(
            to,
            "https://rp.example/cb?x=1&error=login_required&state=a+b"
        );
    }

    #[test]
    fn a_fresh_sign_in_replaces_an_earlier_mark() {
        let req = AuthorizeRequest {
            client_id: Some("c".into()),
            replaces: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(
            continuation(&req, Some("b")),
            "/oidc/authorize?client_id=c&replaces=b"
        );
        assert_eq!(
            continuation(&req, None),
            "/oidc/authorize?client_id=c&replaces=a"
        );
    }

    #[test]
    fn pkce_values_are_43_to_128_unreserved_characters() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }
}
