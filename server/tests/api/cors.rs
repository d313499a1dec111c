//! The static single-page bundle on another origin: CORS with the session
//! cookie for the configured origins only, and nothing for any other.
use crate::helpers::{browser, spawn_app, spawn_app_with, TestApp};

const BUNDLE: &str = "http://static.example.test:8080";

async fn trusting_the_bundle() -> TestApp {
    spawn_app_with(|c| c.cors.allowed_origins = vec![BUNDLE.into()]).await
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/sign_in", app.address),
        )
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_origin_signs_in_with_credentials_and_sees_the_redirect() {
    let app = trusting_the_bundle().await;
    let password = app.create_account("s1000301").await;

    let answer = preflight(&app, BUNDLE).await;
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(BUNDLE));
    assert_eq!(
        header(&answer, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(header(&answer, "access-control-allow-methods").is_some_and(|m| m.contains("POST")));

    let bundle = browser(BUNDLE);
    let response = app.sign_in(&bundle, "s1000301", &password).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(BUNDLE)
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials"),
        Some("true")
    );
    let exposed = header(&response, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.contains("location") && exposed.contains("serverfnredirect"),
        "{exposed}"
    );
    // The session cookie keeps its rules: HttpOnly, SameSite=Lax.
    let cookie = header(&response, "set-cookie")
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let me = app.whoami(&bundle).await;
    assert_eq!(me["login"], "s1000301");
}

#[tokio::test(flavor = "multi_thread")]
async fn any_other_origin_gets_no_cors_and_its_writes_are_refused() {
    let app = trusting_the_bundle().await;
    let password = app.create_account("s1000302").await;
    for origin in [
        "http://evil.example",
        "http://static.example.test:8081",
        "null",
    ] {
        let answer = preflight(&app, origin).await;
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        let response = app.sign_in(&browser(origin), "s1000302", &password).await;
        assert_eq!(response.status(), 403, "{origin}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            None,
            "{origin}"
        );
    }
    let actions = app.audit_actions("s1000302").await;
    assert!(
        actions.iter().all(|(action, _)| action != "sign_in"),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_origin_configured_the_bundle_is_refused() {
    let app = spawn_app().await;
    let password = app.create_account("s1000303").await;
    let answer = preflight(&app, BUNDLE).await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    let response = app.sign_in(&browser(BUNDLE), "s1000303", &password).await;
    assert_eq!(response.status(), 403);
}
