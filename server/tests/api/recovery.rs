//! Forgot password and first-time password: the wizard's server functions
//! driven as the page drives them, with the clock moved by hand and every
//! message captured.
use std::sync::{Arc, Mutex};

use gatehouse_core::config::{Mode, SmtpTls, Transport};
use serde_json::Value;
use server::accounts::{self, AccountInput};

use crate::helpers::{
    captured_logs, error_of, spawn_app, spawn_app_with, statuses_at_once, TestApp, CAPTCHA,
};

const NEW: &str = "Harbour7Lights";

impl TestApp {
    /// A fresh wizard (as a page load gives), returning its CAPTCHA id.
    async fn open_wizard(&self, client: &reqwest::Client) -> String {
        let step: Value = self
            .post(client, "recovery_step", &[("resume", "false")])
            .await
            .json()
            .await
            .unwrap();
        step["Identify"]["captcha"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn start_recovery(
        &self,
        client: &reqwest::Client,
        login: &str,
    ) -> reqwest::Response {
        let captcha = self.open_wizard(client).await;
        self.post(
            client,
            "recovery_start",
            &[
                ("login", login),
                ("captcha_id", &captcha),
                ("captcha", CAPTCHA),
            ],
        )
        .await
    }

    pub(crate) async fn send_code(
        &self,
        client: &reqwest::Client,
        channel: &str,
    ) -> reqwest::Response {
        self.post(client, "recovery_send", &[("channel", channel)])
            .await
    }

    pub(crate) async fn verify(&self, client: &reqwest::Client, code: &str) -> reqwest::Response {
        self.post(client, "recovery_verify", &[("code", code)])
            .await
    }

    pub(crate) async fn reset(
        &self,
        client: &reqwest::Client,
        new: &str,
        confirm: &str,
    ) -> reqwest::Response {
        self.post(
            client,
            "recovery_reset",
            &[("new_password", new), ("confirm_password", confirm)],
        )
        .await
    }

    pub(crate) async fn step(&self, client: &reqwest::Client) -> Value {
        self.post(client, "recovery_step", &[("resume", "true")])
            .await
            .json()
            .await
            .unwrap()
    }

    /// The code in the newest message sent to `to`.
    pub(crate) fn last_code(&self, to: &str) -> String {
        let entry = self
            .sent
            .entries()
            .into_iter()
            .find(|e| e.to == to && (e.kind == "sms" || e.subject.contains("verification")))
            .unwrap_or_else(|| panic!("no code was sent to {to}"));
        code_in(&entry.text)
    }

    fn codes_sent(&self) -> usize {
        self.sent
            .entries()
            .iter()
            .filter(|e| e.kind == "sms" || e.subject.contains("verification"))
            .count()
    }

    /// Start to code step for `login`; returns the code emailed.
    async fn code_for(&self, client: &reqwest::Client, login: &str) -> String {
        assert_eq!(self.start_recovery(client, login).await.status(), 200);
        assert_eq!(self.send_code(client, "email").await.status(), 200);
        self.last_code(&format!("{login}@example.edu"))
    }

    async fn create_first_time(&self, login: &str, mobile: Option<&str>) {
        server::accounts::create(
            &self.state,
            server::accounts::AccountInput {
                login: login.into(),
                name: "Wong Siu Ming".into(),
                role: "teacher".into(),
                email: format!("{login}@example.edu"),
                mobile: mobile.map(str::to_owned),
                first_time: true,
            },
        )
        .await
        .unwrap();
    }
}

fn code_in(text: &str) -> String {
    let start = text
        .find("code is ")
        .map(|i| i + "code is ".len())
        .or_else(|| text.find("code: ").map(|i| i + "code: ".len()))
        .expect("a code in the message");
    text[start..start + 6].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forgotten_password_is_reset_and_everything_around_it_follows() {
    let app = spawn_app().await;
    let old = app.create_account("s3000001").await;
    let signed_in = app.signed_in("s3000001", &old).await;
    // A sign-in lock from someone guessing: the reset clears it.
    for _ in 0..10 {
        app.sign_in(&app.client(), "s3000001", "wrong-guess").await;
    }
    assert_eq!(
        app.sign_in(&app.client(), "s3000001", &old).await.status(),
        429
    );

    let client = app.client();
    let step: Value = app
        .start_recovery(&client, "S3000001")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        step["Channel"]["options"],
        serde_json::json!([{ "channel": "email", "masked": "•••••••@e••••.edu" }])
    );
    let step: Value = app.send_code(&client, "email").await.json().await.unwrap();
    assert_eq!(step["Code"]["seconds_left"], 600);
    assert_eq!(step["Code"]["masked"], "•••••••@e••••.edu");
    assert_eq!(step["Code"]["resends_left"], 2);
    let code = app.last_code("s3000001@example.edu");

    let step: Value = app
        .verify(&client, &code.to_lowercase())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["NewPassword"]["login"], "s3000001");
    let response = app.reset(&client, NEW, NEW).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), "Done");

    assert_eq!(
        app.sign_in(&app.client(), "s3000001", &old).await.status(),
        401
    );
    assert_eq!(
        app.sign_in(&app.client(), "s3000001", NEW).await.status(),
        200
    );
    assert_eq!(
        app.whoami(&signed_in).await,
        Value::Null,
        "every session ends"
    );
    let actions = app.audit_actions("s3000001").await;
    assert!(actions.contains(&("password.reset".into(), "success".into())));
    assert!(actions.contains(&("recovery.code_sent".into(), "success".into())));
    let messages = app.outbox_messages(2).await;
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Subject: Your password was set")),
        "a notice is sent"
    );
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_history")
        .fetch_one(&app.pool().await)
        .await
        .unwrap();
    assert_eq!(history, 1);
    // The flow is over: its code no longer works, and the page says done.
    assert_eq!(app.verify(&client, &code).await.status(), 410);
    assert_eq!(
        app.reset(&client, "Another7Password", "Another7Password")
            .await
            .status(),
        410
    );
    assert_eq!(app.step(&client).await, "Done");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_time_user_sets_a_password_and_can_sign_in() {
    let app = spawn_app().await;
    app.create_first_time("t3000002", None).await;
    assert_eq!(
        app.sign_in(&app.client(), "t3000002", NEW).await.status(),
        401
    );
    let client = app.client();
    let code = app.code_for(&client, "t3000002").await;
    assert!(app.verify(&client, &code).await.status().is_success());
    assert_eq!(app.reset(&client, NEW, NEW).await.status(), 200);
    let signed_in = app.signed_in("t3000002", NEW).await;
    assert_eq!(app.whoami(&signed_in).await["must_change"], false);
    let events = app.state.store.audit_events("t3000002", 10).await.unwrap();
    assert!(events
        .iter()
        .any(|(_, e)| e.action.as_str() == "password.reset"
            && e.detail.as_deref() == Some("first_time")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_expires_exactly_at_its_lifetime() {
    let app = spawn_app().await;
    app.create_account("s3000003").await;
    let client = app.client();
    let code = app.code_for(&client, "s3000003").await;
    app.clock.advance(time::Duration::seconds(600));
    let response = app.verify(&client, &code).await;
    assert_eq!(response.status(), 422);
    assert_eq!(error_of(response).await, "CodeExpired");
    assert_eq!(app.step(&client).await["Code"]["seconds_left"], 0);

    let other = app.client();
    let code = app.code_for(&other, "s3000003").await;
    app.clock.advance(time::Duration::seconds(599));
    assert_eq!(app.verify(&other, &code).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn regenerating_voids_the_old_code_with_a_cooldown_and_a_cap() {
    let app = spawn_app().await;
    app.create_account("s3000004").await;
    let client = app.client();
    let first = app.code_for(&client, "s3000004").await;

    let response = app.send_code(&client, "email").await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        error_of(response).await,
        serde_json::json!({ "ResendTooSoon": { "seconds": 60 } })
    );
    app.clock.advance(time::Duration::seconds(30));
    let step: Value = app.step(&client).await;
    assert_eq!(step["Code"]["resend_in"], 30);

    app.clock.advance(time::Duration::seconds(30));
    let step: Value = app.send_code(&client, "email").await.json().await.unwrap();
    assert_eq!(step["Code"]["resends_left"], 1);
    let second = app.last_code("s3000004@example.edu");
    app.clock.advance(time::Duration::seconds(60));
    assert_eq!(app.send_code(&client, "email").await.status(), 200);
    let third = app.last_code("s3000004@example.edu");
    app.clock.advance(time::Duration::seconds(60));
    let response = app.send_code(&client, "email").await;
    assert_eq!(response.status(), 429);
    assert_eq!(error_of(response).await, "ResendCapReached");
    assert_eq!(app.codes_sent(), 3);

    for old in [&first, &second] {
        if *old != third {
            assert_eq!(
                app.verify(&client, old).await.status(),
                422,
                "an old code is void"
            );
        }
    }
    assert_eq!(app.verify(&client, &third).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn five_wrong_codes_void_the_flow() {
    let app = spawn_app().await;
    app.create_account("s3000005").await;
    let client = app.client();
    let code = app.code_for(&client, "s3000005").await;
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    for left in (1..=4).rev() {
        let response = app.verify(&client, wrong).await;
        assert_eq!(response.status(), 422);
        assert_eq!(
            error_of(response).await,
            serde_json::json!({ "CodeWrong": { "attempts_left": left } })
        );
    }
    let response = app.verify(&client, wrong).await;
    assert_eq!(response.status(), 410);
    assert_eq!(error_of(response).await, "FlowVoid");
    assert_eq!(
        app.verify(&client, &code).await.status(),
        410,
        "even the right code"
    );
    assert!(app.step(&client).await.get("Identify").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_works_only_in_its_own_flow_and_a_new_flow_voids_the_old() {
    let app = spawn_app().await;
    app.create_account("s3000006").await;
    app.create_account("s3000007").await;
    let (a, b) = (app.client(), app.client());
    let code_a = app.code_for(&a, "s3000006").await;
    let _ = app.code_for(&b, "s3000007").await;
    assert_eq!(
        app.verify(&b, &code_a).await.status(),
        422,
        "a code from another flow"
    );

    // Someone starts again for the same account: the first flow is void.
    let c = app.client();
    assert_eq!(app.start_recovery(&c, "s3000006").await.status(), 200);
    assert_eq!(app.verify(&a, &code_a).await.status(), 410);
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_the_page_voids_the_flow() {
    let app = spawn_app().await;
    app.create_account("s3000008").await;
    let client = app.client();
    let code = app.code_for(&client, "s3000008").await;
    // A fresh visit to the page, as after leaving and coming back.
    app.open_wizard(&client).await;
    assert_eq!(app.verify(&client, &code).await.status(), 410);

    let other = app.client();
    let code = app.code_for(&other, "s3000008").await;
    assert_eq!(
        app.post(&other, "recovery_abandon", &[]).await.status(),
        200
    );
    assert_eq!(app.verify(&other, &code).await.status(), 410);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captcha_answer_is_good_for_one_try() {
    let app = spawn_app().await;
    app.create_account("s3000009").await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let form = [
        ("login", "s3000009"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(
        app.post(&client, "recovery_start", &form).await.status(),
        200
    );
    let response = app.post(&app.client(), "recovery_start", &form).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        error_of(response).await,
        serde_json::json!({ "Invalid": [{ "field": "captcha", "problem": { "problem": "captcha_wrong" } }] })
    );

    // A wrong answer uses the challenge up too.
    let other = app.client();
    let captcha = app.open_wizard(&other).await;
    let wrong = [
        ("login", "s3000009"),
        ("captcha_id", captcha.as_str()),
        ("captcha", "WRONG"),
    ];
    assert_eq!(
        app.post(&other, "recovery_start", &wrong).await.status(),
        422
    );
    let retry = [
        ("login", "s3000009"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(
        app.post(&other, "recovery_start", &retry).await.status(),
        422
    );
    assert_eq!(
        app.send_code(&other, "email").await.status(),
        410,
        "no flow was started"
    );

    // And one too old.
    let late = app.client();
    let captcha = app.open_wizard(&late).await;
    app.clock.advance(time::Duration::seconds(300));
    let form = [
        ("login", "s3000009"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(app.post(&late, "recovery_start", &form).await.status(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_fields_are_named() {
    let app = spawn_app().await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let response = app
        .post(
            &client,
            "recovery_start",
            &[("login", " "), ("captcha_id", &captcha), ("captcha", "")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = error_of(response).await;
    let fields: Vec<&str> = body["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["login", "captcha"]);
}

/// The page HTML with what legitimately differs between two requests
/// (nonces, masks) blanked.
fn normalized(html: &str, masks: &[&str]) -> String {
    let mut out = html.to_owned();
    for mask in masks {
        out = out.replace(mask, "MASK");
    }
    for attribute in ["nonce=\"", "crossorigin=\""] {
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(attribute) {
            result.push_str(&rest[..i + attribute.len()]);
            rest = &rest[i + attribute.len()..];
            let end = rest.find('"').unwrap();
            result.push_str("NONCE");
            rest = &rest[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

async fn page(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let response = client
        .get(format!("{}/forgot-password?resume=1", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_login_name_looks_exactly_like_a_known_one() {
    let app = spawn_app().await;
    let pool = app.pool().await;
    app.create_account("s3000010").await;
    sqlx::query("UPDATE accounts SET mobile = '+852 9123 4567' WHERE login = 's3000010'")
        .execute(&pool)
        .await
        .unwrap();
    let (known, unknown) = (app.client(), app.client());

    let k = app.start_recovery(&known, "s3000010").await;
    let u = app.start_recovery(&unknown, "s3000011").await;
    assert_eq!((k.status().as_u16(), u.status().as_u16()), (200, 200));
    let (k, u): (Value, Value) = (k.json().await.unwrap(), u.json().await.unwrap());
    let masks = |v: &Value| -> Vec<String> {
        v["Channel"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["masked"].as_str().unwrap().to_owned())
            .collect()
    };
    let (km, um) = (masks(&k), masks(&u));
    let shape = |m: &String| {
        m.chars()
            .map(|c| if c.is_alphanumeric() { 'x' } else { c })
            .collect::<String>()
    };
    assert_eq!(shape(&km[0]), shape(&um[0]), "{km:?} {um:?}");
    // Tell the page where both are; the channel step pages are identical
    // but for the masks.
    let all_masks: Vec<&str> = km.iter().chain(um.iter()).map(String::as_str).collect();
    let (ks, kp) = page(&app, &known).await;
    let (us, up) = page(&app, &unknown).await;
    assert_eq!((ks, us), (200, 200));
    if km.len() == um.len() {
        assert_eq!(normalized(&kp, &all_masks), normalized(&up, &all_masks));
    }

    let k = app.send_code(&known, "email").await;
    let u = app.send_code(&unknown, "email").await;
    assert_eq!((k.status().as_u16(), u.status().as_u16()), (200, 200));
    assert_eq!(app.codes_sent(), 1, "nothing is sent for an unknown name");
    let (_, kp) = page(&app, &known).await;
    let (_, up) = page(&app, &unknown).await;
    assert_eq!(normalized(&kp, &all_masks), normalized(&up, &all_masks));

    let k = app.verify(&known, "AAAAAA").await;
    let u = app.verify(&unknown, "AAAAAA").await;
    assert_eq!((k.status().as_u16(), u.status().as_u16()), (422, 422));
    assert_eq!(error_of(k).await, error_of(u).await);

    // The same unknown name shows the same masks every time.
    let again: Value = app
        .start_recovery(&app.client(), "s3000011")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(masks(&again), um);
}

#[tokio::test(flavor = "multi_thread")]
async fn starts_are_limited_per_login_name_and_per_address() {
    let app = spawn_app_with(|c| {
        c.recovery.starts_per_login_per_hour = 3;
        c.recovery.starts_per_address_per_hour = 7;
    })
    .await;
    for name in ["s3000012", "nobody-here"] {
        for _ in 0..3 {
            assert_eq!(app.start_recovery(&app.client(), name).await.status(), 200);
        }
        let response = app.start_recovery(&app.client(), name).await;
        assert_eq!(response.status(), 429, "{name}");
        assert_eq!(
            error_of(response).await,
            serde_json::json!({ "RateLimited": { "minutes": 60 } })
        );
    }
    // Six starts from one address so far (refused ones do not count): one
    // more, and the address is at its limit whatever the name.
    assert_eq!(
        app.start_recovery(&app.client(), "someone-else")
            .await
            .status(),
        200
    );
    let response = app.start_recovery(&app.client(), "a-fourth-name").await;
    assert_eq!(response.status(), 429);
    app.clock.advance(time::Duration::minutes(61));
    assert_eq!(
        app.start_recovery(&app.client(), "a-fourth-name")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codes_sent_for_one_account_are_capped_per_hour() {
    let app = spawn_app_with(|c| c.recovery.messages_per_account_per_hour = 2).await;
    app.create_account("s3000013").await;
    app.code_for(&app.client(), "s3000013").await;
    app.code_for(&app.client(), "s3000013").await;
    let client = app.client();
    assert_eq!(app.start_recovery(&client, "s3000013").await.status(), 200);
    let response = app.send_code(&client, "email").await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        error_of(response).await,
        serde_json::json!({ "RateLimited": { "minutes": 60 } })
    );
    assert_eq!(app.codes_sent(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_smtp_server_leaves_nothing_half_done() {
    // Nothing listens on port 9 here: every connection is refused.
    let app = spawn_app_with(|c| {
        c.mail.transport = Transport::Smtp;
        c.mail.smtp.host = "127.0.0.1".into();
        c.mail.smtp.port = 9;
        c.mail.smtp.tls = SmtpTls::None;
        c.mail.smtp.timeout_seconds = 2;
    })
    .await;
    app.create_account("s3000014").await;
    let client = app.client();
    assert_eq!(app.start_recovery(&client, "s3000014").await.status(), 200);
    let response = app.send_code(&client, "email").await;
    assert_eq!(response.status(), 503);
    assert_eq!(error_of(response).await, "DeliveryFailed");
    // Still at the channel step, no code recorded, no attempt used up.
    let step = app.step(&client).await;
    assert!(step.get("Channel").is_some(), "{step}");
    let (sent, hash): (i64, Option<String>) =
        sqlx::query_as("SELECT codes_sent, code_hash FROM recovery_flows WHERE state = 'channel'")
            .fetch_one(&app.pool().await)
            .await
            .unwrap();
    assert_eq!((sent, hash), (0, None));
    let quota: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM throttle WHERE key LIKE 'recovery-send:%'")
            .fetch_one(&app.pool().await)
            .await
            .unwrap();
    assert_eq!(quota, 0);
    assert!(app
        .audit_actions("s3000014")
        .await
        .contains(&("recovery.code_sent".into(), "failure".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storage_failure_while_resetting_changes_nothing() {
    let app = spawn_app().await;
    let old = app.create_account("s3000015").await;
    let signed_in = app.signed_in("s3000015", &old).await;
    let client = app.client();
    let code = app.code_for(&client, "s3000015").await;
    assert_eq!(app.verify(&client, &code).await.status(), 200);
    app.break_mail_queue().await;
    let response = app.reset(&client, NEW, NEW).await;
    assert_eq!(response.status(), 500);
    app.repair_mail_queue().await;
    assert_eq!(
        app.sign_in(&app.client(), "s3000015", &old).await.status(),
        200
    );
    assert_eq!(
        app.whoami(&signed_in).await["login"],
        "s3000015",
        "sessions untouched"
    );
    assert!(
        app.step(&client).await.get("NewPassword").is_some(),
        "the flow can still finish"
    );
    assert_eq!(app.reset(&client, NEW, NEW).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_password_the_policy_refuses_changes_nothing() {
    let app = spawn_app().await;
    let old = app.create_account("s3000016").await;
    let client = app.client();
    let code = app.code_for(&client, "s3000016").await;
    app.verify(&client, &code).await;
    for (new, confirm, field) in [
        ("short", "short", "new_password"),
        (NEW, "Harbour7Light", "confirm_password"),
        (old.as_str(), old.as_str(), "new_password"),
    ] {
        let response = app.reset(&client, new, confirm).await;
        assert_eq!(response.status(), 422);
        assert_eq!(error_of(response).await["Invalid"][0]["field"], field);
    }
    assert_eq!(
        app.sign_in(&app.client(), "s3000016", &old).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_past_its_end_is_told_only_after_proving_its_channel() {
    let app = spawn_app().await;
    app.create_account("t3000017").await;
    sqlx::query("UPDATE accounts SET valid_until = '2026-11-21' WHERE login = 't3000017'")
        .execute(&app.pool().await)
        .await
        .unwrap();
    let client = app.client();
    let step: Value = app
        .start_recovery(&client, "t3000017")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        step.get("Channel").is_some(),
        "nothing told before the code"
    );
    app.send_code(&client, "email").await;
    let code = app.last_code("t3000017@example.edu");
    let step: Value = app.verify(&client, &code).await.json().await.unwrap();
    let contact = serde_json::json!({ "Unavailable": { "phone": "(852) 0000 0000", "email": "it-help@example.edu" } });
    assert_eq!(step, contact);
    let step: Value = app.reset(&client, NEW, NEW).await.json().await.unwrap();
    assert_eq!(step, contact);
    assert_eq!(
        app.sign_in(&app.client(), "t3000017", NEW).await.status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_by_text_message_goes_through_the_http_gateway() {
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let captured = received.clone();
    let gateway = axum::Router::new().route(
        "/send",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let captured = captured.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                captured.lock().unwrap().push((auth, body));
                "queued"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });

    let app = spawn_app_with(|c| {
        c.sms.transport = Transport::Http;
        c.sms.http.url = url;
        c.sms.http.authorization = gatehouse_core::config::Secret::new("Bearer gateway-token");
    })
    .await;
    app.create_first_time("t3000018", Some("+852 9123 4567"))
        .await;
    let client = app.client();
    let step: Value = app
        .start_recovery(&client, "t3000018")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["Channel"]["options"][1]["masked"], "•••• 4567");
    let step: Value = app.send_code(&client, "mobile").await.json().await.unwrap();
    assert_eq!(step["Code"]["channel"], "mobile");

    let (auth, body) = received.lock().unwrap()[0].clone();
    assert_eq!(auth, "Bearer gateway-token");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["to"], "+852 9123 4567");
    let code = code_in(body["text"].as_str().unwrap());
    assert_eq!(app.verify(&client, &code).await.status(), 200);
    assert!(!captured_logs().contains("gateway-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_captcha_is_served_as_an_image_and_as_audio() {
    let app = spawn_app().await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let image = client
        .get(format!("{}/captcha/{captcha}/image.png", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.headers()["cache-control"], "no-store");
    let audio = client
        .get(format!(
            "{}/captcha/{captcha}/audio.wav?download=1",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(audio.headers()["content-type"], "audio/wav");
    assert!(audio.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(&audio.bytes().await.unwrap()[..4], b"RIFF");
    let missing = client
        .get(format!("{}/captcha/not-a-challenge/image.png", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_mailbox_exists_in_demo_mode_only() {
    let app = spawn_app().await;
    let response = app.post(&app.client(), "dev_mailbox", &[]).await;
    assert_eq!(response.status(), 404);
    let page = app
        .client()
        .get(format!("{}/dev/mailbox", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);

    let demo = spawn_app_with(|c| c.mode = Mode::Demo).await;
    demo.create_account("s3000019").await;
    let code = demo.code_for(&demo.client(), "s3000019").await;
    let entries: Value = demo
        .post(&demo.client(), "dev_mailbox", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(entries[0]["to"], "s3000019@example.edu");
    assert!(entries[0]["text"].as_str().unwrap().contains(&code));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registered_email_is_asked_for_where_configured() {
    let app = spawn_app_with(|c| c.recovery.ask_email = true).await;
    app.create_account("s3000020").await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let form = [
        ("login", "s3000020"),
        ("email", "someone@else.edu"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(
        app.post(&client, "recovery_start", &form).await.status(),
        200
    );
    assert_eq!(app.send_code(&client, "email").await.status(), 200);
    assert_eq!(
        app.codes_sent(),
        0,
        "a wrong email is treated as an unknown name"
    );

    let captcha = app.open_wizard(&client).await;
    let form = [
        ("login", "s3000020"),
        ("email", "S3000020@example.edu"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(
        app.post(&client, "recovery_start", &form).await.status(),
        200
    );
    assert_eq!(app.send_code(&client, "email").await.status(), 200);
    assert_eq!(app.codes_sent(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_code_reaches_a_log_line_or_the_database() {
    let app = spawn_app().await;
    app.create_account("s3000021").await;
    let client = app.client();
    let code = app.code_for(&client, "s3000021").await;
    app.verify(&client, "WRONG1").await;
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM recovery_flows WHERE state = 'code'")
            .fetch_one(&app.pool().await)
            .await
            .unwrap();
    assert!(!stored.contains(&code));
    assert_eq!(stored.len(), 64);
    assert!(!captured_logs().contains(&code));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_form_post_comes_back_to_the_page_at_the_next_step() {
    let app = spawn_app().await;
    app.create_account("s3000022").await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let form = [
        ("login", "s3000022"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    let response = app
        .form_post(&client, "recovery_start", "/forgot-password", &form)
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/forgot-password?resume=1");
    let (_, html) = page(&app, &client).await;
    assert!(html.contains("•••••••@e••••.edu"));
    assert!(html.contains("id=\"recovery-channel\""));
}

/// Against a real SMTP server: scripts/test.sh starts maildev and says where.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the SMTP server scripts/test.sh starts (maildev)"]
async fn a_code_arrives_through_a_real_smtp_server() {
    let port: u16 = std::env::var("E2E_SMTP_PORT")
        .expect("E2E_SMTP_PORT: run through scripts/test.sh")
        .parse()
        .unwrap();
    let api = std::env::var("E2E_MAILDEV_API").expect("E2E_MAILDEV_API");
    let app = spawn_app_with(|c| {
        c.mail.transport = Transport::Smtp;
        c.mail.smtp.host = "127.0.0.1".into();
        c.mail.smtp.port = port;
        c.mail.smtp.tls = SmtpTls::None;
    })
    .await;
    let login = format!("s39{}", std::process::id());
    app.create_account(&login).await;
    let client = app.client();
    let code = app.code_for(&client, &login).await;

    let address = format!("{login}@example.edu");
    let received: Vec<Value> = reqwest::get(format!("{api}/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = received
        .iter()
        .find(|m| m["to"][0]["address"] == address.as_str())
        .expect("the SMTP server received the code email");
    assert!(mail["subject"]
        .as_str()
        .unwrap()
        .starts_with("Your verification code / 你的驗證碼"));
    assert!(mail["text"].as_str().unwrap().contains(&code));
    assert!(mail["html"].as_str().unwrap().contains(&code));
    assert_eq!(app.verify(&client, &code).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn captcha_challenges_are_limited_per_address() {
    let app = spawn_app_with(|c| c.captcha.per_address_per_hour = 2).await;
    let client = app.client();
    app.open_wizard(&client).await;
    assert_eq!(
        app.post(&client, "recovery_captcha", &[]).await.status(),
        200
    );
    let response = app.post(&client, "recovery_captcha", &[]).await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        error_of(response).await,
        serde_json::json!({ "RateLimited": { "minutes": 60 } })
    );
    let response = app
        .post(&client, "recovery_step", &[("resume", "false")])
        .await;
    assert_eq!(response.status(), 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staff_account_resets_during_its_grace_and_not_after() {
    let app = spawn_app().await;
    app.create_account("f3000031").await;
    // Ended three weeks ago; staff keep 30 days of grace (to 2026-12-01).
    sqlx::query(
        "UPDATE accounts SET role = 'staff', valid_until = '2026-11-01' WHERE login = 'f3000031'",
    )
    .execute(&app.pool().await)
    .await
    .unwrap();
    let client = app.client();
    let code = app.code_for(&client, "f3000031").await;
    let step: Value = app.verify(&client, &code).await.json().await.unwrap();
    assert!(step.get("NewPassword").is_some(), "{step}");

    app.clock.advance(time::Duration::days(10));
    let client = app.client();
    let code = app.code_for(&client, "f3000031").await;
    let step: Value = app.verify(&client, &code).await.json().await.unwrap();
    assert!(step.get("Unavailable").is_some(), "{step}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_codes_sent_all_at_once_are_checked_no_more_than_the_limit() {
    // Arrange: a flow waiting for its emailed code.
    let app = spawn_app().await;
    app.create_account("s7000050").await;
    let client = app.client();
    assert_eq!(app.start_recovery(&client, "s7000050").await.status(), 200);
    assert_eq!(app.send_code(&client, "email").await.status(), 200);
    let max = app.state.config.recovery.max_wrong_codes as usize;

    // Act: 50 wrong codes at once.
    let guesses = (0..50).map(|_| app.verify(&client, "000000"));
    let statuses = statuses_at_once(guesses).await;

    // Assert: `max` were checked (the last of them voids the flow); the
    // rest found it over.
    let wrong = statuses.iter().filter(|s| **s == 422).count();
    let over = statuses.iter().filter(|s| **s == 410).count();
    assert_eq!((wrong, over), (max - 1, 50 - (max - 1)), "{statuses:?}");
    let checked = app
        .audit_actions("s7000050")
        .await
        .iter()
        .filter(|(action, outcome)| action == "recovery.code_checked" && outcome == "failure")
        .count();
    assert_eq!(checked, max, "exactly {max} codes were checked");
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_fired_all_at_once_send_one_message() {
    // Arrange: a flow at the channel step.
    let app = spawn_app().await;
    app.create_account("s7000051").await;
    let client = app.client();
    assert_eq!(app.start_recovery(&client, "s7000051").await.status(), 200);

    // Act: 30 "send code" at once.
    let sends = (0..30).map(|_| app.send_code(&client, "email"));
    let statuses = statuses_at_once(sends).await;

    // Assert: one went out, the others were told to wait.
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let delivered = app.delivered_to("s7000051@example.edu", 2).await;
    println!(
        "30 simultaneous sends: {} message(s) delivered",
        delivered.len()
    );
    assert_eq!(delivered.len(), 1);
    let (sent,): (i64,) =
        sqlx::query_as("SELECT codes_sent FROM recovery_flows WHERE state = 'code'")
            .fetch_one(&app.pool().await)
            .await
            .unwrap();
    assert_eq!(sent, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captcha_is_drawn_once_whoever_asks_and_however_often() {
    let app = spawn_app().await;
    let client = app.client();
    let captcha = app.open_wizard(&client).await;
    let fetch = |kind: &'static str| {
        let url = format!("{}/captcha/{captcha}/{kind}", app.address);
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().bytes().await.unwrap() }
    };

    // Ten requests for each at once, then one more.
    let images = futures_util::future::join_all((0..10).map(|_| fetch("image.png"))).await;
    let sounds = futures_util::future::join_all((0..10).map(|_| fetch("audio.wav"))).await;
    let later = fetch("image.png").await;

    assert!(
        images.iter().all(|i| *i == images[0]),
        "the same image every time"
    );
    assert!(
        sounds.iter().all(|s| *s == sounds[0]),
        "the same audio every time"
    );
    assert_eq!(later, images[0]);
    assert_eq!(&images[0][1..4], b"PNG");
}

/// An SMTP server that takes `delay` to greet each connection, then
/// accepts every message (what a slow or distant relay looks like).
async fn slow_smtp(delay: std::time::Duration) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 slow.example ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        b"250 queued\r\n"
                    } else {
                        match line
                            .get(..4)
                            .unwrap_or_default()
                            .to_ascii_uppercase()
                            .as_str()
                        {
                            "EHLO" | "HELO" => b"250 slow.example\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_mail_server_does_not_tell_which_names_exist() {
    // Arrange: every delivery takes 3 s; the floor alone is far shorter.
    let port = slow_smtp(std::time::Duration::from_secs(3)).await;
    let app = spawn_app_with(|c| {
        c.mail.transport = Transport::Smtp;
        c.mail.smtp.host = "127.0.0.1".into();
        c.mail.smtp.port = port;
        c.mail.smtp.tls = SmtpTls::None;
        c.mail.smtp.timeout_seconds = 10;
        c.recovery.send_floor_ms = 200;
    })
    .await;
    app.create_account("s7000052").await;
    let timed = |login: &'static str| {
        let app = &app;
        async move {
            let client = app.client();
            assert_eq!(app.start_recovery(&client, login).await.status(), 200);
            let started = std::time::Instant::now();
            let sent = app.send_code(&client, "email").await;
            assert_eq!(sent.status(), 200, "{login}");
            started.elapsed()
        }
    };

    // Act: a real name, then a name with no account.
    let real = timed("s7000052").await;
    let unknown = timed("nobody-here-7000052").await;

    // Assert
    println!("send code with a 3 s SMTP server: real name {real:?}, unknown name {unknown:?}");
    assert!(real >= std::time::Duration::from_secs(3), "{real:?}");
    assert!(
        unknown + std::time::Duration::from_millis(300) >= real,
        "an unknown name answers as late as a real one: {unknown:?} vs {real:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_captchas_cannot_use_up_another_persons_starts() {
    // An attacker elsewhere tries to start resets for a victim's name
    // without solving the CAPTCHA, more often than the name's quota.
    let app = spawn_app_with(|c| c.recovery.starts_per_login_per_hour = 3).await;
    app.create_account("s7000053").await;
    for _ in 0..5 {
        let client = app.client();
        let captcha = app.open_wizard(&client).await;
        let refused = app
            .post(
                &client,
                "recovery_start",
                &[
                    ("login", "s7000053"),
                    ("captcha_id", &captcha),
                    ("captcha", "WRONG"),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422);
    }

    // The victim can still start one.
    assert_eq!(
        app.start_recovery(&app.client(), "s7000053").await.status(),
        200
    );
}

/// What the channel step shows for a name, as features an observer would
/// compare: the email mask's length, whether its last character before
/// `@` is the login's last, its domain, and the set of channels offered.
/// Writes security info for `login` straight to the store, as enrolment
/// would leave it (only which methods exist matters to the channel step).
async fn enrol_directly(app: &TestApp, login: &str, i: u32) {
    use gatehouse_core::factors::{Answers, AppSecret, Contact, SecurityDoc};
    use gatehouse_store::{EndSessions, SecuritySave};
    use gatehouse_types::security::Method;
    let account = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name(login))
        .await
        .unwrap()
        .unwrap();
    let doc = SecurityDoc {
        app: (i % 4 == 1).then(|| AppSecret {
            sealed: "not read here".into(),
            added_at: 0,
            last_step: 0,
        }),
        alt_email: i.is_multiple_of(6).then(|| Contact {
            address: format!("{login}.home@mail.example.net"),
            added_at: 0,
        }),
        questions: (i % 7 == 3).then(|| Answers {
            answers: vec![("first_school".into(), "not read here".into())],
            added_at: 0,
        }),
        default: (i % 8 == 1).then_some(Method::App),
        ..SecurityDoc::default()
    };
    let document = serde_json::to_string(&doc).unwrap();
    app.state
        .store
        .save_security_info(&SecuritySave {
            account_id: account.id,
            expected_version: None,
            document: &document,
            notices: &[],
            audit: None,
            end_sessions: EndSessions::None,
            passkey_ids: None,
            now: 0,
        })
        .await
        .unwrap();
}

async fn channel_features(app: &TestApp, login: &str) -> (usize, bool, String, String) {
    let client = app.client();
    let started: Value = app
        .start_recovery(&client, login)
        .await
        .json()
        .await
        .unwrap();
    let options = started["Channel"]["options"].as_array().unwrap().clone();
    let email = options
        .iter()
        .find(|o| o["channel"] == "email")
        .and_then(|o| o["masked"].as_str())
        .unwrap_or_default()
        .to_owned();
    let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
    let last_is_logins = local.chars().last() == login.chars().last();
    // In the order shown: the order tells as much as the kinds.
    let set: Vec<String> = options.iter().map(|o| o["channel"].to_string()).collect();
    (
        email.chars().count(),
        last_is_logins,
        domain.to_owned(),
        set.join(","),
    )
}

/// The share of group `a` among those with `feature`'s most telling value:
/// 0.5 means the feature tells the groups apart no better than chance.
fn best_split<T: PartialEq + Clone>(a: &[T], b: &[T]) -> f64 {
    let mut worst: f64 = 0.5;
    for value in a.iter().chain(b) {
        let in_a = a.iter().filter(|v| *v == value).count() as f64;
        let in_b = b.iter().filter(|v| *v == value).count() as f64;
        let with = in_a + in_b;
        let without = (a.len() + b.len()) as f64 - with;
        // Accuracy of guessing "real" when the value shows and "unknown"
        // when it does not (or the reverse).
        let right = (in_a + (b.len() as f64 - in_b)) / (with + without);
        worst = worst.max(right).max(1.0 - right);
    }
    worst
}

#[tokio::test(flavor = "multi_thread")]
async fn the_channel_step_tells_a_real_name_from_an_unknown_one_no_better_than_chance() {
    // Arrange: 200 accounts the way records import them (two email domains,
    // most with a mobile number), and 200 names with no account.
    let app = spawn_app_with(|c| {
        c.recovery.starts_per_address_per_hour = 1000;
        c.captcha.per_address_per_hour = 1000;
    })
    .await;
    let mut real = vec![];
    for i in 0..200u32 {
        let login = format!("s{:07}", 7100000 + i * 37);
        let domain = if i % 4 == 0 {
            "connect.example.edu.hk"
        } else {
            "example.edu"
        };
        let mobile =
            (i % 5 != 0).then(|| format!("+852 9{:03} {:04}", i % 1000, (i * 7919) % 10000));
        accounts::create(
            &app.state,
            AccountInput {
                login: login.clone(),
                name: "Chan Tai Man".into(),
                role: "student".into(),
                email: format!("{login}@{domain}"),
                mobile,
                first_time: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
        // Some registered security info: an app, an alternate email,
        // security questions, in varied combinations and defaults.
        if i % 4 == 1 || i % 6 == 0 || i % 7 == 3 {
            enrol_directly(&app, &login, i).await;
        }
        real.push(login);
    }
    let unknown: Vec<String> = (0..200u32)
        .map(|i| format!("s{:07}", 7100001 + i * 37))
        .collect();

    // Act
    let mut seen_real = vec![];
    for login in &real {
        seen_real.push(channel_features(&app, login).await);
    }
    let mut seen_unknown = vec![];
    for login in &unknown {
        seen_unknown.push(channel_features(&app, login).await);
    }

    // Assert: each feature on its own splits the groups no better than 55/45.
    let feature = |f: fn(&(usize, bool, String, String)) -> String| {
        let a: Vec<String> = seen_real.iter().map(f).collect();
        let b: Vec<String> = seen_unknown.iter().map(f).collect();
        best_split(&a, &b)
    };
    let splits = [
        ("mask length", feature(|s| s.0.to_string())),
        (
            "last character is the login's",
            feature(|s| s.1.to_string()),
        ),
        ("domain", feature(|s| s.2.clone())),
        ("channel set", feature(|s| s.3.clone())),
    ];
    let connect = |seen: &[(usize, bool, String, String)]| {
        seen.iter().filter(|s| s.2.starts_with('c')).count()
    };
    let with_mobile = |seen: &[(usize, bool, String, String)]| {
        seen.iter().filter(|s| s.3.contains("mobile")).count()
    };
    println!(
        "second domain: {} real, {} unknown; with a mobile: {} real, {} unknown",
        connect(&seen_real),
        connect(&seen_unknown),
        with_mobile(&seen_real),
        with_mobile(&seen_unknown)
    );
    println!("best split per feature (0.5 is chance): {splits:?}");
    for (name, split) in splits {
        assert!(
            split <= 0.55,
            "{name} splits real from unknown at {split:.2}"
        );
    }
}
