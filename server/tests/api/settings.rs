use server::settings;

fn write(dir: &tempfile::TempDir, toml: &str) -> std::path::PathBuf {
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn a_missing_config_file_is_named_in_the_error() {
    let err =
        settings::load(Some(std::path::Path::new("/nonexistent/gatehouse.toml"))).unwrap_err();
    assert!(err.contains("/nonexistent/gatehouse.toml"), "{err}");
}

#[test]
fn an_unknown_setting_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(&dir, "lisen = \"127.0.0.1:1\"\n"))).unwrap_err();
    assert!(err.contains("lisen"), "{err}");
}

#[test]
fn argon2_below_the_owasp_minimum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(&dir, "[argon2]\nmemory_kib = 1024\n"))).unwrap_err();
    assert!(err.contains("argon2"), "{err}");
}

#[test]
fn a_preset_and_a_single_rule_override_come_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[policy]\npreset = \"standards\"\n[policy.rules]\nmin_length = 20\n",
    );
    let (_, policy) = settings::load(Some(&path)).unwrap();
    assert_eq!(policy.preset, gatehouse_policy::Preset::Standards);
    assert_eq!(policy.min_length, 20);
}

#[test]
fn an_unknown_preset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(&dir, "[policy]\npreset = \"lenient\"\n"))).unwrap_err();
    assert!(err.contains("preset") || err.contains("lenient"), "{err}");
}

const SECRET: &str = "secret_key = \"0123456789abcdef0123456789abcdef-secret\"\n";

#[test]
fn a_predictable_captcha_stops_the_server_outside_test_and_demo_mode() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["development", "production"] {
        let toml = format!("mode = \"{mode}\"\n{SECRET}[captcha]\nfixed_answer = \"ABCDE\"\n[mail]\ntransport = \"smtp\"\n[sms]\ntransport = \"http\"\n[sms.http]\nurl = \"https://sms.example.com/send\"\n");
        let err = settings::load(Some(&write(&dir, &toml))).unwrap_err();
        assert!(err.contains("captcha.fixed_answer"), "{mode}: {err}");
    }
    for mode in ["test", "demo"] {
        let toml = format!("mode = \"{mode}\"\n{SECRET}[captcha]\nfixed_answer = \"ABCDE\"\n");
        assert!(settings::load(Some(&write(&dir, &toml))).is_ok(), "{mode}");
    }
}

#[test]
fn outside_development_a_secret_key_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(&dir, "mode = \"test\"\n"))).unwrap_err();
    assert!(err.contains("secret_key"), "{err}");
    let err = settings::load(Some(&write(
        &dir,
        "mode = \"test\"\nsecret_key = \"short\"\n",
    )))
    .unwrap_err();
    assert!(
        err.contains("secret_key") && !err.contains("short"),
        "{err}"
    );
    assert!(settings::load(Some(&write(&dir, "mode = \"development\"\n"))).is_ok());
}

#[test]
fn production_refuses_the_development_outboxes() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(
        &dir,
        &format!("mode = \"production\"\n{SECRET}"),
    )))
    .unwrap_err();
    assert!(err.contains("mail.transport"), "{err}");
    let toml = format!("mode = \"production\"\n{SECRET}[mail]\ntransport = \"smtp\"\n");
    let err = settings::load(Some(&write(&dir, &toml))).unwrap_err();
    assert!(err.contains("sms.transport"), "{err}");
}

#[test]
fn codes_may_not_live_longer_than_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let err = settings::load(Some(&write(
        &dir,
        "[recovery]\ncode_lifetime_seconds = 900\n",
    )))
    .unwrap_err();
    assert!(err.contains("code_lifetime_seconds"), "{err}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("{SECRET}[mail.smtp]\npassword = \"smtp-pass-123\"\n");
    let (config, _) = settings::load(Some(&write(&dir, &toml))).unwrap();
    let printed = format!("{config:?}");
    assert!(
        !printed.contains("smtp-pass-123") && !printed.contains("abcdef-secret"),
        "{printed}"
    );
}

#[test]
fn cors_allowed_origins_must_be_exact_origins() {
    let dir = tempfile::tempdir().unwrap();
    for origin in [
        "*",
        "https://*.example.edu",
        "https://static.example.edu/app",
    ] {
        let toml = format!("[cors]\nallowed_origins = [\"{origin}\"]\n");
        let err = settings::load(Some(&write(&dir, &toml))).unwrap_err();
        assert!(err.contains("cors.allowed_origins"), "{origin}: {err}");
    }
    let toml = "[cors]\nallowed_origins = [\"http://127.0.0.1:8080\"]\n";
    let (config, _) = settings::load(Some(&write(&dir, toml))).unwrap();
    assert_eq!(config.cors.allowed_origins, ["http://127.0.0.1:8080"]);
}

/// A production configuration that starts: HTTPS, real transports.
fn production(extra: &str) -> String {
    format!(
        "mode = \"production\"\npublic_url = \"https://login.example.edu\"\n{SECRET}\
         [mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = 9\n\
         [sms]\ntransport = \"http\"\n[sms.http]\nurl = \"https://sms.example.edu/send\"\n{extra}"
    )
}

#[test]
fn production_refuses_plain_smtp_and_http_e_services_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    settings::load(Some(&write(&dir, &production("")))).expect("a production configuration");

    let plain = production("").replace("port = 9\n", "port = 9\ntls = \"none\"\n");
    let err = settings::load(Some(&write(&dir, &plain))).unwrap_err();
    assert!(err.contains("mail.smtp.tls"), "{err}");
    let allowed = plain.replace(
        "tls = \"none\"\n",
        "tls = \"none\"\nallow_plaintext = true\n",
    );
    let (config, _) = settings::load(Some(&write(&dir, &allowed))).unwrap();
    assert_eq!(config.exceptions().len(), 1);

    let http = production(
        "[[cas.services]]\nname = \"Old Portal\"\nurl_pattern = \"http://old.example.edu/**\"\n",
    );
    let err = settings::load(Some(&write(&dir, &http))).unwrap_err();
    assert!(
        err.contains("Old Portal") && err.contains("https://"),
        "{err}"
    );
    let allowed = http.replace(
        "[[cas.services]]",
        "[cas]\nallow_http_services = true\n[[cas.services]]",
    );
    settings::load(Some(&write(&dir, &allowed))).unwrap();
}

#[test]
fn a_service_pattern_that_cannot_be_read_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for pattern in [
        "portal.example.edu/*",
        "https://*/x",
        "https://portal.example.edu/../x",
    ] {
        let toml = format!("[[cas.services]]\nname = \"Library\"\nurl_pattern = \"{pattern}\"\n");
        let err = settings::load(Some(&write(&dir, &toml))).unwrap_err();
        assert!(err.contains("Library") && err.contains(pattern), "{err}");
    }
}

#[test]
fn production_cookies_are_host_only_and_secure() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = settings::load(Some(&write(&dir, &production("")))).unwrap();
    assert_eq!(config.session_cookie_name(), "__Host-gatehouse_session");
    assert!(config.secure_cookie());
}
