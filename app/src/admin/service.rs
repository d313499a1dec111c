//! What the console's server functions do, behind the role check.
use leptos::server_fn::codec::MultipartData;
use time::macros::format_description;

use super::{AccountDetail, AccountSummary, AdminAction, AuditEntry, AuditQuery, ImportReport};
use crate::account::{AccountStatus, Role};
use crate::ssr::records::{self, Format, Importer};
use crate::ssr::sessions::{self, internal};
use crate::ssr::throttle::login_key;
use crate::ssr::{lifecycle, notices, state, AppState};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, AdminChange, AuditFilter};
use gatehouse_types::error::AppError;
use gatehouse_types::LoginName;

/// Accounts a search shows at most.
const SEARCH_LIMIT: i64 = 50;
/// Audit events a page (and an export) holds at most.
pub const AUDIT_LIMIT: i64 = 1000;
/// The largest records file the upload page takes.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// The signed-in administrator, or a refusal: 401 for nobody signed in,
/// 403 (audited) for any other role.
pub async fn admin() -> Result<(AppState, Account, ClientInfo), AppError> {
    let state = state()?;
    let client = crate::ssr::request::current_client(&state.config).await;
    let (_, account) = sessions::require(&state, false).await?;
    authorize(&state, account, client).await
}

/// Lets an administrator through; audits and refuses anyone else.
pub async fn authorize(
    state: &AppState,
    account: Account,
    client: ClientInfo,
) -> Result<(AppState, Account, ClientInfo), AppError> {
    if account.role == Role::Admin {
        return Ok((state.clone(), account, client));
    }
    let event = AuditEvent::by_user(
        &account.login,
        Action::AdminDenied,
        Outcome::Refused,
        &client,
    );
    state
        .store
        .record_audit(&event, state.clock.unix())
        .await
        .map_err(internal)?;
    Err(AppError::Forbidden)
}

fn summary(account: &Account) -> AccountSummary {
    AccountSummary {
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        role: account.role,
        email: account.email.clone(),
        status: account.status,
    }
}

pub async fn search(state: &AppState, query: &str) -> Result<Vec<AccountSummary>, AppError> {
    if query.trim().is_empty() {
        return Ok(vec![]);
    }
    let found = state
        .store
        .search_accounts(query, SEARCH_LIMIT)
        .await
        .map_err(internal)?;
    Ok(found.iter().map(summary).collect())
}

async fn account(state: &AppState, login: &str) -> Result<Account, AppError> {
    state
        .store
        .account_by_login(&LoginName::parse(login).map_err(|_| AppError::NotFound)?)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

fn entry((at, e): (i64, AuditEvent)) -> AuditEntry {
    AuditEntry {
        at,
        actor: e.actor,
        subject: e.subject,
        action: e.action.as_str().to_owned(),
        outcome: e.outcome.as_str().to_owned(),
        client_addr: e.client_addr,
        user_agent: e.user_agent,
        detail: e.detail,
    }
}

pub async fn detail(state: &AppState, login: &str) -> Result<AccountDetail, AppError> {
    let account = account(state, login).await?;
    let store = state.store.as_ref();
    let throttle = store
        .throttle_state(&login_key(&account.login))
        .await
        .map_err(internal)?;
    let now = state.clock.unix();
    let events = store
        .audit_events(&account.login, 20)
        .await
        .map_err(internal)?;
    Ok(AccountDetail {
        summary: summary(&account),
        mobile: account.mobile.clone(),
        alt_email: account.alt_email.clone(),
        language: account.language.clone(),
        valid_until: account.valid_until.clone(),
        last_day: lifecycle::last_day(&state.config, &account).map(|d| d.to_string()),
        ended: lifecycle::ended(state, &account),
        has_password: account.password_hash.is_some(),
        password_changed_at: account.password_changed_at,
        password_days_left: lifecycle::password_days_left(state, &account),
        must_change: sessions::must_change(state, &account),
        locked_until: throttle
            .as_ref()
            .map(|t| t.locked_until)
            .filter(|until| *until > now),
        recent_failures: throttle.map_or(0, |t| t.failures),
        sessions: store.count_sessions(account.id).await.map_err(internal)?,
        events: events.into_iter().map(entry).collect(),
    })
}

pub async fn act(
    state: &AppState,
    admin: &Account,
    client: &ClientInfo,
    login: &str,
    action: AdminAction,
) -> Result<(), AppError> {
    let account = account(state, login).await?;
    let key = login_key(&account.login);
    let audit = AuditEvent {
        actor: Some(admin.login.clone()),
        subject: Some(account.login.clone()),
        action: Action::Admin,
        outcome: Outcome::Success,
        client_addr: client.addr.clone(),
        user_agent: client.user_agent.clone(),
        detail: Some(action.as_str().to_owned()),
    };
    if action == AdminAction::ResetTwoStep {
        return crate::security_info::service::reset_by_admin(state, &account, &audit).await;
    }
    let notice = match action {
        AdminAction::Unlock => None,
        AdminAction::SendReset => Some(notices::reset_invitation(&state.core, &account)),
        _ => Some(notices::admin_action(
            &state.core,
            &account,
            action.as_str(),
        )),
    };
    let change = AdminChange {
        account_id: account.id,
        status: match action {
            AdminAction::Disable => Some(AccountStatus::Disabled),
            AdminAction::Enable => Some(AccountStatus::Active),
            _ => None,
        },
        must_change: action == AdminAction::RequireChange,
        // A disabled account keeps no session; nor does one told to change.
        end_sessions: matches!(
            action,
            AdminAction::EndSessions | AdminAction::Disable | AdminAction::RequireChange
        ),
        clear_throttle: (action == AdminAction::Unlock).then_some(key.as_str()),
        notice: notice.as_ref(),
        audit: &audit,
        now: state.clock.unix(),
    };
    state
        .store
        .apply_admin_action(&change)
        .await
        .map_err(internal)?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// `YYYY-MM-DD` as the unix second its day starts (UTC), the next day's
/// with `next`.
fn day_start(text: &str, next: bool) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = time::Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| AppError::BadRequest)?;
    let day = if next {
        day.next_day().unwrap_or(day)
    } else {
        day
    };
    Ok(Some(day.midnight().assume_utc().unix_timestamp()))
}

pub fn filter(query: &AuditQuery) -> Result<AuditFilter, AppError> {
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(AuditFilter {
        subject: some(&query.account),
        action: some(&query.action),
        from: day_start(&query.from, false)?,
        until: day_start(&query.to, true)?,
    })
}

pub async fn audit(state: &AppState, query: &AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let rows = state
        .store
        .audit_query(&filter(query)?, AUDIT_LIMIT)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(entry).collect())
}

/// The audit events as CSV, one line per event, newest first.
pub fn audit_csv(entries: &[AuditEntry]) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "time_utc",
        "actor",
        "subject",
        "action",
        "outcome",
        "client_address",
        "user_agent",
        "detail",
    ];
    out.write_record(header).map_err(internal)?;
    for e in entries {
        let at = time::OffsetDateTime::from_unix_timestamp(e.at)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let cells = [
            at.as_str(),
            e.actor.as_deref().unwrap_or_default(),
            e.subject.as_deref().unwrap_or_default(),
            &e.action,
            &e.outcome,
            &e.client_addr,
            &e.user_agent,
            e.detail.as_deref().unwrap_or_default(),
        ];
        out.write_record(cells.map(|c| inert_cell(c).into_owned()))
            .map_err(internal)?;
    }
    let bytes = out.into_inner().map_err(internal)?;
    String::from_utf8(bytes).map_err(internal)
}

/// A cell a spreadsheet will not run as a formula (OWASP, CSV injection):
/// anyone can type `=HYPERLINK(…)` as a login name that then lands in the
/// log, so a cell starting with `= + - @`, a tab or a carriage return gets
/// a leading `'`.
fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

pub async fn import_upload(
    state: &AppState,
    admin: &Account,
    client: &ClientInfo,
    data: MultipartData,
) -> Result<(), AppError> {
    let mut data = data.into_inner().ok_or(AppError::BadRequest)?;
    let (mut content, mut name, mut dry_run) = (Vec::new(), String::new(), false);
    // A stream that breaks off is refused whole: nothing of what arrived is
    // imported.
    while let Some(mut field) = data.next_field().await.map_err(|_| AppError::BadRequest)? {
        match field.name().unwrap_or_default() {
            "file" => {
                name = field.file_name().unwrap_or_default().to_owned();
                while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                    if content.len() + chunk.len() > MAX_UPLOAD {
                        return Err(AppError::TooLarge);
                    }
                    content.extend_from_slice(&chunk);
                }
            }
            "dry_run" => dry_run = true,
            _ => {}
        }
    }
    let by = Importer {
        actor: &admin.login,
        client,
    };
    let (summary, report) = match String::from_utf8(content) {
        Err(_) => (
            "refused".to_owned(),
            "the file is not UTF-8 text".to_owned(),
        ),
        Ok(text) if text.trim().is_empty() => (
            "refused".to_owned(),
            "no file, or an empty one, was uploaded".to_owned(),
        ),
        Ok(text) => match records::import(state, &text, Format::of(&name), dry_run, &by).await {
            Ok(report) => (report.summary(), report.to_text()),
            Err(why) => ("refused".to_owned(), why),
        },
    };
    state
        .store
        .record_import_report(&ImportReport {
            at: state.clock.unix(),
            actor: admin.login.clone(),
            dry_run,
            summary,
            report,
        })
        .await
        .map_err(internal)
}

pub async fn imports(state: &AppState) -> Result<Vec<ImportReport>, AppError> {
    state.store.import_reports(10).await.map_err(internal)
}

/// A login name as one path segment (login names are letters, digits and
/// `._-`, so nothing needs escaping; anything else is dropped).
pub fn path_segment(login: &str) -> String {
    login
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect()
}

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
        let client = crate::ssr::request::client_info(&state.config, &headers, Some(socket));
        let token = sessions::token_from_headers(&headers, &state.config.session_cookie_name())
            .ok_or(AppError::Unauthenticated)?;
        let (_, account) = sessions::live(&state, &token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if sessions::must_change(&state, &account) {
            return Err(AppError::PasswordChangeRequired);
        }
        let (state, _, _) = authorize(&state, account, client).await?;
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
