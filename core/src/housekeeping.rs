//! The periodic clean-up: expired sessions, flows, tickets and CAPTCHA
//! challenges, throttle rows whose window is over, and (only when a
//! retention is set) old audit events.
use std::sync::Arc;
use std::time::Duration;

use crate::Core;
use gatehouse_store::{StoreResult, Sweep, Swept};

/// One clean-up as of the state's clock.
pub async fn sweep_once(state: &Core) -> StoreResult<Swept> {
    let now = state.clock.unix();
    let c = &state.config;
    let idle = i64::from(c.session.idle_minutes) * 60;
    let absolute = i64::from(c.session.absolute_hours) * 3600;
    // The longest window any count is kept for: the sign-in throttle's,
    // or an hour (the message and start quotas).
    let window = (c.throttle.window_minutes as i64)
        .saturating_mul(60)
        .max(3600);
    let sweep = Sweep {
        now,
        sessions_seen_before: now - idle,
        sessions_started_before: now - absolute,
        throttle_before: now - window,
        audit_before: c
            .housekeeping
            .audit_retention_days
            .map(|days| now - i64::from(days) * 86_400),
    };
    state.store.sweep(&sweep).await
}

pub fn spawn(state: Arc<Core>) {
    tokio::spawn(async move {
        let minutes = u64::from(state.config.housekeeping.interval_minutes);
        let mut every = tokio::time::interval(Duration::from_secs(minutes * 60));
        loop {
            every.tick().await;
            match sweep_once(&state).await {
                Ok(swept) => tracing::debug!(?swept, "housekeeping"),
                Err(e) => tracing::warn!("housekeeping: {e}"),
            }
        }
    });
}
