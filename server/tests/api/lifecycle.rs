//! Account end dates with each role's grace, and password age: banner,
//! reminder, forced change. The clock is moved by hand.
use gatehouse_core::lifecycle;

use crate::helpers::{error_of, spawn_app, spawn_app_with, TestApp};

const NEW: &str = "Harbour7Lights";

async fn set(app: &TestApp, login: &str, role: &str, valid_until: &str) {
    sqlx::query("UPDATE accounts SET role = $1, valid_until = $2 WHERE login = $3")
        .bind(role)
        .bind(valid_until)
        .bind(login)
        .execute(&app.pool().await)
        .await
        .unwrap();
}

/// Signs in with the right password and then a wrong one: the status of each.
async fn statuses(app: &TestApp, login: &str, password: &str) -> (u16, u16) {
    let right = app
        .sign_in(&app.client(), login, password)
        .await
        .status()
        .as_u16();
    let wrong = app
        .sign_in(&app.client(), login, "Wrong-password-1")
        .await
        .status()
        .as_u16();
    (right, wrong)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_signs_in_until_its_end_date_plus_its_grace() {
    // Today is 2026-11-22.
    let app = spawn_app().await;
    let cases = [
        // login, role, valid until, still in on 2026-11-22
        ("s4000001", "student", "2026-11-22", true),
        ("s4000002", "student", "2026-11-21", false),
        ("f4000003", "staff", "2026-10-24", true), // grace to 2026-11-23
        ("f4000004", "staff", "2026-10-22", false), // grace ended 2026-11-21
        ("t4000005", "teacher", "2025-05-23", true), // 18 months: to 2026-11-23
        ("t4000006", "teacher", "2025-05-21", false), // to 2026-11-21
    ];
    for (login, role, until, active) in cases {
        let password = app.create_account(login).await;
        set(&app, login, role, until).await;
        let (right, wrong) = statuses(&app, login, &password).await;
        assert_eq!(right, if active { 200 } else { 403 }, "{login}");
        // A wrong password learns nothing either way.
        assert_eq!(wrong, 401, "{login}");
    }
    // Two days on, the staff and teacher accounts still in above end too.
    app.clock.advance(time::Duration::days(2));
    for login in ["f4000003", "t4000005"] {
        let account = app
            .state
            .store
            .account_by_login(&crate::helpers::login_name(login))
            .await
            .unwrap()
            .unwrap();
        assert!(lifecycle::ended(&app.state, &account), "{login}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ended_account_is_told_whom_to_contact_and_the_refusal_is_audited() {
    let app = spawn_app().await;
    let password = app.create_account("s4000011").await;
    set(&app, "s4000011", "student", "2026-01-31").await;
    let response = app.sign_in(&app.client(), "s4000011", &password).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        error_of(response).await,
        serde_json::json!("AccountInactive")
    );
    let actions = app.audit_actions("s4000011").await;
    assert!(
        actions.contains(&("sign_in".into(), "refused".into())),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_nearing_its_maximum_age_shows_a_banner_and_gets_one_reminder() {
    let app = spawn_app_with(|c| {
        c.password_max_age_days = Some(90);
        c.lifecycle.password_reminder_days = 14;
    })
    .await;
    let initial = app.create_account("s4000021").await;
    let client = app.signed_in("s4000021", &initial).await;
    assert_eq!(
        app.change_password(&client, &initial, NEW, NEW)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.whoami(&client).await["password_due_in_days"],
        serde_json::Value::Null
    );
    assert_eq!(
        lifecycle::send_password_reminders(&app.state)
            .await
            .unwrap(),
        0
    );

    app.clock.advance(time::Duration::days(80));
    let client = app.signed_in("s4000021", NEW).await;
    assert_eq!(app.whoami(&client).await["password_due_in_days"], 10);
    assert_eq!(
        lifecycle::send_password_reminders(&app.state)
            .await
            .unwrap(),
        1
    );
    // Once per password, however often the job runs.
    app.clock.advance(time::Duration::days(1));
    assert_eq!(
        lifecycle::send_password_reminders(&app.state)
            .await
            .unwrap(),
        0
    );
    // The change notice, then the reminder.
    let reminders: Vec<_> = app
        .delivered_to("s4000021@example.edu", 2)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("Your password is due for change"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].to, "s4000021@example.edu");
    let text = &reminders[0].text;
    assert!(
        text.contains("within 10 days") && text.contains("/account/password"),
        "{text}"
    );

    // Past the maximum age: sign-in leads straight to the change.
    app.clock.advance(time::Duration::days(10));
    let client = app.signed_in("s4000021", NEW).await;
    assert_eq!(app.whoami(&client).await["must_change"], true);
}
