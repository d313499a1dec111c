//! The administration console (`/admin`, role admin only): find an
//! account, see its state and history, act on it, read the audit log, and
//! import the institution's records. Every server function here checks the
//! role itself; a refusal is audited.
mod page;

#[cfg(feature = "ssr")]
use gatehouse_core::admin;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

pub use page::{AdminAccountPage, AdminAuditPage, AdminHomePage, AdminImportPage};

pub use gatehouse_types::admin::{
    AccountDetail, AccountSummary, AdminAction, AuditEntry, AuditQuery, ImportReport,
};
use gatehouse_types::error::AppError;

/// The signed-in administrator of the request, or a refusal: 401 for
/// nobody signed in, 403 (audited) for any other role.
#[cfg(feature = "ssr")]
async fn administrator() -> gatehouse_core::Result<(
    crate::ssr::AppState,
    gatehouse_store::Account,
    gatehouse_store::ClientInfo,
)> {
    use crate::ssr::{browser, state};

    use gatehouse_core::sessions;
    let state = state()?;
    let browser = browser::of_request(&state).await;
    let (_, account) = sessions::require(&state, &browser, false).await?;
    let account = admin::authorize(&state, account, &browser.client).await?;
    Ok((state, account, browser.client))
}

/// The uploaded records file, read whole; a stream that breaks off is
/// refused whole, so nothing of what arrived is imported.
#[cfg(feature = "ssr")]
async fn upload(data: MultipartData) -> Result<admin::Upload, AppError> {
    let mut data = data.into_inner().ok_or(AppError::BadRequest)?;
    let mut upload = admin::Upload {
        name: String::new(),
        content: Vec::new(),
        dry_run: false,
    };
    while let Some(mut field) = data.next_field().await.map_err(|_| AppError::BadRequest)? {
        match field.name().unwrap_or_default() {
            "file" => {
                upload.name = field.file_name().unwrap_or_default().to_owned();
                while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                    if upload.content.len() + chunk.len() > admin::MAX_UPLOAD {
                        return Err(AppError::TooLarge);
                    }
                    upload.content.extend_from_slice(&chunk);
                }
            }
            "dry_run" => upload.dry_run = true,
            _ => {}
        }
    }
    Ok(upload)
}

#[server(endpoint = "admin_search", client = crate::api::Client)]
pub async fn admin_search(query: String) -> Result<Vec<AccountSummary>, AppError> {
    let search = async {
        let (state, _, _) = administrator().await?;
        admin::search(&state, &query).await
    };
    search.await.map_err(crate::ssr::state::respond)
}

#[server(endpoint = "admin_account", client = crate::api::Client)]
pub async fn admin_account(login: String) -> Result<AccountDetail, AppError> {
    let detail = async {
        let (state, _, _) = administrator().await?;
        admin::detail(&state, &login).await
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
        let (state, actor, client) = administrator().await?;
        if confirm.as_deref() != Some("on") {
            return Err(AppError::Invalid(vec![gatehouse_types::error::FieldError {
                field: gatehouse_types::error::Field::Confirm,
                problem: gatehouse_types::error::Problem::Required,
            }])
            .into());
        }
        admin::act(&state, &actor, &client, &login, action).await
    };
    act.await.map_err(crate::ssr::state::respond)?;
    leptos_axum::redirect(&format!(
        "/admin/accounts/{}?done={}",
        admin::path_segment(&login),
        action.as_str()
    ));
    Ok(())
}

#[server(endpoint = "admin_audit", client = crate::api::Client)]
pub async fn admin_audit(query: AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let audit = async {
        let (state, _, _) = administrator().await?;
        admin::audit(&state, &query).await
    };
    audit.await.map_err(crate::ssr::state::respond)
}

/// Imports an uploaded records file (fields `file` and, for a dry run,
/// `dry_run`); the report is kept and shown on the import page.
#[server(endpoint = "admin_import", input = MultipartFormData, client = crate::api::Client)]
pub async fn admin_import(data: MultipartData) -> Result<(), AppError> {
    let import = async {
        let (state, actor, client) = administrator().await?;
        let upload = upload(data).await?;
        admin::import_upload(&state, &actor, &client, upload).await
    };
    import.await.map_err(crate::ssr::state::respond)?;
    leptos_axum::redirect("/admin/import");
    Ok(())
}

#[server(endpoint = "admin_imports", client = crate::api::Client)]
pub async fn admin_imports() -> Result<Vec<ImportReport>, AppError> {
    let imports = async {
        let (state, _, _) = administrator().await?;
        admin::imports(&state).await
    };
    imports.await.map_err(crate::ssr::state::respond)
}
