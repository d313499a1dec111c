//! What every server function and handler reaches: configuration, storage,
//! hashing, the clock and the mail worker's doorbell.
use std::sync::Arc;

use axum::extract::FromRef;
use gatehouse_policy::Policy;
use leptos::config::LeptosOptions;
use tokio::sync::Notify;

use crate::ssr::clock::Clock;
use crate::ssr::codes::Keys;
use crate::ssr::config::Config;
use crate::ssr::mail::MailTransport;
use crate::ssr::mailbox::DemoMailbox;
use crate::ssr::passwords::PasswordHasher;
use crate::ssr::sms::SmsGateway;
use gatehouse_store::Store;
use gatehouse_types::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub policy: Arc<Policy>,
    pub store: Arc<dyn Store>,
    pub hasher: Arc<PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    /// Rung after a message is queued, so it goes out at once.
    pub mail_wakeup: Arc<Notify>,
    pub mail: Arc<dyn MailTransport>,
    pub sms: Arc<dyn SmsGateway>,
    /// Demo mode only: every message sent, for `/dev/mailbox`.
    pub mailbox: Option<Arc<DemoMailbox>>,
    pub keys: Arc<Keys>,
    pub leptos_options: LeptosOptions,
    /// How long code deliveries took lately (see `SendTimes`).
    pub send_times: Arc<SendTimes>,
    /// The real accounts' shape that decoys copy, with when it was read.
    pub decoys: Arc<tokio::sync::Mutex<Option<(i64, crate::ssr::codes::DecoyModel)>>>,
}

/// How long the last real code deliveries took: every "send code" answer
/// waits as long as the slowest of them (and at least the configured
/// floor), whether or not the name has an account, so a slow transport
/// tells nothing about which names exist.
#[derive(Debug, Default)]
pub struct SendTimes(std::sync::Mutex<std::collections::VecDeque<std::time::Duration>>);

impl SendTimes {
    const KEPT: usize = 32;

    pub fn record(&self, took: std::time::Duration) {
        let mut recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == Self::KEPT {
            recent.pop_front();
        }
        recent.push_back(took);
    }

    /// The slowest recent delivery (zero before any).
    pub fn slowest(&self) -> std::time::Duration {
        let recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().max().copied().unwrap_or_default()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state, as provided to every server function.
pub fn state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Set the response status for an error, unless the request is a plain
/// form post (JavaScript off), which must get its redirect back to the form.
pub fn respond(error: AppError) -> AppError {
    if !is_form_post() {
        if let (Some(options), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status()),
        ) {
            options.set_status(status);
        }
    }
    error
}

/// Whether the request is a plain HTML form post (JavaScript off).
pub fn is_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
        .and_then(|v| v.to_str().map(|s| s.contains("text/html")).ok())
        .unwrap_or(false)
}
