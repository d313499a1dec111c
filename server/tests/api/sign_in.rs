use crate::helpers::*;

#[tokio::test]
async fn the_right_password_signs_in_with_an_httponly_samesite_cookie() {
    let app = spawn_app().await;
    let password = app.create_account("s1000001").await;
    let response = app.sign_in(&app.client(), "s1000001", &password).await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("gatehouse_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn the_login_name_is_found_whatever_its_case() {
    let app = spawn_app().await;
    let password = app.create_account("s1000002").await;
    let response = app.sign_in(&app.client(), "S1000002", &password).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_account("s1000003").await;
    let wrong = app
        .sign_in(&app.client(), "s1000003", "Wrong-password-1")
        .await;
    let unknown = app
        .sign_in(&app.client(), "nobody-here", "Wrong-password-1")
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), wrong.status());
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, "\"InvalidCredentials\"");
}

#[tokio::test]
async fn failures_beyond_the_free_ones_are_delayed_then_locked() {
    let app = spawn_app_with(|c| {
        c.throttle.free_failures = 2;
        c.throttle.base_delay_seconds = 5;
        c.throttle.lock_after = 4;
        c.throttle.lock_minutes = 15;
    })
    .await;
    let password = app.create_account("s1000004").await;
    let client = app.client();
    for _ in 0..2 {
        assert_eq!(
            app.sign_in(&client, "s1000004", "Wrong-password-1")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.sign_in(&client, "s1000004", "Wrong-password-1")
            .await
            .status(),
        401
    );
    // The third failure imposed a 5 s delay: even the right password waits.
    let held = app.sign_in(&client, "s1000004", &password).await;
    assert_eq!(held.status(), 429);
    assert_eq!(
        error_of(held).await,
        serde_json::json!({ "Throttled": { "seconds": 5 } })
    );
    app.clock.advance(time::Duration::seconds(5));
    assert_eq!(
        app.sign_in(&client, "s1000004", "Wrong-password-1")
            .await
            .status(),
        401
    );
    let locked = app.sign_in(&client, "s1000004", &password).await;
    assert_eq!(
        error_of(locked).await,
        serde_json::json!({ "Locked": { "minutes": 15 } })
    );
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(
        app.sign_in(&client, "s1000004", &password).await.status(),
        200
    );
}

#[tokio::test]
async fn an_unknown_name_is_throttled_exactly_like_a_known_one() {
    let app = spawn_app_with(|c| {
        c.throttle.free_failures = 1;
        c.throttle.base_delay_seconds = 3;
    })
    .await;
    app.create_account("s1000005").await;
    let client = app.client();
    for login in ["s1000005", "ghost-user"] {
        app.sign_in(&client, login, "Wrong-password-1").await;
        app.sign_in(&client, login, "Wrong-password-1").await;
    }
    let known = error_of(app.sign_in(&client, "s1000005", "Wrong-password-1").await).await;
    let unknown = error_of(app.sign_in(&client, "ghost-user", "Wrong-password-1").await).await;
    assert_eq!(known, serde_json::json!({ "Throttled": { "seconds": 3 } }));
    assert_eq!(known, unknown);
}

#[tokio::test]
async fn one_client_address_is_locked_after_many_failures_across_names() {
    let app = spawn_app_with(|c| {
        c.throttle.address_lock_after = 5;
        c.throttle.free_failures = 10;
    })
    .await;
    let password = app.create_account("s1000006").await;
    let client = app.client();
    for i in 0..5 {
        app.sign_in(&client, &format!("guess{i}"), "Wrong-password-1")
            .await;
    }
    let refused = app.sign_in(&client, "s1000006", &password).await;
    assert_eq!(refused.status(), 429);
}

#[tokio::test]
async fn every_sign_in_gets_a_new_session_and_ends_the_old_one() {
    let app = spawn_app().await;
    let password = app.create_account("s1000007").await;
    let client = app.client();
    let first = app.sign_in(&client, "s1000007", &password).await;
    let second = app.sign_in(&client, "s1000007", &password).await;
    assert_ne!(
        first.headers()["set-cookie"],
        second.headers()["set-cookie"]
    );
    let account = app
        .state
        .store
        .account_by_login("s1000007")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.state.store.count_sessions(account.id).await.unwrap(), 1);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let password = app.create_account("s1000008").await;
    let client = app.signed_in("s1000008", &password).await;
    assert_eq!(app.whoami(&client).await["login"], "s1000008");
    let response = app.post(&client, "sign_out", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app().await;
    let password = app.create_account("s1000009").await;
    let client = app.signed_in("s1000009", &password).await;
    app.clock.advance(time::Duration::minutes(31));
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test]
async fn an_initial_password_sends_the_user_to_change_it_first() {
    let app = spawn_app().await;
    let password = app.create_account("s1000010").await;
    let client = app.client();
    let response = app.sign_in(&client, "s1000010", &password).await;
    assert!(response.headers().contains_key("serverfnredirect"));
    assert_eq!(response.headers()["location"], "/account/password");
    let profile = client
        .get(format!("{}/account", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 302);
    assert_eq!(profile.headers()["location"], "/account/password");
}

#[tokio::test]
async fn an_expired_password_must_be_changed_before_anything_else() {
    let app = spawn_app_with(|c| c.password_max_age_days = Some(90)).await;
    let initial = app.create_account("s1000011").await;
    let client = app.signed_in("s1000011", &initial).await;
    let changed = app
        .change_password(&client, &initial, "Harbour7Lights", "Harbour7Lights")
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.whoami(&client).await["must_change"], false);
    app.clock.advance(time::Duration::days(91));
    let client = app.signed_in("s1000011", "Harbour7Lights").await;
    assert_eq!(app.whoami(&client).await["must_change"], true);
}

#[tokio::test]
async fn sign_in_successes_and_failures_are_audited() {
    let app = spawn_app().await;
    let password = app.create_account("s1000012").await;
    app.sign_in(&app.client(), "s1000012", "Wrong-password-1")
        .await;
    app.sign_in(&app.client(), "s1000012", &password).await;
    let actions = app.audit_actions("s1000012").await;
    assert!(
        actions.contains(&("sign_in".into(), "failure".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("sign_in".into(), "success".into())),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let app = spawn_app().await;
    let password = app.create_account("s1000013").await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", "http://evil.example")
        .form(&[("login", "s1000013"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn pages_carry_a_nonce_csp_and_refuse_framing() {
    let app = spawn_app().await;
    let response = app
        .client()
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    let body = response.text().await.unwrap();
    assert!(body.contains("Login name") && body.contains("Passwords are case sensitive"));
}

#[tokio::test]
async fn the_language_cookie_switches_pages_to_traditional_chinese() {
    let app = spawn_app().await;
    let client = app.client();
    let switch = client
        .get(format!("{}/lang/zh-Hant?next=/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(switch.headers()["location"], "/login");
    let page = client
        .get(format!("{}/login", app.address))
        .header("cookie", "i18n_pref_locale=zh-Hant")
        .send()
        .await
        .unwrap();
    let body = page.text().await.unwrap();
    assert!(body.contains("登入名稱"), "{body}");
}

#[tokio::test]
async fn the_language_switch_never_redirects_off_site() {
    let app = spawn_app().await;
    let response = app
        .client()
        .get(format!("{}/lang/en?next=//evil.example/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
}
