//! Single logout: when a sign-in session ends, each e-service that asked
//! is told once, through the queue, with retries: an OpenID Connect
//! back-channel logout token, or a CAS SAML `LogoutRequest`.
use std::sync::{Arc, Mutex};

use axum::routing::post;
use gatehouse_core::config::{CasService, OidcClient};
use gatehouse_core::single_logout::{deliver_due, http_client, queue_ended};
use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp};
use crate::oidc::{client, hex_sha256, location, param, NEW_PASSWORD, PORTAL_CB, PORTAL_SECRET};

/// An e-service's logout endpoint: keeps every body posted to it, and
/// answers 500 to the first `failures` of them.
#[derive(Clone)]
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
    failures: Arc<Mutex<usize>>,
}

async fn receiver(failures: usize) -> Receiver {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(failures));
    let (kept, failing) = (bodies.clone(), failures.clone());
    let app = axum::Router::new().route(
        "/{*path}",
        post(move |body: String| async move {
            let mut left = failing.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            }
            kept.lock().unwrap().push(body);
            axum::http::StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url,
        bodies,
        failures,
    }
}

fn field(body: &str, name: &str) -> String {
    form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn app_telling(rp: &Receiver) -> TestApp {
    let uri = format!("{}/backchannel", rp.url);
    let pattern = format!("{}/**", rp.url);
    spawn_app_with(move |c| {
        c.oidc.clients = vec![OidcClient {
            secret_sha256: Some(hex_sha256(PORTAL_SECRET)),
            backchannel_logout_uri: Some(uri),
            ..client("portal", PORTAL_CB)
        }];
        c.cas.services = vec![CasService {
            name: "Library".into(),
            url_pattern: pattern,
            attributes: vec![],
            single_logout: true,
        }];
    })
    .await
}

/// Queues and delivers what is due, as the worker does each round.
async fn worker_round(app: &TestApp) -> (usize, usize) {
    let queued = queue_ended(&app.state).await.unwrap();
    let delivered = deliver_due(&app.state, &http_client().unwrap())
        .await
        .unwrap();
    (queued, delivered)
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_sends_each_oidc_e_service_one_signed_logout_token() {
    let rp = receiver(0).await;
    let app = app_telling(&rp).await;
    let browser = app.oidc_user("s7000001").await;
    let code = app.portal_code(&browser).await;
    let tokens: Value = app.exchange(&code).await.json().await.unwrap();
    let id = app
        .verified(
            tokens["id_token"].as_str().unwrap(),
            Algorithm::RS256,
            "portal",
        )
        .await;
    assert_eq!(
        worker_round(&app).await,
        (0, 0),
        "nothing before the session ends"
    );

    app.post(&browser, "sign_out", &[]).await;
    // Two workers (two instances) at once: one notice, not two.
    let (a, b) = tokio::join!(queue_ended(&app.state), queue_ended(&app.state));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(worker_round(&app).await, (0, 1));

    let bodies = rp.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let token = field(&bodies[0], "logout_token");
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().typ.as_deref(),
        Some("logout+jwt")
    );
    let claims = app.verified(&token, Algorithm::RS256, "portal").await;
    assert_eq!(claims["sub"], id["sub"]);
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
    assert_eq!(worker_round(&app).await, (0, 0), "told once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notice_the_e_service_failed_to_take_is_tried_again_later() {
    let rp = receiver(1).await;
    let app = app_telling(&rp).await;
    let browser = app.oidc_user("s7000002").await;
    let code = app.portal_code(&browser).await;
    app.exchange(&code).await;
    app.post(&browser, "sign_out", &[]).await;

    assert_eq!(worker_round(&app).await, (1, 0));
    assert_eq!(*rp.failures.lock().unwrap(), 0, "it was tried once");
    assert_eq!(worker_round(&app).await, (0, 0), "not due again at once");
    app.clock.advance(time::Duration::seconds(300));
    assert_eq!(worker_round(&app).await, (0, 1));
    let bodies = rp.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    // Signed when it went, not when it was queued: never sent expired.
    let claims = app
        .verified(
            &field(&bodies[0], "logout_token"),
            Algorithm::RS256,
            "portal",
        )
        .await;
    assert_eq!(claims["iat"], app.state.clock.unix());
    assert!(claims["exp"].as_i64().unwrap() > app.state.clock.unix());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cas_service_that_opted_in_gets_a_saml_logout_request_naming_its_ticket() {
    let rp = receiver(0).await;
    let app = app_telling(&rp).await;
    let browser = app.oidc_user("s7000003").await;
    let service = format!("{}/library/", rp.url);
    let r = browser
        .get(format!("{}/cas/login", app.address))
        .query(&[("service", &service)])
        .send()
        .await
        .unwrap();
    let to = location(&r);
    let ticket = param(&to, "ticket").expect("a ticket");
    assert_eq!(worker_round(&app).await, (0, 0));

    app.post(&browser, "sign_out", &[]).await;
    assert_eq!(worker_round(&app).await, (1, 1));
    let bodies = rp.bodies.lock().unwrap().clone();
    let request = field(&bodies[0], "logoutRequest");
    assert!(request.starts_with("<samlp:LogoutRequest"), "{request}");
    assert!(
        request.contains(&format!(
            "<samlp:SessionIndex>{ticket}</samlp:SessionIndex>"
        )),
        "{request}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn my_profile_lists_the_e_services_a_session_signed_in_to() {
    let rp = receiver(0).await;
    let app = app_telling(&rp).await;
    let browser = app.oidc_user("s7000004").await;
    let code = app.portal_code(&browser).await;
    app.exchange(&code).await;
    browser
        .get(format!("{}/cas/login", app.address))
        .query(&[("service", format!("{}/library/", rp.url))])
        .send()
        .await
        .unwrap();
    let other = app.signed_in("s7000004", NEW_PASSWORD).await;

    let listed: Value = app
        .post(&browser, "my_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    let services = |current: bool| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == current)
            .map(|s| s["services"].clone())
            .unwrap()
    };
    assert_eq!(services(true), serde_json::json!(["Library", "The portal"]));
    assert_eq!(services(false), serde_json::json!([]));
    drop(other);
}
