//! Server-function requests the app cannot read are the client's error,
//! never the server's: each body is bounded before anything reads it, and
//! a refusal made before a server function ran (a missing field, a JSON
//! body sent as a form, a repeated field) answers with its own 4xx status.
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_types::error::AppError;
use http::header::{self, HeaderValue};
use http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// What any server function accepts: a form or a JSON object of a few
/// fields is far below this.
pub const BODY_LIMIT: usize = 64 * 1024;
/// The records upload (`/api/admin_import`): 50,000 rows are about 4 MiB.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;
const UPLOAD_PATH: &str = "/api/admin_import";
/// Error answers are one small JSON value.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub async fn server_fn_bodies(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/api/") {
        return next.run(request).await;
    }
    let limit = if path == UPLOAD_PATH {
        UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return refusal(&path, AppError::TooLarge);
    }
    // server_fn's multipart decoder panics on a body it has no boundary
    // for: that is refused here instead.
    if path == UPLOAD_PATH {
        let boundary = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(multer::parse_boundary);
        if !matches!(boundary, Some(Ok(_))) {
            return refusal(&path, AppError::BadRequest);
        }
    }
    // Read whole (and bounded) first, so a body cut off or over the limit
    // is refused before any server function acts on part of it.
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refusal(&path, AppError::TooLarge)
        }
        Err(_) => return refusal(&path, AppError::BadRequest),
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    with_error_status(response).await
}

/// server_fn answers every error it raises itself (arguments it could not
/// decode) with 500; the error's own status is the right one.
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = Limited::new(body, ERROR_BODY_LIMIT).collect().await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, parts.headers).into_response();
    };
    let bytes: Bytes = collected.to_bytes();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn refusal(path: &str, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(path) = HeaderValue::from_str(path) {
        headers.insert(SERVER_FN_ERROR_HEADER, path);
    }
    response
}
