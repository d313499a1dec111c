//! Importing the institution's records: idempotent, row by row checked,
//! all or nothing, never a password.
use gatehouse_core::records::{self, Format, Importer, Report, RowOutcome};
use gatehouse_store::ClientInfo;
use gatehouse_types::account::Role;

use crate::helpers::{spawn_app, TestApp};

const HEADER: &str = "login,display_name,role,email,mobile,alt_email,valid_until,language\n";

async fn import(app: &TestApp, content: &str, dry_run: bool) -> Result<Report, String> {
    import_as(app, content, Format::Csv, dry_run).await
}

async fn import_as(
    app: &TestApp,
    content: &str,
    format: Format,
    dry_run: bool,
) -> Result<Report, String> {
    let client = ClientInfo {
        addr: "local".into(),
        user_agent: "test".into(),
    };
    let by = Importer {
        actor: "registry",
        client: &client,
    };
    records::import(&app.state, content, format, dry_run, &by).await
}

fn three_people() -> String {
    format!(
        "{HEADER}\
         s9000001,Chan Tai Man,student,s9000001@example.edu,+852 9123 4567,,2027-08-31,en\n\
         f9000002,Lee Siu Ming,staff,f9000002@example.edu,,lee@home.example,2026-12-31,zh-Hant\n\
         t9000003,Wong Ka Yan,teacher,t9000003@example.edu,,,,\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let first = import(&app, &three_people(), false).await.unwrap();
    assert_eq!(
        first.summary(),
        "created 3, updated 0, unchanged 0, rejected 0"
    );

    let account = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("f9000002"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::Staff);
    assert_eq!(account.alt_email.as_deref(), Some("lee@home.example"));
    assert_eq!(account.valid_until.as_deref(), Some("2026-12-31"));
    assert_eq!(account.language, "zh-Hant");
    // No password: the first-time flow gives the first one.
    assert!(account.password_hash.is_none() && !account.must_change);
    assert_eq!(
        app.audit_actions("f9000002").await,
        [("account.created".to_owned(), "success".to_owned())]
    );

    let second = import(&app, &three_people(), false).await.unwrap();
    assert_eq!(
        second.summary(),
        "created 0, updated 0, unchanged 3, rejected 0"
    );
    assert_eq!(app.audit_actions("f9000002").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_row_updates_that_account_only_and_names_the_fields() {
    let app = spawn_app().await;
    import(&app, &three_people(), false).await.unwrap();
    let changed = three_people().replace("2026-12-31,zh-Hant", "2027-06-30,en");
    let report = import(&app, &changed, false).await.unwrap();
    assert_eq!(
        report.summary(),
        "created 0, updated 1, unchanged 2, rejected 0"
    );
    assert_eq!(
        report.rows[1].outcome,
        RowOutcome::Updated(vec!["valid_until", "language"])
    );
    assert!(report
        .to_text()
        .contains("line 3: f9000002 updated (valid_until, language)"));
    let account = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("f9000002"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.valid_until.as_deref(), Some("2027-06-30"));
    assert_eq!(account.language, "en");
    let actions = app.audit_actions("f9000002").await;
    assert!(
        actions.contains(&("account.updated".into(), "success".into())),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_never_touches_a_password_or_an_administrators_status() {
    let app = spawn_app().await;
    let password = app.create_account("s9000001").await;
    let report = import(&app, &three_people(), false).await.unwrap();
    assert_eq!(
        report.summary(),
        "created 2, updated 1, unchanged 0, rejected 0"
    );
    // The password given before still works, and still must be changed.
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "s9000001", &password).await.status(),
        200
    );
    assert_eq!(app.whoami(&client).await["must_change"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_are_rejected_with_their_reason_and_good_rows_still_import() {
    let app = spawn_app().await;
    let content = format!(
        "{HEADER}\
         s9000011,Good One,student,s9000011@example.edu,,,,\n\
         s9000012,Bad Role,wizard,s9000012@example.edu,,,,\n\
         s9000013,Bad Email,student,not-an-email,,,,\n\
         s9000014,Bad Phone,student,s9000014@example.edu,12ab,,,\n\
         s9000015,Bad Date,student,s9000015@example.edu,,,2027-13-01,\n\
         S9000011,Twice,student,twice@example.edu,,,,\n\
         s9000016,Good Two,applicant,s9000016@example.edu,,,,\n"
    );
    let report = import(&app, &content, false).await.unwrap();
    assert_eq!(
        report.summary(),
        "created 2, updated 0, unchanged 0, rejected 5"
    );
    let text = report.to_text();
    for expected in [
        "line 3: s9000012 rejected: role: unknown role \"wizard\"",
        "line 4: s9000013 rejected: email: \"not-an-email\" is not a valid email address",
        "line 5: s9000014 rejected: mobile:",
        "line 6: s9000015 rejected: valid_until: \"2027-13-01\" is not a date",
        "line 7: S9000011 rejected: login name already in this file on line 2",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    for login in ["s9000012", "s9000013", "s9000014", "s9000015"] {
        assert!(app
            .state
            .store
            .account_by_login(&crate::helpers::login_name(login))
            .await
            .unwrap()
            .is_none());
    }
    let kept = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s9000011"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.display_name, "Good One");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_reports_and_changes_nothing() {
    let app = spawn_app().await;
    let report = import(&app, &three_people(), true).await.unwrap();
    assert_eq!(
        report.summary(),
        "created 3, updated 0, unchanged 0, rejected 0"
    );
    assert!(report
        .to_text()
        .starts_with("dry run, nothing changed: would have created 3"));
    assert!(app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s9000001"))
        .await
        .unwrap()
        .is_none());
    assert!(app.state.store.account_records().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_part_way_leaves_the_database_as_it_was() {
    let app = spawn_app().await;
    import(&app, &three_people(), false).await.unwrap();
    let before = app.state.store.account_records().await.unwrap();
    refuse_account_insert(&app, "s9000022").await;

    let content = format!(
        "{}s9000021,New One,student,s9000021@example.edu,,,,\n\
         s9000022,New Two,student,s9000022@example.edu,,,,\n",
        three_people().replace("Wong Ka Yan", "Wong Ka-yan")
    );
    let err = import(&app, &content, false).await.unwrap_err();
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(app.state.store.account_records().await.unwrap(), before);
    assert!(app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s9000021"))
        .await
        .unwrap()
        .is_none());
    assert!(app.audit_actions("t9000003").await.len() == 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_with_an_unknown_column_is_refused_whole() {
    let app = spawn_app().await;
    let err = import(
        &app,
        "login,display_name,role,email,shoe_size\ns1,A,student,a@example.edu,44\n",
        false,
    )
    .await
    .unwrap_err();
    assert!(err.contains("shoe_size"), "{err}");
    assert!(app.state.store.account_records().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_import_like_csv() {
    let app = spawn_app().await;
    let content = "{\"login\":\"a9000031\",\"display_name\":\"Ho Wing\",\"role\":\"applicant\",\"email\":\"a9000031@example.edu\",\"valid_until\":\"2027-01-31\"}\n";
    let report = import_as(&app, content, Format::JsonLines, false)
        .await
        .unwrap();
    assert_eq!(report.created(), 1);
    let account = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("a9000031"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::Applicant);
}

/// Makes the insert of one login name fail, as a full disk would.
async fn refuse_account_insert(app: &TestApp, login: &str) {
    let pool = app.pool().await;
    let statements = if app.is_postgres() {
        vec![
            "CREATE FUNCTION refuse_account() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql".to_owned(),
            format!("CREATE TRIGGER refuse_account BEFORE INSERT ON accounts FOR EACH ROW WHEN (NEW.login = '{login}') EXECUTE FUNCTION refuse_account()"),
        ]
    } else {
        vec![format!("CREATE TRIGGER refuse_account BEFORE INSERT ON accounts WHEN NEW.login = '{login}' BEGIN SELECT RAISE(ABORT, 'disk full'); END")]
    };
    for sql in statements {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
}
