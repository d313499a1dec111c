//! The store's interface, split by concern; [`Store`] is all of them.
use async_trait::async_trait;
use gatehouse_types::admin::ImportReport;
use gatehouse_types::LoginName;

use crate::audit::AuditEvent;
use crate::mail::OutgoingMail;
use crate::model::*;
use crate::throttle::{ThrottleRule, ThrottleState};
use crate::StoreResult;

/// The accounts: their records, passwords, imports and the administrators' changes.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account>;
    async fn account_by_login(&self, login: &LoginName) -> StoreResult<Option<Account>>;
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
    /// What the accounts look like, for decoys that look the same.
    async fn accounts_profile(&self) -> StoreResult<AccountsProfile>;
}

/// Each account's security-info document, versioned.
#[async_trait]
pub trait SecurityInfoStore: Send + Sync {
    /// The account's security-info document and its version.
    async fn security_info(&self, account_id: i64) -> StoreResult<Option<(String, i64)>>;
    /// `Conflict` if the stored version is no longer the expected one.
    async fn save_security_info(&self, save: &SecuritySave<'_>) -> StoreResult<()>;
}

/// Passkeys: which account a credential belongs to, and the ceremonies
/// waiting for their answer.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// The account a passkey credential id (base64url) is registered to.
    async fn account_by_passkey(&self, credential_id: &str) -> StoreResult<Option<i64>>;
    /// Stores a ceremony's state (expired ones go with the housekeeping).
    async fn create_challenge(&self, id_hash: &str, c: &Challenge) -> StoreResult<()>;
    /// Removes a challenge and returns it: each is answered once.
    async fn take_challenge(&self, id_hash: &str) -> StoreResult<Option<Challenge>>;
}

/// Signed-in sessions, by the hash of their token.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Opens the session of a finished sign-in and settles its attempt,
    /// all in one transaction (see [`SignInDone`]).
    async fn finish_sign_in(&self, done: &SignInDone<'_>) -> StoreResult<()>;
    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Gives a session a new id (its token changes, nothing else), marking
    /// it re-authenticated now; false if it no longer exists.
    async fn rotate_session(&self, id_hash: &str, new_id_hash: &str, now: i64)
        -> StoreResult<bool>;
    async fn count_sessions(&self, account_id: i64) -> StoreResult<i64>;
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
}

/// Counters of attempts and quotas, reserved before the work they guard.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
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
}

/// CAPTCHA challenges, each answered once.
#[async_trait]
pub trait CaptchaStore: Send + Sync {
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
}

/// Forgot-password, first-time and second-step flows, and the codes they send.
#[async_trait]
pub trait FlowStore: Send + Sync {
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
}

/// CAS service tickets, each validated once.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Stores a service ticket, dropping expired ones.
    async fn create_ticket(&self, id_hash: &str, ticket: &Ticket) -> StoreResult<()>;
    /// Removes a ticket and returns it: each is validated once.
    async fn take_ticket(&self, id_hash: &str) -> StoreResult<Option<Ticket>>;
}

/// OpenID Connect: signing keys, authorization codes, grants and tokens.
#[async_trait]
pub trait OidcStore: Send + Sync {
    /// Every signing key, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Adds keys if no key signs yet; false if one already does.
    async fn add_first_signing_keys(&self, keys: &[SigningKey]) -> StoreResult<bool>;
    /// Adds `keys`, retires every key that signed until now, and drops
    /// keys retired before `drop_retired_before`, in one transaction.
    async fn rotate_signing_keys(
        &self,
        keys: &[SigningKey],
        now: i64,
        drop_retired_before: i64,
    ) -> StoreResult<()>;
    /// Stores a code, dropping expired ones.
    async fn create_code(&self, code_hash: &str, code: &AuthorizationCode) -> StoreResult<()>;
    /// Marks a code used and returns it; a code used before revokes what
    /// it produced.
    async fn exchange_code(&self, code_hash: &str, now: i64) -> StoreResult<CodeExchange>;
    /// Stores a grant and its first tokens, in one transaction.
    async fn create_grant(
        &self,
        grant: &Grant,
        code_hash: &str,
        tokens: &[NewToken<'_>],
    ) -> StoreResult<()>;
    async fn token(
        &self,
        token_hash: &str,
        limits: SessionLimits,
    ) -> StoreResult<Option<StoredToken>>;
    /// Uses a refresh token once and stores its successors in the same
    /// grant, in one transaction; a token used before revokes the grant.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
        successors: &[NewToken<'_>],
    ) -> StoreResult<Rotation>;
    /// Revokes a token: a refresh token takes its whole grant with it.
    async fn revoke_token(&self, token_hash: &str, now: i64) -> StoreResult<()>;
    /// The scope a user allowed a client that asks first, if any.
    async fn consented_scope(
        &self,
        account_id: i64,
        client_id: &str,
    ) -> StoreResult<Option<String>>;
    /// Records (or widens to) what the user allowed.
    async fn record_consent(
        &self,
        account_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()>;
}

/// Single logout: which e-services a session signed in to, and the
/// notices that tell them it ended.
#[async_trait]
pub trait SingleLogoutStore: Send + Sync {
    /// A CAS ticket issued in a session, for single logout later.
    async fn record_cas_login(
        &self,
        session_hash: &str,
        service: &str,
        ticket: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Sign-ins to e-services whose session has ended, not yet handled.
    async fn ended_logins(&self, limits: SessionLimits, limit: i64)
        -> StoreResult<Vec<EndedLogin>>;
    /// Claims an ended sign-in (once, whichever instance asks first) and
    /// queues its notice, if any, in the same transaction; false if it
    /// was claimed already.
    async fn queue_logout(
        &self,
        login: &EndedLogin,
        notice: Option<&LogoutNotice>,
        now: i64,
    ) -> StoreResult<bool>;
    /// Notices due now: id, deliveries tried so far, and the notice.
    async fn due_logout_notices(
        &self,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, i64, LogoutNotice)>>;
    async fn mark_logout_sent(&self, id: i64, now: i64) -> StoreResult<()>;
    /// The e-services each live session of an account signed in to:
    /// `(session hash, is OpenID Connect, client id or service URL)`.
    async fn session_sign_ins(&self, account_id: i64) -> StoreResult<Vec<(String, bool, String)>>;
    /// Counts a failed delivery; tried again at `retry_at`, or never
    /// (`None`: given up, kept as not sent).
    async fn mark_logout_failed(&self, id: i64, retry_at: Option<i64>) -> StoreResult<()>;
}

/// The audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record_audit(&self, event: &AuditEvent, at: i64) -> StoreResult<()>;
    async fn audit_events(&self, subject: &str, limit: i64) -> StoreResult<Vec<(i64, AuditEvent)>>;
    /// Newest first.
    async fn audit_query(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<(i64, AuditEvent)>>;
}

/// Notices waiting for the mail worker.
#[async_trait]
pub trait MailQueue: Send + Sync {
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

/// Clean-up of what has expired.
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Deletes what has expired (safe to run twice, and on every instance
    /// at once).
    async fn sweep(&self, sweep: &Sweep) -> StoreResult<Swept>;
}
/// Everything the flows store, behind one interface, so either database
/// serves the same flows without them knowing.
pub trait Store:
    AccountStore
    + SecurityInfoStore
    + PasskeyStore
    + SessionStore
    + ThrottleStore
    + CaptchaStore
    + FlowStore
    + TicketStore
    + OidcStore
    + SingleLogoutStore
    + AuditLog
    + MailQueue
    + Housekeeping
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + SecurityInfoStore
        + PasskeyStore
        + SessionStore
        + ThrottleStore
        + CaptchaStore
        + FlowStore
        + TicketStore
        + OidcStore
        + SingleLogoutStore
        + AuditLog
        + MailQueue
        + Housekeeping
        + 'static
{
}
