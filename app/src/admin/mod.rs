//! The administration console (`/admin`, role admin only): find an
//! account, see its state and history, act on it, read the audit log, and
//! import the institution's records. Every server function here checks the
//! role itself; a refusal is audited.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};

pub use page::{AdminAccountPage, AdminAuditPage, AdminHomePage, AdminImportPage};

use crate::account::{AccountStatus, Role};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub email: String,
    pub status: AccountStatus,
}

/// One audit event as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub action: String,
    pub outcome: String,
    pub client_addr: String,
    pub user_agent: String,
    pub detail: Option<String>,
}

/// Everything the account page shows; never a password, hash or code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub summary: AccountSummary,
    pub mobile: Option<String>,
    pub alt_email: Option<String>,
    pub language: String,
    pub valid_until: Option<String>,
    /// `valid_until` plus the role's grace.
    pub last_day: Option<String>,
    pub ended: bool,
    pub has_password: bool,
    /// Unix seconds.
    pub password_changed_at: Option<i64>,
    pub password_days_left: Option<i64>,
    pub must_change: bool,
    /// Unix seconds; set while sign-in is locked after failures.
    pub locked_until: Option<i64>,
    pub recent_failures: i64,
    pub sessions: i64,
    pub events: Vec<AuditEntry>,
}

/// What an administrator can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    /// Clears the sign-in failures and lock.
    Unlock,
    Disable,
    Enable,
    /// A password change at the next sign-in.
    RequireChange,
    /// Emails the user the way to set a new password themselves.
    SendReset,
    EndSessions,
    /// For a user who lost every method: clears their security info and
    /// turns 2-step verification off, so they can sign in and enrol again.
    ResetTwoStep,
}

impl AdminAction {
    pub const ALL: [AdminAction; 7] = [
        AdminAction::Unlock,
        AdminAction::Disable,
        AdminAction::Enable,
        AdminAction::RequireChange,
        AdminAction::SendReset,
        AdminAction::EndSessions,
        AdminAction::ResetTwoStep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::Unlock => "unlock",
            AdminAction::Disable => "disable",
            AdminAction::Enable => "enable",
            AdminAction::RequireChange => "require_change",
            AdminAction::SendReset => "send_reset",
            AdminAction::EndSessions => "end_sessions",
            AdminAction::ResetTwoStep => "reset_two_step",
        }
    }
}

/// Audit filters as the audit page's form (and its CSV link) carry them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub action: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
}

#[server(endpoint = "admin_search", client = crate::api::Client)]
pub async fn admin_search(query: String) -> Result<Vec<AccountSummary>, AppError> {
    let search = async {
        let (state, _, _) = service::admin().await?;
        service::search(&state, &query).await
    };
    search.await.map_err(crate::ssr::state::respond)
}

#[server(endpoint = "admin_account", client = crate::api::Client)]
pub async fn admin_account(login: String) -> Result<AccountDetail, AppError> {
    let detail = async {
        let (state, _, _) = service::admin().await?;
        service::detail(&state, &login).await
    };
    detail.await.map_err(crate::ssr::state::respond)
}

/// Acts on an account; `confirm` must be ticked.
#[server(endpoint = "admin_act", client = crate::api::Client)]
pub async fn admin_act(
    login: String,
    action: AdminAction,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let act = async {
        let (state, admin, client) = service::admin().await?;
        if confirm.as_deref() != Some("on") {
            return Err(AppError::Invalid(vec![crate::error::FieldError {
                field: crate::error::Field::Confirm,
                problem: crate::error::Problem::Required,
            }]));
        }
        service::act(&state, &admin, &client, &login, action).await
    };
    act.await.map_err(crate::ssr::state::respond)?;
    leptos_axum::redirect(&format!(
        "/admin/accounts/{}?done={}",
        service::path_segment(&login),
        action.as_str()
    ));
    Ok(())
}

#[server(endpoint = "admin_audit", client = crate::api::Client)]
pub async fn admin_audit(query: AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let audit = async {
        let (state, _, _) = service::admin().await?;
        service::audit(&state, &query).await
    };
    audit.await.map_err(crate::ssr::state::respond)
}

/// Imports an uploaded records file (fields `file` and, for a dry run,
/// `dry_run`); the report is kept and shown on the import page.
#[server(endpoint = "admin_import", input = MultipartFormData, client = crate::api::Client)]
pub async fn admin_import(data: MultipartData) -> Result<(), AppError> {
    let import = async {
        let (state, admin, client) = service::admin().await?;
        service::import_upload(&state, &admin, &client, data).await
    };
    import.await.map_err(crate::ssr::state::respond)?;
    leptos_axum::redirect("/admin/import");
    Ok(())
}

#[server(endpoint = "admin_imports", client = crate::api::Client)]
pub async fn admin_imports() -> Result<Vec<ImportReport>, AppError> {
    let imports = async {
        let (state, _, _) = service::admin().await?;
        service::imports(&state).await
    };
    imports.await.map_err(crate::ssr::state::respond)
}

/// A kept import report: what `gatehouse import` or the upload page did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ImportReport {
    pub at: i64,
    pub actor: String,
    pub dry_run: bool,
    pub summary: String,
    pub report: String,
}
