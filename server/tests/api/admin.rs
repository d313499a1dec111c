//! The administration console's server functions: admin only (refusals
//! audited), each action's effect with its audit event and notice, the
//! audit log's filters and CSV export, and the records upload.
use server::accounts::{self, AccountInput};

use crate::helpers::{error_of, spawn_app, TestApp};

const NEW: &str = "Harbour7Lights";

impl TestApp {
    /// A signed-in account of `role` whose initial password is already
    /// changed to `NEW`.
    pub(crate) async fn newcomer(&self, login: &str, role: &str) -> reqwest::Client {
        let initial = accounts::create(
            &self.state,
            AccountInput {
                login: login.into(),
                name: "Chan Tai Man".into(),
                role: role.into(),
                email: format!("{login}@example.edu"),
                mobile: None,
                first_time: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
        let client = self.signed_in(login, &initial).await;
        let changed = self.change_password(&client, &initial, NEW, NEW).await;
        assert_eq!(changed.status(), 200);
        client
    }

    pub(crate) async fn admin(&self, login: &str) -> reqwest::Client {
        self.newcomer(login, "admin").await
    }

    async fn student(&self, login: &str) -> reqwest::Client {
        self.newcomer(login, "student").await
    }

    async fn act(&self, admin: &reqwest::Client, login: &str, action: &str) -> reqwest::Response {
        self.post(
            admin,
            "admin_act",
            &[("login", login), ("action", action), ("confirm", "on")],
        )
        .await
    }

    async fn csv(&self, client: &reqwest::Client, query: &str) -> reqwest::Response {
        client
            .get(format!("{}/admin/audit.csv?{query}", self.address))
            .send()
            .await
            .unwrap()
    }
}

fn upload(content: &str, dry_run: bool) -> reqwest::multipart::Form {
    let file = reqwest::multipart::Part::text(content.to_owned())
        .file_name("records.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", file);
    if dry_run {
        form.text("dry_run", "on")
    } else {
        form
    }
}

async fn post_upload(
    app: &TestApp,
    client: &reqwest::Client,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    client
        .post(format!("{}/api/admin_import", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_function_refuses_anyone_but_an_administrator() {
    let app = spawn_app().await;
    let student = app.student("s5000001").await;
    let calls: [(&str, &[(&str, &str)]); 5] = [
        ("admin_search", &[("query", "s")]),
        ("admin_account", &[("login", "s5000001")]),
        (
            "admin_act",
            &[
                ("login", "s5000001"),
                ("action", "disable"),
                ("confirm", "on"),
            ],
        ),
        ("admin_audit", &[("query[account]", "")]),
        ("admin_imports", &[]),
    ];
    for (endpoint, form) in calls {
        let response = app.post(&student, endpoint, form).await;
        assert_eq!(response.status(), 403, "{endpoint}");
        assert_eq!(
            error_of(response).await,
            serde_json::json!("Forbidden"),
            "{endpoint}"
        );
        let anonymous = app.post(&app.client(), endpoint, form).await;
        assert_eq!(anonymous.status(), 401, "{endpoint}");
    }
    let upload = post_upload(
        &app,
        &student,
        upload("login,display_name,role,email\n", false),
    )
    .await;
    assert_eq!(upload.status(), 403);
    assert_eq!(app.csv(&student, "").await.status(), 403);
    assert_eq!(app.csv(&app.client(), "").await.status(), 401);

    let denied = app
        .audit_actions("s5000001")
        .await
        .into_iter()
        .filter(|a| a == &("admin.denied".to_owned(), "refused".to_owned()))
        .count();
    assert_eq!(denied, 7);
    // Nothing was done to the account.
    let account = app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s5000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.status,
        gatehouse_types::account::AccountStatus::Active
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_finds_accounts_by_login_name_or_email() {
    let app = spawn_app().await;
    let admin = app.admin("a5000010").await;
    app.create_account("s5000011").await;
    app.create_account("s5000012").await;
    let found: serde_json::Value = app
        .post(&admin, "admin_search", &[("query", "S500001")])
        .await
        .json()
        .await
        .unwrap();
    let logins: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["s5000011", "s5000012"]);
    let found: serde_json::Value = app
        .post(&admin, "admin_search", &[("query", "s5000012@example")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    // A LIKE wildcard is matched literally.
    let found: serde_json::Value = app
        .post(&admin, "admin_search", &[("query", "%")])
        .await
        .json()
        .await
        .unwrap();
    assert!(found.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn each_action_takes_effect_is_audited_and_told_to_the_user() {
    let app = spawn_app().await;
    let admin = app.admin("a5000020").await;
    let user = app.student("s5000021").await;
    let email = "s5000021@example.edu";

    // Without the confirmation nothing happens.
    let unconfirmed = app
        .post(
            &admin,
            "admin_act",
            &[("login", "s5000021"), ("action", "disable")],
        )
        .await;
    assert_eq!(unconfirmed.status(), 422);
    assert_eq!(app.whoami(&user).await["login"], "s5000021");

    // End all sessions.
    assert_eq!(
        app.act(&admin, "s5000021", "end_sessions").await.status(),
        200
    );
    assert_eq!(app.whoami(&user).await, serde_json::Value::Null);

    // Disable, then enable.
    assert_eq!(app.act(&admin, "s5000021", "disable").await.status(), 200);
    assert_eq!(
        app.sign_in(&app.client(), "s5000021", NEW).await.status(),
        401
    );
    assert_eq!(app.act(&admin, "s5000021", "enable").await.status(), 200);
    let user = app.signed_in("s5000021", NEW).await;

    // Require a change: sessions end, the next sign-in must change.
    assert_eq!(
        app.act(&admin, "s5000021", "require_change").await.status(),
        200
    );
    assert_eq!(app.whoami(&user).await, serde_json::Value::Null);
    let user = app.signed_in("s5000021", NEW).await;
    assert_eq!(app.whoami(&user).await["must_change"], true);
    assert_eq!(
        app.change_password(&user, NEW, "Lantern8Harbour", "Lantern8Harbour")
            .await
            .status(),
        200
    );

    // Locked by failures, then unlocked.
    for _ in 0..10 {
        app.sign_in(&app.client(), "s5000021", "Wrong-password-1")
            .await;
    }
    assert_eq!(
        app.sign_in(&app.client(), "s5000021", "Lantern8Harbour")
            .await
            .status(),
        429
    );
    let detail: serde_json::Value = app
        .post(&admin, "admin_account", &[("login", "s5000021")])
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["locked_until"].is_number(), "{detail}");
    assert!(
        detail.to_string().find("argon2").is_none(),
        "no hash in the detail"
    );
    assert_eq!(app.act(&admin, "s5000021", "unlock").await.status(), 200);
    assert_eq!(
        app.sign_in(&app.client(), "s5000021", "Lantern8Harbour")
            .await
            .status(),
        200
    );

    // Send a set-password invitation: a link to the forgot-password page,
    // never a password.
    assert_eq!(
        app.act(&admin, "s5000021", "send_reset").await.status(),
        200
    );

    let delivered = app.delivered_to(email, 7).await;
    let subjects: Vec<String> = delivered.iter().map(|m| m.subject.clone()).collect();
    for expected in ["changed by an administrator", "Set a new password"] {
        assert!(
            subjects.iter().any(|s| s.contains(expected)),
            "{expected}: {subjects:?}"
        );
    }
    let invitation = delivered
        .iter()
        .find(|m| m.subject.contains("Set a new password"))
        .unwrap();
    assert!(invitation.text.contains("/forgot-password"));

    let details: Vec<String> = app
        .state
        .store
        .audit_events("s5000021", 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, e)| e.action.as_str() == "admin.action")
        .map(|(_, e)| format!("{} {}", e.actor.unwrap(), e.detail.unwrap()))
        .collect();
    for action in [
        "end_sessions",
        "disable",
        "enable",
        "require_change",
        "unlock",
        "send_reset",
    ] {
        assert!(
            details.contains(&format!("a5000020 {action}")),
            "{action}: {details:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_filters_by_account_action_and_date_and_exports_csv() {
    let app = spawn_app().await;
    app.admin("a5000030").await;
    app.student("s5000031").await;
    app.sign_in(&app.client(), "s5000031", "Wrong-password-1")
        .await;
    app.clock.advance(time::Duration::days(2));
    app.sign_in(&app.client(), "s5000031", NEW).await;
    let admin = app.signed_in("a5000030", NEW).await;

    let events = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let admin = &admin;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let text = app
                .post(admin, "admin_audit", &form)
                .await
                .text()
                .await
                .unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            value.as_array().unwrap_or_else(|| panic!("{text}")).clone()
        }
    };
    let all = events(vec![("query[account]", "S5000031".into())]).await;
    assert!(all.len() >= 4, "{all:?}");
    assert!(all.iter().all(|e| e["subject"] == "s5000031"));
    let sign_ins = events(vec![
        ("query[account]", "s5000031".into()),
        ("query[action]", "sign_in".into()),
    ])
    .await;
    assert_eq!(sign_ins.len(), 3, "{sign_ins:?}");
    // The day of the clock's start only: one success, one failure.
    let first_day = events(vec![
        ("query[action]", "sign_in".into()),
        ("query[account]", "s5000031".into()),
        ("query[from]", "2026-11-22".into()),
        ("query[to]", "2026-11-22".into()),
    ])
    .await;
    assert_eq!(first_day.len(), 2, "{first_day:?}");
    let bad_date = app
        .post(&admin, "admin_audit", &[("query[from]", "yesterday")])
        .await;
    assert_eq!(bad_date.status(), 400);

    let csv = app.csv(&admin, "account=s5000031&action=sign_in").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "time_utc,actor,subject,action,outcome,client_address,user_agent,detail"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains(",s5000031,sign_in,")),
        "{text}"
    );
    assert!(!text.contains(NEW));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_file_is_imported_and_its_report_kept() {
    let app = spawn_app().await;
    let admin = app.admin("a5000040").await;
    let content = "login,display_name,role,email\ns5000041,Chan Tai Man,student,s5000041@example.edu\ns5000042,Bad,wizard,x@example.edu\n";
    let dry = post_upload(&app, &admin, upload(content, true)).await;
    assert_eq!(dry.status(), 200);
    assert!(app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s5000041"))
        .await
        .unwrap()
        .is_none());
    let real = post_upload(&app, &admin, upload(content, false)).await;
    assert_eq!(real.status(), 200);
    assert!(app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s5000041"))
        .await
        .unwrap()
        .is_some());

    let reports: serde_json::Value = app
        .post(&admin, "admin_imports", &[])
        .await
        .json()
        .await
        .unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(
        reports[0]["summary"],
        "created 1, updated 0, unchanged 0, rejected 1"
    );
    assert_eq!(reports[0]["dry_run"], false);
    assert!(reports[0]["report"]
        .as_str()
        .unwrap()
        .contains("line 3: s5000042 rejected: role:"));
    assert_eq!(reports[1]["dry_run"], true);
    let actions = app.audit_actions("s5000041").await;
    assert_eq!(
        actions,
        [("account.created".to_owned(), "success".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_export_never_hands_a_spreadsheet_a_formula() {
    // Arrange: a failed sign-in under a login name that is a formula.
    let app = spawn_app().await;
    let admin = app.admin("a9000040").await;
    let formula = "=HYPERLINK(\"http://evil.example/\",\"x\")";
    app.sign_in(&app.client(), formula, "Wrong-guess-1").await;
    app.sign_in(&app.client(), "+cmd|' /C calc'!A0", "Wrong-guess-1")
        .await;

    // Act
    let csv = app.csv(&admin, "").await.text().await.unwrap();

    // Assert: each such cell starts with a quote, nothing with = + - @.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(cells.iter().any(|c| c == &format!("'{formula}")), "{csv}");
    assert!(
        cells
            .iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_cut_off_half_way_imports_nothing() {
    // Arrange: a records file whose multipart stream stops before its end
    // (no closing boundary), as a dropped connection leaves it.
    let app = spawn_app().await;
    let admin = app.admin("a5000043").await;
    let body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"records.csv\"\r\n\
                Content-Type: text/csv\r\n\r\nlogin,display_name,role,email\r\n\
                s5000044,Chan Tai Man,student,s5000044@example.edu\r\n";

    // Act
    let response = admin
        .post(format!("{}/api/admin_import", app.address))
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap();

    // Assert: refused, no account, no report kept.
    assert_eq!(response.status(), 400);
    assert!(app
        .state
        .store
        .account_by_login(&crate::helpers::login_name("s5000044"))
        .await
        .unwrap()
        .is_none());
    let reports: serde_json::Value = app
        .post(&admin, "admin_imports", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 0);
}
