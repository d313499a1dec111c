//! The help page and "Forgot your login name?": what the page tells is
//! what the settings enforce, and the reminder reaches a registered
//! address only, under its limits, with the same answer either way.
use gatehouse_core::config::CasService;
use serde_json::Value;
use server::accounts::{self, AccountInput};

use crate::helpers::{
    captured_logs, error_of, spawn_app, spawn_app_with, statuses_at_once, TestApp, CAPTCHA,
};

impl TestApp {
    /// A fresh CAPTCHA challenge, as the page loads one.
    async fn captcha(&self, client: &reqwest::Client) -> String {
        let response = self.post(client, "recovery_captcha", &[]).await;
        assert_eq!(response.status(), 200);
        response.json::<String>().await.unwrap()
    }

    async fn ask_login_names(&self, client: &reqwest::Client, email: &str) -> reqwest::Response {
        let captcha = self.captcha(client).await;
        self.post(
            client,
            "send_login_names",
            &[
                ("email", email),
                ("captcha_id", &captcha),
                ("captcha", CAPTCHA),
            ],
        )
        .await
    }

    async fn account_with_email(&self, login: &str, name: &str, email: &str) {
        accounts::create(
            &self.state,
            AccountInput {
                login: login.into(),
                name: name.into(),
                role: "teacher".into(),
                email: email.into(),
                mobile: None,
                first_time: true,
            },
        )
        .await
        .unwrap();
    }

    async fn queued_mail_to(&self, email: &str) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM mail_queue WHERE recipient = $1")
            .bind(email)
            .fetch_one(&self.pool().await)
            .await
            .unwrap()
    }

    async fn html(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client
            .get(format!("{}{path}", self.address))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        // Without the hydration markers between a text and its values.
        response.text().await.unwrap().replace("<!>", "")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registered_address_is_sent_every_login_name_it_holds_and_an_unknown_one_nothing() {
    let app = spawn_app().await;
    app.account_with_email("t4000001", "Wong Siu Ming", "wong.sm@example.edu")
        .await;
    app.account_with_email("t4000002", "Wong Siu Ming", "Wong.SM@example.edu")
        .await;
    app.account_with_email("t4000003", "Lee Ka Yan", "lee.ky@example.edu")
        .await;
    // A disabled account at the same address is not named.
    app.account_with_email("t4000004", "Wong Siu Ming", "wong.sm@example.edu")
        .await;
    sqlx::query("UPDATE accounts SET status = 'disabled' WHERE login = 't4000004'")
        .execute(&app.pool().await)
        .await
        .unwrap();

    let known = app
        .ask_login_names(&app.client(), " WONG.sm@example.edu ")
        .await;
    let unknown = app
        .ask_login_names(&app.client(), "nobody@example.edu")
        .await;
    assert_eq!(
        (known.status().as_u16(), unknown.status().as_u16()),
        (200, 200)
    );
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());

    let sent = app.delivered_to("WONG.sm@example.edu", 1).await;
    assert_eq!(sent.len(), 1, "one message, to the address as it was typed");
    let message = &sent[0];
    assert!(
        message.subject.starts_with("Your login name"),
        "{}",
        message.subject
    );
    assert!(
        message.text.contains("t4000001 (Wong Siu Ming)"),
        "{}",
        message.text
    );
    assert!(message.text.contains("t4000002"), "{}", message.text);
    assert!(!message.text.contains("t4000003"));
    assert!(!message.text.contains("t4000004"), "disabled");
    assert!(message.text.contains("登入名稱"), "both languages");
    assert_eq!(app.queued_mail_to("nobody@example.edu").await, 0);
    for login in ["t4000001", "t4000002"] {
        assert_eq!(
            app.audit_actions(login).await.first(),
            Some(&("recovery.login_names_sent".into(), "success".into())),
            "{login}"
        );
    }
    assert!(!app
        .audit_actions("t4000003")
        .await
        .iter()
        .any(|(action, _)| action == "recovery.login_names_sent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn reminders_fired_at_once_stop_at_the_limits_per_email_and_per_address() {
    let app = spawn_app_with(|c| {
        c.recovery.login_names_per_email_per_hour = 2;
        c.recovery.login_names_per_address_per_hour = 7;
    })
    .await;
    app.account_with_email("t4000010", "Chan Tai Man", "chan.tm@example.edu")
        .await;
    let client = app.client();
    // Each request carries its own solved challenge, drawn beforehand.
    let mut captchas = Vec::new();
    for _ in 0..13 {
        captchas.push(app.captcha(&client).await);
    }
    let fire = |email: String, captcha: String| {
        let client = client.clone();
        let app = &app;
        async move {
            app.post(
                &client,
                "send_login_names",
                &[
                    ("email", &email),
                    ("captcha_id", &captcha),
                    ("captcha", CAPTCHA),
                ],
            )
            .await
        }
    };
    let sorted = |mut statuses: Vec<u16>| {
        statuses.sort_unstable();
        statuses
    };
    let known = (0..4).map(|i| fire("chan.tm@example.edu".into(), captchas[i].clone()));
    assert_eq!(
        sorted(statuses_at_once(known).await),
        [200, 200, 429, 429],
        "a registered address"
    );
    let unknown = (4..8).map(|i| fire("nobody@example.edu".into(), captchas[i].clone()));
    assert_eq!(
        sorted(statuses_at_once(unknown).await),
        [200, 200, 429, 429],
        "an unknown one, the same"
    );
    // Four taken from this address so far: refusals for an email gave theirs
    // back. Three more of seven, however many come at once.
    let others = (8..12).map(|i| fire(format!("other{i}@example.edu"), captchas[i].clone()));
    assert_eq!(
        sorted(statuses_at_once(others).await),
        [200, 200, 200, 429],
        "the address"
    );
    let response = fire("last@example.edu".into(), captchas[12].clone()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        error_of(response).await,
        serde_json::json!({ "RateLimited": { "minutes": 60 } })
    );

    assert_eq!(app.queued_mail_to("chan.tm@example.edu").await, 2);
    app.clock.advance(time::Duration::minutes(61));
    assert_eq!(
        app.ask_login_names(&app.client(), "chan.tm@example.edu")
            .await
            .status(),
        200
    );
    assert_eq!(app.queued_mail_to("chan.tm@example.edu").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_wrong_field_is_named_and_sends_nothing() {
    let app = spawn_app().await;
    app.account_with_email("t4000020", "Chan Tai Man", "chan@example.edu")
        .await;
    let client = app.client();
    let field = |v: &Value| {
        (
            v["Invalid"][0]["field"].clone(),
            v["Invalid"][0]["problem"]["problem"].clone(),
        )
    };

    let captcha = app.captcha(&client).await;
    let response = app
        .post(
            &client,
            "send_login_names",
            &[("email", " "), ("captcha_id", &captcha), ("captcha", "")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = error_of(response).await;
    assert_eq!(
        body,
        serde_json::json!({ "Invalid": [
            { "field": "email", "problem": { "problem": "required" } },
            { "field": "captcha", "problem": { "problem": "required" } },
        ] })
    );

    let captcha = app.captcha(&client).await;
    let response = app
        .post(
            &client,
            "send_login_names",
            &[
                ("email", "chan at example"),
                ("captcha_id", &captcha),
                ("captcha", CAPTCHA),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field(&error_of(response).await),
        ("email".into(), "bad_email".into())
    );

    let captcha = app.captcha(&client).await;
    let wrong = [
        ("email", "chan@example.edu"),
        ("captcha_id", captcha.as_str()),
        ("captcha", "WRONG"),
    ];
    let response = app.post(&client, "send_login_names", &wrong).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field(&error_of(response).await),
        ("captcha".into(), "captcha_wrong".into())
    );
    // The challenge was used up by the wrong answer: the right one is late.
    let right = [
        ("email", "chan@example.edu"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    let response = app.post(&client, "send_login_names", &right).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field(&error_of(response).await),
        ("captcha".into(), "captcha_wrong".into())
    );

    // A missing field is a 400, not a 5xx.
    let response = app
        .post(
            &client,
            "send_login_names",
            &[("email", "chan@example.edu")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.queued_mail_to("chan@example.edu").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_form_post_comes_back_to_the_page_that_says_it_was_sent() {
    let app = spawn_app().await;
    let client = app.client();
    let page = app.html(&client, "/forgot-login-name").await;
    assert!(page.contains("id=\"login-name-form\""));
    assert!(page.contains("autocomplete=\"email\""));
    let captcha = app.captcha(&client).await;
    let form = [
        ("email", "nobody@example.edu"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    let response = app
        .form_post(&client, "send_login_names", "/forgot-login-name", &form)
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/forgot-login-name?sent=1");
    let page = app.html(&client, "/forgot-login-name?sent=1").await;
    assert!(page.contains("id=\"login-name-sent\""));
    assert!(!page.contains("id=\"login-name-form\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_help_page_tells_the_rules_enforced_the_e_services_and_whom_to_contact() {
    let app = spawn_app_with(|c| {
        c.cas.services = vec![
            CasService {
                name: "Learner Portal".into(),
                url_pattern: "http://127.0.0.1:9/**".into(),
                attributes: vec![],
                single_logout: false,
            },
            CasService {
                name: "Online Enrolment".into(),
                url_pattern: "http://127.0.0.1:8/**".into(),
                attributes: vec![],
                single_logout: false,
            },
        ];
        c.contact.phone = "(852) 2975 5678".into();
        c.contact.hours_en = "Weekdays 8:30 to 20:00".into();
        c.contact.hours_zh = "平日上午八時半至晚上八時".into();
        c.policy.rules.min_length = Some(12);
    })
    .await;
    let client = app.client();
    let page = app.html(&client, "/help").await;
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<html lang=\"en\""), "{}", &page[..200]);
    for text in [
        "How do I change my password?",
        "What if I forgot my password?",
        "What is the single-password scheme?",
        "Why does my password not work?",
        "Why can't I sign in?",
        "At least 12 characters long",
        "Learner Portal",
        "Online Enrolment",
        "(852) 2975 5678",
        "Weekdays 8:30 to 20:00",
        "within 10 minutes",
        "datetime=\"2026-12-02\"",
        "href=\"/forgot-login-name\"",
        "<title>Help · Gatehouse</title>",
    ] {
        assert!(page.contains(text), "{text:?} is missing");
    }
    assert!(
        !page.contains("At least 10 characters long"),
        "only the rules enforced"
    );

    // The language cookie picks Traditional Chinese, and the page says so.
    let page = client
        .get(format!("{}/help", app.address))
        .header("accept", "text/html")
        .header("cookie", "gatehouse_lang=zh-Hant")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("<!>", "");
    assert!(page.contains("<html lang=\"zh-Hant\""), "{}", &page[..200]);
    for text in [
        "如何更改密碼？",
        "平日上午八時半至晚上八時",
        "Learner Portal",
    ] {
        assert!(page.contains(text), "{text:?} is missing");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_links_to_help_and_the_sign_in_page_to_the_login_name_reminder() {
    let app = spawn_app().await;
    let client = app.client();
    for path in ["/login", "/forgot-password", "/forgot-login-name", "/help"] {
        let page = app.html(&client, path).await;
        assert!(page.contains("id=\"footer-help\""), "{path}");
        assert!(page.contains("<html lang=\"en\""), "{path}");
    }
    let login = app.html(&client, "/login").await;
    assert!(
        login.contains("id=\"forgot-login-name\" href=\"/forgot-login-name\"")
            || login.contains("href=\"/forgot-login-name\" id=\"forgot-login-name\"")
    );
    let wizard = app.html(&client, "/forgot-password").await;
    assert!(wizard.contains("href=\"/forgot-login-name\""));
    // Each page's title names it, and the wizard's its step.
    assert!(
        login.contains("<title>Login · Gatehouse</title>"),
        "{login}"
    );
    assert!(wizard.contains("<title>Forgot Password / First Time User (1/4) · Gatehouse</title>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reminder_that_cannot_be_queued_answers_like_an_unknown_address() {
    let app = spawn_app().await;
    app.account_with_email("t4000030", "Chan Tai Man", "chan.30@example.edu")
        .await;
    app.break_mail_queue().await;
    let known = app
        .ask_login_names(&app.client(), "chan.30@example.edu")
        .await;
    let unknown = app
        .ask_login_names(&app.client(), "nobody.30@example.edu")
        .await;
    assert_eq!(
        (known.status().as_u16(), unknown.status().as_u16()),
        (200, 200)
    );
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(captured_logs().contains("the login-name reminder could not be queued"));
    // Nothing half-done: no audit event without its message.
    assert!(!app
        .audit_actions("t4000030")
        .await
        .iter()
        .any(|(action, _)| action == "recovery.login_names_sent"));
    app.repair_mail_queue().await;
    assert_eq!(app.queued_mail_to("chan.30@example.edu").await, 0);
}
