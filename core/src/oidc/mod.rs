//! Gatehouse as an OpenID Connect provider (Core 1.0, Discovery 1.0,
//! RFC 6749, 7636, 7009, 7662): the protocol logic as plain functions from
//! request data to answer data, sharing the sign-in session with CAS. The
//! HTTP endpoints that call it are the server crate's.
pub mod authorize;
pub mod keys;
pub mod logout;
pub mod token;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::config::OidcClient;
use crate::Core;
use gatehouse_store::Account;

/// The scopes a client may be allowed.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "roles"];

/// The authentication context classes: a password alone, or with a
/// second factor (2-step verification).
pub const ACR_PASSWORD: &str = "urn:gatehouse:acr:password";
pub const ACR_TWO_STEP: &str = "urn:gatehouse:acr:2-step";

/// Where the authorization endpoint lives; a sign-in that started there
/// comes back to it (see [`is_continuation`]).
pub const AUTHORIZE_PATH: &str = "/oidc/authorize";

/// The registered client with this id.
pub fn client<'a>(state: &'a Core, client_id: &str) -> Option<&'a OidcClient> {
    state
        .config
        .oidc
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
}

/// The issuer identifier: the public URL without a trailing slash.
pub fn issuer(state: &Core) -> String {
    state.config.public_url.trim_end_matches('/').to_owned()
}

/// Whether `target` is an authorization request to come back to after
/// signing in: a path on Gatehouse itself, never another site.
pub fn is_continuation(target: &str) -> bool {
    // Visible ASCII only: it becomes a Location header as it is.
    target.bytes().all(|b| b.is_ascii_graphic())
        && target
            .strip_prefix(AUTHORIZE_PATH)
            .is_some_and(|rest| rest.starts_with('?'))
}

/// The client an authorization request to come back to is for, if it is
/// registered (its name is shown on the sign-in page).
pub fn continuation_client<'a>(state: &'a Core, target: &str) -> Option<&'a OidcClient> {
    if !is_continuation(target) {
        return None;
    }
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")
        .and_then(|(_, id)| client(state, &id))
}

/// Discovery (OpenID Connect Discovery 1.0, RFC 8414).
pub fn discovery(state: &Core) -> Value {
    let iss = issuer(state);
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{iss}/oidc/token"),
        "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
        "jwks_uri": format!("{iss}/oidc/jwks"),
        "revocation_endpoint": format!("{iss}/oidc/revoke"),
        "introspection_endpoint": format!("{iss}/oidc/introspect"),
        "end_session_endpoint": format!("{iss}/oidc/logout"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": false,
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": keys::ALGORITHMS,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
            "name", "preferred_username", "email", "email_verified", "roles"],
        "acr_values_supported": [ACR_PASSWORD, ACR_TWO_STEP],
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["en", "zh-Hant"],
    })
}

/// The subject identifier a client knows an account by: opaque, and
/// stable across a rename of the login name (it is derived from the
/// account's number); a pairwise client gets one of its own.
pub fn subject(state: &Core, client: &OidcClient, account_id: i64) -> String {
    let sector = if client.pairwise {
        client.client_id.as_str()
    } else {
        ""
    };
    let derived = state
        .keys
        .derive("oidc-subject", &format!("{account_id}\u{1f}{sector}"));
    URL_SAFE_NO_PAD.encode(&derived[..20])
}

/// The claims the granted `scope` releases about `account`, besides `sub`.
pub fn scope_claims(account: &Account, scope: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    for s in scope.split(' ') {
        match s {
            "profile" => {
                claims.insert("name".into(), account.display_name.clone().into());
                claims.insert("preferred_username".into(), account.login.clone().into());
            }
            // Addresses come from the institution's records, not typed by
            // the user: Gatehouse counts them as verified.
            "email" if !account.email.is_empty() => {
                claims.insert("email".into(), account.email.clone().into());
                claims.insert("email_verified".into(), true.into());
            }
            "roles" => {
                claims.insert("roles".into(), json!([account.role.as_str()]));
            }
            _ => {}
        }
    }
    claims
}

/// The `amr` and `acr` of a sign-in (RFC 8176 method names).
pub fn amr_acr(two_step: bool) -> (Value, &'static str) {
    if two_step {
        (json!(["pwd", "mfa"]), ACR_TWO_STEP)
    } else {
        (json!(["pwd"]), ACR_PASSWORD)
    }
}

/// An OAuth 2.0 error (RFC 6749 section 4.1.2.1 and 5.2): its code, the
/// words for a developer, and the HTTP status when it is a direct answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    pub status: u16,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            status: if code == "invalid_client" { 401 } else { 400 },
        }
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.code, "error_description": self.description })
    }
}

/// A random token of 256 bits, URL-safe.
pub fn new_token() -> String {
    crate::sessions::new_token()
}

/// How a code or token is stored: its SHA-256, hex.
pub fn hash(token: &str) -> String {
    crate::sessions::hash_token(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_authorization_path_on_gatehouse_is_a_continuation() {
        assert!(is_continuation("/oidc/authorize?client_id=a"));
        assert!(!is_continuation("/oidc/authorize"));
        assert!(!is_continuation("//evil.example/oidc/authorize?x"));
        assert!(!is_continuation("https://evil.example/oidc/authorize?x"));
        assert!(!is_continuation("/oidc/authorizex?client_id=a"));
        assert!(!is_continuation("/oidc/authorize?client_id=\u{e9}"));
        assert!(!is_continuation("/oidc/authorize?a=b\r\nX: y"));
    }
}
