//! The records the store reads and writes, and the changes it applies in
//! one transaction each.
use gatehouse_types::{AccountStatus, LoginName, Role};

use crate::audit::AuditEvent;
use crate::mail::OutgoingMail;
use crate::throttle::ThrottleRule;

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
    pub login: LoginName,
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
    /// Whether the sign-in passed 2-step verification.
    pub two_step: bool,
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
    pub two_step: bool,
    pub now: i64,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

/// Everything a finished sign-in writes, in one transaction: the attempt
/// given back to the address (which keeps its count of others' failures),
/// the login name's failures forgotten, the browser's previous session
/// ended, the new session, and its audit event.
pub struct SignInDone<'a> {
    pub session: NewSession<'a>,
    /// The hash of the session the browser had, if any.
    pub previous: Option<&'a str>,
    pub address_key: &'a str,
    /// The address's count when this attempt was reserved.
    pub address_reserved: i64,
    pub address_rule: &'a ThrottleRule,
    pub login_key: &'a str,
    pub event: &'a AuditEvent,
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
    /// The account's passkey credential ids after this write, when they
    /// changed (`None`: as they were).
    pub passkey_ids: Option<&'a [String]>,
    pub now: i64,
}

/// The server's half of a WebAuthn ceremony, kept until it is answered.
pub struct Challenge {
    /// What it was started for (`enrol`, `second_step`, `sign_in`).
    pub purpose: String,
    pub account_id: Option<i64>,
    /// The hash of the session or second step it belongs to.
    pub bound_to: Option<String>,
    /// The library's ceremony state, as JSON.
    pub state: String,
    pub expires_at: i64,
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
    /// WebAuthn challenges never answered.
    pub challenges: u64,
    /// OpenID Connect codes and tokens past their time.
    pub oidc: u64,
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

gatehouse_types::stored_as_name!(FlowState);

/// An OpenID Connect signing key: its public JWK as JSON and its private
/// part sealed with the server's key (never stored in the clear).
#[derive(Clone, sqlx::FromRow)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub private_sealed: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_sealed", &"***")
            .finish()
    }
}

/// An authorization code as stored (the code itself only as a hash):
/// what it was issued for, to be checked when it is exchanged.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthorizationCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub account_id: i64,
    pub session_hash: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub two_step: bool,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What presenting a code found.
#[derive(Debug)]
pub enum CodeExchange {
    /// Unused until now, and now used.
    Fresh(AuthorizationCode),
    /// Used before: whatever it produced has just been revoked.
    Reused,
    Unknown,
}

/// What one exchanged code grants a client: its tokens share it, and
/// it ends with the sign-in session it came from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub account_id: i64,
    pub session_hash: String,
    pub scope: String,
    pub auth_time: i64,
    pub two_step: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A token to store (only its hash).
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub kind: TokenKind,
    pub expires_at: i64,
}

/// Which sessions are still on: seen since `seen_after` and begun since
/// `started_after` (a session past either has ended, even before the
/// clean-up deletes its row).
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub seen_after: i64,
    pub started_after: i64,
}

/// A stored token and its grant.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub kind: TokenKind,
    pub expires_at: i64,
    pub used: bool,
    /// The grant is not revoked and its sign-in session still exists.
    pub live: bool,
    pub grant: Grant,
}

/// What presenting a refresh token for rotation found.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// Used before: the grant has just been revoked.
    Reused,
}

/// A sign-in to an e-service whose session has ended and whose e-service
/// has not yet been told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndedLogin {
    Oidc {
        session_hash: String,
        client_id: String,
        account_id: i64,
    },
    Cas {
        session_hash: String,
        service: String,
        ticket: String,
    },
}

/// A logout notice to send: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice {
    pub target: String,
    pub what: NoticeBody,
}

/// What a logout notice carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeBody {
    /// An OpenID Connect logout token, signed anew at each delivery (it
    /// lives two minutes): for this client, about this account.
    BackChannel { client_id: String, account_id: i64 },
    /// A form body sent as it is (CAS single logout).
    Form(String),
}

impl NoticeBody {
    /// As stored: a kind and a text.
    pub fn stored(&self) -> (&'static str, String) {
        match self {
            NoticeBody::BackChannel {
                client_id,
                account_id,
            } => ("backchannel", format!("{account_id} {client_id}")),
            NoticeBody::Form(body) => ("form", body.clone()),
        }
    }

    pub fn read(kind: &str, text: String) -> Option<Self> {
        match kind {
            "backchannel" => {
                let (account, client) = text.split_once(' ')?;
                Some(NoticeBody::BackChannel {
                    client_id: client.to_owned(),
                    account_id: account.parse().ok()?,
                })
            }
            "form" => Some(NoticeBody::Form(text)),
            _ => None,
        }
    }
}
