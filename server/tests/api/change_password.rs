use crate::helpers::*;

const NEW: &str = "Harbour7Lights";

#[tokio::test(flavor = "multi_thread")]
async fn a_change_replaces_the_password_everywhere_at_once() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000001").await;
    let client = app.signed_in("s2000001", &initial).await;
    let response = app.change_password(&client, &initial, NEW, NEW).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/account/password/done");
    assert_eq!(
        app.sign_in(&app.client(), "s2000001", &initial)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.sign_in(&app.client(), "s2000001", NEW).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_clears_the_must_change_flag() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000002").await;
    let client = app.signed_in("s2000002", &initial).await;
    assert_eq!(app.whoami(&client).await["must_change"], true);
    app.change_password(&client, &initial, NEW, NEW).await;
    assert_eq!(app.whoami(&client).await["must_change"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_ends_every_other_session_and_keeps_this_one() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000003").await;
    let other = app.signed_in("s2000003", &initial).await;
    let this = app.signed_in("s2000003", &initial).await;
    app.change_password(&this, &initial, NEW, NEW).await;
    assert!(app.whoami(&other).await.is_null());
    assert_eq!(app.whoami(&this).await["login"], "s2000003");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_writes_a_bilingual_notice_with_no_password_in_it() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000004").await;
    let client = app.signed_in("s2000004", &initial).await;
    app.change_password(&client, &initial, NEW, NEW).await;
    let messages = app.outbox_messages(1).await;
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert!(mail.contains("To: s2000004@example.edu"), "{mail}");
    assert!(mail.contains("/forgot-password"), "{mail}");
    assert!(mail.contains("127.0.0.1"), "{mail}");
    assert!(mail.contains("Content-Type: text/html"), "{mail}");
    assert!(!mail.contains(NEW) && !mail.contains(&initial));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_is_audited() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000005").await;
    let client = app.signed_in("s2000005", &initial).await;
    app.change_password(&client, &initial, NEW, NEW).await;
    let actions = app.audit_actions("s2000005").await;
    assert!(
        actions.contains(&("password.changed".into(), "success".into())),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_current_password_changes_nothing() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000006").await;
    let client = app.signed_in("s2000006", &initial).await;
    let response = app
        .change_password(&client, "Not-the-current-1", NEW, NEW)
        .await;
    assert_eq!(response.status(), 422);
    let error = error_of(response).await;
    assert_eq!(error["Invalid"][0]["field"], "current_password");
    assert_eq!(
        error["Invalid"][0]["problem"]["problem"],
        "wrong_current_password"
    );
    assert_eq!(
        app.sign_in(&app.client(), "s2000006", &initial)
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mismatched_re_entry_is_refused() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000007").await;
    let client = app.signed_in("s2000007", &initial).await;
    let error = error_of(
        app.change_password(&client, &initial, NEW, "Harbour7Light")
            .await,
    )
    .await;
    assert_eq!(error["Invalid"][0]["field"], "confirm_password");
    assert_eq!(error["Invalid"][0]["problem"]["problem"], "mismatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_fields_are_each_reported() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000008").await;
    let client = app.signed_in("s2000008", &initial).await;
    let error = error_of(app.change_password(&client, "", "", "").await).await;
    let fields: Vec<_> = error["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        vec!["current_password", "new_password", "confirm_password"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_checks_every_policy_rule_itself() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000009").await;
    let client = app.signed_in("s2000009", &initial).await;
    let error = error_of(
        app.change_password(&client, &initial, "short$", "short$")
            .await,
    )
    .await;
    let failed = &error["Invalid"][0]["problem"]["failed"];
    let rules: Vec<_> = failed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect();
    assert!(rules.contains(&"min_length".to_owned()), "{rules:?}");
    assert!(
        rules.contains(&"no_forbidden_chars".to_owned()),
        "{rules:?}"
    );
    assert!(rules.contains(&"required_class".to_owned()), "{rules:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_current_password_cannot_be_kept() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000010").await;
    let client = app.signed_in("s2000010", &initial).await;
    app.change_password(&client, &initial, NEW, NEW).await;
    let error = error_of(app.change_password(&client, NEW, NEW, NEW).await).await;
    assert_eq!(
        error["Invalid"][0]["problem"]["failed"][0]["rule"],
        "differs_from_current"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn none_of_the_last_three_passwords_may_return() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000011").await;
    let client = app.signed_in("s2000011", &initial).await;
    let chain = [
        "Harbour7LightsA",
        "Harbour7LightsB",
        "Harbour7LightsC",
        "Harbour7LightsD",
    ];
    let mut current = initial.clone();
    for next in chain {
        assert_eq!(
            app.change_password(&client, &current, next, next)
                .await
                .status(),
            200
        );
        current = next.to_owned();
    }
    // History now holds C, B, A (the three before D).
    let refused = error_of(
        app.change_password(&client, &current, "Harbour7LightsA", "Harbour7LightsA")
            .await,
    )
    .await;
    assert_eq!(
        refused["Invalid"][0]["problem"]["failed"][0]["rule"],
        "not_recent"
    );
    assert_eq!(
        app.change_password(&client, &current, "Harbour7LightsE", "Harbour7LightsE")
            .await
            .status(),
        200
    );
    // Now A is four changes back and may be used again.
    assert_eq!(
        app.change_password(
            &client,
            "Harbour7LightsE",
            "Harbour7LightsA",
            "Harbour7LightsA"
        )
        .await
        .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_without_a_session_is_refused() {
    let app = spawn_app().await;
    let response = app.change_password(&app.client(), "x", NEW, NEW).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storage_failure_midway_leaves_nothing_changed() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000012").await;
    let other = app.signed_in("s2000012", &initial).await;
    let client = app.signed_in("s2000012", &initial).await;
    // Break the last writes of the transaction: the notice cannot be queued.
    app.break_mail_queue().await;
    let response = app.change_password(&client, &initial, NEW, NEW).await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text().await.unwrap(), "\"Internal\"");
    app.repair_mail_queue().await;
    let pool = app.pool().await;
    assert_eq!(
        app.sign_in(&app.client(), "s2000012", &initial)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.whoami(&other).await["must_change"],
        true,
        "other session must survive"
    );
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(history, 0);
    assert!(app.outbox_after_waiting().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn no_password_ever_reaches_a_log_line() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000013").await;
    let client = app.signed_in("s2000013", &initial).await;
    app.sign_in(&app.client(), "s2000013", "Log-probe-Wrong-77")
        .await;
    app.change_password(
        &client,
        "Log-probe-Current-77",
        "Log-probe-New-77a",
        "Log-probe-New-77b",
    )
    .await;
    app.change_password(
        &client,
        &initial,
        "Log-probe-Final-77",
        "Log-probe-Final-77",
    )
    .await;
    let logs = captured_logs();
    assert!(!logs.is_empty(), "the log capture caught nothing");
    for secret in [
        initial.as_str(),
        "Log-probe-Wrong-77",
        "Log-probe-Current-77",
        "Log-probe-New-77",
        "Log-probe-Final-77",
    ] {
        assert!(!logs.contains(secret), "a password appeared in the logs");
    }
}

/// The meter's estimate, as the browser asks for it while a new password is
/// typed: the same estimate the change is decided with.
async fn estimate(app: &TestApp, password: &str, login: &str) -> reqwest::Response {
    app.post(
        &app.client(),
        "strength",
        &[
            ("password", password),
            ("login", login),
            ("display_name", "Chan Tai Man"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_meter_gets_the_estimate_the_server_decides_with() {
    let app = spawn_app().await;
    let policy = gatehouse_policy::Preset::Standards.policy();
    for (password, login) in [
        (NEW, "s2000090"),
        ("Password123", "s2000090"),
        ("s2000090Chan", "s2000090"),
        ("correct horse battery staple", "s2000090"),
    ] {
        let response = estimate(&app, password, login).await;
        assert_eq!(response.status(), 200, "{password}");
        let strength: u8 = response.json().await.unwrap();
        let ctx = gatehouse_policy::Context {
            login,
            display_name: "Chan Tai Man",
            reuse: gatehouse_policy::Reuse::Unknown,
        };
        let decided = gatehouse_policy::check(password, &policy, &ctx).strength;
        assert_eq!(Some(strength), decided, "{password}");
    }
    let weak: u8 = estimate(&app, "Password123", "s2000090")
        .await
        .json()
        .await
        .unwrap();
    assert!(weak <= 1, "a common password is weak: {weak}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_estimate_for_a_name_longer_than_any_account_s_is_refused() {
    let app = spawn_app().await;
    let long_name = "a ".repeat(app::components::MAX_NAME_CHARS);
    let response = app
        .post(
            &app.client(),
            "strength",
            &[
                ("password", "4@8({[<3691!|70$5+%2"),
                ("login", "s2000092"),
                ("display_name", long_name.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    let long_login = "s".repeat(app::components::MAX_NAME_CHARS + 1);
    assert_eq!(estimate(&app, NEW, &long_login).await.status(), 400);
    // The longest password body is bounded by the estimate itself.
    let response = estimate(&app, &"Harbour7Lights".repeat(4_000), "s2000092").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn estimates_count_nothing_against_the_account() {
    let app = spawn_app().await;
    let initial = app.create_account("s2000091").await;
    let lock_after = app.state.config.throttle.lock_after;
    for _ in 0..=lock_after {
        assert_eq!(
            estimate(&app, "wrong-guess", "s2000091").await.status(),
            200
        );
    }
    assert_eq!(
        app.sign_in(&app.client(), "s2000091", &initial)
            .await
            .status(),
        200
    );
}
