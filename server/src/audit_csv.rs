//! The audit log as a CSV download, beside the audit page of the console.
use app::ssr::request::client_info;
use app::ssr::sessions;
use app::ssr::AppState;
use gatehouse_core::admin::{audit, audit_csv, authorize};
use gatehouse_types::admin::AuditQuery;
use gatehouse_types::error::AppError;

/// `GET /admin/audit.csv?account=&action=&from=&to=`: the audit page's
/// events as a CSV download, for administrators only (others: 401 or an
/// audited 403).
pub async fn audit_csv_download(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::ConnectInfo(socket): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let answer = async {
        let client = client_info(&state.config, &headers, Some(socket));
        let token = sessions::token_from_headers(&headers, &state.config.session_cookie_name())
            .ok_or(AppError::Unauthenticated)?;
        let (_, account) = sessions::live(&state, &token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if sessions::must_change(&state, &account) {
            return Err(AppError::PasswordChangeRequired);
        }
        authorize(&state, account, &client).await?;
        audit_csv(&audit(&state, &query).await?)
    };
    match answer.await {
        Ok(csv) => (
            [
                (http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"gatehouse-audit.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => (
            http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::FORBIDDEN),
            e.to_string(),
        )
            .into_response(),
    }
}
