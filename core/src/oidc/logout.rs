//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an
//! e-service sends the browser to end the single sign-on session. With an
//! ID token Gatehouse issued about the user signed in as the hint, it
//! signs out at once; otherwise the user is asked first. The browser is sent on only to a
//! post-logout URI the client registered.
use serde::Deserialize;

use super::client;
use super::keys;
use crate::error::Result;
use crate::Core;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub ui_locales: Option<String>,
}

/// Why a logout request is answered with a page and no redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutRefusal {
    /// The hint names another client than `client_id` does.
    BadHint,
    /// The post-logout URI is not one the client registered.
    UnregisteredUri,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Logout {
    /// Sign out now, then go to `then`.
    SignOut {
        then: String,
    },
    /// Ask first (nothing proves an e-service sent the browser); after
    /// the user confirms, sign out and go to `then`.
    Confirm {
        then: String,
    },
    Refused(LogoutRefusal),
}

#[derive(Deserialize)]
struct HintClaims {
    aud: serde_json::Value,
    sub: String,
}

/// What to do with a logout request from a browser whose session (if
/// any) belongs to the account `signed_in`.
pub async fn plan(state: &Core, req: &LogoutRequest, signed_in: Option<i64>) -> Result<Logout> {
    // A hint counts only if it is an ID token Gatehouse issued (even an
    // expired one) about the user signed in here: anyone's own ID token
    // must not sign another person out without asking.
    let mut hinted_client = None;
    let mut hint_is_theirs = false;
    if let Some(hint) = req.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        if let Ok(claims) = keys::verify::<HintClaims>(state, hint, "JWT", true).await? {
            let aud = match claims.aud {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Array(a) => {
                    a.first().and_then(|v| v.as_str()).map(str::to_owned)
                }
                _ => None,
            };
            let client = aud.as_deref().and_then(|id| client(state, id));
            hint_is_theirs = match (client, signed_in) {
                (Some(c), Some(account)) => super::subject(state, c, account) == claims.sub,
                // Nobody is signed in here: there is nothing to take.
                (Some(_), None) => true,
                (None, _) => false,
            };
            hinted_client = aud;
        }
    }
    let client_id = match (&hinted_client, &req.client_id) {
        (Some(a), Some(b)) if a != b => return Ok(Logout::Refused(LogoutRefusal::BadHint)),
        (Some(a), _) => Some(a.clone()),
        (None, b) => b.clone(),
    };
    let then = match req.post_logout_redirect_uri.as_deref() {
        None => "/login".to_owned(),
        Some(uri) => {
            let registered = client_id
                .as_deref()
                .and_then(|id| client(state, id))
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Ok(Logout::Refused(LogoutRefusal::UnregisteredUri));
            }
            match req.state.as_deref() {
                Some(s) => {
                    let sep = if uri.contains('?') { '&' } else { '?' };
                    let s: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
                    format!("{uri}{sep}state={s}")
                }
                None => uri.to_owned(),
            }
        }
    };
    Ok(if hint_is_theirs {
        Logout::SignOut { then }
    } else {
        Logout::Confirm { then }
    })
}
