//! `GET /admin/audit.csv`: the audit log as a CSV download, for the
//! console's audit page to link to.
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};
use std::net::SocketAddr;

use app::ssr::browser;
use app::ssr::state::to_browser;
use app::ssr::AppState;
use gatehouse_core::admin::{audit, audit_csv, authorize};
use gatehouse_core::sessions;
use gatehouse_core::Cookie;
use gatehouse_types::admin::AuditQuery;
use gatehouse_types::error::AppError;

/// `GET /admin/audit.csv?account=&action=&from=&to=`: the audit page's
/// events as a CSV download, for administrators only (others: 401 or an
/// audited 403).
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(socket): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Response {
    let browser = browser::of(&state.config, &headers, Some(socket));
    let answer = async {
        let token = browser
            .token(Cookie::Session)
            .ok_or(AppError::Unauthenticated)?;
        let (_, account) = sessions::live(&state, &token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if sessions::must_change(&state, &account) {
            return Err(AppError::PasswordChangeRequired.into());
        }
        authorize(&state, account, &browser.client).await?;
        audit_csv(&audit(&state, &query).await?)
    };
    match answer.await.map_err(to_browser) {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"gatehouse-audit.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN),
            e.to_string(),
        )
            .into_response(),
    }
}
