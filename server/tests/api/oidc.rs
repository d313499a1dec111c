//! Gatehouse as an OpenID Connect provider: discovery and keys, the
//! authorization code flow with PKCE, every error of the authorization and
//! token endpoints, single-use codes, refresh-token rotation, revocation,
//! introspection, the end of the session ending every grant, and logout.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::config::OidcClient;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app_with, TestApp};

pub(crate) const PORTAL_SECRET: &str = "portal-secret-0123456789-abcdefghij";
pub(crate) const PORTAL_CB: &str = "http://127.0.0.1:9/cb";
const SPA_CB: &str = "http://127.0.0.1:9/spa";
const SURVEY_CB: &str = "http://127.0.0.1:9/survey";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const NEW_PASSWORD: &str = "Harbour7Lights";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(crate) fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn client(id: &str, redirect: &str) -> OidcClient {
    OidcClient {
        client_id: id.into(),
        name: format!("The {id}"),
        secret_sha256: None,
        secret_env: None,
        redirect_uris: vec![redirect.into()],
        post_logout_redirect_uris: vec![],
        scopes: ["openid", "profile", "email", "roles"]
            .map(String::from)
            .to_vec(),
        refresh_tokens: false,
        require_two_step: false,
        pairwise: false,
        id_token_signed_response_alg: "RS256".into(),
        backchannel_logout_uri: None,
        consent: false,
    }
}

async fn oidc_app() -> TestApp {
    spawn_app_with(|c| {
        c.oidc.clients = vec![
            OidcClient {
                secret_sha256: Some(hex_sha256(PORTAL_SECRET)),
                refresh_tokens: true,
                post_logout_redirect_uris: vec!["http://127.0.0.1:9/bye".into()],
                ..client("portal", PORTAL_CB)
            },
            OidcClient {
                id_token_signed_response_alg: "ES256".into(),
                scopes: vec!["openid".into(), "profile".into()],
                ..client("spa", SPA_CB)
            },
            OidcClient {
                secret_sha256: Some(hex_sha256(PORTAL_SECRET)),
                require_two_step: true,
                ..client("exam", "http://127.0.0.1:9/exam")
            },
            OidcClient {
                secret_sha256: Some(hex_sha256(PORTAL_SECRET)),
                consent: true,
                ..client("survey", SURVEY_CB)
            },
        ];
    })
    .await
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn param(location: &str, name: &str) -> Option<String> {
    query_of(location)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

impl TestApp {
    /// A user who has changed the initial password, signed in.
    pub(crate) async fn oidc_user(&self, login: &str) -> reqwest::Client {
        let initial = self.create_account(login).await;
        let client = self.signed_in(login, &initial).await;
        let r = self
            .change_password(&client, &initial, NEW_PASSWORD, NEW_PASSWORD)
            .await;
        assert_eq!(r.status(), 200);
        client
    }

    async fn authorize(
        &self,
        browser: &reqwest::Client,
        params: &[(&str, &str)],
    ) -> reqwest::Response {
        browser
            .get(format!("{}/oidc/authorize", self.address))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// The portal's usual request, with a PKCE challenge.
    pub(crate) async fn portal_code(&self, browser: &reqwest::Client) -> String {
        let r = self
            .authorize(
                browser,
                &[
                    ("client_id", "portal"),
                    ("redirect_uri", PORTAL_CB),
                    ("response_type", "code"),
                    ("scope", "openid profile email roles"),
                    ("state", "s-1"),
                    ("nonce", "n-1"),
                    ("code_challenge", &challenge(VERIFIER)),
                    ("code_challenge_method", "S256"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{:?}", r.headers());
        let to = location(&r);
        assert!(to.starts_with(&format!("{PORTAL_CB}?")), "{to}");
        assert_eq!(param(&to, "state").as_deref(), Some("s-1"));
        assert_eq!(
            param(&to, "iss"),
            Some(self.state.config.public_url.clone())
        );
        param(&to, "code").expect("a code")
    }

    pub(crate) async fn token(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(format!("{}/oidc/token", self.address))
            .form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.unwrap()
    }

    pub(crate) async fn exchange(&self, code: &str) -> reqwest::Response {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", PORTAL_CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("portal", PORTAL_SECRET)),
        )
        .await
    }

    async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}/oidc/userinfo", self.address))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    async fn jwks(&self) -> JwkSet {
        reqwest::get(format!("{}/oidc/jwks", self.address))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The claims of a token Gatehouse signed, checked against its JWKS.
    pub(crate) async fn verified(&self, token: &str, alg: Algorithm, audience: &str) -> Value {
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, alg);
        let jwks = self.jwks().await;
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("the key is published");
        let mut validation = Validation::new(alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.state.config.public_url]);
        // The tests' clock is not the machine's.
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_names_every_endpoint_under_the_issuer() {
    let app = oidc_app().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let iss = app.state.config.public_url.clone();
    assert_eq!(d["issuer"], iss.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(d[field], format!("{iss}{path}").as_str(), "{field}");
    }
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let jwks = app.jwks().await;
    let algs: Vec<String> = jwks
        .keys
        .iter()
        .map(|k| format!("{:?}", k.common.key_algorithm.unwrap()))
        .collect();
    assert_eq!(algs.len(), 2, "{algs:?}");
    assert!(
        algs.contains(&"RS256".into()) && algs.contains(&"ES256".into()),
        "{algs:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_user_s_code_gives_signed_tokens_and_the_claims_of_its_scope() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000001").await;
    let code = app.portal_code(&browser).await;

    let r = app.exchange(&code).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens.get("_login").is_none());

    let id = app
        .verified(
            tokens["id_token"].as_str().unwrap(),
            Algorithm::RS256,
            "portal",
        )
        .await;
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["preferred_username"], "s6000001");
    assert_eq!(id["name"], "Chan Tai Man");
    assert_eq!(id["email"], "s6000001@example.edu");
    assert_eq!(id["roles"], serde_json::json!(["student"]));
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    let sub = id["sub"].as_str().unwrap().to_owned();
    assert!(!sub.contains("s6000001"), "the subject is opaque: {sub}");

    let info: Value = app
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["email"], "s6000001@example.edu");
    let actions = app.audit_actions("s6000001").await;
    assert!(
        actions.contains(&("oidc.code_issued".into(), "success".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("oidc.token_issued".into(), "success".into())),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_client_with_pkce_gets_an_es256_id_token_and_only_its_allowed_scopes() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000002").await;
    let r = app
        .authorize(
            &browser,
            &[
                ("client_id", "spa"),
                ("redirect_uri", SPA_CB),
                ("response_type", "code"),
                ("scope", "openid profile email"),
                ("code_challenge", &challenge(VERIFIER)),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let code = param(&location(&r), "code").expect("a code");
    let r = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", SPA_CB),
                ("client_id", "spa"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["scope"], "openid profile");
    assert!(tokens.get("refresh_token").is_none());
    let id = app
        .verified(
            tokens["id_token"].as_str().unwrap(),
            Algorithm::ES256,
            "spa",
        )
        .await;
    assert!(id.get("email").is_none(), "{id}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_session_the_browser_signs_in_and_comes_back_for_its_code() {
    let app = oidc_app().await;
    let initial = app.create_account("s6000003").await;
    let setup = app.signed_in("s6000003", &initial).await;
    app.change_password(&setup, &initial, NEW_PASSWORD, NEW_PASSWORD)
        .await;

    let browser = app.client();
    let params = [
        ("client_id", "portal"),
        ("redirect_uri", PORTAL_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("login_hint", "s6000003"),
    ];
    let r = app.authorize(&browser, &params).await;
    let to = location(&r);
    assert!(to.starts_with("/login?service="), "{to}");
    assert_eq!(param(&to, "login_hint").as_deref(), Some("s6000003"));
    let continuation = param(&to, "service").unwrap();
    assert!(
        continuation.starts_with("/oidc/authorize?"),
        "{continuation}"
    );

    // The sign-in page names the e-service.
    let name: Value = app
        .post(&browser, "cas_service", &[("service", &continuation)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(name, "The portal");

    let r = app
        .post(
            &browser,
            "sign_in",
            &[
                ("login", "s6000003"),
                ("password", NEW_PASSWORD),
                ("service", &continuation),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let back = location(&r);
    assert_eq!(back, continuation);
    let r = browser
        .get(format!("{}{back}", app.address))
        .send()
        .await
        .unwrap();
    assert!(param(&location(&r), "code").is_some(), "{:?}", location(&r));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_client_or_an_unregistered_redirect_uri_is_refused_on_a_page_never_redirected() {
    let app = oidc_app().await;
    let browser = app.client();
    for params in [
        vec![("client_id", "nobody"), ("redirect_uri", PORTAL_CB)],
        vec![
            ("client_id", "portal"),
            ("redirect_uri", "http://evil.example/cb"),
        ],
        vec![
            ("client_id", "portal"),
            ("redirect_uri", "http://127.0.0.1:9/cb/../x"),
        ],
        vec![("client_id", "portal")],
    ] {
        let mut all = params.clone();
        all.extend([("response_type", "code"), ("scope", "openid")]);
        let r = app.authorize(&browser, &all).await;
        assert_eq!(r.status(), 400, "{params:?}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("id=\"oidc-refusal\""));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_request_from_a_known_client_is_answered_at_its_redirect_uri_with_its_state() {
    let app = oidc_app().await;
    let browser = app.client();
    let base = [
        ("client_id", "portal"),
        ("redirect_uri", PORTAL_CB),
        ("state", "xyz"),
    ];
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("response_type", "token"), ("scope", "openid")],
            "unsupported_response_type",
        ),
        (
            &[("response_type", "code"), ("scope", "profile")],
            "invalid_scope",
        ),
        (
            &[
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", &"a".repeat(43)),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("scope", "openid"),
                ("request", "eyJ"),
            ],
            "request_not_supported",
        ),
    ];
    for (extra, error) in cases {
        let mut params = base.to_vec();
        params.extend_from_slice(extra);
        let r = app.authorize(&browser, &params).await;
        let to = location(&r);
        assert!(to.starts_with(PORTAL_CB), "{to}");
        assert_eq!(param(&to, "error").as_deref(), Some(error), "{extra:?}");
        assert_eq!(param(&to, "state").as_deref(), Some("xyz"));
    }
    // A public client must use PKCE.
    let r = app
        .authorize(
            &browser,
            &[
                ("client_id", "spa"),
                ("redirect_uri", SPA_CB),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = oidc_app().await;
    let r = app
        .authorize(
            &app.client(),
            &[
                ("client_id", "portal"),
                ("redirect_uri", PORTAL_CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "none"),
            ],
        )
        .await;
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prompt_login_asks_for_the_password_again_even_with_a_session() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000004").await;
    let params = [
        ("client_id", "portal"),
        ("redirect_uri", PORTAL_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "login"),
    ];
    let r = app.authorize(&browser, &params).await;
    let to = location(&r);
    assert!(to.starts_with("/login?service="), "{to}");
    let continuation = param(&to, "service").unwrap();
    // Coming back without signing in again does not count.
    app.clock.advance(time::Duration::seconds(5));
    let r = browser
        .get(format!("{}{continuation}", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).starts_with("/login?service="),
        "{}",
        location(&r)
    );

    let r = app
        .post(
            &browser,
            "sign_in",
            &[
                ("login", "s6000004"),
                ("password", NEW_PASSWORD),
                ("service", &continuation),
            ],
        )
        .await;
    let back = location(&r);
    let r = browser
        .get(format!("{}{back}", app.address))
        .send()
        .await
        .unwrap();
    assert!(param(&location(&r), "code").is_some(), "{}", location(&r));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_that_must_be_changed_comes_before_any_code() {
    let app = oidc_app().await;
    let initial = app.create_account("s6000005").await;
    let browser = app.signed_in("s6000005", &initial).await;
    let r = app
        .authorize(
            &browser,
            &[
                ("client_id", "portal"),
                ("redirect_uri", PORTAL_CB),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/account/password");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_e_service_that_requires_2_step_verification_refuses_a_password_only_sign_in() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000006").await;
    let r = app
        .authorize(
            &browser,
            &[
                ("client_id", "exam"),
                ("redirect_uri", "http://127.0.0.1:9/exam"),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
        )
        .await;
    let to = location(&r);
    assert_eq!(
        param(&to, "error").as_deref(),
        Some("access_denied"),
        "{to}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_is_single_use_and_its_reuse_revokes_what_it_gave() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000007").await;
    let code = app.portal_code(&browser).await;
    let first: Value = app.exchange(&code).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo(access).await.status(), 200);

    let again = app.exchange(&code).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(app.userinfo(access).await.status(), 401);
    let refresh = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(refresh.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_presented_many_times_at_once_gives_tokens_at_most_once_and_then_none() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000008").await;
    let code = app.portal_code(&browser).await;
    let answers = futures_util::future::join_all((0..6).map(|_| app.exchange(&code))).await;
    let mut granted = vec![];
    for r in answers {
        match r.status().as_u16() {
            200 => granted.push(r.json::<Value>().await.unwrap()),
            400 => assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant"),
            other => panic!("status {other}"),
        }
    }
    assert!(granted.len() <= 1, "{} grants", granted.len());
    // The code was presented again, so whatever it gave is revoked.
    for tokens in granted {
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(app.userinfo(access).await.status(), 401);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_is_bound_to_its_verifier_its_redirect_uri_its_client_and_60_seconds() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000009").await;
    let basic = Some(("portal", PORTAL_SECRET));
    let cases = [
        [
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-00",
            ),
            ("redirect_uri", PORTAL_CB),
        ],
        [
            ("code_verifier", VERIFIER),
            ("redirect_uri", "http://127.0.0.1:9/other"),
        ],
    ];
    for extra in cases {
        let code = app.portal_code(&browser).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        form.extend(extra);
        let r = app.token(&form, basic).await;
        assert_eq!(r.status(), 400, "{extra:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    // Another client's code.
    let code = app.portal_code(&browser).await;
    let r = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", PORTAL_CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("exam", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Past its minute.
    let code = app.portal_code(&browser).await;
    app.clock.advance(time::Duration::seconds(61));
    let r = app.exchange(&code).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_cannot_authenticate_gets_401_invalid_client() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000010").await;
    let code = app.portal_code(&browser).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", PORTAL_CB),
        ("code_verifier", VERIFIER),
    ];
    for basic in [
        Some(("portal", "wrong")),
        Some(("nobody", PORTAL_SECRET)),
        None,
    ] {
        let r = app.token(&form, basic).await;
        assert_eq!(r.status(), 401, "{basic:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    }
    // client_secret_post works, and the code was not spent by the failures.
    let mut post = form.to_vec();
    post.extend([("client_id", "portal"), ("client_secret", PORTAL_SECRET)]);
    assert_eq!(app.token(&post, None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_is_not_a_form_or_repeats_a_field_is_a_400_not_a_500() {
    let app = oidc_app().await;
    let http = reqwest::Client::new();
    let json = http
        .post(format!("{}/oidc/token", app.address))
        .header("content-type", "application/json")
        .body("{\"grant_type\":\"authorization_code\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let twice = http
        .post(format!("{}/oidc/token", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=authorization_code&grant_type=refresh_token")
        .basic_auth("portal", Some(PORTAL_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
    assert_eq!(
        twice.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let garbled = http
        .post(format!("{}/oidc/token", app.address))
        .header("authorization", "Basic %%%")
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 401);
    let other_grant = app
        .token(
            &[("grant_type", "password")],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(
        other_grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_is_rotated_and_its_reuse_revokes_the_grant() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000011").await;
    let code = app.portal_code(&browser).await;
    let first: Value = app.exchange(&code).await.json().await.unwrap();
    let app = &app;
    let refresh = |token: String| async move {
        app.token(
            &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            Some(("portal", PORTAL_SECRET)),
        )
        .await
    };
    let old = first["refresh_token"].as_str().unwrap().to_owned();
    let r = refresh(old.clone()).await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    let new = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let access = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&access).await.status(), 200);

    // The old one again: refused, and the new one and its access token die too.
    assert_eq!(refresh(old).await.status(), 400);
    assert_eq!(refresh(new).await.status(), 400);
    assert_eq!(app.userinfo(&access).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_of_gatehouse_ends_every_e_service_s_grant() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000012").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    assert_eq!(app.post(&browser, "sign_out", &[]).await.status(), 200);

    assert_eq!(
        app.userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
    let r = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_tells_a_client_about_its_own_tokens_and_revocation_ends_them() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000013").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let introspect = |token: &str, id: &'static str| {
        http.post(format!("{}/oidc/introspect", app.address))
            .basic_auth(id, Some(PORTAL_SECRET))
            .form(&[("token", token.to_owned())])
            .send()
    };
    let about: Value = introspect(access, "portal")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["active"], true);
    assert_eq!(about["username"], "s6000013");
    let other: Value = introspect(access, "exam")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["active"], false);

    let r = http
        .post(format!("{}/oidc/revoke", app.address))
        .basic_auth("portal", Some(PORTAL_SECRET))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let about: Value = introspect(access, "portal")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["active"], false);
    assert_eq!(app.userinfo(access).await.status(), 401);

    // Revoking the refresh token ends the grant.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    http.post(format!("{}/oidc/revoke", app.address))
        .basic_auth("portal", Some(PORTAL_SECRET))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    let r = app
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_or_expired_access_token_gets_no_user_info() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000014").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(b"{\"iss\":\"x\",\"exp\":9999999999,\"jti\":\"x\"}");
    assert_eq!(app.userinfo(&parts.join(".")).await.status(), 401);
    assert_eq!(app.userinfo("not-a-token").await.status(), 401);
    app.clock.advance(time::Duration::seconds(301));
    assert_eq!(app.userinfo(access).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_with_an_id_token_hint_signs_out_and_goes_only_to_a_registered_uri() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000015").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    let hint = tokens["id_token"].as_str().unwrap();
    let logout = |uri: &'static str| {
        browser
            .get(format!("{}/oidc/logout", app.address))
            .query(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", uri),
                ("state", "bye-1"),
            ])
            .send()
    };
    let refused = logout("http://evil.example/bye").await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none());
    assert_eq!(app.whoami(&browser).await["login"], "s6000015");

    let r = logout("http://127.0.0.1:9/bye").await.unwrap();
    assert_eq!(location(&r), "http://127.0.0.1:9/bye?state=bye-1");
    assert!(app.whoami(&browser).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_without_a_hint_asks_first_and_signs_out_when_confirmed() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000016").await;
    let page = browser
        .get(format!("{}/oidc/logout", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("id=\"confirm-sign-out\""));
    assert_eq!(app.whoami(&browser).await["login"], "s6000016");

    // From another site: the same-origin check refuses it.
    let forged = browser
        .post(format!("{}/oidc/logout", app.address))
        .header("origin", "http://evil.example")
        .form(&[("client_id", "portal")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let r = browser
        .post(format!("{}/oidc/logout", app.address))
        .form(&[("client_id", "portal")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login");
    assert!(app.whoami(&browser).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_keys_sign_from_then_on_and_the_old_ones_stay_published_until_their_tokens_expire()
{
    let app = oidc_app().await;
    let before: Vec<String> = app
        .jwks()
        .await
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    let new = gatehouse_core::oidc::keys::rotate(&app.state)
        .await
        .unwrap();
    let during: Vec<String> = app
        .jwks()
        .await
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert_eq!(during.len(), 4, "{during:?}");
    assert!(before.iter().chain(&new).all(|k| during.contains(k)));

    let browser = app.oidc_user("s6000017").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    let kid = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert!(new.contains(&kid));

    app.clock.advance(time::Duration::seconds(301));
    let after: Vec<String> = app
        .jwks()
        .await
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(new.iter().all(|k| after.contains(k)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_continuation_the_browser_made_up_does_not_count_as_a_new_sign_in() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000018").await;
    app.clock.advance(time::Duration::seconds(5));
    let r = app
        .authorize(
            &browser,
            &[
                ("client_id", "portal"),
                ("redirect_uri", PORTAL_CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "login"),
                ("replaces", "0.aaaa.bbbb"),
            ],
        )
        .await;
    assert!(
        location(&r).starts_with("/login?service="),
        "{}",
        location(&r)
    );
    // Gatehouse's own mark, with the session it named: still not new.
    let continuation = param(&location(&r), "service").unwrap();
    let r = browser
        .get(format!("{}{continuation}", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).starts_with("/login?service="),
        "{}",
        location(&r)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_user_s_id_token_as_the_hint_does_not_sign_anyone_out_without_asking() {
    let app = oidc_app().await;
    let attacker = app.oidc_user("s6000019").await;
    let code = app.portal_code(&attacker).await;
    let theirs: Value = app.exchange(&code).await.json().await.unwrap();
    let victim = app.oidc_user("s6000020").await;

    let r = victim
        .get(format!("{}/oidc/logout", app.address))
        .query(&[("id_token_hint", theirs["id_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"confirm-sign-out\""));
    assert_eq!(app.whoami(&victim).await["login"], "s6000020");
    // An access token is no ID token, even as a hint.
    let r = victim
        .get(format!("{}/oidc/logout", app.address))
        .query(&[("id_token_hint", theirs["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.whoami(&victim).await["login"], "s6000020");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_token_is_no_access_token_and_a_narrowed_refresh_narrows_userinfo() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000021").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    assert_eq!(
        app.userinfo(tokens["id_token"].as_str().unwrap())
            .await
            .status(),
        401
    );

    let r = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("scope", "openid profile"),
            ],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    let narrowed: Value = r.json().await.unwrap();
    let info: Value = app
        .userinfo(narrowed["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["preferred_username"], "s6000021");
    assert!(info.get("email").is_none(), "{info}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_past_its_idle_time_ends_its_grants_before_any_clean_up() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000022").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    app.clock.advance(time::Duration::minutes(31));
    let r = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
            Some(("portal", PORTAL_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confidential_client_whose_secret_went_missing_is_refused_not_let_in() {
    std::env::set_var("GATEHOUSE_TEST_VANISHING_SECRET", PORTAL_SECRET);
    let app = spawn_app_with(|c| {
        c.oidc.clients = vec![OidcClient {
            secret_env: Some("GATEHOUSE_TEST_VANISHING_SECRET".into()),
            ..client("portal", PORTAL_CB)
        }];
    })
    .await;
    std::env::remove_var("GATEHOUSE_TEST_VANISHING_SECRET");
    let browser = app.oidc_user("s6000023").await;
    let code = app.portal_code(&browser).await;
    let r = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", PORTAL_CB),
                ("client_id", "portal"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_e_service_that_asks_first_gets_a_code_only_once_the_user_allows_it() {
    let app = oidc_app().await;
    let browser = app.oidc_user("s6000024").await;
    let params = [
        ("client_id", "survey"),
        ("redirect_uri", SURVEY_CB),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "q-1"),
    ];
    let silent: Vec<(&str, &str)> = params.iter().copied().chain([("prompt", "none")]).collect();
    let r = app.authorize(&browser, &silent).await;
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("consent_required")
    );

    let r = app.authorize(&browser, &params).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("The survey would like to know"), "{page}");
    assert!(page.contains("your email address"), "{page}");
    let continuation = page
        .split("name=\"continuation\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let answer = |decision: &'static str, origin: &str| {
        browser
            .post(format!("{}/oidc/consent", app.address))
            .header("origin", origin.to_owned())
            .form(&[
                ("continuation", continuation.clone()),
                ("decision", decision.to_owned()),
            ])
            .send()
    };

    // From another site: refused before it is read.
    let forged = answer("allow", "http://evil.example").await.unwrap();
    assert_eq!(forged.status(), 403);

    let denied = answer("deny", &app.address).await.unwrap();
    let to = location(&denied);
    assert!(to.starts_with(SURVEY_CB), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&to, "state").as_deref(), Some("q-1"));
    assert_eq!(
        app.authorize(&browser, &params).await.status(),
        200,
        "still asked"
    );

    let allowed = answer("allow", &app.address).await.unwrap();
    let back = location(&allowed);
    assert_eq!(back, continuation);
    let r = browser
        .get(format!("{}{back}", app.address))
        .send()
        .await
        .unwrap();
    assert!(param(&location(&r), "code").is_some(), "{}", location(&r));
    // Remembered: the next time goes straight through, silently too.
    let r = app.authorize(&browser, &silent).await;
    assert!(param(&location(&r), "code").is_some(), "{}", location(&r));
    // A wider request asks again.
    let wider = [
        ("client_id", "survey"),
        ("redirect_uri", SURVEY_CB),
        ("response_type", "code"),
        ("scope", "openid email roles"),
    ];
    assert_eq!(app.authorize(&browser, &wider).await.status(), 200);
}
