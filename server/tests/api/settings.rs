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
