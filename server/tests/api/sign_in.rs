use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
async fn the_login_name_is_found_whatever_its_case() {
    let app = spawn_app().await;
    let password = app.create_account("s1000002").await;
    let response = app.sign_in(&app.client(), "S1000002", &password).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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
        .account_by_login(&crate::helpers::login_name("s1000007"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.state.store.count_sessions(account.id).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let password = app.create_account("s1000008").await;
    let client = app.signed_in("s1000008", &password).await;
    assert_eq!(app.whoami(&client).await["login"], "s1000008");
    let response = app.post(&client, "sign_out", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_ends() {
    let app = spawn_app().await;
    let password = app.create_account("s1000009").await;
    let client = app.signed_in("s1000009", &password).await;
    app.clock.advance(time::Duration::minutes(31));
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

#[tokio::test(flavor = "multi_thread")]
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

/// Every page, however many are rendered at once and whatever else runs
/// beside them, allows exactly the nonce its own scripts carry.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_allows_the_nonce_of_its_own_scripts_under_concurrent_load() {
    let app = spawn_app().await;
    let initial = app.create_account("s1000777").await;
    let signed_in = app.signed_in("s1000777", &initial).await;
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..120 {
        let (client, address) = (signed_in.clone(), app.address.clone());
        let path = [
            "/login",
            "/account",
            "/account/password",
            "/help",
            "/nowhere",
        ][n % 5];
        requests.spawn(async move {
            let response = client.get(format!("{address}{path}")).send().await.unwrap();
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            (path, csp, response.text().await.unwrap())
        });
        // Server functions beside them, some dropped half-way.
        let (client, address) = (app.client(), app.address.clone());
        requests.spawn(async move {
            let call = client
                .post(format!("{address}/api/whoami"))
                .header("accept", "application/json")
                .timeout(std::time::Duration::from_millis(n as u64 % 3))
                .send();
            let _ = call.await;
            ("", String::new(), String::new())
        });
    }
    let mut pages = 0;
    while let Some(answer) = requests.join_next().await {
        let (path, csp, body) = answer.unwrap();
        if path.is_empty() {
            continue;
        }
        pages += 1;
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no page policy: {csp}"));
        // Leptos leaves an empty `<script></script>`: nothing to run.
        let scripts = body.matches("<script").count() - body.matches("<script></script>").count();
        assert!(scripts > 0, "{path}: a page with scripts");
        assert_eq!(
            body.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every script carries the policy's nonce"
        );
    }
    assert_eq!(pages, 120);
}

#[tokio::test(flavor = "multi_thread")]
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
        .header("cookie", "gatehouse_lang=zh-Hant")
        .send()
        .await
        .unwrap();
    let body = page.text().await.unwrap();
    assert!(body.contains("登入名稱"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn in_production_every_cookie_is_host_only_and_secure() {
    // Arrange: a server in production mode.
    let app = spawn_app_with(|c| {
        c.mode = gatehouse_core::config::Mode::Production;
        c.public_url = "https://login.example.edu".into();
        c.captcha.fixed_answer = None;
        // Real transports (nothing here sends a message).
        c.mail.transport = gatehouse_core::config::Transport::Smtp;
        c.mail.smtp.host = "127.0.0.1".into();
        c.mail.smtp.port = 9;
        c.sms.transport = gatehouse_core::config::Transport::Http;
        c.sms.http.url = "https://sms.example.edu/send".into();
    })
    .await;
    let client = app.client();

    // Act: choose a language, sign in, start a reset.
    let switch = client
        .get(format!("{}/lang/zh-Hant?next=/login", app.address))
        .send()
        .await
        .unwrap();
    let password = app.create_account("s1000090").await;
    let signed_in = app.sign_in(&client, "s1000090", &password).await;
    let wizard = app.client();
    let captcha: serde_json::Value = app
        .post(&wizard, "recovery_step", &[("resume", "false")])
        .await
        .json()
        .await
        .unwrap();
    // No fixed answer in production: the one challenge's answer, as stored.
    let answer: String = sqlx::query_scalar("SELECT answer FROM captchas")
        .fetch_one(&app.pool().await)
        .await
        .unwrap();
    let started = app
        .post(
            &wizard,
            "recovery_start",
            &[
                ("login", "s1000090"),
                (
                    "captcha_id",
                    captcha["Identify"]["captcha"].as_str().unwrap(),
                ),
                ("captcha", &answer),
            ],
        )
        .await;

    // Assert: each cookie is `__Host-` prefixed, `Secure`, on `/`.
    for (what, response) in [
        ("language", &switch),
        ("session", &signed_in),
        ("reset", &started),
    ] {
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("__Host-"), "{what}: {cookie}");
        assert!(
            cookie.contains("; Secure") && cookie.contains("Path=/"),
            "{what}: {cookie}"
        );
    }
    // The pages read the prefixed language cookie, and tell the browser
    // half its name.
    let page = |cookie: &'static str| {
        let client = app.client();
        let url = format!("{}/login", app.address);
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let prefixed = page("__Host-gatehouse_lang=zh-Hant").await;
    assert!(prefixed.contains("登入名稱"), "{prefixed}");
    assert!(prefixed.contains(r#"content="__Host-gatehouse_lang""#));
    let planted = page("gatehouse_lang=zh-Hant").await;
    assert!(
        !planted.contains("登入名稱"),
        "an unprefixed cookie is not read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_language_switch_never_redirects_off_site() {
    let app = spawn_app().await;
    let response = app
        .client()
        .get(format!("{}/lang/en?next=//evil.example/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
    // A tab (which browsers drop) or a backslash (read as `/`) after the
    // first slash would make it `//evil.example.net/`.
    for next in [
        "/%09/evil.example.net/",
        "/%5Cevil.example.net/",
        "/%0A/evil.example.net/",
    ] {
        let response = app
            .client()
            .get(format!("{}/lang/en?next={next}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/", "{next}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guesses_sent_all_at_once_never_pass_the_lock() {
    // Arrange: the default throttle (10 failures lock the name).
    let app = spawn_app().await;
    let password = app.create_account("s1000020").await;
    let lock_after = app.state.config.throttle.lock_after as usize;
    let client = app.client();

    // Act: 120 sign-ins at once, the right password among the last ones
    // (sent while the wrong ones are still being hashed).
    let attempts = (0..120).map(|i| {
        let (app, client, password) = (&app, &client, &password);
        async move {
            let guess = if i >= 110 {
                password.as_str()
            } else {
                "Wrong-guess-1"
            };
            if i >= 110 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            app.sign_in(client, "s1000020", guess)
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;

    // Assert
    let hashed_wrong = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "only failures and refusals, the right password refused too: {statuses:?}"
    );
    assert!(
        (1..=lock_after).contains(&hashed_wrong),
        "{hashed_wrong} wrong guesses were hashed; at most {lock_after}"
    );
    let stored = app
        .state
        .store
        .throttle_state("login:s1000020")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.failures as usize, hashed_wrong,
        "every failure counted once"
    );
    println!("120 simultaneous sign-ins: {hashed_wrong} answered 401, the rest 429");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_right_password_sent_alone_after_a_burst_gives_its_attempt_back() {
    let app = spawn_app_with(|c| c.throttle.free_failures = 10).await;
    let password = app.create_account("s1000021").await;
    let client = app.client();
    let wrong = (0..3).map(|_| app.sign_in(&client, "s1000021", "Wrong-guess-1"));
    futures_util::future::join_all(wrong).await;

    assert_eq!(
        app.sign_in(&client, "s1000021", &password).await.status(),
        200
    );

    let stored = app
        .state
        .store
        .throttle_state("login:s1000021")
        .await
        .unwrap();
    assert!(
        stored.is_none(),
        "a full sign-in forgets the name's failures"
    );
    let address = app
        .state
        .store
        .throttle_state("addr:127.0.0.1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        address.failures, 3,
        "the right attempt is not counted against the address"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_forwarded_address_never_escapes_the_address_lock() {
    // Arrange: behind one proxy that appends the address it saw.
    let app = spawn_app_with(|c| {
        c.client_ip_header = Some("x-forwarded-for".into());
        c.throttle.address_lock_after = 100;
    })
    .await;
    let client = app.client();

    // Act: 150 failures over different names, each with a new forged
    // leftmost value.
    let mut statuses = vec![];
    for i in 0..150u32 {
        let forged = format!("10.{}.{}.1", i / 250, i % 250);
        let response = client
            .post(format!("{}/api/sign_in", app.address))
            .header("x-forwarded-for", format!("{forged}, 203.0.113.9"))
            .form(&[
                ("login", format!("guess{i}").as_str()),
                ("password", "Wrong-guess-1"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }

    // Assert: the real address is locked after 100, and is what the audit shows.
    let hashed = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((hashed, refused), (100, 50), "{statuses:?}");
    let events = app.state.store.audit_events("guess0", 10).await.unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|(_, e)| e.client_addr == "203.0.113.9"),
        "{:?}",
        events
            .iter()
            .map(|(_, e)| &e.client_addr)
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_campus_address_can_still_reset_a_password() {
    // One NAT address for a whole campus, locked by others' failures.
    let app = spawn_app_with(|c| c.throttle.address_lock_after = 3).await;
    app.create_account("s1000022").await;
    let client = app.client();
    for i in 0..3 {
        app.sign_in(&client, &format!("guess{i}"), "Wrong-guess-1")
            .await;
    }
    assert_eq!(
        app.sign_in(&client, "s1000022", "anything").await.status(),
        429
    );

    // The reset wizard is the way out: it does not use the sign-in lock.
    let started = app.start_recovery(&client, "s1000022").await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
    let sent = app.send_code(&client, "email").await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
}

/// The database's size on disk (SQLite file and its journal, or the
/// PostgreSQL database).
async fn database_bytes(app: &TestApp) -> i64 {
    if app.is_postgres() {
        let pool = app.pool().await;
        return sqlx::query_scalar("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
            .fetch_one(&pool)
            .await
            .unwrap();
    }
    let path = app.database_url.trim_start_matches("sqlite://");
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{path}{suffix}")).ok())
        .map(|m| m.len() as i64)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_huge_login_names_stores_nothing() {
    // Arrange: the address is locked already.
    let app = spawn_app_with(|c| c.throttle.address_lock_after = 3).await;
    let client = app.client();
    for i in 0..3 {
        app.sign_in(&client, &format!("guess{i}"), "Wrong-guess-1")
            .await;
    }
    let before = database_bytes(&app).await;

    // Act: 1,000 sign-ins with a 1 MiB login name (refused at the door),
    // then 200 with a 60 KiB one (under the body limit).
    let huge = "x".repeat(1 << 20);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..1000 {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("login", &huge)
            .append_pair("password", "x")
            .finish();
        let (status, _) = crate::bodies::oneshot(&app, "/api/sign_in", body.into(), None).await;
        *statuses.entry(status).or_default() += 1;
    }
    let long = "y".repeat(60 * 1024);
    for _ in 0..200 {
        let status = app.sign_in(&client, &long, "x").await.status().as_u16();
        *statuses.entry(status).or_default() += 1;
    }

    // Assert
    let grown = database_bytes(&app).await - before;
    println!("database growth after the flood: {grown} bytes; answers {statuses:?}");
    assert_eq!(statuses.get(&413), Some(&1000), "{statuses:?}");
    assert_eq!(statuses.get(&400), Some(&200), "{statuses:?}");
    assert!(grown < 1 << 20, "the database grew by {grown} bytes");
    let logged = app.state.store.audit_events(&long, 10).await.unwrap();
    assert!(logged.is_empty(), "a refused login name is not audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_sees_their_sessions_and_signs_the_others_out() {
    // Arrange: three sessions of one account, one of another's.
    let app = spawn_app().await;
    let here = app.newcomer("s1000023", "student").await;
    let phone = app.signed_in("s1000023", "Harbour7Lights").await;
    let laptop = app.signed_in("s1000023", "Harbour7Lights").await;
    let stranger = app.newcomer("s1000024", "student").await;
    let listed: serde_json::Value = app
        .post(&here, "my_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    let sessions = listed.as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{listed}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_ref = app
        .post(&phone, "my_sessions", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act: one ended by name, then every other; another account's stays.
    let foreign = app
        .post(&stranger, "end_session", &[("reference", &phone_ref)])
        .await;
    assert_eq!(foreign.status(), 404, "only one's own sessions");
    assert_eq!(
        app.post(&here, "end_session", &[("reference", &phone_ref)])
            .await
            .status(),
        200
    );
    assert!(app.whoami(&phone).await.is_null());
    assert_eq!(app.whoami(&laptop).await["login"], "s1000023");
    assert_eq!(
        app.post(&here, "end_other_sessions", &[]).await.status(),
        200
    );

    // Assert
    assert!(app.whoami(&laptop).await.is_null());
    assert_eq!(app.whoami(&here).await["login"], "s1000023");
    assert_eq!(app.whoami(&stranger).await["login"], "s1000024");
    let left: serde_json::Value = app
        .post(&here, "my_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_hashing_queue_a_sign_in_is_told_to_retry_and_nothing_is_counted() {
    // Arrange: one hashing thread, one waiting place; eight people.
    let app = spawn_app_with(|c| {
        c.argon2.max_concurrent = 1;
        c.argon2.max_waiting = Some(1);
    })
    .await;
    let mut people = Vec::new();
    for i in 0..8 {
        let login = format!("s10003{i:02}");
        let password = app.create_account(&login).await;
        people.push((login, password, app.client()));
    }

    // Act: every right password at once.
    let answers = futures_util::future::join_all(
        people
            .iter()
            .map(|(login, password, client)| app.sign_in(client, login, password)),
    )
    .await;

    // Assert: some signed in, the rest told to come back, at once.
    let mut signed_in = 0;
    let mut busy = Vec::new();
    for (answer, (login, _, _)) in answers.into_iter().zip(&people) {
        match answer.status().as_u16() {
            200 => signed_in += 1,
            503 => {
                let retry: u64 = answer.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry >= 1);
                let body = error_of(answer).await;
                assert!(body.to_string().contains("Busy"), "{body}");
                busy.push(login.clone());
            }
            other => panic!("{login}: {other}"),
        }
    }
    assert!(signed_in >= 1, "someone got through");
    assert!(!busy.is_empty(), "the queue was full for someone");
    for login in &busy {
        let key = format!("login:{login}");
        let held = app.state.store.throttle_state(&key).await.unwrap();
        assert!(
            held.is_none_or(|t| t.failures == 0),
            "{login}: a refusal counted against the user"
        );
    }
    // Retried one at a time, every refused person signs in.
    for (login, password, client) in people.iter().filter(|(l, _, _)| busy.contains(l)) {
        assert_eq!(app.sign_in(client, login, password).await.status(), 200);
    }
    println!(
        "8 simultaneous sign-ins on one hashing thread with one waiting place: {signed_in} signed in, {} told to retry",
        busy.len()
    );
}
