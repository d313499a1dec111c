//! The data layer behind one interface, so another database can serve the
//! same flows without them knowing.
mod postgres;
mod sqlite;

use async_trait::async_trait;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::account::{AccountStatus, Role};
pub use crate::admin::ImportReport;
use crate::ssr::audit::AuditEvent;
use crate::ssr::mail::OutgoingMail;
use crate::ssr::throttle::{ThrottleRule, ThrottleState};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("that login name is already taken")]
    Duplicate,
    /// The row changed since it was read (another request got there first).
    #[error("the record changed meanwhile")]
    Conflict,
    #[error("a database error occurred")]
    Database(#[from] sqlx::Error),
    #[error("a database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub email: String,
    pub alt_email: Option<String>,
    pub mobile: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: AccountStatus,
    pub valid_until: Option<String>,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<i64>,
    pub must_change: bool,
    pub language: String,
    pub created_at: i64,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("role", &self.role)
            .field("status", &self.status)
            .field("must_change", &self.must_change)
            .finish_non_exhaustive()
    }
}

pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub email: String,
    pub mobile: Option<String>,
    pub password_hash: Option<String>,
    pub must_change: bool,
    pub now: i64,
}

/// What the institution's records say of an account: the fields an import
/// sets. Never a password, never the status an administrator set.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRecord {
    pub login: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub email: String,
    pub mobile: Option<String>,
    pub alt_email: Option<String>,
    /// ISO date, inclusive.
    pub valid_until: Option<String>,
    pub language: String,
}

/// An import's changes, applied in one transaction: all of them or none.
pub struct ImportBatch<'a> {
    pub create: &'a [AccountRecord],
    pub update: &'a [AccountRecord],
    pub audit: &'a [AuditEvent],
    pub now: i64,
}

/// An administrator's action on one account, applied in one transaction
/// with its audit event and the notice to the user.
pub struct AdminChange<'a> {
    pub account_id: i64,
    pub status: Option<AccountStatus>,
    /// Require a password change at the next sign-in.
    pub must_change: bool,
    pub end_sessions: bool,
    /// A throttle key whose failures and lock are cleared.
    pub clear_throttle: Option<&'a str>,
    pub notice: Option<&'a OutgoingMail>,
    pub audit: &'a AuditEvent,
    pub now: i64,
}

/// Which audit events to read; unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The account the event is about (login name, lower case).
    pub subject: Option<String>,
    pub action: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub account_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// When the password was last entered in this session.
    pub reauthenticated_at: Option<i64>,
}

/// A session as its owner sees it listed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ListedSession {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub client_addr: String,
    pub user_agent: String,
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub account_id: i64,
    pub now: i64,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

/// Everything a password change writes, applied in one transaction.
pub struct PasswordChange<'a> {
    pub account_id: i64,
    /// The hash the change was checked against; if it changed meanwhile the
    /// whole change is refused.
    pub expected_hash: Option<&'a str>,
    pub new_hash: &'a str,
    pub history_depth: usize,
    /// The session that made the change stays; every other one ends.
    pub keep_session: Option<&'a str>,
    pub notice: &'a OutgoingMail,
    pub audit: &'a AuditEvent,
    /// A forgot-password flow this change completes: it must still be
    /// waiting for its new password, and is marked done.
    pub complete_flow: Option<&'a str>,
    /// A throttle key whose failures and lock the change clears.
    pub clear_throttle: Option<&'a str>,
    pub now: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowState {
    /// Identified; choosing where the code goes.
    Channel,
    /// A code is out.
    Code,
    /// The code was right; waiting for the new password.
    Password,
    Done,
    Void,
}

impl FlowState {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowState::Channel => "channel",
            FlowState::Code => "code",
            FlowState::Password => "password",
            FlowState::Done => "done",
            FlowState::Void => "void",
        }
    }
}

impl std::str::FromStr for FlowState {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "channel" => FlowState::Channel,
            "code" => FlowState::Code,
            "password" => FlowState::Password,
            "done" => FlowState::Done,
            "void" => FlowState::Void,
            _ => return Err(()),
        })
    }
}

/// A forgot-password or first-time flow.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Flow {
    pub id_hash: String,
    pub login_key: String,
    /// `None` for a login name with no account: such a flow looks the same
    /// from outside but never sends anything.
    pub account_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub state: FlowState,
    pub created_at: i64,
    pub expires_at: i64,
    pub channel: Option<String>,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<i64>,
    pub codes_sent: i64,
    pub last_sent_at: Option<i64>,
    pub wrong_codes: i64,
    /// The channel a reset already proved, when 2-step verification asks
    /// for one more.
    pub first_factor: Option<String>,
    /// The CAS e-service a sign-in's second step is for.
    pub service: Option<String>,
}

pub struct NewFlow<'a> {
    pub id_hash: &'a str,
    pub login_key: &'a str,
    pub account_id: Option<i64>,
    pub now: i64,
    pub expires_at: i64,
    pub service: Option<&'a str>,
}

/// A factor proved on a flow.
pub struct FactorPassed<'a> {
    pub flow: &'a str,
    /// The code that was checked: the flow must still hold it, and it is
    /// used up. `None` for a factor checked elsewhere (authenticator app,
    /// security questions, recovery code).
    pub code_hash: Option<&'a str>,
    /// `Some(channel)`: one more factor is needed, so the flow goes back to
    /// choosing a channel; `None`: the flow moves on to its last step.
    pub first_factor: Option<&'a str>,
}

/// A new version of an account's security info, written only if the
/// stored one is still `expected_version` (`None`: none stored yet),
/// with its notices and audit event, in one transaction.
pub struct SecuritySave<'a> {
    pub account_id: i64,
    pub expected_version: Option<i64>,
    pub document: &'a str,
    pub notices: &'a [OutgoingMail],
    pub audit: Option<&'a AuditEvent>,
    /// Sessions of the account that end in the same write.
    pub end_sessions: EndSessions<'a>,
    pub now: i64,
}

/// What the accounts look like as a whole (no login name in it).
#[derive(Default)]
pub struct AccountsProfile {
    /// Email domains, most used first, with how many accounts use each.
    pub domains: Vec<(String, i64)>,
    /// Accounts with no security info: how many have no mobile number in
    /// the records, and how many have one.
    pub plain: (i64, i64),
    /// The security-info documents, each with whether the records hold a
    /// mobile number for its account.
    pub documents: Vec<(String, bool)>,
}

/// What a clean-up deletes: everything expired by `now`, and what is
/// older than the cut-offs.
pub struct Sweep {
    pub now: i64,
    /// Sessions last seen before this (idle) or started before this
    /// (absolute lifetime).
    pub sessions_seen_before: i64,
    pub sessions_started_before: i64,
    /// Throttle rows whose last count is older than this and whose lock
    /// is over.
    pub throttle_before: i64,
    /// Audit events before this; `None` keeps them all.
    pub audit_before: Option<i64>,
}

/// How many rows a clean-up deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub flows: u64,
    pub tickets: u64,
    pub captchas: u64,
    pub throttle: u64,
    pub audit: u64,
}

/// The two ways a CAPTCHA challenge is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaMedia {
    Image,
    Audio,
}

/// Which of an account's sessions a change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSessions<'a> {
    None,
    /// Every one but this (the session making the change).
    AllBut(&'a str),
    All,
}

/// A code that went out, as recorded on its flow.
pub struct CodeSent<'a> {
    pub flow: &'a str,
    pub channel: &'a str,
    pub code_hash: &'a str,
    pub code_expires_at: i64,
    /// The count read before the send was claimed; the claim made it one
    /// more.
    pub codes_sent_before: i64,
    pub now: i64,
}

/// The next code of a flow, claimed before it is sent.
pub struct SendClaim<'a> {
    pub flow: &'a str,
    /// The count and the last send as read; another claim made meanwhile
    /// wins.
    pub codes_sent_before: i64,
    pub last_sent_before: Option<i64>,
    pub max_codes: i64,
    pub cooldown_seconds: i64,
    pub now: i64,
}

/// A CAS service ticket as stored (its id only as a hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ticket {
    pub service: String,
    pub account_id: i64,
    pub from_new_login: bool,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// `text` for a LIKE pattern with `\` as the escape character.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// An audit event as read back, with its time.
#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    #[sqlx(flatten)]
    event: AuditEvent,
}

/// A queued message as read back, with its id.
#[derive(sqlx::FromRow)]
struct MailRow {
    id: i64,
    #[sqlx(flatten)]
    mail: OutgoingMail,
}

/// Names stored as text (role, status, flow state, audit action and
/// outcome) read back as their enums; an unknown one is a decoding error.
macro_rules! stored_names {
    ($($name:ty),+) => {$(
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                value.parse().map_err(|_| format!("unknown stored value {value:?}"))
            }
        }
    )+};
}
stored_names!(
    Role,
    AccountStatus,
    FlowState,
    crate::ssr::audit::Action,
    crate::ssr::audit::Outcome
);

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account>;
    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>>;
    async fn account_by_id(&self, id: i64) -> StoreResult<Option<Account>>;
    /// Every account's record fields, to compare an import against.
    async fn account_records(&self) -> StoreResult<Vec<AccountRecord>>;
    async fn apply_import(&self, batch: &ImportBatch<'_>) -> StoreResult<()>;
    async fn record_import_report(&self, report: &ImportReport) -> StoreResult<()>;
    async fn import_reports(&self, limit: i64) -> StoreResult<Vec<ImportReport>>;
    /// Accounts whose login name, display name or email contains `text`
    /// (any case), by login name.
    async fn search_accounts(&self, text: &str, limit: i64) -> StoreResult<Vec<Account>>;
    /// The accounts whose registered email is `email` (any case, as the
    /// database folds it), by login name.
    async fn accounts_by_email(&self, email: &str) -> StoreResult<Vec<Account>>;
    async fn apply_admin_action(&self, change: &AdminChange<'_>) -> StoreResult<()>;
    /// Newest first.
    async fn audit_query(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<(i64, AuditEvent)>>;
    /// Active accounts whose password was changed after `after` and no
    /// later than `until`, and not yet reminded for that password.
    async fn accounts_due_reminder(&self, after: i64, until: i64) -> StoreResult<Vec<Account>>;
    /// Claims the reminder for the password changed at `changed_at` and
    /// queues `mail`, in one transaction; false if it was claimed already
    /// or the password changed meanwhile.
    async fn record_password_reminder(
        &self,
        account_id: i64,
        changed_at: i64,
        mail: &OutgoingMail,
        now: i64,
    ) -> StoreResult<bool>;
    /// The most recent earlier hashes, newest first.
    async fn password_history(&self, account_id: i64, limit: usize) -> StoreResult<Vec<String>>;
    async fn change_password(&self, change: &PasswordChange<'_>) -> StoreResult<()>;
    /// Replace a hash with one made with current parameters (same password).
    async fn rehash_password(
        &self,
        account_id: i64,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<()>;

    async fn create_session(&self, session: &NewSession<'_>) -> StoreResult<()>;
    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Gives a session a new id (its token changes, nothing else), marking
    /// it re-authenticated now; false if it no longer exists.
    async fn rotate_session(&self, id_hash: &str, new_id_hash: &str, now: i64)
        -> StoreResult<bool>;
    async fn count_sessions(&self, account_id: i64) -> StoreResult<i64>;
    /// What the accounts look like, for decoys that look the same.
    async fn accounts_profile(&self) -> StoreResult<AccountsProfile>;
    /// Deletes what has expired (safe to run twice, and on every instance
    /// at once).
    async fn sweep(&self, sweep: &Sweep) -> StoreResult<Swept>;
    /// The account's sessions seen since `seen_since` and started since
    /// `started_since`, most recently seen first.
    async fn account_sessions(
        &self,
        account_id: i64,
        seen_since: i64,
        started_since: i64,
    ) -> StoreResult<Vec<ListedSession>>;
    /// Ends one of the account's sessions (none of another account's);
    /// false if it was not there.
    async fn end_account_session(&self, account_id: i64, id_hash: &str) -> StoreResult<bool>;
    /// Ends every session of the account but `keep`; how many ended.
    async fn end_other_sessions(&self, account_id: i64, keep: &str) -> StoreResult<u64>;

    /// The account's security-info document and its version.
    async fn security_info(&self, account_id: i64) -> StoreResult<Option<(String, i64)>>;
    /// `Conflict` if the stored version is no longer the expected one.
    async fn save_security_info(&self, save: &SecuritySave<'_>) -> StoreResult<()>;

    async fn throttle_state(&self, key: &str) -> StoreResult<Option<ThrottleState>>;
    async fn clear_failures(&self, key: &str) -> StoreResult<()>;
    /// Reserves one attempt before the work it guards (a hash, a code
    /// check): counted at once, so attempts arriving together cannot all
    /// pass, and refused (`None`) while the key is held back. The attempt
    /// that reaches the rule's lock locks at once. Returns its count.
    async fn reserve_attempt(
        &self,
        key: &str,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// The reserved attempt failed: the delay its count earns starts now.
    async fn settle_failure(
        &self,
        key: &str,
        reserved: i64,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<()>;
    /// The reserved attempt was not a failure: it is given back, and the
    /// lock it took (if it was the one to reach the limit) is lifted.
    async fn release_attempt(
        &self,
        key: &str,
        reserved: i64,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<()>;

    /// Stores a CAPTCHA challenge, dropping expired ones.
    async fn create_captcha(
        &self,
        id_hash: &str,
        answer: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()>;
    /// Removes a challenge and returns its answer and expiry: each can be
    /// tried once.
    async fn take_captcha(&self, id_hash: &str) -> StoreResult<Option<(String, i64)>>;
    async fn captcha_answer(&self, id_hash: &str) -> StoreResult<Option<(String, i64)>>;
    /// The challenge's image or audio as first drawn, if it was.
    async fn captcha_media(
        &self,
        id_hash: &str,
        media: CaptchaMedia,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Keeps `drawn` unless another request drew it first; returns what is
    /// kept (`None` if the challenge is gone).
    async fn keep_captcha_media(
        &self,
        id_hash: &str,
        media: CaptchaMedia,
        drawn: &[u8],
    ) -> StoreResult<Option<Vec<u8>>>;

    /// Starts a flow; any unfinished flow for the same login name is void.
    async fn start_flow(&self, flow: &NewFlow<'_>) -> StoreResult<()>;
    async fn flow(&self, id_hash: &str) -> StoreResult<Option<Flow>>;
    /// Claims the next code before it is sent, counted and timed at once:
    /// false past the flow's number of codes, within the cooldown, or when
    /// another claim came first, however many arrive together.
    async fn claim_code_send(&self, claim: &SendClaim<'_>) -> StoreResult<bool>;
    /// Gives a claim back when its message could not be sent.
    async fn release_code_send(&self, claim: &SendClaim<'_>) -> StoreResult<()>;
    /// Records the code a claim sent (replacing any earlier one);
    /// `Conflict` if the flow moved on meanwhile.
    async fn record_code_sent(&self, sent: &CodeSent<'_>) -> StoreResult<()>;
    /// Reserves one code (or answer) check on a live flow before it is
    /// made: `None` once `max` checks are counted, however many arrive
    /// together. A right answer gives its reservation back.
    async fn reserve_code_check(&self, id_hash: &str, max: i64) -> StoreResult<Option<i64>>;
    async fn release_code_check(&self, id_hash: &str) -> StoreResult<()>;
    /// Records a proved factor (using its code up); false if the flow moved
    /// on or no longer holds that code.
    async fn pass_factor(&self, passed: &FactorPassed<'_>) -> StoreResult<bool>;
    async fn void_flow(&self, id_hash: &str) -> StoreResult<()>;

    /// Stores a service ticket, dropping expired ones.
    async fn create_ticket(&self, id_hash: &str, ticket: &Ticket) -> StoreResult<()>;
    /// Removes a ticket and returns it: each is validated once.
    async fn take_ticket(&self, id_hash: &str) -> StoreResult<Option<Ticket>>;

    async fn record_audit(&self, event: &AuditEvent, at: i64) -> StoreResult<()>;
    async fn audit_events(&self, subject: &str, limit: i64) -> StoreResult<Vec<(i64, AuditEvent)>>;

    async fn queue_mail(&self, mail: &OutgoingMail, now: i64) -> StoreResult<()>;
    /// Queues `mail` and records the events it reports, in one transaction.
    async fn queue_notice(
        &self,
        mail: &OutgoingMail,
        events: &[AuditEvent],
        now: i64,
    ) -> StoreResult<()>;
    async fn due_mail(&self, now: i64, limit: i64) -> StoreResult<Vec<(i64, OutgoingMail)>>;
    async fn mark_mail_sent(&self, id: i64, now: i64) -> StoreResult<()>;
    async fn mark_mail_failed(&self, id: i64, retry_at: i64) -> StoreResult<()>;
}
