//! Gatehouse as a CAS 3.0 server: every endpoint, its error codes, ticket
//! reuse and expiry (fake clock), renew, gateway, logout.
use gatehouse_core::config::CasService;
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp};

const SERVICE: &str = "http://127.0.0.1:9/portal/?page=home";

async fn cas_app() -> TestApp {
    spawn_app_with(|c| {
        c.cas.services = vec![CasService {
            name: "Learner Portal".into(),
            url_pattern: "http://127.0.0.1:9/portal/*".into(),
            attributes: vec!["display_name".into(), "email".into()],
            single_logout: false,
        }];
    })
    .await
}

fn encode(s: &str) -> String {
    s.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('=', "%3D")
        .replace('&', "%26")
        .replace('#', "%23")
        .replace('@', "%40")
}

impl TestApp {
    async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// A user who has changed the initial password, signed in.
    async fn cas_user(&self, login: &str) -> reqwest::Client {
        let initial = self.create_account(login).await;
        let client = self.signed_in(login, &initial).await;
        let r = self
            .change_password(&client, &initial, "Harbour7Lights", "Harbour7Lights")
            .await;
        assert_eq!(r.status(), 200);
        client
    }

    /// A ticket by single sign-on for `service`.
    async fn ticket(&self, client: &reqwest::Client, service: &str) -> String {
        let r = self
            .get(client, &format!("/cas/login?service={}", encode(service)))
            .await;
        assert_eq!(r.status(), 303, "{:?}", r.headers());
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(service), "{location}");
        location.split("ticket=").nth(1).unwrap().to_owned()
    }

    async fn validate(&self, endpoint: &str, service: &str, ticket: &str, extra: &str) -> String {
        let path = format!(
            "/cas/{endpoint}?service={}&ticket={ticket}{extra}",
            encode(service)
        );
        self.get(&self.client(), &path).await.text().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_user_gets_a_ticket_that_validates_once() {
    let app = cas_app().await;
    let client = app.cas_user("s5000001").await;
    let ticket = app.ticket(&client, SERVICE).await;
    assert!(ticket.starts_with("ST-") && ticket.len() > 40);

    let xml = app.validate("serviceValidate", SERVICE, &ticket, "").await;
    assert!(xml.contains("<cas:user>s5000001</cas:user>"), "{xml}");
    assert!(
        xml.contains("<cas:display_name>Chan Tai Man</cas:display_name>"),
        "{xml}"
    );
    assert!(
        xml.contains("<cas:email>s5000001@example.edu</cas:email>"),
        "{xml}"
    );
    assert!(
        !xml.contains("cas:role"),
        "only the registered attributes: {xml}"
    );
    assert!(
        xml.contains("<cas:isFromNewLogin>false</cas:isFromNewLogin>"),
        "{xml}"
    );

    let again = app.validate("serviceValidate", SERVICE, &ticket, "").await;
    assert!(again.contains("code=\"INVALID_TICKET\""), "{again}");
    let actions = app.audit_actions("s5000001").await;
    assert!(actions.contains(&("cas.ticket_issued".into(), "success".into())));
    assert!(actions.contains(&("cas.ticket_validated".into(), "success".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_validation_endpoint_speaks_its_format() {
    let app = cas_app().await;
    let client = app.cas_user("s5000002").await;

    let t = app.ticket(&client, SERVICE).await;
    let json: Value = serde_json::from_str(
        &app.validate("p3/serviceValidate", SERVICE, &t, "&format=JSON")
            .await,
    )
    .unwrap();
    let success = &json["serviceResponse"]["authenticationSuccess"];
    assert_eq!(success["user"], "s5000002");
    assert_eq!(success["attributes"]["email"][0], "s5000002@example.edu");

    let t = app.ticket(&client, SERVICE).await;
    assert_eq!(
        app.validate("validate", SERVICE, &t, "").await,
        "yes\ns5000002\n"
    );
    assert_eq!(app.validate("validate", SERVICE, &t, "").await, "no\n\n");

    let t = app.ticket(&client, SERVICE).await;
    let xml = app.validate("proxyValidate", SERVICE, &t, "").await;
    assert!(xml.contains("<cas:user>s5000002</cas:user>"), "{xml}");
    let t = app.ticket(&client, SERVICE).await;
    let xml = app
        .validate(
            "proxyValidate",
            SERVICE,
            &t,
            "&pgtUrl=https%3A%2F%2Fevil.test%2F",
        )
        .await;
    assert!(xml.contains("UNAUTHORIZED_SERVICE_PROXY"), "{xml}");
    let proxy = app
        .get(&app.client(), "/cas/proxy?pgt=PGT-1&targetService=x")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        proxy.contains("proxyFailure code=\"UNAUTHORIZED_SERVICE_PROXY\""),
        "{proxy}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_answer_with_the_protocol_codes() {
    let app = cas_app().await;
    let client = app.cas_user("s5000003").await;

    let missing = app
        .get(&app.client(), "/cas/serviceValidate?ticket=ST-1")
        .await
        .text()
        .await
        .unwrap();
    assert!(missing.contains("code=\"INVALID_REQUEST\""), "{missing}");
    let json: Value = app
        .get(&app.client(), "/cas/p3/serviceValidate?format=JSON")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["serviceResponse"]["authenticationFailure"]["code"],
        "INVALID_REQUEST"
    );
    let unknown = app
        .validate("serviceValidate", SERVICE, "ST-not-a-real-ticket", "")
        .await;
    assert!(unknown.contains("code=\"INVALID_TICKET\""), "{unknown}");
    let not_st = app.validate("serviceValidate", SERVICE, "PT-123", "").await;
    assert!(not_st.contains("code=\"INVALID_TICKET_SPEC\""), "{not_st}");

    // Bound to its service: another service's validation fails, and the
    // ticket is used up by it.
    let t = app.ticket(&client, SERVICE).await;
    let other = app
        .validate("serviceValidate", "http://127.0.0.1:9/portal/other", &t, "")
        .await;
    assert!(other.contains("code=\"INVALID_SERVICE\""), "{other}");
    let after = app.validate("serviceValidate", SERVICE, &t, "").await;
    assert!(after.contains("code=\"INVALID_TICKET\""), "{after}");

    // Expires after ten seconds.
    let t = app.ticket(&client, SERVICE).await;
    app.clock.advance(time::Duration::seconds(10));
    let late = app.validate("serviceValidate", SERVICE, &t, "").await;
    assert!(late.contains("code=\"INVALID_TICKET\""), "{late}");
    let t = app.ticket(&client, SERVICE).await;
    app.clock.advance(time::Duration::seconds(9));
    assert!(app
        .validate("serviceValidate", SERVICE, &t, "")
        .await
        .contains("cas:user"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_service_gets_a_refusal_and_never_a_ticket() {
    let app = cas_app().await;
    let client = app.cas_user("s5000004").await;
    for service in [
        "https://evil.test/steal",
        "http://127.0.0.1:9/portalx",
        "javascript:alert(1)",
    ] {
        let r = app
            .get(&client, &format!("/cas/login?service={}", encode(service)))
            .await;
        assert_eq!(r.status(), 403, "{service}");
        assert!(r.headers().get("location").is_none());
        // A plain page: its stylesheet, and no script at all.
        assert_eq!(
            r.headers()["content-security-policy"],
            app::ssr::csp::PLAIN_PAGE
        );
        assert!(r.text().await.unwrap().contains("not registered"));
    }
    // Anything that is not a page keeps the strict policy.
    let r = app
        .get(&client, "/cas/serviceValidate?service=x&ticket=y")
        .await;
    assert_eq!(
        r.headers()["content-security-policy"],
        app::ssr::csp::STRICT
    );
    // Signing in "for" an unregistered service just signs in.
    let initial = app.create_account("s5000005").await;
    let r = app
        .post(
            &app.client(),
            "sign_in",
            &[
                ("login", "s5000005"),
                ("password", &initial),
                ("service", "https://evil.test/"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["location"], "/account/password");
    // Logout never redirects to an unregistered service either.
    let r = app
        .get(&client, "/cas/logout?service=https%3A%2F%2Fevil.test%2F")
        .await;
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_session_login_asks_for_the_password_unless_gateway() {
    let app = cas_app().await;
    let client = app.client();
    let r = app
        .get(&client, &format!("/cas/login?service={}", encode(SERVICE)))
        .await;
    assert_eq!(
        r.headers()["location"],
        format!("/login?service={}", encode(SERVICE)).as_str()
    );
    let r = app
        .get(
            &client,
            &format!("/cas/login?service={}&gateway=true", encode(SERVICE)),
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        SERVICE,
        "back to the service, no ticket"
    );

    // Signing in for the service sends the browser there with a ticket
    // marked as coming from a new sign-in.
    app.cas_user("s5000006").await;
    let fresh = app.client();
    let r = app
        .post(
            &fresh,
            "sign_in",
            &[
                ("login", "s5000006"),
                ("password", "Harbour7Lights"),
                ("service", SERVICE),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let ticket = location.split("ticket=").nth(1).unwrap();
    let xml = app
        .validate("serviceValidate", SERVICE, ticket, "&renew=true")
        .await;
    assert!(
        xml.contains("<cas:isFromNewLogin>true</cas:isFromNewLogin>"),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn renew_asks_for_the_password_again() {
    let app = cas_app().await;
    let client = app.cas_user("s5000007").await;
    let r = app
        .get(
            &client,
            &format!("/cas/login?service={}&renew=true", encode(SERVICE)),
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        format!("/login?service={}&renew=true", encode(SERVICE)).as_str()
    );
    let sso = app.ticket(&client, SERVICE).await;
    let xml = app
        .validate("serviceValidate", SERVICE, &sso, "&renew=true")
        .await;
    assert!(
        xml.contains("code=\"INVALID_TICKET\""),
        "a single sign-on ticket fails renew: {xml}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_ticket_before_an_initial_password_is_changed() {
    let app = cas_app().await;
    let initial = app.create_account("s5000008").await;
    let client = app.signed_in("s5000008", &initial).await;
    let r = app
        .get(&client, &format!("/cas/login?service={}", encode(SERVICE)))
        .await;
    assert_eq!(r.headers()["location"], "/account/password");
    let r = app
        .post(
            &app.client(),
            "sign_in",
            &[
                ("login", "s5000008"),
                ("password", &initial),
                ("service", SERVICE),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/account/password");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_single_sign_on_and_returns_to_the_service() {
    let app = cas_app().await;
    let client = app.cas_user("s5000009").await;
    let r = app
        .get(&client, &format!("/cas/logout?service={}", encode(SERVICE)))
        .await;
    assert_eq!(r.headers()["location"], SERVICE);
    assert_eq!(app.whoami(&client).await, Value::Null);
    let r = app
        .get(&client, &format!("/cas/login?service={}", encode(SERVICE)))
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?service="));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_elsewhere_ends_single_sign_on() {
    let app = cas_app().await;
    let client = app.cas_user("s5000010").await;
    let other = app.signed_in("s5000010", "Harbour7Lights").await;
    let r = app
        .change_password(&other, "Harbour7Lights", "Lantern5Quay", "Lantern5Quay")
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .get(&client, &format!("/cas/login?service={}", encode(SERVICE)))
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?service="));
}

/// Checks a CAS answer against the CAS 3.0 schema (appendix A) with
/// libxml2's xmllint. Without xmllint the check fails under CI and is
/// skipped, said aloud, elsewhere.
fn assert_schema_valid(xml: &str) {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cas/cas3.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.xml");
    std::fs::write(&file, xml).unwrap();
    let run = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", schema])
        .arg(&file)
        .output();
    let output = match run {
        Ok(output) => output,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("xmllint not found ({e}); the schema check is skipped (scripts/setup.sh installs it)");
            return;
        }
        Err(e) => panic!("xmllint is needed under CI (libxml2-utils): {e}"),
    };
    assert!(
        output.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_follows_the_cas_3_schema() {
    let app = cas_app().await;
    let client = app.cas_user("s5000030").await;

    for endpoint in [
        "serviceValidate",
        "p3/serviceValidate",
        "proxyValidate",
        "p3/proxyValidate",
    ] {
        let t = app.ticket(&client, SERVICE).await;
        let success = app.validate(endpoint, SERVICE, &t, "").await;
        assert!(success.contains("<cas:authenticationSuccess>"), "{success}");
        assert_schema_valid(&success);
        let replayed = app.validate(endpoint, SERVICE, &t, "").await;
        assert!(replayed.contains("INVALID_TICKET"), "{replayed}");
        assert_schema_valid(&replayed);
    }
    let proxy = app
        .get(&app.client(), "/cas/proxy?pgt=PGT-1&targetService=x")
        .await;
    assert_schema_valid(&proxy.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attributes_come_in_the_order_the_schema_fixes() {
    let app = cas_app().await;
    let client = app.cas_user("s5000031").await;
    let t = app.ticket(&client, SERVICE).await;

    let xml = app.validate("p3/serviceValidate", SERVICE, &t, "").await;

    let at = |name: &str| {
        xml.find(&format!("<cas:{name}>"))
            .unwrap_or_else(|| panic!("{name}: {xml}"))
    };
    assert!(at("authenticationDate") < at("longTermAuthenticationRequestTokenUsed"));
    assert!(at("longTermAuthenticationRequestTokenUsed") < at("isFromNewLogin"));
    assert!(at("isFromNewLogin") < at("display_name"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tickets_use_only_the_letters_digits_and_hyphen_of_the_protocol() {
    let app = cas_app().await;
    let client = app.cas_user("s5000032").await;

    for _ in 0..40 {
        let ticket = app.ticket(&client, SERVICE).await;
        let random = ticket.strip_prefix("ST-").unwrap();
        assert_eq!(random.len(), 43, "{ticket}");
        assert!(
            random.chars().all(|c| c.is_ascii_alphanumeric()),
            "{ticket}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_url_with_dot_segments_gets_no_ticket() {
    let app = cas_app().await;
    let client = app.cas_user("s5000033").await;
    let initial = app.create_account("s5000034").await;

    for service in [
        "http://127.0.0.1:9/portal/../other/",
        "http://127.0.0.1:9/portal/%2e%2e/other/",
        "http://127.0.0.1:9/portal/.%2E/other/",
        "http://127.0.0.1:9/portal/./x",
    ] {
        // Act: single sign-on, and a fresh sign-in for it.
        let sso = app
            .get(&client, &format!("/cas/login?service={}", encode(service)))
            .await;
        let signed = app
            .post(
                &app.client(),
                "sign_in",
                &[
                    ("login", "s5000034"),
                    ("password", &initial),
                    ("service", service),
                ],
            )
            .await;

        // Assert
        assert_eq!(sso.status(), 403, "{service}");
        assert!(sso.headers().get("location").is_none(), "{service}");
        let location = signed.headers()["location"].to_str().unwrap().to_owned();
        assert!(!location.contains("ticket="), "{service}: {location}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wildcard_never_reaches_across_a_slash_to_another_host() {
    let app = spawn_app_with(|c| {
        c.cas.services = vec![CasService {
            name: "Library".into(),
            url_pattern: "http://*.example.edu/cas".into(),
            attributes: vec![],
            single_logout: false,
        }];
    })
    .await;
    let client = app.cas_user("s5000035").await;

    for service in [
        "http://evil.test/.example.edu/cas",
        "http://evil.test/?.example.edu/cas",
        "http://evil.test#.example.edu/cas",
        "http://a@evil.test/.example.edu/cas",
    ] {
        let r = app
            .get(&client, &format!("/cas/login?service={}", encode(service)))
            .await;
        assert_eq!(r.status(), 403, "{service}");
    }
    let r = app
        .get(
            &client,
            &format!(
                "/cas/login?service={}",
                encode("http://lib.example.edu/cas")
            ),
        )
        .await;
    assert_eq!(r.status(), 303);
}
