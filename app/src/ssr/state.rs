//! What every server function and handler reaches: the core services and
//! the Leptos options the pages are rendered with.
use std::ops::{Deref, DerefMut};

use axum::extract::FromRef;
use gatehouse_core::{Core, Error};
use leptos::config::LeptosOptions;

use gatehouse_types::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub leptos_options: LeptosOptions,
}

/// The state reads as the core services it carries: `state.config`,
/// `state.store`, and `&state` where a service takes `&Core`.
impl Deref for AppState {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.core
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

/// The one place a core error becomes the browser's: a refusal as it is; a
/// failure underneath logged once, with its whole cause chain, and answered
/// as `Internal`, which tells nothing of it.
pub fn to_browser(error: Error) -> AppError {
    match error {
        Error::Refused(refusal) => refusal,
        failure @ (Error::Store { .. }
        | Error::Hashing { .. }
        | Error::Failed { .. }
        | Error::Unexpected { .. }) => {
            tracing::error!(error = %failure.chain(), "internal error");
            AppError::Internal
        }
    }
}

/// A server function's error as the browser gets it (see [`to_browser`]),
/// with its response status, unless the request is a plain form post
/// (JavaScript off), which must get its redirect back to the form.
pub fn respond(error: impl Into<Error>) -> AppError {
    let error = to_browser(error.into());
    if !is_form_post() {
        if let (Some(options), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status()),
        ) {
            options.set_status(status);
        }
        if let (AppError::Busy { seconds }, Some(options)) = (
            &error,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        ) {
            options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*seconds));
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
