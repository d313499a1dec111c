//! The token endpoint (OpenID Connect Core 1.0 section 3.1.3, RFC 6749
//! section 4.1.3 and 6), userinfo (section 5.3), revocation (RFC 7009) and
//! introspection (RFC 7662). Codes are single use and bound to the
//! client, the redirect URI and the PKCE verifier; refresh tokens are
//! rotated at every use, and a reused one revokes its whole grant. Every
//! grant ends with the sign-in session it came from.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::keys::{self, Unverified};
use super::{amr_acr, client, hash, issuer, new_token, scope_claims, subject, OAuthError};
use crate::config::OidcClient;
use crate::error::Result;
use crate::{sessions, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::{
    Account, ClientInfo, CodeExchange, Grant, NewToken, Rotation, StoreError, TokenKind,
};

/// A token request's form fields.
#[derive(Default, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Revocation and introspection: the token in question.
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The client's credentials from an `Authorization: Basic` header, as
/// the server found them (already decoded).
pub struct Basic {
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for Basic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Basic({}, ***)", self.client_id)
    }
}

/// An access token's claims (a JWT, RFC 9068's shape).
#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    client_id: String,
    scope: String,
    iat: i64,
    exp: i64,
    jti: String,
}

type Answer = std::result::Result<Value, OAuthError>;

/// The JOSE type of an access token (RFC 9068).
const ACCESS_TYP: &str = "at+jwt";

fn invalid_client() -> OAuthError {
    OAuthError::new("invalid_client", "client authentication failed")
}

fn invalid_grant(words: &str) -> OAuthError {
    OAuthError::new("invalid_grant", words)
}

/// The client making a direct request: by Basic credentials, by form
/// fields, or (a public client) by its id alone. Exactly one method.
pub fn authenticate<'a>(
    state: &'a Core,
    req: &TokenRequest,
    basic: Option<&Basic>,
) -> std::result::Result<&'a OidcClient, OAuthError> {
    let (id, secret) = match basic {
        Some(_) if req.client_secret.is_some() => {
            return Err(OAuthError::new(
                "invalid_request",
                "use one client authentication method",
            ))
        }
        Some(b) => {
            if req.client_id.as_deref().is_some_and(|id| id != b.client_id) {
                return Err(OAuthError::new(
                    "invalid_request",
                    "two different client ids",
                ));
            }
            (b.client_id.as_str(), Some(b.secret.as_str()))
        }
        None => (
            req.client_id.as_deref().ok_or_else(invalid_client)?,
            req.client_secret.as_deref(),
        ),
    };
    let client = client(state, id).ok_or_else(invalid_client)?;
    let expected = match (&client.secret_sha256, &client.secret_env) {
        (Some(sha), _) => Some(sha.to_ascii_lowercase()),
        // Checked at start; gone since, it fails closed.
        (None, Some(var)) => match std::env::var(var) {
            Ok(s) if !s.is_empty() => Some(crate::codes::hex(&Sha256::digest(s.as_bytes()))),
            _ => return Err(invalid_client()),
        },
        (None, None) => None,
    };
    match (expected, secret) {
        (None, None) => Ok(client),
        (Some(expected), Some(given)) => {
            let given = crate::codes::hex(&Sha256::digest(given.as_bytes()));
            if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                Ok(client)
            } else {
                Err(invalid_client())
            }
        }
        _ => Err(invalid_client()),
    }
}

/// `POST /oidc/token`.
pub async fn token(
    state: &Core,
    req: &TokenRequest,
    basic: Option<&Basic>,
    from: &ClientInfo,
) -> Result<Answer> {
    let client = match authenticate(state, req, basic) {
        Ok(client) => client,
        Err(e) => return Ok(Err(e)),
    };
    let answer = match req.grant_type.as_deref() {
        Some("authorization_code") => exchange(state, client, req).await?,
        Some("refresh_token") => refresh(state, client, req).await?,
        None => Err(OAuthError::new("invalid_request", "grant_type is required")),
        Some(_) => Err(OAuthError::new(
            "unsupported_grant_type",
            "only authorization_code and refresh_token are offered",
        )),
    };
    let (outcome, action, detail) = match &answer {
        Ok(_) => (
            Outcome::Success,
            Action::OidcTokenIssued,
            client.name.clone(),
        ),
        Err(e) => (
            Outcome::Failure,
            Action::OidcTokenRefused,
            format!("{}: {}", client.name, e.code),
        ),
    };
    let mut event = AuditEvent::by_user("", action, outcome, from).detail(&detail);
    event.actor = None;
    event.subject = answer
        .as_ref()
        .ok()
        .and_then(|v| v.get("_login"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // The tokens are stored already: a lost audit line must not lose them.
    if let Err(e) = state.store.record_audit(&event, state.clock.unix()).await {
        crate::Error::from(e).set_aside("recording a token answer in the audit log");
    }
    Ok(answer.map(|mut v| {
        if let Some(o) = v.as_object_mut() {
            o.remove("_login");
        }
        v
    }))
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn exchange(state: &Core, client: &OidcClient, req: &TokenRequest) -> Result<Answer> {
    let Some(code) = req.code.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(Err(OAuthError::new("invalid_request", "code is required")));
    };
    let now = state.clock.unix();
    let code_hash = hash(code);
    let code = match state.store.exchange_code(&code_hash, now).await? {
        CodeExchange::Fresh(code) => code,
        CodeExchange::Reused => {
            return Ok(Err(invalid_grant(
                "the code was used before; what it gave is revoked",
            )))
        }
        CodeExchange::Unknown => return Ok(Err(invalid_grant("unknown code"))),
    };
    if code.client_id != client.client_id {
        return Ok(Err(invalid_grant("the code was issued to another client")));
    }
    if code.expires_at <= now {
        return Ok(Err(invalid_grant("the code has expired")));
    }
    if req.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Ok(Err(invalid_grant(
            "redirect_uri differs from the authorization request's",
        )));
    }
    match (&code.code_challenge, req.code_verifier.as_deref()) {
        (None, None) => {}
        (Some(_), Some(verifier)) if !super::authorize::is_pkce_value(verifier) => {
            return Ok(Err(invalid_grant(
                "code_verifier must be 43 to 128 unreserved characters",
            )))
        }
        (Some(challenge), Some(verifier)) => {
            let right = s256(verifier);
            if !bool::from(right.as_bytes().ct_eq(challenge.as_bytes())) {
                return Ok(Err(invalid_grant("the PKCE code_verifier does not match")));
            }
        }
        (Some(_), None) => return Ok(Err(invalid_grant("code_verifier is required"))),
        (None, Some(_)) => {
            return Ok(Err(invalid_grant(
                "code_verifier given, but the request had no code_challenge",
            )))
        }
    }
    // The sign-in the code came from must still be on, and the account
    // still in good standing.
    let Some(account) = live_account(state, &code.session_hash, code.account_id).await? else {
        return Ok(Err(invalid_grant("the sign-in session has ended")));
    };
    let grant = Grant {
        id: new_token(),
        client_id: client.client_id.clone(),
        account_id: account.id,
        session_hash: code.session_hash.clone(),
        scope: code.scope.clone(),
        auth_time: code.auth_time,
        two_step: code.two_step,
        created_at: now,
    };
    let issued = Issued::new(state, client, &grant, &account, now);
    match state
        .store
        .create_grant(&grant, &code_hash, &issued.stored())
        .await
    {
        Ok(()) => {}
        // The same code presented twice at once: the other presentation
        // revoked it.
        Err(StoreError::Conflict) => {
            return Ok(Err(invalid_grant(
                "the code was used before; what it gave is revoked",
            )))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Ok(issued.answer(state, code.nonce.as_deref()).await?))
}

async fn refresh(state: &Core, client: &OidcClient, req: &TokenRequest) -> Result<Answer> {
    if !client.refresh_tokens {
        return Ok(Err(OAuthError::new(
            "unauthorized_client",
            "this client is not given refresh tokens",
        )));
    }
    let Some(token) = req.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(Err(OAuthError::new(
            "invalid_request",
            "refresh_token is required",
        )));
    };
    let now = state.clock.unix();
    let token_hash = hash(token);
    let Some(stored) = state
        .store
        .token(&token_hash, sessions::limits(state))
        .await?
    else {
        return Ok(Err(invalid_grant("unknown refresh token")));
    };
    if stored.kind != TokenKind::Refresh || stored.grant.client_id != client.client_id {
        return Ok(Err(invalid_grant("unknown refresh token")));
    }
    if !stored.live || stored.expires_at <= now {
        return Ok(Err(invalid_grant(
            "the refresh token's sign-in session has ended",
        )));
    }
    let mut grant = stored.grant;
    if let Some(asked) = req.scope.as_deref() {
        if asked
            .split(' ')
            .any(|s| !grant.scope.split(' ').any(|g| g == s))
        {
            return Ok(Err(OAuthError::new(
                "invalid_scope",
                "a refresh cannot widen the scope",
            )));
        }
        grant.scope = asked.to_owned();
    }
    let Some(account) = live_account(state, &grant.session_hash, grant.account_id).await? else {
        return Ok(Err(invalid_grant("the sign-in session has ended")));
    };
    let issued = Issued::new(state, client, &grant, &account, now);
    match state
        .store
        .rotate_refresh_token(&token_hash, now, &issued.stored())
        .await?
    {
        Rotation::Rotated => Ok(Ok(issued.answer(state, None).await?)),
        Rotation::Reused => Ok(Err(invalid_grant(
            "the refresh token was used before; its grant is revoked",
        ))),
    }
}

/// The account of a session that is still on, if it is in good standing.
async fn live_account(
    state: &Core,
    session_hash: &str,
    account_id: i64,
) -> Result<Option<Account>> {
    let limits = sessions::limits(state);
    let on = state.store.session(session_hash).await?.is_some_and(|s| {
        s.last_seen_at >= limits.seen_after && s.created_at >= limits.started_after
    });
    if !on {
        return Ok(None);
    }
    let account = state.store.account_by_id(account_id).await?;
    Ok(account.filter(|a| sessions::in_good_standing(state, a)))
}

/// The tokens one answer hands out: made before they are stored, handed
/// out only after.
struct Issued<'a> {
    client: &'a OidcClient,
    grant: &'a Grant,
    account: &'a Account,
    now: i64,
    jti: String,
    jti_hash: String,
    access_expires_at: i64,
    refresh: Option<(String, String)>,
    refresh_expires_at: i64,
}

impl<'a> Issued<'a> {
    fn new(
        state: &Core,
        client: &'a OidcClient,
        grant: &'a Grant,
        account: &'a Account,
        now: i64,
    ) -> Self {
        let jti = new_token();
        let refresh = client.refresh_tokens.then(|| {
            let token = new_token();
            let hashed = hash(&token);
            (token, hashed)
        });
        Issued {
            client,
            grant,
            account,
            now,
            jti_hash: hash(&jti),
            jti,
            access_expires_at: now + i64::from(state.config.oidc.token_lifetime_seconds),
            refresh,
            // Bounded by the session in any case: a grant ends with it.
            refresh_expires_at: now + i64::from(state.config.session.absolute_hours) * 3600,
        }
    }

    fn stored(&self) -> Vec<NewToken<'_>> {
        let mut tokens = vec![NewToken {
            hash: &self.jti_hash,
            kind: TokenKind::Access,
            expires_at: self.access_expires_at,
        }];
        if let Some((_, hashed)) = &self.refresh {
            tokens.push(NewToken {
                hash: hashed,
                kind: TokenKind::Refresh,
                expires_at: self.refresh_expires_at,
            });
        }
        tokens
    }

    async fn answer(&self, state: &Core, nonce: Option<&str>) -> Result<Value> {
        let iss = issuer(state);
        let sub = subject(state, self.client, self.account.id);
        let access = AccessClaims {
            iss: iss.clone(),
            sub: sub.clone(),
            aud: self.client.client_id.clone(),
            client_id: self.client.client_id.clone(),
            scope: self.grant.scope.clone(),
            iat: self.now,
            exp: self.access_expires_at,
            jti: self.jti.clone(),
        };
        let access_token = keys::sign(state, "RS256", ACCESS_TYP, &access).await?;
        let (amr, acr) = amr_acr(self.grant.two_step);
        let mut id = Map::new();
        id.insert("iss".into(), iss.into());
        id.insert("sub".into(), sub.into());
        id.insert("aud".into(), self.client.client_id.clone().into());
        id.insert("azp".into(), self.client.client_id.clone().into());
        id.insert("iat".into(), self.now.into());
        id.insert("exp".into(), self.access_expires_at.into());
        id.insert("auth_time".into(), self.grant.auth_time.into());
        id.insert("amr".into(), amr);
        id.insert("acr".into(), acr.into());
        if let Some(nonce) = nonce {
            id.insert("nonce".into(), nonce.into());
        }
        id.extend(scope_claims(self.account, &self.grant.scope));
        let id_token = keys::sign(
            state,
            &self.client.id_token_signed_response_alg,
            "JWT",
            &Value::Object(id),
        )
        .await?;
        let mut answer = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.access_expires_at - self.now,
            "id_token": id_token,
            "scope": self.grant.scope,
            // Taken out again before the answer leaves: for the audit log.
            "_login": self.account.login,
        });
        if let Some((token, _)) = &self.refresh {
            answer["refresh_token"] = token.clone().into();
        }
        Ok(answer)
    }
}

/// An access token that Gatehouse signed and that is still good: its
/// claims, grant and account.
struct Bearer {
    claims: AccessClaims,
    account: Account,
}

async fn bearer(state: &Core, token: &str) -> Result<Option<Bearer>> {
    let claims: AccessClaims = match keys::verify(state, token, ACCESS_TYP, false).await? {
        Ok(claims) => claims,
        Err(Unverified::Forged | Unverified::Expired) => return Ok(None),
    };
    let Some(stored) = state
        .store
        .token(&hash(&claims.jti), sessions::limits(state))
        .await?
    else {
        return Ok(None);
    };
    if stored.kind != TokenKind::Access
        || !stored.live
        || stored.expires_at <= state.clock.unix()
        || stored.grant.client_id != claims.client_id
    {
        return Ok(None);
    }
    let Some(account) =
        live_account(state, &stored.grant.session_hash, stored.grant.account_id).await?
    else {
        return Ok(None);
    };
    Ok(Some(Bearer { claims, account }))
}

/// `GET|POST /oidc/userinfo` with a bearer access token: the claims its
/// scope releases. `None`: the token is not (or no longer) good.
pub async fn userinfo(state: &Core, access_token: &str) -> Result<Option<Value>> {
    let Some(b) = bearer(state, access_token).await? else {
        return Ok(None);
    };
    let mut claims = Map::new();
    // The token's own scope: a refresh may have narrowed the grant's.
    claims.extend(scope_claims(&b.account, &b.claims.scope));
    claims.insert("sub".into(), b.claims.sub.into());
    Ok(Some(Value::Object(claims)))
}

/// `POST /oidc/introspect` (RFC 7662): a confidential client asks about a
/// token it was given; any other token is "not active".
pub async fn introspect(state: &Core, req: &TokenRequest, basic: Option<&Basic>) -> Result<Answer> {
    let client = match authenticate(state, req, basic) {
        Ok(client) if !client.is_public() => client,
        Ok(_) => return Ok(Err(invalid_client())),
        Err(e) => return Ok(Err(e)),
    };
    let Some(token) = req.token.as_deref() else {
        return Ok(Err(OAuthError::new("invalid_request", "token is required")));
    };
    let inactive = json!({ "active": false });
    // An access token (a JWT) first, then a refresh token.
    if let Some(b) = bearer(state, token).await? {
        if b.claims.client_id != client.client_id {
            return Ok(Ok(inactive));
        }
        return Ok(Ok(json!({
            "active": true,
            "token_type": "Bearer",
            "scope": b.claims.scope,
            "client_id": b.claims.client_id,
            "username": b.account.login,
            "sub": b.claims.sub,
            "aud": b.claims.aud,
            "iss": b.claims.iss,
            "iat": b.claims.iat,
            "exp": b.claims.exp,
            "jti": b.claims.jti,
        })));
    }
    let now = state.clock.unix();
    match state
        .store
        .token(&hash(token), sessions::limits(state))
        .await?
    {
        Some(t)
            if t.kind == TokenKind::Refresh
                && t.live
                && !t.used
                && t.expires_at > now
                && t.grant.client_id == client.client_id =>
        {
            let account = live_account(state, &t.grant.session_hash, t.grant.account_id).await?;
            Ok(Ok(match account {
                Some(account) => json!({
                    "active": true,
                    "token_type": "refresh_token",
                    "scope": t.grant.scope,
                    "client_id": t.grant.client_id,
                    "username": account.login,
                    "sub": subject(state, client, account.id),
                    "iss": issuer(state),
                    "exp": t.expires_at,
                }),
                None => inactive,
            }))
        }
        _ => Ok(Ok(inactive)),
    }
}

/// `POST /oidc/revoke` (RFC 7009): a client gives back one of its tokens;
/// a refresh token takes its grant with it. An unknown token is not an
/// error (the answer is the same either way).
pub async fn revoke(state: &Core, req: &TokenRequest, basic: Option<&Basic>) -> Result<Answer> {
    let client = match authenticate(state, req, basic) {
        Ok(client) => client,
        Err(e) => return Ok(Err(e)),
    };
    let Some(token) = req.token.as_deref() else {
        return Ok(Err(OAuthError::new("invalid_request", "token is required")));
    };
    let now = state.clock.unix();
    // An access token is known by its id inside; even an expired one may
    // be given back.
    let hashed = match keys::verify::<AccessClaims>(state, token, ACCESS_TYP, true).await? {
        Ok(claims) if claims.client_id == client.client_id => Some(hash(&claims.jti)),
        Ok(_) => None,
        Err(_) => match state
            .store
            .token(&hash(token), sessions::limits(state))
            .await?
        {
            Some(t) if t.grant.client_id == client.client_id => Some(hash(token)),
            _ => None,
        },
    };
    if let Some(hashed) = hashed {
        state.store.revoke_token(&hashed, now).await?;
    }
    Ok(Ok(json!({})))
}
