//! Security info as stored, and the checks of each second factor: an
//! authenticator app (TOTP, RFC 6238), security questions, recovery codes.
//! One JSON document per account holds it all; every change is a
//! compare-and-set on its version, so two requests can never both use the
//! same TOTP step or recovery code.
use crate::error::{Context, Error, Result};
use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use unicode_normalization::UnicodeNormalization;

use crate::codes::{mask_email, mask_mobile, normalize_code, random_code};
use crate::mail::OutgoingMail;
use crate::throttle::{login_key, release_quotas, reserve_quotas, ThrottleRule};
use crate::{notices, Core};
use gatehouse_store::audit::AuditEvent;
use gatehouse_store::{Account, EndSessions, SecuritySave, StoreError};
use gatehouse_types::error::AppError;
use gatehouse_types::recovery::ChannelOption;
use gatehouse_types::security::{Method, Question};

/// TOTP as the usual authenticator apps do it: SHA-1, 6 digits, 30 s.
const TOTP_DIGITS: usize = 6;
const TOTP_STEP: u64 = 30;
/// 160 bits, the size RFC 4226 recommends.
const TOTP_SECRET_BYTES: usize = 20;
/// Ten symbols from the code alphabet: about 49.5 bits each.
const RECOVERY_CODE_LENGTH: usize = 10;

/// An account's security info. Its `Debug` is not derived: it holds
/// encrypted secrets and hashes.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SecurityDoc {
    /// The user turned 2-step verification on.
    pub two_step: bool,
    pub default: Option<Method>,
    pub app: Option<AppSecret>,
    pub alt_email: Option<Contact>,
    pub mobile: Option<Contact>,
    pub questions: Option<Answers>,
    /// Hashes of the recovery codes not yet used.
    pub recovery_codes: Vec<String>,
    pub recovery_codes_at: Option<i64>,
    /// An authenticator being enrolled: it counts once a code confirms it.
    pub pending_app: Option<PendingApp>,
    /// An address waiting for the code sent to it.
    pub pending_contact: Option<PendingContact>,
    /// Passkeys and security keys, oldest first.
    pub passkeys: Vec<crate::passkeys::StoredPasskey>,
    /// The account's WebAuthn user handle, random, made at its first
    /// passkey enrolment.
    pub passkey_user: Option<webauthn_rs::prelude::Uuid>,
}

#[derive(Serialize, Deserialize)]
pub struct AppSecret {
    /// The secret, encrypted (see [`seal`]).
    pub sealed: String,
    pub added_at: i64,
    /// The last TOTP step accepted: older and equal steps are refused.
    pub last_step: u64,
}

#[derive(Serialize, Deserialize)]
pub struct PendingApp {
    pub sealed: String,
}

#[derive(Serialize, Deserialize)]
pub struct Contact {
    pub address: String,
    pub added_at: i64,
}

#[derive(Serialize, Deserialize)]
pub struct Answers {
    /// Question id and the argon2 hash of the normalised answer.
    pub answers: Vec<(String, String)>,
    pub added_at: i64,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingContact {
    pub method: Method,
    pub address: String,
    pub code_hash: String,
    pub expires_at: i64,
    pub sent_at: i64,
    pub sends: u32,
    pub wrong: u32,
}

/// The methods a user can register, in the order they are offered: the
/// one that cannot be phished first.
pub const REGISTRABLE: [Method; 5] = [
    Method::Passkey,
    Method::App,
    Method::Mobile,
    Method::AltEmail,
    Method::Questions,
];

impl SecurityDoc {
    pub fn has(&self, method: Method) -> bool {
        match method {
            Method::App => self.app.is_some(),
            Method::AltEmail => self.alt_email.is_some(),
            Method::Mobile => self.mobile.is_some(),
            Method::Questions => self.questions.is_some(),
            Method::RecoveryCode => !self.recovery_codes.is_empty(),
            // A key turned off still holds 2-step verification on: losing
            // it must not leave the password alone.
            Method::Passkey => !self.passkeys.is_empty(),
            Method::Email => false,
        }
    }

    /// The registered methods that can be used now: a passkey method
    /// whose every key is turned off counts as registered (2-step
    /// verification stays on) but not as usable.
    pub fn usable(&self) -> Vec<Method> {
        let mut methods = self.registered();
        if self.passkeys.iter().all(|p| p.disabled) {
            methods.retain(|m| *m != Method::Passkey);
        }
        methods
    }

    /// The registered methods, the default first.
    pub fn registered(&self) -> Vec<Method> {
        let mut methods: Vec<Method> = REGISTRABLE.into_iter().filter(|m| self.has(*m)).collect();
        if let Some(i) = methods.iter().position(|m| Some(*m) == self.default) {
            let default = methods.remove(i);
            methods.insert(0, default);
        }
        methods
    }

    pub fn added_at(&self, method: Method) -> Option<i64> {
        match method {
            Method::App => self.app.as_ref().map(|a| a.added_at),
            Method::AltEmail => self.alt_email.as_ref().map(|c| c.added_at),
            Method::Mobile => self.mobile.as_ref().map(|c| c.added_at),
            Method::Questions => self.questions.as_ref().map(|q| q.added_at),
            Method::RecoveryCode => self.recovery_codes_at,
            Method::Passkey => self.passkeys.iter().map(|p| p.added_at).min(),
            Method::Email => None,
        }
    }

    /// Where a code for `method` goes: the registered email, the
    /// alternate email, or the mobile number registered here (else the
    /// one from the institution's records).
    pub fn address<'a>(&'a self, account: &'a Account, method: Method) -> Option<&'a str> {
        match method {
            Method::Email => Some(account.email.as_str()),
            Method::AltEmail => self.alt_email.as_ref().map(|c| c.address.as_str()),
            Method::Mobile => self
                .mobile
                .as_ref()
                .map(|c| c.address.as_str())
                .or(account.mobile.as_deref()),
            _ => None,
        }
    }

    /// What the reset wizard offers first: the registered methods, the
    /// default first, then the registered email and the records' mobile
    /// number where it is not registered here.
    pub fn first_channels(&self, records_mobile: bool) -> Vec<Method> {
        let mut methods = self.registered();
        // The wizard sends codes and asks questions; it holds no WebAuthn
        // ceremony.
        methods.retain(|m| *m != Method::Passkey);
        methods.push(Method::Email);
        if records_mobile && !methods.contains(&Method::Mobile) {
            methods.push(Method::Mobile);
        }
        methods
    }

    /// The methods that can be asked as a second factor: the registered
    /// ones, the default first, then recovery codes if any are left.
    pub fn second_factors(&self) -> Vec<Method> {
        let mut methods = self.usable();
        if self.has(Method::RecoveryCode) {
            methods.push(Method::RecoveryCode);
        }
        methods
    }

    /// `methods` as a page offers them, with masked addresses.
    pub fn offer(&self, account: &Account, methods: Vec<Method>) -> Vec<ChannelOption> {
        methods
            .into_iter()
            .map(|channel| ChannelOption {
                channel,
                masked: self.masked(account, channel),
            })
            .collect()
    }

    /// What a page shows for a method: a masked address, else nothing.
    pub fn masked(&self, account: &Account, method: Method) -> String {
        match (method, self.address(account, method)) {
            (Method::Email | Method::AltEmail, Some(a)) => mask_email(a),
            (Method::Mobile, Some(a)) => mask_mobile(a),
            _ => String::new(),
        }
    }
}

/// Whether the account's role must use 2-step verification.
pub fn required_by_role(state: &Core, account: &Account) -> bool {
    state
        .config
        .security_info
        .required_roles
        .iter()
        .any(|r| r.eq_ignore_ascii_case(account.role.as_str()))
}

/// Whether sign-in and reset ask for a second factor: on (chosen or
/// required) and at least one method to ask.
pub fn two_step_on(state: &Core, account: &Account, doc: &SecurityDoc) -> bool {
    (doc.two_step || required_by_role(state, account)) && !doc.registered().is_empty()
}

/// A document as read, with the version a change must replace.
pub struct Stored {
    pub doc: SecurityDoc,
    version: Option<i64>,
    /// The passkeys' credential ids as read: the index beside the
    /// document is rewritten only when they change.
    passkey_ids: Vec<String>,
}

impl SecurityDoc {
    fn passkey_ids(&self) -> Vec<String> {
        self.passkeys.iter().map(|p| p.id()).collect()
    }
}

pub async fn load(state: &Core, account_id: i64) -> Result<Stored> {
    match state.store.security_info(account_id).await? {
        Some((json, version)) => {
            let doc: SecurityDoc =
                serde_json::from_str(&json).context("reading a security document")?;
            Ok(Stored {
                passkey_ids: doc.passkey_ids(),
                doc,
                version: Some(version),
            })
        }
        None => Ok(Stored {
            doc: SecurityDoc::default(),
            version: None,
            passkey_ids: Vec::new(),
        }),
    }
}

impl Stored {
    /// Writes the document with its notices and audit event; `Conflict`
    /// if another request changed it since it was read.
    pub async fn save(
        &self,
        state: &Core,
        account_id: i64,
        notices: &[OutgoingMail],
        audit: Option<&AuditEvent>,
    ) -> Result<()> {
        self.save_ending(state, account_id, notices, audit, EndSessions::None)
            .await
    }

    /// As `save`, ending sessions of the account in the same write.
    pub async fn save_ending(
        &self,
        state: &Core,
        account_id: i64,
        notices: &[OutgoingMail],
        audit: Option<&AuditEvent>,
        end_sessions: EndSessions<'_>,
    ) -> Result<()> {
        let document = serde_json::to_string(&self.doc).context("writing a security document")?;
        let ids = self.doc.passkey_ids();
        let save = SecuritySave {
            passkey_ids: (ids != self.passkey_ids).then_some(ids.as_slice()),
            account_id,
            expected_version: self.version,
            document: &document,
            notices,
            audit,
            end_sessions,
            now: state.clock.unix(),
        };
        match state.store.save_security_info(&save).await {
            Ok(()) => {
                if !notices.is_empty() {
                    state.mail_wakeup.notify_one();
                }
                Ok(())
            }
            // Changed meanwhile, or a passkey already registered to another
            // account.
            Err(StoreError::Conflict | StoreError::Duplicate) => Err(AppError::Conflict.into()),
            Err(e) => Err(Error::from(e)),
        }
    }
}

fn seal_key(state: &Core) -> Result<[u8; 32]> {
    let configured = &state.config.security_info.encryption_key;
    if configured.is_empty() {
        return Ok(state.keys.derive("authenticator-secret-key", ""));
    }
    STANDARD
        .decode(configured.expose())
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| Error::unexpected("security_info.encryption_key is not 32 bytes"))
}

/// Encrypts an authenticator secret with AES-256-GCM, bound to its account:
/// base64 of nonce and ciphertext.
pub fn seal(state: &Core, account_id: i64, secret: &[u8]) -> Result<String> {
    let key = seal_key(state)?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = account_id.to_be_bytes();
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: secret,
                aad: &aad,
            },
        )
        .map_err(|_| Error::unexpected("sealing an authenticator secret failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

pub fn open(state: &Core, account_id: i64, sealed: &str) -> Result<Vec<u8>> {
    let key = seal_key(state)?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|_| Error::unexpected("a sealed authenticator secret is not base64"))?;
    if bytes.len() < 12 {
        return Err(Error::unexpected(
            "a sealed authenticator secret is too short",
        ));
    }
    let (nonce, body) = bytes.split_at(12);
    let aad = account_id.to_be_bytes();
    cipher
        .decrypt(
            nonce.into(),
            Payload {
                msg: body,
                aad: &aad,
            },
        )
        .map_err(|_| Error::unexpected("an authenticator secret could not be decrypted"))
}

pub fn new_totp_secret() -> Vec<u8> {
    let mut secret = vec![0u8; TOTP_SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

pub fn totp(state: &Core, account: &Account, secret: Vec<u8>) -> Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        TOTP_DIGITS,
        1,
        TOTP_STEP,
        secret,
        Some(state.config.security_info.issuer.clone()),
        account.login.clone(),
    )
    .map_err(|e| Error::unexpected(format!("an authenticator secret was refused: {e}")))
}

/// Which steps around the current one an authenticator code may belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepWindow {
    pub before: u64,
    pub after: u64,
}

impl StepWindow {
    pub fn of(state: &Core) -> Self {
        let c = &state.config.security_info;
        StepWindow {
            before: c.totp_steps_before.into(),
            after: c.totp_steps_after.into(),
        }
    }
}

/// The step `code` belongs to, if it is the code of the current step or
/// one within `window` (clock drift) and later than `after`.
pub fn matching_step(
    totp: &TOTP,
    code: &str,
    now: i64,
    after: u64,
    window: StepWindow,
) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != TOTP_DIGITS {
        return None;
    }
    let current = u64::try_from(now).ok()? / TOTP_STEP;
    let mut found = None;
    for step in current.saturating_sub(window.before)..=current + window.after {
        let expected = totp.generate(step * TOTP_STEP);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && step > after {
            found = Some(step);
        }
    }
    found
}

/// An answer as compared: Unicode NFKC, lower case, single spaces, no
/// surrounding space.
pub fn normalize_answer(answer: &str) -> String {
    let folded: String = answer.nfkc().collect::<String>().to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A new set of recovery codes (as shown: `ABCDE-FGHJK`) and their hashes.
pub fn new_recovery_codes(state: &Core, account_id: i64) -> (Vec<String>, Vec<String>) {
    (0..state.config.security_info.recovery_codes)
        .map(|_| {
            let code = random_code(RECOVERY_CODE_LENGTH);
            let hash = recovery_code_hash(state, account_id, &code);
            (format!("{}-{}", &code[..5], &code[5..]), hash)
        })
        .unzip()
}

/// `salt:mac`: a random salt of its own for each code (ASVS 6.5.2), the
/// MAC keyed with the server's secret and bound to the account.
fn recovery_code_hash(state: &Core, account_id: i64, code: &str) -> String {
    let salt = random_code(RECOVERY_CODE_LENGTH);
    let mac = state
        .keys
        .code_hash(&format!("recovery-code:{account_id}:{salt}"), code);
    format!("{salt}:{mac}")
}

/// Whether `stored` (a salted hash, or an unsalted one written before
/// salts) is the hash of `code`, in constant time.
fn recovery_code_matches(state: &Core, account_id: i64, code: &str, stored: &str) -> bool {
    match stored.split_once(':') {
        Some((salt, mac)) => {
            state
                .keys
                .code_matches(&format!("recovery-code:{account_id}:{salt}"), code, mac)
        }
        None => state
            .keys
            .code_matches(&format!("recovery-code:{account_id}"), code, stored),
    }
}

/// What a user offers as a second factor.
pub enum Proof<'a> {
    Code(&'a str),
    Answers(&'a [String]),
    /// A WebAuthn assertion (JSON) answering the ceremony `handle` names.
    Passkey {
        handle: &'a str,
        credential: &'a str,
    },
}

/// Checks a factor kept in the security info (authenticator app, security
/// questions, recovery code); an accepted TOTP step or recovery code is
/// used up in the same write. False for a wrong proof or a lost race.
pub async fn check(
    state: &Core,
    account: &Account,
    method: Method,
    proof: Proof<'_>,
) -> Result<bool> {
    let mut stored = load(state, account.id).await?;
    let accepted = match (method, proof) {
        (Method::App, Proof::Code(code)) => {
            let Some(app) = &stored.doc.app else {
                return Ok(false);
            };
            let totp = totp(state, account, open(state, account.id, &app.sealed)?)?;
            match matching_step(
                &totp,
                code,
                state.clock.unix(),
                app.last_step,
                StepWindow::of(state),
            ) {
                Some(step) => {
                    if let Some(app) = stored.doc.app.as_mut() {
                        app.last_step = step;
                    }
                    true
                }
                None => false,
            }
        }
        (Method::RecoveryCode, Proof::Code(code)) => {
            let code = normalize_code(code);
            let before = stored.doc.recovery_codes.len();
            stored
                .doc
                .recovery_codes
                .retain(|h| !recovery_code_matches(state, account.id, &code, h));
            stored.doc.recovery_codes.len() < before
        }
        (Method::Questions, Proof::Answers(given)) => {
            let Some(questions) = &stored.doc.questions else {
                return Ok(false);
            };
            if given.len() != questions.answers.len() {
                return Ok(false);
            }
            let mut all = true;
            for ((_, hash), answer) in questions.answers.iter().zip(given) {
                let right = state
                    .hasher
                    .verify(&normalize_answer(answer), Some(hash))
                    .await?;
                all &= right;
            }
            // Nothing to use up: the version check is not needed.
            return Ok(all);
        }
        _ => return Err(AppError::BadRequest.into()),
    };
    if !accepted {
        return Ok(false);
    }
    match stored.save(state, account.id, &[], None).await {
        Ok(()) => Ok(true),
        Err(Error::Refused(AppError::Conflict)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Counts one message toward the hourly number per account that the
/// security-info page and the sign-in's second step may send; refuses
/// when it is used up. The count is given back (`uncount_message`) if the
/// message cannot go.
pub async fn count_message(state: &Core, account: &Account) -> Result<i64> {
    let quota = [message_quota(state, account)];
    let counted = reserve_quotas(state, &quota).await?;
    Ok(counted.into_iter().next().unwrap_or_default())
}

pub async fn uncount_message(state: &Core, account: &Account, counted: i64) -> Result<()> {
    release_quotas(state, &[message_quota(state, account)], &[counted]).await
}

fn message_quota(state: &Core, account: &Account) -> (String, ThrottleRule) {
    (
        format!("security-send:{}", login_key(&account.login)),
        ThrottleRule::hourly(state.config.recovery.messages_per_account_per_hour),
    )
}

/// Counts a message, sends the code, and gives the count back if it could
/// not go.
pub async fn count_and_send(
    state: &Core,
    account: &Account,
    method: Method,
    address: &str,
    code: &str,
    expires_at: i64,
) -> Result<()> {
    let counted = count_message(state, account).await?;
    let sent = send_code(state, account, method, address, code, expires_at).await;
    if sent.is_err() {
        uncount_message(state, account, counted).await?;
    }
    sent
}

/// Sends a verification code to `address` by email or text message.
pub async fn send_code(
    state: &Core,
    account: &Account,
    method: Method,
    address: &str,
    code: &str,
    expires_at: i64,
) -> Result<()> {
    let until =
        time::OffsetDateTime::from_unix_timestamp(expires_at).context("reading a code's expiry")?;
    let sent = match method {
        Method::Mobile => state
            .sms
            .send(&notices::code_sms(state, account, address, code, until))
            .await
            .map_err(|e| e.to_string()),
        _ => state
            .mail
            .deliver(&notices::code_email(state, account, address, code, until))
            .await
            .map_err(|e| e.to_string()),
    };
    Ok(sent.map_err(|e| {
        tracing::warn!(error = %e, method = method.as_str(), "a verification code could not be sent");
        AppError::DeliveryFailed
    })?)
}

/// The questions an account answered, in order, as the pages show them.
pub fn questions_of(state: &Core, doc: &SecurityDoc) -> Vec<Question> {
    let list = &state.config.security_info.questions.list;
    doc.questions
        .iter()
        .flat_map(|q| &q.answers)
        .filter_map(|(id, _)| list.iter().find(|q| q.id == *id))
        .map(Question::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_ignore_case_width_and_spacing() {
        assert_eq!(normalize_answer("  St.   Paul's  "), "st. paul's");
        // Full-width letters and an ideographic space fold to ASCII.
        assert_eq!(normalize_answer("ＰＥＫＩＮＧ\u{3000}Road"), "peking road");
        assert_eq!(normalize_answer("聖保羅　書院"), "聖保羅 書院");
    }

    /// The SHA-1 secret of RFC 6238's test vectors, with `digits` digits.
    fn rfc_totp(digits: usize) -> TOTP {
        TOTP::new(
            Algorithm::SHA1,
            digits,
            1,
            30,
            b"12345678901234567890".to_vec(),
            None,
            "x".into(),
        )
        .expect("valid parameters")
    }

    #[test]
    fn totp_codes_match_their_step_and_the_one_before_once() {
        // RFC 6238 appendix B; 59 s is step 1.
        assert_eq!(rfc_totp(8).generate(59), "94287082");
        let six = rfc_totp(6);
        let now = 1_111_111_109;
        let code = six.generate(now as u64);
        let step = now as u64 / 30;
        let default = StepWindow {
            before: 1,
            after: 0,
        };
        assert_eq!(matching_step(&six, &code, now, 0, default), Some(step));
        // Good through the next step (a code lives at most 60 s), never
        // before its own, and not two steps on.
        assert_eq!(matching_step(&six, &code, now + 30, 0, default), Some(step));
        assert_eq!(matching_step(&six, &code, now - 30, 0, default), None);
        assert_eq!(matching_step(&six, &code, now + 60, 0, default), None);
        // A deployment may allow a fast phone too.
        let wide = StepWindow {
            before: 1,
            after: 1,
        };
        assert_eq!(matching_step(&six, &code, now - 30, 0, wide), Some(step));
        // A step already used is refused.
        assert_eq!(matching_step(&six, &code, now, step, default), None);
        assert_eq!(matching_step(&six, "12345", now, 0, default), None);
    }
}
