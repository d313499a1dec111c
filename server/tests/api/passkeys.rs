//! Passkeys, with a software authenticator from outside this project
//! (`webauthn-authenticator-rs`'s `SoftPasskey`) answering the server's
//! real WebAuthn ceremonies: enrolment, the second step, a replayed or
//! stale answer, another site's answer, a removed key, a counter that goes
//! back, and the sign-in throttle.
use serde_json::Value;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

use crate::helpers::{error_of, login_name, spawn_app_with, TestApp};
use gatehouse_store::{EndSessions, SecuritySave, StoreError};

/// The portal's address in these tests: WebAuthn needs a domain name.
const ORIGIN: &str = "http://localhost:3000";
const NEW: &str = "Harbour7Lights";

type Authenticator = WebauthnAuthenticator<SoftPasskey>;

/// A key that verifies its user (as a passkey with a PIN or fingerprint).
fn new_key() -> Authenticator {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

async fn passkey_app() -> TestApp {
    spawn_app_with(|c| c.public_url = ORIGIN.into()).await
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

/// A started ceremony: its handle and the options the browser would get.
struct Ceremony {
    handle: String,
    options: Value,
}

impl TestApp {
    async fn ceremony(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Ceremony {
        let started = self.post(client, endpoint, form).await;
        assert_eq!(started.status(), 200, "{endpoint}");
        let body: Value = started.json().await.unwrap();
        Ceremony {
            handle: body["handle"].as_str().unwrap().to_owned(),
            options: serde_json::from_str(body["options"].as_str().unwrap()).unwrap(),
        }
    }

    /// Enrols `key` under `name` as the security-info page does.
    async fn enrol(
        &self,
        client: &reqwest::Client,
        key: &mut Authenticator,
        name: &str,
    ) -> reqwest::Response {
        let started = self
            .ceremony(client, "security_passkey_start", &[("name", name)])
            .await;
        let answer = register(key, &started.options, origin());
        self.finish_enrol(client, &started, &answer, name).await
    }

    /// Sends an authenticator's answer to the enrolment `started`.
    async fn finish_enrol(
        &self,
        client: &reqwest::Client,
        started: &Ceremony,
        answer: &str,
        name: &str,
    ) -> reqwest::Response {
        let form = [
            ("handle", started.handle.as_str()),
            ("credential", answer),
            ("name", name),
        ];
        self.post(client, "security_passkey_finish", &form).await
    }

    /// Enrols each of `keys` under its name and turns 2-step verification
    /// on, as the security-info page does.
    async fn two_step_with(
        &self,
        client: &reqwest::Client,
        keys: &mut [(&str, &mut Authenticator)],
    ) {
        for (name, key) in keys.iter_mut() {
            let enrolled = self.enrol(client, key, name).await;
            assert_eq!(enrolled.status(), 200, "{}", enrolled.text().await.unwrap());
        }
        let on = self
            .post(client, "security_two_step", &[("on", "true")])
            .await;
        assert_eq!(on.status(), 200);
    }

    /// Signs in with the password; the second step (a passkey) is then open.
    async fn password_first(&self, login: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.sign_in(&client, login, NEW).await;
        assert_eq!(response.headers().get("location").unwrap(), "/login/verify");
        client
    }

    /// The passkey's answer to this client's second step, not yet sent.
    async fn second_step_answer(
        &self,
        client: &reqwest::Client,
        key: &mut Authenticator,
    ) -> (String, String) {
        let started = self
            .ceremony(client, "second_step_passkey_start", &[])
            .await;
        (started.handle, assert(key, &started.options, origin()))
    }

    async fn send_second_step(
        &self,
        client: &reqwest::Client,
        (handle, credential): &(String, String),
    ) -> reqwest::Response {
        self.post(
            client,
            "second_step_passkey",
            &[("handle", handle), ("credential", credential)],
        )
        .await
    }

    async fn passkeys(&self, client: &reqwest::Client) -> Vec<Value> {
        let info: Value = self
            .post(client, "security_info", &[])
            .await
            .json()
            .await
            .unwrap();
        info["passkeys"].as_array().unwrap().clone()
    }
}

/// The authenticator's answer to creation options, as JSON.
fn register(key: &mut Authenticator, options: &Value, origin: Url) -> String {
    let options: CreationChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": options })).unwrap();
    let answer = key.do_registration(origin, options).unwrap();
    serde_json::to_string(&answer).unwrap()
}

/// The authenticator's answer to request options, as JSON.
fn assert(key: &mut Authenticator, options: &Value, origin: Url) -> String {
    let options: RequestChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": options })).unwrap();
    let answer = key.do_authentication(origin, options).unwrap();
    serde_json::to_string(&answer).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passkey_is_enrolled_by_name_and_proves_the_second_step_once() {
    let app = passkey_app().await;
    let client = app.newcomer("s3000001", "student").await;
    let mut laptop = new_key();

    // A name is needed before the authenticator is asked.
    let unnamed = app
        .post(&client, "security_passkey_start", &[("name", "  ")])
        .await;
    assert_eq!(unnamed.status(), 422);

    let enrolled = app.enrol(&client, &mut laptop, "Laptop").await;
    assert_eq!(enrolled.status(), 200, "{}", enrolled.text().await.unwrap());
    let keys = app.passkeys(&client).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "Laptop");
    assert!(keys[0]["last_used_at"].is_null());
    let info: Value = app
        .post(&client, "security_info", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["default"], "passkey");
    assert_eq!(info["methods"][0]["method"], "passkey");
    assert_eq!(info["methods"][0]["detail"], "Laptop");
    let notices = app.delivered_to("s3000001@example.edu", 1).await;
    assert!(notices
        .iter()
        .any(|m| m.text.contains("passkey or security key was added")));
    let events = app.state.store.audit_events("s3000001", 50).await.unwrap();
    assert!(events
        .iter()
        .any(|(_, e)| e.detail.as_deref() == Some("passkey_added")));

    // The key already registered is excluded from the next enrolment.
    let started = app
        .ceremony(&client, "security_passkey_start", &[("name", "Again")])
        .await;
    assert_eq!(
        started.options["excludeCredentials"][0]["id"],
        keys[0]["id"]
    );

    let on = app
        .post(&client, "security_two_step", &[("on", "true")])
        .await;
    assert_eq!(on.status(), 200);

    // The second step asks for the passkey first.
    let signing_in = app.password_first("s3000001").await;
    let step: Value = app
        .post(&signing_in, "second_step", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["method"], "passkey");
    let answer = app.second_step_answer(&signing_in, &mut laptop).await;
    let passed = app.send_second_step(&signing_in, &answer).await;
    assert_eq!(passed.status(), 200, "{}", passed.text().await.unwrap());
    assert_eq!(app.whoami(&signing_in).await["login"], "s3000001");
    assert!(app.passkeys(&client).await[0]["last_used_at"].is_i64());

    // The same answer again, in a new sign-in: its challenge was used up.
    let replaying = app.password_first("s3000001").await;
    let replay = app.send_second_step(&replaying, &answer).await;
    assert_eq!(replay.status(), 401);
    assert_eq!(error_of(replay).await, "PasskeyRefused");
    // Nor does it answer a fresh challenge (it signed the old one).
    let fresh = app
        .ceremony(&replaying, "second_step_passkey_start", &[])
        .await;
    let stale = app
        .send_second_step(&replaying, &(fresh.handle, answer.1.clone()))
        .await;
    assert_eq!(stale.status(), 401);
    assert!(app.whoami(&replaying).await.is_null());

    // A challenge answered after five minutes is refused.
    let late = app.second_step_answer(&replaying, &mut laptop).await;
    app.clock.advance(time::Duration::seconds(301));
    assert_eq!(app.send_second_step(&replaying, &late).await.status(), 401);

    // An answer that is no WebAuthn answer at all is a bad request.
    let started = app
        .ceremony(&replaying, "second_step_passkey_start", &[])
        .await;
    let garbage = app
        .send_second_step(&replaying, &(started.handle, "{not json".into()))
        .await;
    assert_eq!(garbage.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_made_for_another_site_is_refused_and_counted() {
    let app = passkey_app().await;
    let client = app.newcomer("s3000002", "student").await;
    let mut key = new_key();

    // Enrolment signed for another origin (the same host, another port:
    // another site to the browser) is refused and saves nothing.
    let started = app
        .ceremony(&client, "security_passkey_start", &[("name", "Phished")])
        .await;
    let elsewhere = Url::parse("http://localhost:3001").unwrap();
    let answer = register(&mut key, &started.options, elsewhere.clone());
    let refused = app
        .finish_enrol(&client, &started, &answer, "Phished")
        .await;
    assert_eq!(refused.status(), 401);
    assert!(app.passkeys(&client).await.is_empty());

    app.two_step_with(&client, &mut [("Key", &mut key)]).await;

    let signing_in = app.password_first("s3000002").await;
    let started = app
        .ceremony(&signing_in, "second_step_passkey_start", &[])
        .await;
    let answer = assert(&mut key, &started.options, elsewhere);
    let refused = app
        .send_second_step(&signing_in, &(started.handle, answer))
        .await;
    assert_eq!(refused.status(), 401);
    assert!(app.whoami(&signing_in).await.is_null());
    let events = app.state.store.audit_events("s3000002", 50).await.unwrap();
    assert!(events
        .iter()
        .any(|(_, e)| e.detail.as_deref() == Some("wrong_second_factor:passkey")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_passkey_proves_nothing_and_refusals_count_toward_the_throttle() {
    let app = passkey_app().await;
    let client = app.newcomer("s3000003", "student").await;
    let mut phone = new_key();
    let mut yubikey = new_key();
    app.two_step_with(
        &client,
        &mut [("Phone", &mut phone), ("YubiKey", &mut yubikey)],
    )
    .await;

    // Renamed, then listed under the new name.
    let keys = app.passkeys(&client).await;
    let phone_id = keys[0]["id"].as_str().unwrap().to_owned();
    let renamed = app
        .post(
            &client,
            "security_passkey_rename",
            &[("id", &phone_id), ("name", "Old phone")],
        )
        .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(app.passkeys(&client).await[0]["name"], "Old phone");

    // An answer made while the key was registered, sent after it is gone.
    let signing_in = app.password_first("s3000003").await;
    let answer = app.second_step_answer(&signing_in, &mut phone).await;
    let removed = app
        .post(&client, "security_passkey_remove", &[("id", &phone_id)])
        .await;
    assert_eq!(removed.status(), 200);
    let keys = app.passkeys(&client).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "YubiKey");
    assert_eq!(
        app.send_second_step(&signing_in, &answer).await.status(),
        401
    );
    assert!(app.whoami(&signing_in).await.is_null());
    let gone = app
        .post(&client, "security_passkey_remove", &[("id", &phone_id)])
        .await;
    assert_eq!(gone.status(), 404);

    // The last method 2-step verification depends on stays.
    let yubikey_id = keys[0]["id"].as_str().unwrap().to_owned();
    let last = app
        .post(&client, "security_passkey_remove", &[("id", &yubikey_id)])
        .await;
    assert_eq!(last.status(), 409);

    // Passwordless sign-ins with answers that prove nothing (the YubiKey's
    // answer to another challenge) count toward the account's throttle,
    // with the removed key's refusal above: past the free failures even
    // the right password waits.
    let mut refused = 0;
    let mut waiting = false;
    for _ in 0..6 {
        let anyone = app.client();
        let sign_in = app.ceremony(&anyone, "passkey_sign_in_start", &[]).await;
        let wrong = app.second_step_answer(&signing_in, &mut yubikey).await;
        let answered = app
            .post(
                &anyone,
                "passkey_sign_in",
                &[("handle", &sign_in.handle), ("credential", &wrong.1)],
            )
            .await;
        match answered.status().as_u16() {
            401 => refused += 1,
            429 => {
                waiting = true;
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused >= 2 && waiting,
        "{refused} refused, then waiting: {waiting}"
    );
    let events = app.state.store.audit_events("s3000003", 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|(_, e)| e.detail.as_deref() == Some("passkey_refused"))
            .count(),
        refused
    );
    let held = app.sign_in(&app.client(), "s3000003", NEW).await;
    assert_eq!(held.status(), 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signature_counter_that_goes_back_turns_the_passkey_off() {
    let app = passkey_app().await;
    let client = app.newcomer("s3000004", "student").await;
    let mut key = new_key();
    app.two_step_with(&client, &mut [("Key", &mut key)]).await;
    let codes = app.post(&client, "security_recovery_codes", &[]).await;
    assert_eq!(codes.status(), 200);
    let first = app.password_first("s3000004").await;
    let answer = app.second_step_answer(&first, &mut key).await;
    assert_eq!(app.send_second_step(&first, &answer).await.status(), 200);

    // Another copy of the key has signed more often than this one: the
    // counter stored with it is ahead of what this copy now presents.
    let pool = app.pool().await;
    let (document, version): (String, i64) = sqlx::query_as(
        "SELECT s.document, s.version FROM security_info s JOIN accounts a ON a.id = s.account_id \
         WHERE a.login = 's3000004'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut doc: Value = serde_json::from_str(&document).unwrap();
    doc["passkeys"][0]["counter"] = 100.into();
    sqlx::query("UPDATE security_info SET document = $1, version = $2 WHERE version = $3")
        .bind(doc.to_string())
        .bind(version + 1)
        .bind(version)
        .execute(&pool)
        .await
        .unwrap();

    let second = app.password_first("s3000004").await;
    let answer = app.second_step_answer(&second, &mut key).await;
    assert_eq!(app.send_second_step(&second, &answer).await.status(), 401);
    assert!(app.whoami(&second).await.is_null());
    // Turned off, audited and told; every session of the account ended.
    let document: String = sqlx::query_scalar(
        "SELECT s.document FROM security_info s JOIN accounts a ON a.id = s.account_id \
         WHERE a.login = 's3000004'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let doc: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(doc["passkeys"][0]["disabled"], true);
    assert!(app.whoami(&client).await.is_null());
    assert!(app.whoami(&first).await.is_null());
    let events = app.state.store.audit_events("s3000004", 50).await.unwrap();
    assert!(events.iter().any(|(_, e)| {
        e.detail.as_deref() == Some("passkey_disabled") && e.outcome.as_str() == "refused"
    }));
    let notices = app.delivered_to("s3000004@example.edu", 2).await;
    assert!(notices.iter().any(|m| m.text.contains("turned off")));
    // Turned off, it is no longer asked for; 2-step verification stays on
    // with what is left (here the recovery codes).
    let third = app.password_first("s3000004").await;
    let step: Value = app
        .post(&third, "second_step", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["method"], "recovery_code");
    let start = app.post(&third, "second_step_passkey_start", &[]).await;
    assert_eq!(start.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_domain_name_no_passkey_ceremony_starts() {
    // The default test address is 127.0.0.1: WebAuthn needs a name.
    let app = spawn_app_with(|_| {}).await;
    let client = app.newcomer("s3000005", "student").await;
    let info: Value = app
        .post(&client, "security_info", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["passkeys_available"], false);
    let start = app
        .post(&client, "security_passkey_start", &[("name", "Laptop")])
        .await;
    assert_eq!(start.status(), 404);
    let sign_in = app.post(&app.client(), "passkey_sign_in_start", &[]).await;
    assert_eq!(sign_in.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ceremony_is_answered_only_where_it_started_and_a_key_belongs_to_one_account() {
    let app = passkey_app().await;
    let owner = app.newcomer("s3000006", "student").await;
    let other = app.newcomer("s3000007", "student").await;
    let mut key = new_key();

    // An enrolment started in one session cannot be finished in another.
    let started = app
        .ceremony(&owner, "security_passkey_start", &[("name", "Key")])
        .await;
    let answer = register(&mut key, &started.options, origin());
    let elsewhere = app.finish_enrol(&other, &started, &answer, "Key").await;
    assert_eq!(elsewhere.status(), 401);
    assert!(app.passkeys(&other).await.is_empty());

    // Enrolled to one account, the same credential id cannot be indexed
    // for another (a key answers each enrolment with a new credential, so
    // this is asked of the store directly).
    app.two_step_with(&owner, &mut [("Key", &mut key)]).await;
    let id = app.passkeys(&owner).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = app
        .state
        .store
        .account_by_login(&login_name("s3000007"))
        .await
        .unwrap()
        .unwrap();
    let taken = app
        .state
        .store
        .save_security_info(&SecuritySave {
            account_id: account.id,
            expected_version: None,
            document: "{}",
            notices: &[],
            audit: None,
            end_sessions: EndSessions::None,
            passkey_ids: Some(&[id]),
            now: 0,
        })
        .await;
    assert!(matches!(taken, Err(StoreError::Duplicate)), "{taken:?}");
    assert!(app.passkeys(&other).await.is_empty());

    // A second step's challenge does not sign in with the passkey alone.
    let signing_in = app.password_first("s3000006").await;
    let (handle, answer) = app.second_step_answer(&signing_in, &mut key).await;
    let anyone = app.client();
    let alone = app
        .post(
            &anyone,
            "passkey_sign_in",
            &[("handle", &handle), ("credential", &answer)],
        )
        .await;
    assert_eq!(alone.status(), 401);
    assert!(app.whoami(&anyone).await.is_null());

    // A name over sixty characters is refused before any key is made.
    let long = "K".repeat(61);
    let refused = app
        .post(&owner, "security_passkey_start", &[("name", &long)])
        .await;
    assert_eq!(refused.status(), 422);
}
