//! Security info and 2-step verification: enrolment of each method, the
//! re-entry window, removal rules, the sign-in's second step (throttled as
//! passwords are), recovery codes, and resets through each method.
use serde_json::Value;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{error_of, spawn_app, spawn_app_with, statuses_at_once, TestApp};

const NEW: &str = "Harbour7Lights";

/// The enrolled authenticator: what the test's "phone" computes codes with.
struct Phone(TOTP);

impl Phone {
    fn code_at(&self, unix: i64) -> String {
        self.0.generate(unix as u64)
    }
}

impl TestApp {
    fn now(&self) -> i64 {
        self.state.clock.unix()
    }

    async fn security(&self, client: &reqwest::Client) -> Value {
        self.post(client, "security_info", &[])
            .await
            .json()
            .await
            .unwrap()
    }

    /// Enrols an authenticator app the way the page does; returns the phone.
    async fn enrol_app(&self, client: &reqwest::Client) -> Phone {
        let started = self.post(client, "security_app_start", &[]).await;
        assert_eq!(started.status(), 200);
        let enrolment: Value = started.json().await.unwrap();
        assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
        let url = enrolment["url"].as_str().unwrap();
        assert!(url.starts_with("otpauth://totp/Gatehouse:"), "{url}");
        let secret = enrolment["secret"].as_str().unwrap();
        let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
        let phone = Phone(TOTP::new_unchecked(
            Algorithm::SHA1,
            6,
            1,
            30,
            bytes,
            None,
            String::new(),
        ));
        let code = phone.code_at(self.now());
        let confirmed = self
            .post(client, "security_app_confirm", &[("code", &code)])
            .await;
        assert_eq!(
            confirmed.status(),
            200,
            "{}",
            confirmed.text().await.unwrap()
        );
        phone
    }

    /// Registers an alternate email or mobile with the code sent to it.
    async fn add_contact(&self, client: &reqwest::Client, method: &str, address: &str) {
        self.post(
            client,
            "security_contact_start",
            &[("method", method), ("address", address)],
        )
        .await;
        let code = self.last_code(address);
        let confirmed = self
            .post(client, "security_contact_confirm", &[("code", &code)])
            .await;
        assert_eq!(confirmed.status(), 200);
    }

    async fn two_step(&self, client: &reqwest::Client, on: bool) -> reqwest::Response {
        self.post(
            client,
            "security_two_step",
            &[("on", if on { "true" } else { "false" })],
        )
        .await
    }

    /// Signs in with the password; the second step is then open.
    async fn first_step(&self, login: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.sign_in(&client, login, NEW).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some("/login/verify")
        );
        assert!(
            self.whoami(&client).await.is_null(),
            "no session before the second step"
        );
        client
    }

    /// The second step this client's sign-in is at.
    async fn second_step_of(&self, client: &reqwest::Client) -> Value {
        self.post(client, "second_step", &[])
            .await
            .json()
            .await
            .unwrap()
    }

    async fn second(
        &self,
        client: &reqwest::Client,
        method: &str,
        code: &str,
    ) -> reqwest::Response {
        self.post(
            client,
            "second_step_verify",
            &[("method", method), ("code", code)],
        )
        .await
    }

    async fn document(&self, login: &str) -> String {
        let pool = self.pool().await;
        sqlx::query_scalar(
            "SELECT s.document FROM security_info s JOIN accounts a ON a.id = s.account_id WHERE a.login = $1",
        )
        .bind(login)
        .fetch_one(&pool)
        .await
        .unwrap()
    }

    fn security_notices(&self, to: &str) -> usize {
        self.sent
            .entries()
            .iter()
            .filter(|m| m.to == to && m.subject.contains("security info"))
            .count()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authenticator_app_is_enrolled_encrypted_and_its_codes_work_once_with_one_step_of_drift()
{
    let app = spawn_app().await;
    let client = app.newcomer("s2000001", "student").await;
    let phone = app.enrol_app(&client).await;

    // At rest the secret is encrypted: neither its base32 nor the code shows.
    let document = app.document("s2000001").await;
    let base32 = phone.0.get_secret_base32();
    assert!(!document.contains(&base32) && !document.contains(&base32.to_lowercase()));
    let info = app.security(&client).await;
    assert_eq!(info["methods"][0]["method"], "app");
    assert_eq!(info["default"], "app");

    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let notices = app.delivered_to("s2000001@example.edu", 3).await;
    assert!(notices
        .iter()
        .any(|m| m.text.contains("authenticator app was added")));
    assert!(notices
        .iter()
        .any(|m| m.text.contains("2-step verification was turned on")));
    let actions = app.audit_actions("s2000001").await;
    assert_eq!(
        actions
            .iter()
            .filter(|(a, o)| a == "security_info.changed" && o == "success")
            .count(),
        2
    );

    // The code that confirmed the enrolment cannot be used again.
    let signing_in = app.first_step("s2000001").await;
    let step = app.second_step_of(&signing_in).await;
    assert_eq!(step["method"], "app");
    let replay = app
        .second(&signing_in, "app", &phone.code_at(app.now()))
        .await;
    assert_eq!(replay.status(), 422);
    assert!(app.whoami(&signing_in).await.is_null());

    // One step later it works, once.
    app.clock.advance(time::Duration::seconds(30));
    let code = phone.code_at(app.now());
    assert_eq!(app.second(&signing_in, "app", &code).await.status(), 200);
    assert_eq!(app.whoami(&signing_in).await["login"], "s2000001");
    let again = app.first_step("s2000001").await;
    assert_eq!(app.second(&again, "app", &code).await.status(), 422);

    // A phone 30 s slow is accepted (the step before); 60 s slow, or any
    // fast, is refused: a code is good for at most 60 s.
    app.clock.advance(time::Duration::seconds(60));
    let too_slow = app
        .second(&again, "app", &phone.code_at(app.now() - 60))
        .await;
    assert_eq!(too_slow.status(), 422);
    let fast = app
        .second(&again, "app", &phone.code_at(app.now() + 30))
        .await;
    assert_eq!(fast.status(), 422);
    let slow = app
        .second(&again, "app", &phone.code_at(app.now() - 30))
        .await;
    assert_eq!(slow.status(), 200);
    // And the step just used is refused from then on.
    let later = app.first_step("s2000001").await;
    assert_eq!(
        app.second(&later, "app", &phone.code_at(app.now() - 30))
            .await
            .status(),
        422
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_second_step_codes_count_toward_the_same_throttle_as_passwords() {
    let app = spawn_app_with(|c| c.recovery.max_wrong_codes = 50).await;
    let client = app.newcomer("s2000002", "student").await;
    let phone = app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);

    let signing_in = app.first_step("s2000002").await;
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(
            app.second(&signing_in, "app", "000000")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[..3], [422, 422, 422]);
    assert_eq!(statuses[4], 429, "{statuses:?}");
    // While the delay lasts the right code waits too, and so does the
    // password: one throttle.
    app.clock.advance(time::Duration::seconds(30));
    let right = phone.code_at(app.now());
    for _ in 0..12 {
        app.second(&signing_in, "app", "000000").await;
    }
    assert_eq!(app.second(&signing_in, "app", &right).await.status(), 429);
    assert_eq!(
        app.sign_in(&app.client(), "s2000002", NEW).await.status(),
        429
    );
    let actions = app.audit_actions("s2000002").await;
    assert!(
        actions
            .iter()
            .filter(|(a, o)| a == "sign_in" && o == "failure")
            .count()
            >= 3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alternate_email_counts_only_after_its_code_and_the_old_address_is_told_of_a_change() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000003", "student").await;
    let bad = app
        .post(
            &client,
            "security_contact_start",
            &[("method", "alt_email"), ("address", "not an address")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(error_of(bad).await["Invalid"][0]["field"], "email");

    let start = |address: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            app.post(
                client,
                "security_contact_start",
                &[("method", "alt_email"), ("address", address)],
            )
            .await
        }
    };
    assert_eq!(start("chan@home.example").await.status(), 200);
    assert!(app.security(&client).await["methods"]
        .as_array()
        .unwrap()
        .is_empty());
    let wrong = app
        .post(&client, "security_contact_confirm", &[("code", "AAAAAA")])
        .await;
    assert_eq!(wrong.status(), 422);
    let code = app.last_code("chan@home.example");
    let confirmed = app
        .post(&client, "security_contact_confirm", &[("code", &code)])
        .await;
    assert_eq!(confirmed.status(), 200);
    let info = app.security(&client).await;
    assert_eq!(info["methods"][0]["method"], "alt_email");
    assert_eq!(info["methods"][0]["detail"], "chan@home.example");

    // A second address: a code to it, and a notice to the old one too.
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(start("chan@elsewhere.example").await.status(), 200);
    let code = app.last_code("chan@elsewhere.example");
    let confirmed = app
        .post(&client, "security_contact_confirm", &[("code", &code)])
        .await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(app.delivered_to("chan@home.example", 2).await.len(), 2);
    assert_eq!(app.security_notices("chan@home.example"), 1);
    app.delivered_to("s2000003@example.edu", 3).await;
    assert_eq!(app.security_notices("s2000003@example.edu"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_need_the_password_entered_within_the_window() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000004", "student").await;
    app.clock.advance(time::Duration::minutes(6));
    let refused = app.post(&client, "security_app_start", &[]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_of(refused).await, "ReauthRequired");
    assert_eq!(app.security(&client).await["reauth_seconds_left"], 0);

    let wrong = app
        .post(&client, "security_reauth", &[("password", "not it")])
        .await;
    assert_eq!(wrong.status(), 422);
    let right = app
        .post(&client, "security_reauth", &[("password", NEW)])
        .await;
    assert_eq!(right.status(), 200);
    assert_eq!(app.security(&client).await["reauth_seconds_left"], 300);
    assert_eq!(
        app.post(&client, "security_app_start", &[]).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_method_stays_while_two_step_is_on_and_the_default_moves_on_removal() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000005", "student").await;
    assert_eq!(
        app.two_step(&client, true).await.status(),
        409,
        "no method yet"
    );
    app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let remove = |method: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            app.post(client, "security_remove", &[("method", method)])
                .await
        }
    };
    let last = remove("app").await;
    assert_eq!(last.status(), 409);
    assert_eq!(error_of(last).await, "LastMethod");

    // With a second method the app can go; the default moves to what is left.
    app.add_contact(&client, "mobile", "+852 9123 4567").await;
    assert_eq!(app.security(&client).await["default"], "app");
    assert_eq!(
        app.post(&client, "security_default", &[("method", "mobile")])
            .await
            .status(),
        200
    );
    assert_eq!(app.security(&client).await["default"], "mobile");
    assert_eq!(remove("app").await.status(), 200);
    assert_eq!(remove("mobile").await.status(), 409);
    assert_eq!(app.two_step(&client, false).await.status(), 200);
    assert_eq!(remove("mobile").await.status(), 200);
    assert_eq!(remove("mobile").await.status(), 404);

    // Every change was told and audited: app, on, mobile, default, removal, off, removal.
    let changes = app
        .audit_actions("s2000005")
        .await
        .into_iter()
        .filter(|(a, o)| a == "security_info.changed" && o == "success")
        .count();
    assert_eq!(changes, 7);
    assert_eq!(app.delivered_to("s2000005@example.edu", 8).await.len(), 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn recovery_codes_sign_in_once_each_and_a_new_set_voids_the_old() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000006", "student").await;
    app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let codes: Vec<String> = app
        .post(&client, "security_recovery_codes", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let document: Value = serde_json::from_str(&app.document("s2000006").await).unwrap();
    let hashes: Vec<&str> = document["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(!app.document("s2000006").await.contains(&codes[0]));
    // Each kept as `salt:hash`, every salt its own (ASVS 6.5.2).
    let salts: std::collections::HashSet<&str> = hashes
        .iter()
        .map(|h| h.split_once(':').unwrap().0)
        .collect();
    assert_eq!(salts.len(), 10, "{hashes:?}");

    let signing_in = app.first_step("s2000006").await;
    let step: Value = app
        .post(
            &signing_in,
            "second_step_choose",
            &[("method", "recovery_code")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["method"], "recovery_code");
    assert_eq!(
        app.second(&signing_in, "recovery_code", &codes[0].to_lowercase())
            .await
            .status(),
        200
    );
    let again = app.first_step("s2000006").await;
    assert_eq!(
        app.second(&again, "recovery_code", &codes[0])
            .await
            .status(),
        422
    );
    assert_eq!(app.security(&client).await["recovery_codes_left"], 9);

    let fresh: Vec<String> = app
        .post(&client, "security_recovery_codes", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.second(&again, "recovery_code", &codes[1])
            .await
            .status(),
        422
    );
    assert_eq!(
        app.second(&again, "recovery_code", &fresh[0])
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn security_answers_are_normalised_hashed_and_asked_at_sign_in() {
    let app = spawn_app_with(|c| c.security_info.questions.enabled = true).await;
    let client = app.newcomer("s2000007", "student").await;
    let set = |answers: [&'static str; 3]| {
        let app = &app;
        let client = &client;
        async move {
            app.post(
                client,
                "security_questions",
                &[
                    ("question[0]", "first_school"),
                    ("question[1]", "first_pet"),
                    ("question[2]", "first_job"),
                    ("answer[0]", answers[0]),
                    ("answer[1]", answers[1]),
                    ("answer[2]", answers[2]),
                ],
            )
            .await
        }
    };
    assert_eq!(set(["St Paul", "", "Tutor"]).await.status(), 422);
    assert_eq!(
        set(["  St.   Paul's  ", "Ｍｏｍｏ", "Tutor"])
            .await
            .status(),
        200
    );
    let document = app.document("s2000007").await;
    assert!(!document.to_lowercase().contains("paul") && !document.contains("momo"));
    assert_eq!(app.two_step(&client, true).await.status(), 200);

    let signing_in = app.first_step("s2000007").await;
    let step = app.second_step_of(&signing_in).await;
    assert_eq!(step["method"], "questions");
    assert_eq!(step["questions"][1]["id"], "first_pet");
    let answer = |a: &'static str, b: &'static str, c: &'static str| {
        let app = &app;
        let signing_in = &signing_in;
        async move {
            app.post(
                signing_in,
                "second_step_verify",
                &[
                    ("method", "questions"),
                    ("answer[0]", a),
                    ("answer[1]", b),
                    ("answer[2]", c),
                ],
            )
            .await
        }
    };
    assert_eq!(answer("st pauls", "momo", "tutor").await.status(), 422);
    assert_eq!(answer("ST. PAUL'S", "momo", " tutor ").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_with_two_step_on_needs_a_second_factor_and_lists_every_method() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000008", "student").await;
    let phone = app.enrol_app(&client).await;
    app.add_contact(&client, "alt_email", "chan@home.example")
        .await;

    // 2-step off: every method is offered, the default (app) first, and one is enough.
    let wizard = app.client();
    let started: Value = app
        .start_recovery(&wizard, "s2000008")
        .await
        .json()
        .await
        .unwrap();
    let offered: Vec<&str> = started["Channel"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["channel"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["app", "alt_email", "email"]);
    app.clock.advance(time::Duration::seconds(30));
    let held = app
        .post(
            &wizard,
            "recovery_verify",
            &[("channel", "app"), ("code", &phone.code_at(app.now()))],
        )
        .await;
    let step: Value = held.json().await.unwrap();
    assert!(step.get("NewPassword").is_some(), "{step}");

    // 2-step on: the emailed code is not enough.
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let wizard = app.client();
    app.start_recovery(&wizard, "s2000008").await;
    assert_eq!(app.send_code(&wizard, "email").await.status(), 200);
    let code = app.last_code("s2000008@example.edu");
    let step: Value = app.verify(&wizard, &code).await.json().await.unwrap();
    assert_eq!(step["Channel"]["second"], true, "{step}");
    let second: Vec<&str> = step["Channel"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["channel"].as_str().unwrap())
        .collect();
    assert_eq!(second, ["app", "alt_email"]);
    assert_eq!(
        app.reset(&wizard, "Another9River", "Another9River")
            .await
            .status(),
        410
    );
    // The alternate email as the second factor.
    assert_eq!(app.send_code(&wizard, "alt_email").await.status(), 200);
    let code = app.last_code("chan@home.example");
    let step: Value = app.verify(&wizard, &code).await.json().await.unwrap();
    assert!(step.get("NewPassword").is_some(), "{step}");
    assert_eq!(
        app.reset(&wizard, "Another9River", "Another9River")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_resets_two_step_for_a_user_who_lost_every_method() {
    let app = spawn_app().await;
    let admin = app.admin("a2000009").await;
    let client = app.newcomer("s2000009", "student").await;
    app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    app.first_step("s2000009").await;

    let reset = app
        .post(
            &admin,
            "admin_act",
            &[
                ("login", "s2000009"),
                ("action", "reset_two_step"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(reset.status(), 200, "{}", reset.text().await.unwrap());
    let signed_in = app.signed_in("s2000009", NEW).await;
    assert_eq!(app.whoami(&signed_in).await["login"], "s2000009");
    assert!(app.security(&signed_in).await["methods"]
        .as_array()
        .unwrap()
        .is_empty());
    let notices = app.delivered_to("s2000009@example.edu", 3).await;
    assert!(notices
        .iter()
        .any(|m| m.text.contains("an administrator removed every method")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_requires_two_step_cannot_turn_it_off() {
    let app = spawn_app_with(|c| c.security_info.required_roles = vec!["staff".into()]).await;
    let client = app.newcomer("t2000010", "staff").await;
    let info = app.security(&client).await;
    assert_eq!(info["two_step_required"], true);
    app.enrol_app(&client).await;
    assert_eq!(app.security(&client).await["two_step"], true);
    assert_eq!(app.two_step(&client, false).await.status(), 403);
    app.first_step("t2000010").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_second_step_codes_sent_all_at_once_are_checked_no_more_than_the_limit() {
    // Arrange: the flow's limit (5) is what holds, not the name's throttle.
    let app = spawn_app_with(|c| {
        c.throttle.free_failures = 100;
        c.throttle.lock_after = 100;
    })
    .await;
    let client = app.newcomer("s2000040", "student").await;
    app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let signing_in = app.first_step("s2000040").await;
    let max = app.state.config.recovery.max_wrong_codes as usize;

    // Act: 50 wrong app codes at once.
    let guesses = (0..50).map(|_| app.second(&signing_in, "app", "000000"));
    let statuses = statuses_at_once(guesses).await;

    // Assert
    let wrong = statuses.iter().filter(|s| **s == 422).count();
    let over = statuses.iter().filter(|s| **s == 410).count();
    assert_eq!((wrong, over), (max - 1, 50 - (max - 1)), "{statuses:?}");
    let counted = app
        .state
        .store
        .throttle_state("login:s2000040")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        counted.failures as usize, max,
        "each checked code counted once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn second_step_codes_asked_for_all_at_once_send_one_message() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000041", "student").await;
    app.add_contact(&client, "alt_email", "s2000041.alt@example.net")
        .await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let signing_in = app.first_step("s2000041").await;
    // The sign-in may have sent a first code; the next may go after the
    // cooldown, and 30 ask for it at once.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = app.delivered_to("s2000041.alt@example.net", 1).await.len();
    let cooldown = i64::from(app.state.config.recovery.resend_cooldown_seconds);
    app.clock.advance(time::Duration::seconds(cooldown));

    let asks = (0..30).map(|_| {
        app.post(
            &signing_in,
            "second_step_choose",
            &[("method", "alt_email")],
        )
    });
    let statuses = statuses_at_once(asks).await;

    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let after = app
        .delivered_to("s2000041.alt@example.net", before + 2)
        .await
        .len();
    assert_eq!(after - before, 1, "one code went out: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn contact_codes_asked_for_all_at_once_send_one_message() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000042", "student").await;

    let asks = (0..30).map(|_| {
        app.post(
            &client,
            "security_contact_start",
            &[
                ("method", "alt_email"),
                ("address", "s2000042.alt@example.net"),
            ],
        )
    });
    let statuses = statuses_at_once(asks).await;

    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = app.delivered_to("s2000042.alt@example.net", 2).await.len();
    assert_eq!(sent, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alternate_email_cannot_be_the_registered_one() {
    let app = spawn_app().await;
    let client = app.newcomer("s2000043", "student").await;

    let response = app
        .post(
            &client,
            "security_contact_start",
            &[("method", "alt_email"), ("address", "S2000043@Example.edu")],
        )
        .await;

    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["Invalid"][0]["problem"]["problem"], "same_as_registered",
        "{error}"
    );
    assert!(app.delivered_to("S2000043@Example.edu", 1).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_disabled_during_its_second_step_cannot_finish_it() {
    // Arrange: a sign-in waiting for its app code.
    let app = spawn_app().await;
    let client = app.newcomer("s2000044", "student").await;
    let phone = app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let signing_in = app.first_step("s2000044").await;
    let admin = app.admin("a2000044").await;

    // Act: an administrator disables the account meanwhile.
    let disabled = app
        .post(
            &admin,
            "admin_act",
            &[
                ("login", "s2000044"),
                ("action", "disable"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(disabled.status(), 200, "{}", disabled.text().await.unwrap());
    app.clock.advance(time::Duration::seconds(30));
    let finished = app
        .second(&signing_in, "app", &phone.code_at(app.now()))
        .await;

    // Assert: no session, now or by the first client.
    assert_eq!(finished.status(), 410);
    assert!(app.whoami(&signing_in).await.is_null());
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_disabled_during_its_reset_cannot_finish_it() {
    // Arrange: a reset that proved the emailed code and waits for the new password.
    let app = spawn_app().await;
    app.newcomer("s2000045", "student").await;
    let admin = app.admin("a2000045").await;
    let wizard = app.client();
    app.start_recovery(&wizard, "s2000045").await;
    assert_eq!(app.send_code(&wizard, "email").await.status(), 200);
    let code = app.last_code("s2000045@example.edu");
    let step: Value = app.verify(&wizard, &code).await.json().await.unwrap();
    assert!(step.get("NewPassword").is_some(), "{step}");
    let before = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s2000045"))
        .await
        .unwrap()
        .unwrap();

    // Act: an administrator disables the account meanwhile.
    let disabled = app
        .post(
            &admin,
            "admin_act",
            &[
                ("login", "s2000045"),
                ("action", "disable"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let finished = app.reset(&wizard, "Another9River", "Another9River").await;

    // Assert: the flow ended with the account; the password is the old one.
    assert_eq!(finished.status(), 410);
    let after = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s2000045"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.password_hash, before.password_hash);
}

/// A POST as the browser makes it, with `cookie` set by hand.
async fn post_with_cookie(
    app: &TestApp,
    endpoint: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/{endpoint}", app.address))
        .header("origin", &app.address)
        .header("accept", "application/json")
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// `name=value` of the session cookie a response sets.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gatehouse_session=") && !c.starts_with("gatehouse_session=;"))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn entering_the_password_again_gives_the_session_a_new_token() {
    // Arrange: a session whose cookie we hold, past the re-entry window.
    let app = spawn_app().await;
    app.newcomer("s2000045", "student").await;
    let signed_in = post_with_cookie(
        &app,
        "sign_in",
        "",
        &[("login", "s2000045"), ("password", NEW)],
    )
    .await;
    let old = session_cookie(&signed_in).unwrap();
    app.clock.advance(time::Duration::minutes(6));

    // Act
    let reauth = post_with_cookie(&app, "security_reauth", &old, &[("password", NEW)]).await;

    // Assert: a new token works, the old one is gone.
    assert_eq!(reauth.status(), 200);
    let new = session_cookie(&reauth).expect("a new session cookie");
    assert_ne!(new, old);
    let whoami = |cookie: String| {
        let app = &app;
        async move {
            post_with_cookie(app, "whoami", &cookie, &[])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(whoami(new).await["login"], "s2000045");
    assert_eq!(whoami(old).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn weakening_a_factor_ends_every_other_session() {
    // Arrange: two sessions of one account, the second through 2-step.
    let app = spawn_app().await;
    let client = app.newcomer("s2000046", "student").await;
    let phone = app.enrol_app(&client).await;
    assert_eq!(app.two_step(&client, true).await.status(), 200);
    let other = app.first_step("s2000046").await;
    app.clock.advance(time::Duration::seconds(30));
    assert_eq!(
        app.second(&other, "app", &phone.code_at(app.now()))
            .await
            .status(),
        200
    );
    assert_eq!(app.whoami(&other).await["login"], "s2000046");

    // Act: new recovery codes, then 2-step verification off.
    let codes = app.post(&client, "security_recovery_codes", &[]).await;
    assert_eq!(codes.status(), 200);

    // Assert: the other session ended, this one stays.
    assert!(
        app.whoami(&other).await.is_null(),
        "new recovery codes end the others"
    );
    assert_eq!(app.whoami(&client).await["login"], "s2000046");
    let third = app.first_step("s2000046").await;
    app.clock.advance(time::Duration::seconds(30));
    assert_eq!(
        app.second(&third, "app", &phone.code_at(app.now()))
            .await
            .status(),
        200
    );
    assert_eq!(app.two_step(&client, false).await.status(), 200);
    assert!(
        app.whoami(&third).await.is_null(),
        "2-step off ends the others"
    );
    assert_eq!(app.whoami(&client).await["login"], "s2000046");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_requires_two_step_gets_nothing_but_enrolment_until_it_has_a_method() {
    // Arrange: administrators must use 2-step verification; a new one has
    // no method yet.
    let app = spawn_app_with(|c| {
        c.security_info.required_roles = vec!["admin".into()];
        c.cas.services = vec![gatehouse_core::config::CasService {
            name: "Portal".into(),
            url_pattern: "http://127.0.0.1:9/**".into(),
            attributes: vec![],
            single_logout: false,
        }];
    })
    .await;
    let client = app.admin("a2000047").await;

    // Act and assert: no admin function, no ticket, only enrolment.
    let search = app
        .post(&client, "admin_search", &[("query", "a2000047")])
        .await;
    assert_eq!(search.status(), 403);
    assert_eq!(error_of(search).await, "EnrolmentRequired");
    let ticket = client
        .get(format!(
            "{}/cas/login?service=http%3A%2F%2F127.0.0.1%3A9%2F",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.headers()["location"], "/account/security-info");
    let again = app.client();
    let signed_in = app.sign_in(&again, "a2000047", NEW).await;
    assert_eq!(signed_in.headers()["location"], "/account/security-info");

    // Once a method is added, the rest opens.
    app.enrol_app(&client).await;
    assert_eq!(
        app.post(&client, "admin_search", &[("query", "a2000047")])
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_name_is_offered_what_accounts_hold_and_its_answers_count_the_same() {
    // Arrange: the only account holds an app and security questions.
    let app = spawn_app_with(|c| c.security_info.questions.enabled = true).await;
    let client = app.newcomer("s2000030", "student").await;
    app.enrol_app(&client).await;
    let set = app
        .post(
            &client,
            "security_questions",
            &[
                ("question[0]", "first_school"),
                ("question[1]", "first_pet"),
                ("question[2]", "first_job"),
                ("answer[0]", "St Paul"),
                ("answer[1]", "Momo"),
                ("answer[2]", "Tutor"),
            ],
        )
        .await;
    assert_eq!(set.status(), 200);
    let offered = |step: &Value| -> Vec<String> {
        step["Channel"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["channel"].as_str().unwrap().to_owned())
            .collect()
    };
    let real = app.client();
    let unknown = app.client();
    let real_step: Value = app
        .start_recovery(&real, "s2000030")
        .await
        .json()
        .await
        .unwrap();
    let unknown_step: Value = app
        .start_recovery(&unknown, "s2999930")
        .await
        .json()
        .await
        .unwrap();

    // Assert: the same kinds in the same order for both names.
    assert_eq!(offered(&real_step), ["app", "questions", "email"]);
    assert_eq!(offered(&unknown_step), offered(&real_step));

    // Act: each picks the questions and answers wrong until the flow ends.
    let held = |client: &reqwest::Client| {
        let app = &app;
        let client = client.clone();
        async move {
            let step: Value = app
                .send_code(&client, "questions")
                .await
                .json()
                .await
                .unwrap();
            step
        }
    };
    let real_held = held(&real).await;
    let unknown_held = held(&unknown).await;
    assert_eq!(real_held["Held"]["questions"].as_array().unwrap().len(), 3);
    assert_eq!(
        unknown_held["Held"]["questions"].as_array().unwrap().len(),
        3,
        "{unknown_held}"
    );
    let wrong = |client: &reqwest::Client| {
        let app = &app;
        let client = client.clone();
        async move {
            let response = app
                .post(
                    &client,
                    "recovery_verify",
                    &[
                        ("channel", "questions"),
                        ("answer[0]", "wrong"),
                        ("answer[1]", "wrong"),
                        ("answer[2]", "wrong"),
                    ],
                )
                .await;
            (response.status().as_u16(), error_of(response).await)
        }
    };
    for _ in 0..4 {
        assert_eq!(wrong(&real).await, wrong(&unknown).await);
        // Past the delay each failure earns.
        app.clock.advance(time::Duration::seconds(30));
    }
    let app_code = |client: &reqwest::Client| {
        let app = &app;
        let client = client.clone();
        async move {
            let response = app
                .post(
                    &client,
                    "recovery_verify",
                    &[("channel", "app"), ("code", "000000")],
                )
                .await;
            (response.status().as_u16(), error_of(response).await)
        }
    };
    let (real_last, unknown_last) = (app_code(&real).await, app_code(&unknown).await);

    // Assert: the fifth wrong answer ends both flows alike, and each name's
    // sign-in throttle counted all five.
    assert_eq!(real_last, unknown_last);
    assert_eq!(real_last.0, 410, "{real_last:?}");
    for login in ["s2000030", "s2999930"] {
        let held = app
            .state
            .store
            .throttle_state(&gatehouse_core::throttle::login_key(login))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.failures, 5, "{login}");
    }
}
