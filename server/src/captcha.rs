//! The CAPTCHA's image and audio over HTTP; the challenges themselves are
//! `gatehouse_core::captcha`.
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use gatehouse_core::captcha::{media, MediaError};
use gatehouse_store::CaptchaMedia;

use app::ssr::AppState;

#[derive(Deserialize)]
pub struct AudioQuery {
    download: Option<String>,
}

/// A media error as the answer: a gone challenge is a 404, the rest is
/// logged once with its cause.
fn refused(error: MediaError) -> Response {
    match error {
        MediaError::Gone => StatusCode::NOT_FOUND.into_response(),
        e => {
            tracing::error!(error = %e, "serving a CAPTCHA failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn served(
    bytes: Vec<u8>,
    content_type: &'static str,
    disposition: Option<&'static str>,
) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            // Opened directly (the links work without JavaScript),
            // the browser's own viewer may show and play it.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'",
            ),
        ],
        bytes,
    )
        .into_response();
    if let Some(value) = disposition {
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            header::HeaderValue::from_static(value),
        );
    }
    response
}

/// `GET /captcha/{id}/image.png`
pub async fn image(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match media(&state, &id, CaptchaMedia::Image).await {
        Ok(bytes) => served(bytes, "image/png", None),
        Err(error) => refused(error),
    }
}

/// `GET /captcha/{id}/audio.wav`, `?download=1` to save it.
pub async fn audio(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AudioQuery>,
) -> Response {
    let disposition = query
        .download
        .is_some()
        .then_some("attachment; filename=\"security-code.wav\"");
    match media(&state, &id, CaptchaMedia::Audio).await {
        Ok(bytes) => served(bytes, "audio/wav", disposition),
        Err(error) => refused(error),
    }
}
