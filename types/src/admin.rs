//! What the administration console and the server exchange.
use serde::{Deserialize, Serialize};

use crate::account::{AccountStatus, Role};

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

/// A kept import report: what `gatehouse import` or the upload page did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub at: i64,
    pub actor: String,
    pub dry_run: bool,
    pub summary: String,
    pub report: String,
}
