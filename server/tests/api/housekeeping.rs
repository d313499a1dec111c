//! The periodic clean-up deletes what has expired, twice safely, and keeps
//! the audit log unless a retention is set.
use gatehouse_core::housekeeping::sweep_once;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

impl TestApp {
    async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.pool().await)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_rows_go_and_live_ones_stay() {
    // Arrange: a session, a reset flow with its CAPTCHA used, a ticket-less
    // failure count; then a day passes, and a fresh session starts.
    let app = spawn_app().await;
    let password = app.create_account("s8000001").await;
    app.signed_in("s8000001", &password).await;
    app.create_account("s8000002").await;
    assert_eq!(
        app.start_recovery(&app.client(), "s8000002").await.status(),
        200
    );
    app.post(&app.client(), "recovery_captcha", &[]).await;
    app.sign_in(&app.client(), "s8000001", "Wrong-guess-1")
        .await;
    assert!(app.rows("sessions").await >= 1 && app.rows("throttle").await >= 1);
    app.clock.advance(time::Duration::days(1));
    let fresh = app.signed_in("s8000001", &password).await;

    // Act
    let swept = sweep_once(&app.state).await.unwrap();
    let again = sweep_once(&app.state).await.unwrap();

    // Assert
    assert!(
        swept.sessions >= 1 && swept.flows >= 1 && swept.captchas >= 1,
        "{swept:?}"
    );
    assert!(swept.throttle >= 1, "{swept:?}");
    assert_eq!(again, Default::default(), "a second run finds nothing");
    assert_eq!(
        app.whoami(&fresh).await["login"],
        "s8000001",
        "a live session stays"
    );
    assert_eq!(app.rows("recovery_flows").await, 0);
    assert_eq!(swept.audit, 0);
    assert!(
        app.rows("audit_events").await > 0,
        "the audit log is kept by default"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_events_older_than_the_retention_go_and_no_others() {
    let app = spawn_app_with(|c| c.housekeeping.audit_retention_days = Some(30)).await;
    app.sign_in(&app.client(), "ghost-user", "Wrong-guess-1")
        .await;
    let old = app.rows("audit_events").await;
    app.clock.advance(time::Duration::days(31));
    app.sign_in(&app.client(), "ghost-user", "Wrong-guess-1")
        .await;
    let total = app.rows("audit_events").await;

    let swept = sweep_once(&app.state).await.unwrap();

    assert_eq!(swept.audit as i64, old);
    assert_eq!(app.rows("audit_events").await, total - old);
}
