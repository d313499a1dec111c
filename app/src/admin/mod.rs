//! The administration console (`/admin`, role admin only): find an
//! account, see its state and history, act on it, read the audit log, and
//! import the institution's records. Every server function here checks the
//! role itself; a refusal is audited.
mod page;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

pub use page::{AdminAccountPage, AdminAuditPage, AdminHomePage, AdminImportPage};

pub use gatehouse_types::admin::{
    AccountDetail, AccountSummary, AdminAction, AuditEntry, AuditQuery, ImportReport,
};
use gatehouse_types::error::AppError;

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
            return Err(AppError::Invalid(vec![
                gatehouse_types::error::FieldError {
                    field: gatehouse_types::error::Field::Confirm,
                    problem: gatehouse_types::error::Problem::Required,
                },
            ]));
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
