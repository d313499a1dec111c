//! The rules of security info: every change needs a recent password,
//! writes an audit event and tells the registered email, in one write.
use crate::codes::{new_code, required_code};
use crate::error::{Context, Error, Result};
use crate::factors::{self, Answers, AppSecret, Contact, PendingApp, PendingContact};
use crate::records::{check_email, check_mobile};
use crate::sessions;
use crate::sign_in::password_again;
use crate::{notices, Browser, Cookie, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, EndSessions, Session};
use gatehouse_types::error::{AppError, Field, FieldError, Problem};
use gatehouse_types::security::{
    AppEnrolment, Method, MethodView, Pending, Question, SecurityOverview,
};
use gatehouse_types::Password;

/// Seconds left in which the session may change security info.
fn reauth_left(state: &Core, session: &Session) -> i64 {
    let window = i64::from(state.config.security_info.reauth_minutes) * 60;
    session
        .reauthenticated_at
        .map_or(0, |at| (at + window - state.clock.unix()).max(0))
}

/// The signed-in session, if its password was entered recently enough.
pub(crate) async fn require_recent(state: &Core, browser: &Browser) -> Result<(Session, Account)> {
    let (session, account) = sessions::require_enrolling(state, browser).await?;
    if reauth_left(state, &session) == 0 {
        return Err(AppError::ReauthRequired.into());
    }
    Ok((session, account))
}

pub async fn overview(state: &Core, browser: &Browser) -> Result<Option<SecurityOverview>> {
    let Some((session, account)) = sessions::current(state, browser).await? else {
        return Ok(None);
    };
    if sessions::must_change(state, &account) {
        return Err(AppError::PasswordChangeRequired.into());
    }
    let doc = factors::load(state, account.id).await?.doc;
    let methods = doc
        .registered()
        .into_iter()
        .map(|method| MethodView {
            method,
            detail: match method {
                Method::Passkey => doc
                    .passkeys
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => doc.address(&account, method).unwrap_or_default().to_owned(),
            },
            added_at: doc.added_at(method).unwrap_or_default(),
        })
        .collect();
    let now = state.clock.unix();
    let pending = match (&doc.pending_app, &doc.pending_contact) {
        (Some(app), _) => Some(Pending::App(enrolment(
            state,
            &account,
            factors::open(state, account.id, &app.sealed)?,
        )?)),
        (None, Some(c)) if c.expires_at > now => Some(Pending::Contact {
            method: c.method,
            address: c.address.clone(),
            seconds_left: c.expires_at - now,
        }),
        _ => None,
    };
    let q = &state.config.security_info.questions;
    Ok(Some(SecurityOverview {
        login: account.login.clone(),
        methods,
        default: doc.registered().first().copied(),
        two_step: factors::two_step_on(state, &account, &doc),
        two_step_required: factors::required_by_role(state, &account),
        recovery_codes_left: doc.recovery_codes_at.map(|_| doc.recovery_codes.len()),
        questions: if q.enabled {
            q.list.iter().map(Question::from).collect()
        } else {
            Vec::new()
        },
        questions_required: q.required,
        reauth_seconds_left: reauth_left(state, &session),
        pending,
        passkeys: doc.passkeys.iter().map(|p| p.view()).collect(),
        passkeys_available: crate::passkeys::available(state),
    }))
}

pub async fn reauthenticate(state: &Core, browser: &Browser, password: &Password) -> Result<()> {
    let (session, account) = sessions::require_enrolling(state, browser).await?;
    let client = &browser.client;
    let now = state.clock.unix();
    if !password_again(state, &account, password, client).await? {
        let event = AuditEvent::by_user(
            &account.login,
            Action::SecurityInfo,
            Outcome::Failure,
            client,
        )
        .detail("wrong_password");
        state.store.record_audit(&event, now).await?;
        return Err(AppError::Invalid(vec![FieldError {
            field: Field::CurrentPassword,
            problem: Problem::WrongCurrentPassword,
        }])
        .into());
    }
    // A new token for the session: whatever held the old one (a fixated or
    // stolen cookie) does not carry the fresh password.
    let token = sessions::new_token();
    let rotated = state
        .store
        .rotate_session(&session.id_hash, &sessions::hash_token(&token), now)
        .await?;
    if !rotated {
        return Err(AppError::Unauthenticated.into());
    }
    browser.set(Cookie::Session, &token, None);
    Ok(())
}

fn enrolment(state: &Core, account: &Account, secret: Vec<u8>) -> Result<AppEnrolment> {
    let totp = factors::totp(state, account, secret)?;
    let url = totp.get_url();
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .context("drawing the QR code")?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(AppEnrolment {
        secret: totp.get_secret_base32(),
        url,
        qr_svg,
    })
}

pub async fn start_app(state: &Core, browser: &Browser) -> Result<AppEnrolment> {
    let (_, account) = require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    let secret = factors::new_totp_secret();
    stored.doc.pending_app = Some(PendingApp {
        sealed: factors::seal(state, account.id, &secret)?,
    });
    stored.doc.pending_contact = None;
    stored.save(state, account.id, &[], None).await?;
    enrolment(state, &account, secret)
}

/// Saves a change with its notice (to the registered email, and to
/// `also` when an address is replaced) and its audit event.
pub(crate) async fn commit(
    state: &Core,
    client: &ClientInfo,
    account: &Account,
    stored: &factors::Stored,
    change: &'static str,
    also: Option<&str>,
) -> Result<()> {
    commit_ending(
        state,
        client,
        account,
        stored,
        change,
        also,
        EndSessions::None,
    )
    .await
}

/// As `commit`, ending sessions in the same write: a change that weakens
/// or replaces a factor ends every other session, so a stolen one cannot
/// outlive it.
pub(crate) async fn commit_ending(
    state: &Core,
    client: &ClientInfo,
    account: &Account,
    stored: &factors::Stored,
    change: &'static str,
    also: Option<&str>,
    end_sessions: EndSessions<'_>,
) -> Result<()> {
    let notice = notices::security_changed(state, account, change, state.clock.now(), client);
    let mut mails = vec![notice.clone()];
    if let Some(old) = also.filter(|old| !old.eq_ignore_ascii_case(&account.email)) {
        mails.push(notice.to(old));
    }
    let event = AuditEvent::by_user(
        &account.login,
        Action::SecurityInfo,
        Outcome::Success,
        client,
    )
    .detail(change);
    stored
        .save_ending(state, account.id, &mails, Some(&event), end_sessions)
        .await
}

pub async fn confirm_app(state: &Core, browser: &Browser, code: &str) -> Result<()> {
    let (session, account) = require_recent(state, browser).await?;
    let code = required_code(code)?;
    let mut stored = factors::load(state, account.id).await?;
    let Some(pending) = stored.doc.pending_app.take() else {
        return Err(AppError::BadRequest.into());
    };
    let totp = factors::totp(
        state,
        &account,
        factors::open(state, account.id, &pending.sealed)?,
    )?;
    let window = factors::StepWindow::of(state);
    let Some(step) = factors::matching_step(&totp, &code, state.clock.unix(), 0, window) else {
        return Err(AppError::CodeWrong {
            attempts_left: state.config.recovery.max_wrong_codes,
        }
        .into());
    };
    let replaced = stored.doc.app.is_some();
    stored.doc.app = Some(AppSecret {
        sealed: pending.sealed,
        added_at: state.clock.unix(),
        last_step: step,
    });
    stored.doc.default.get_or_insert(Method::App);
    let (change, end) = if replaced {
        ("app_replaced", EndSessions::AllBut(&session.id_hash))
    } else {
        ("app_added", EndSessions::None)
    };
    commit_ending(state, &browser.client, &account, &stored, change, None, end).await
}

pub async fn start_contact(
    state: &Core,
    browser: &Browser,
    method: Method,
    address: &str,
) -> Result<()> {
    let (_, account) = require_recent(state, browser).await?;
    let (address, field) = match method {
        Method::AltEmail => (check_email(address), Field::Email),
        Method::Mobile => (check_mobile(address), Field::Mobile),
        _ => return Err(AppError::BadRequest.into()),
    };
    let Ok(address) = address else {
        return Err(AppError::Invalid(vec![FieldError {
            field,
            problem: if field == Field::Email {
                Problem::BadEmail
            } else {
                Problem::BadMobile
            },
        }])
        .into());
    };
    // An alternate email is a second way in only if it is another mailbox.
    if method == Method::AltEmail && address.eq_ignore_ascii_case(&account.email) {
        return Err(AppError::Invalid(vec![FieldError {
            field,
            problem: Problem::SameAsRegistered,
        }])
        .into());
    }
    let r = &state.config.recovery;
    let now = state.clock.unix();
    let mut stored = factors::load(state, account.id).await?;
    let sends = match &stored.doc.pending_contact {
        Some(p) if p.method == method && p.address == address => {
            let wait = p.sent_at + i64::from(r.resend_cooldown_seconds) - now;
            if wait > 0 {
                return Err(AppError::ResendTooSoon {
                    seconds: wait as u64,
                }
                .into());
            }
            if p.sends >= r.max_codes_per_flow {
                return Err(AppError::ResendCapReached.into());
            }
            p.sends
        }
        _ => 0,
    };
    let code = new_code();
    let expires_at = now + i64::from(r.code_lifetime_seconds);
    let previous = stored.doc.pending_contact.clone();
    stored.doc.pending_contact = Some(PendingContact {
        method,
        code_hash: state
            .keys
            .code_hash(&contact_flow(account.id, &address), &code),
        address: address.clone(),
        expires_at,
        sent_at: now,
        sends: sends + 1,
        wrong: 0,
    });
    // Written (compare-and-set) before the message goes: of sends arriving
    // together one is written, the others wait for the cooldown.
    match stored.save(state, account.id, &[], None).await {
        Ok(()) => {}
        Err(Error::Refused(AppError::Conflict)) => {
            return Err(AppError::ResendTooSoon {
                seconds: r.resend_cooldown_seconds.into(),
            }
            .into())
        }
        Err(e) => return Err(e),
    }
    let sent = factors::count_and_send(state, &account, method, &address, &code, expires_at).await;
    if let Err(e) = sent {
        // Nothing went out: the pending code is taken back if still ours.
        let mut now_stored = factors::load(state, account.id).await?;
        if now_stored.doc.pending_contact == stored.doc.pending_contact {
            now_stored.doc.pending_contact = previous;
            let _ = now_stored.save(state, account.id, &[], None).await;
        }
        return Err(e);
    }
    Ok(())
}

fn contact_flow(account_id: i64, address: &str) -> String {
    format!("contact:{account_id}:{address}")
}

pub async fn confirm_contact(state: &Core, browser: &Browser, code: &str) -> Result<()> {
    let (_, account) = require_recent(state, browser).await?;
    let code = required_code(code)?;
    let mut stored = factors::load(state, account.id).await?;
    let Some(pending) = stored.doc.pending_contact.take() else {
        return Err(AppError::BadRequest.into());
    };
    if state.clock.unix() >= pending.expires_at {
        return Err(AppError::CodeExpired.into());
    }
    let max = state.config.recovery.max_wrong_codes;
    if pending.wrong >= max {
        return Err(AppError::BadRequest.into());
    }
    // Counted (compare-and-set) before the code is checked: of checks
    // arriving together one is counted and made, the others are refused.
    let counted = PendingContact {
        wrong: pending.wrong + 1,
        ..pending.clone()
    };
    stored.doc.pending_contact = Some(counted.clone());
    stored.save(state, account.id, &[], None).await?;
    let flow = contact_flow(account.id, &pending.address);
    if !state.keys.code_matches(&flow, &code, &pending.code_hash) {
        if counted.wrong >= max {
            // At the limit the code is dropped.
            let mut now_stored = factors::load(state, account.id).await?;
            if now_stored.doc.pending_contact.as_ref() == Some(&counted) {
                now_stored.doc.pending_contact = None;
                now_stored.save(state, account.id, &[], None).await?;
            }
        }
        return Err(AppError::CodeWrong {
            attempts_left: max.saturating_sub(counted.wrong),
        }
        .into());
    }
    let mut stored = factors::load(state, account.id).await?;
    if stored.doc.pending_contact.take().as_ref() != Some(&counted) {
        return Err(AppError::Conflict.into());
    }
    let contact = Some(Contact {
        address: pending.address,
        added_at: state.clock.unix(),
    });
    let (old, change) = match pending.method {
        Method::AltEmail => (
            std::mem::replace(&mut stored.doc.alt_email, contact),
            "alt_email",
        ),
        _ => (std::mem::replace(&mut stored.doc.mobile, contact), "mobile"),
    };
    stored.doc.default.get_or_insert(pending.method);
    let old_email = old
        .as_ref()
        .filter(|_| pending.method == Method::AltEmail)
        .map(|c| c.address.clone());
    let change = match (change, old.is_some()) {
        ("alt_email", false) => "alt_email_added",
        ("alt_email", true) => "alt_email_changed",
        (_, false) => "mobile_added",
        (_, true) => "mobile_changed",
    };
    commit(
        state,
        &browser.client,
        &account,
        &stored,
        change,
        old_email.as_deref(),
    )
    .await
}

pub async fn set_questions(
    state: &Core,
    browser: &Browser,
    ids: &[String],
    answers: &[String],
) -> Result<()> {
    let (_, account) = require_recent(state, browser).await?;
    let config = &state.config.security_info.questions;
    if !config.enabled {
        return Err(AppError::NotFound.into());
    }
    let mut chosen: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
    chosen.sort_unstable();
    chosen.dedup();
    let known = ids.iter().all(|id| config.list.iter().any(|q| q.id == *id));
    let mut errors = Vec::new();
    if ids.len() != config.required || chosen.len() != ids.len() || !known {
        errors.push(FieldError {
            field: Field::Question,
            problem: Problem::Required,
        });
    }
    let normalized: Vec<String> = answers
        .iter()
        .map(|a| factors::normalize_answer(a))
        .collect();
    if normalized.len() != ids.len() || normalized.iter().any(|a| a.chars().count() < 2) {
        errors.push(FieldError {
            field: Field::Answer,
            problem: Problem::Required,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let mut hashed = Vec::with_capacity(ids.len());
    for (id, answer) in ids.iter().zip(&normalized) {
        let hash = state.hasher.hash(answer).await?;
        hashed.push((id.clone(), hash));
    }
    let mut stored = factors::load(state, account.id).await?;
    let replaced = stored.doc.questions.is_some();
    stored.doc.questions = Some(Answers {
        answers: hashed,
        added_at: state.clock.unix(),
    });
    stored.doc.default.get_or_insert(Method::Questions);
    let change = if replaced {
        "questions_changed"
    } else {
        "questions_added"
    };
    commit(state, &browser.client, &account, &stored, change, None).await
}

pub async fn remove(state: &Core, browser: &Browser, method: Method) -> Result<()> {
    let (_, account) = require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    // Passkeys are removed one by one (`passkeys::remove`).
    let one_by_one = method == Method::Passkey;
    if one_by_one || !factors::REGISTRABLE.contains(&method) || !stored.doc.has(method) {
        return Err(AppError::NotFound.into());
    }
    let on = stored.doc.two_step || factors::required_by_role(state, &account);
    if on && stored.doc.usable() == [method] {
        return Err(AppError::LastMethod.into());
    }
    let doc = &mut stored.doc;
    let (change, old_email) = match method {
        Method::App => {
            doc.app = None;
            ("app_removed", None)
        }
        Method::AltEmail => ("alt_email_removed", doc.alt_email.take().map(|c| c.address)),
        Method::Mobile => {
            doc.mobile = None;
            ("mobile_removed", None)
        }
        _ => {
            doc.questions = None;
            ("questions_removed", None)
        }
    };
    if doc.default == Some(method) {
        doc.default = None;
        doc.default = doc.registered().first().copied();
    }
    commit(
        state,
        &browser.client,
        &account,
        &stored,
        change,
        old_email.as_deref(),
    )
    .await
}

pub async fn set_default(state: &Core, browser: &Browser, method: Method) -> Result<()> {
    let (_, account) = require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    if !factors::REGISTRABLE.contains(&method) || !stored.doc.has(method) {
        return Err(AppError::NotFound.into());
    }
    stored.doc.default = Some(method);
    commit(
        state,
        &browser.client,
        &account,
        &stored,
        "default_changed",
        None,
    )
    .await
}

pub async fn set_two_step(state: &Core, browser: &Browser, on: bool) -> Result<()> {
    let (session, account) = require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    if on && stored.doc.usable().is_empty() {
        return Err(AppError::NoMethod.into());
    }
    if !on && factors::required_by_role(state, &account) {
        return Err(AppError::Forbidden.into());
    }
    if stored.doc.two_step == on {
        return Ok(());
    }
    stored.doc.two_step = on;
    let (change, end) = if on {
        ("two_step_on", EndSessions::None)
    } else {
        ("two_step_off", EndSessions::AllBut(&session.id_hash))
    };
    commit_ending(state, &browser.client, &account, &stored, change, None, end).await
}

pub async fn new_recovery_codes(state: &Core, browser: &Browser) -> Result<Vec<String>> {
    let (session, account) = require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    let (codes, hashes) = factors::new_recovery_codes(state, account.id);
    stored.doc.recovery_codes = hashes;
    stored.doc.recovery_codes_at = Some(state.clock.unix());
    let end = EndSessions::AllBut(&session.id_hash);
    commit_ending(
        state,
        &browser.client,
        &account,
        &stored,
        "recovery_codes_new",
        None,
        end,
    )
    .await?;
    Ok(codes)
}

/// An administrator's reset for a user who lost every method: methods,
/// recovery codes and the 2-step choice are cleared, in one write with the
/// audit event and the notice.
pub async fn reset_by_admin(
    state: &Core,
    client: &ClientInfo,
    account: &Account,
    audit: &AuditEvent,
) -> Result<()> {
    let mut stored = factors::load(state, account.id).await?;
    stored.doc = factors::SecurityDoc::default();
    let notice =
        notices::security_changed(state, account, "two_step_reset", state.clock.now(), client);
    stored
        .save_ending(state, account.id, &[notice], Some(audit), EndSessions::All)
        .await
}
