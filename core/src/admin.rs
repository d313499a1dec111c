//! What the console's server functions do, behind the role check.
use crate::error::{Context, Error, Result};
use time::macros::format_description;

use crate::records::{self, Format, Importer};
use crate::sessions;
use crate::throttle::login_key;
use crate::{lifecycle, notices, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, AdminChange, AuditFilter};
use gatehouse_types::account::{AccountStatus, Role};
use gatehouse_types::admin::{
    AccountDetail, AccountSummary, AdminAction, AuditEntry, AuditQuery, ImportReport,
};
use gatehouse_types::error::AppError;
use gatehouse_types::LoginName;

/// Accounts a search shows at most.
const SEARCH_LIMIT: i64 = 50;
/// Audit events a page (and an export) holds at most.
pub const AUDIT_LIMIT: i64 = 1000;
/// The largest records file the upload page takes.
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// Lets an administrator through; audits and refuses anyone else.
pub async fn authorize(state: &Core, account: Account, client: &ClientInfo) -> Result<Account> {
    if account.role == Role::Admin {
        return Ok(account);
    }
    let event = AuditEvent::by_user(
        &account.login,
        Action::AdminDenied,
        Outcome::Refused,
        client,
    );
    state.store.record_audit(&event, state.clock.unix()).await?;
    Err(AppError::Forbidden.into())
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

pub async fn search(state: &Core, query: &str) -> Result<Vec<AccountSummary>> {
    if query.trim().is_empty() {
        return Ok(vec![]);
    }
    let found = state.store.search_accounts(query, SEARCH_LIMIT).await?;
    Ok(found.iter().map(summary).collect())
}

async fn account(state: &Core, login: &str) -> Result<Account> {
    state
        .store
        .account_by_login(&LoginName::parse(login).map_err(|_| AppError::NotFound)?)
        .await?
        .ok_or(AppError::NotFound.into())
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

pub async fn detail(state: &Core, login: &str) -> Result<AccountDetail> {
    let account = account(state, login).await?;
    let store = state.store.as_ref();
    let throttle = store.throttle_state(&login_key(&account.login)).await?;
    let now = state.clock.unix();
    let events = store.audit_events(&account.login, 20).await?;
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
        sessions: store.count_sessions(account.id).await?,
        events: events.into_iter().map(entry).collect(),
    })
}

pub async fn act(
    state: &Core,
    admin: &Account,
    client: &ClientInfo,
    login: &str,
    action: AdminAction,
) -> Result<()> {
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
        return crate::security_info::reset_by_admin(state, client, &account, &audit).await;
    }
    let notice = match action {
        AdminAction::Unlock => None,
        AdminAction::SendReset => Some(notices::reset_invitation(state, &account)),
        _ => Some(notices::admin_action(state, &account, action.as_str())),
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
    state.store.apply_admin_action(&change).await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// `YYYY-MM-DD` as the unix second its day starts (UTC), the next day's
/// with `next`.
fn day_start(text: &str, next: bool) -> Result<Option<i64>> {
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

pub fn filter(query: &AuditQuery) -> Result<AuditFilter> {
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(AuditFilter {
        subject: some(&query.account),
        action: some(&query.action),
        from: day_start(&query.from, false)?,
        until: day_start(&query.to, true)?,
    })
}

pub async fn audit(state: &Core, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let rows = state
        .store
        .audit_query(&filter(query)?, AUDIT_LIMIT)
        .await?;
    Ok(rows.into_iter().map(entry).collect())
}

/// The audit events as CSV, one line per event, newest first.
pub fn audit_csv(entries: &[AuditEntry]) -> Result<String> {
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
    out.write_record(header).context("writing the audit CSV")?;
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
            .context("writing the audit CSV")?;
    }
    let bytes = out.into_inner().context("writing the audit CSV")?;
    String::from_utf8(bytes).map_err(|_| Error::unexpected("the audit CSV is not UTF-8"))
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

/// A records file as uploaded: its name (which tells the format), its
/// bytes (at most [`MAX_UPLOAD`]) and whether only a dry run is asked.
pub struct Upload {
    pub name: String,
    pub content: Vec<u8>,
    pub dry_run: bool,
}

pub async fn import_upload(
    state: &Core,
    admin: &Account,
    client: &ClientInfo,
    upload: Upload,
) -> Result<()> {
    let Upload {
        name,
        content,
        dry_run,
    } = upload;
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
    Ok(state
        .store
        .record_import_report(&ImportReport {
            at: state.clock.unix(),
            actor: admin.login.clone(),
            dry_run,
            summary,
            report,
        })
        .await?)
}

pub async fn imports(state: &Core) -> Result<Vec<ImportReport>> {
    Ok(state.store.import_reports(10).await?)
}

/// A login name as one path segment (login names are letters, digits and
/// `._-`, so nothing needs escaping; anything else is dropped).
pub fn path_segment(login: &str) -> String {
    login
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect()
}
