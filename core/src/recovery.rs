//! The wizard's rules. A login name with no account gets a flow too, one
//! that sends nothing and never accepts a code, so every answer, status
//! and delay is the same whether the name exists or not.
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::change_password::check_new_password;
use crate::codes::{decoy_channels, decoy_questions, new_code, required_code, DecoyModel};
use crate::factors::{self, Proof, SecurityDoc};
use crate::sessions::{hash_token, new_token};
use crate::sign_in::Attempt;
use crate::throttle::{login_key, release_quotas, reserve_quotas, ThrottleRule};
use crate::{captcha, notices, Browser, Cookie, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{
    Account, CodeSent, FactorPassed, Flow, FlowState, NewFlow, PasswordChange, SendClaim,
    StoreError,
};
use gatehouse_types::account::AccountStatus;
use gatehouse_types::error::{AppError, Field, FieldError, Problem};
use gatehouse_types::recovery::{Channel, ChannelOption, CodeStep, Step};
use gatehouse_types::security::Question;
use gatehouse_types::LoginName;
use gatehouse_types::Password;

/// This browser's flow, if it has one that is still open.
async fn open_flow(state: &Core, browser: &Browser) -> Result<Option<Flow>> {
    let Some(token) = browser.token(Cookie::Recovery) else {
        return Ok(None);
    };
    let flow = state.store.flow(&hash_token(&token)).await?;
    Ok(flow.filter(|f| !matches!(f.state, FlowState::Void) && f.expires_at > state.clock.unix()))
}

/// This browser's open flow, or the error that says to start again.
async fn require_flow(state: &Core, browser: &Browser, expected: &[FlowState]) -> Result<Flow> {
    match open_flow(state, browser).await? {
        Some(flow) if expected.contains(&flow.state) => Ok(flow),
        _ => Err(AppError::FlowVoid.into()),
    }
}

async fn account_of(state: &Core, flow: &Flow) -> Result<Option<Account>> {
    match flow.account_id {
        Some(id) => Ok(state.store.account_by_id(id).await?),
        None => Ok(None),
    }
}

/// Whether the account may set its password here: active and not past
/// its end date and its role's grace.
fn may_reset(state: &Core, account: &Account) -> bool {
    account.status == AccountStatus::Active && !crate::lifecycle::ended(state, account)
}

fn unavailable(state: &Core) -> Step {
    Step::Unavailable {
        phone: state.config.contact.phone.clone(),
        email: state.config.contact.email.clone(),
    }
}

fn identify(state: &Core, captcha: String, restarted: bool) -> Step {
    Step::Identify {
        captcha,
        ask_email: state.config.recovery.ask_email,
        restarted,
    }
}

async fn new_identify(state: &Core, client: &ClientInfo, restarted: bool) -> Result<Step> {
    let id = new_captcha(state, client).await?;
    Ok(identify(state, id, restarted))
}

/// A new CAPTCHA challenge, within the hourly number per client address.
pub async fn new_captcha(state: &Core, client: &ClientInfo) -> Result<String> {
    let quotas = [(
        format!("captcha:addr:{}", client.addr),
        ThrottleRule::hourly(state.config.captcha.per_address_per_hour),
    )];
    reserve_quotas(state, &quotas).await?;
    Ok(captcha::create(state).await?)
}

/// What a flow offers: for an account, its registered email and mobile
/// and every method of its security info, the default first (once a first
/// channel is proved under 2-step verification: the 2-step methods and
/// recovery codes, not the proved one); for an unknown name, the masks its
/// secret-derived decoy would show.
async fn channels(
    state: &Core,
    login_key: &str,
    account: Option<(&Account, &SecurityDoc)>,
    first: Option<&str>,
) -> Result<Vec<ChannelOption>> {
    // Read for every name alike, so the time tells nothing either.
    let model = decoy_model(state).await?;
    let Some((account, doc)) = account else {
        return Ok(decoy_channels(
            &state.keys,
            login_key,
            &model,
            &state.config.recovery.decoy_email_domains,
        )
        .into_iter()
        .map(|(channel, masked)| ChannelOption { channel, masked })
        .collect());
    };
    let methods = match first {
        Some(first) => {
            let mut methods = doc.second_factors();
            // The wizard runs no WebAuthn ceremony.
            methods.retain(|m| m.as_str() != first && *m != Channel::Passkey);
            methods
        }
        None => doc.first_channels(has_mobile(account)),
    };
    Ok(doc.offer(account, methods))
}

/// Whether the flow's channel step offers `channel` (what the page showed
/// is all a request may choose).
async fn offers(
    state: &Core,
    flow: &Flow,
    found: &Option<(Account, SecurityDoc)>,
    channel: Channel,
) -> Result<bool> {
    let options = channels(
        state,
        &flow.login_key,
        as_refs(found),
        flow.first_factor.as_deref(),
    )
    .await?;
    Ok(options.iter().any(|o| o.channel == channel))
}

fn has_mobile(account: &Account) -> bool {
    account.mobile.as_deref().is_some_and(|m| !m.is_empty())
}

/// How the real accounts look, read again every ten minutes.
async fn decoy_model(state: &Core) -> Result<DecoyModel> {
    const FRESH_FOR: i64 = 600;
    let now = state.clock.unix();
    let mut cached = state.decoys.lock().await;
    if let Some((_, model)) = cached.as_ref().filter(|(at, _)| now - at < FRESH_FOR) {
        return Ok(model.clone());
    }
    let profile = state.store.accounts_profile().await?;
    let mut sets: HashMap<Vec<Channel>, i64> = HashMap::new();
    let (without_mobile, with_mobile) = profile.plain;
    let none = SecurityDoc::default();
    *sets.entry(none.first_channels(false)).or_default() += without_mobile;
    *sets.entry(none.first_channels(true)).or_default() += with_mobile;
    for (json, records_mobile) in &profile.documents {
        // A document that no longer reads counts as none (its account's
        // own wizard would fail to load it anyway).
        let doc: SecurityDoc = serde_json::from_str(json).unwrap_or_default();
        *sets.entry(doc.first_channels(*records_mobile)).or_default() += 1;
    }
    let mut channel_sets: Vec<(Vec<Channel>, i64)> =
        sets.into_iter().filter(|(_, n)| *n > 0).collect();
    // A fixed order, so the same name draws the same list until the
    // accounts change.
    channel_sets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let model = DecoyModel {
        domains: profile.domains,
        channel_sets,
    };
    *cached = Some((now, model.clone()));
    Ok(model)
}

/// A flow's account with its security info.
async fn security_of(
    state: &Core,
    account: Option<Account>,
) -> Result<Option<(Account, SecurityDoc)>> {
    match account {
        Some(account) => {
            let doc = factors::load(state, account.id).await?.doc;
            Ok(Some((account, doc)))
        }
        None => Ok(None),
    }
}

fn as_refs(found: &Option<(Account, SecurityDoc)>) -> Option<(&Account, &SecurityDoc)> {
    found.as_ref().map(|(a, d)| (a, d))
}

async fn code_step(
    state: &Core,
    flow: &Flow,
    found: Option<(&Account, &SecurityDoc)>,
) -> Result<Step> {
    let now = state.clock.unix();
    let channel = flow
        .channel
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(Channel::Email);
    let masked = channels(state, &flow.login_key, found, flow.first_factor.as_deref())
        .await?
        .into_iter()
        .find(|o| o.channel == channel)
        .map(|o| o.masked)
        .unwrap_or_default();
    let expires = flow.code_expires_at.unwrap_or(now);
    let r = &state.config.recovery;
    let resend_at = flow.last_sent_at.unwrap_or(now) + i64::from(r.resend_cooldown_seconds);
    Ok(Step::Code(CodeStep {
        channel,
        masked,
        seconds_left: (expires - now).max(0),
        expires_at: time::OffsetDateTime::from_unix_timestamp(expires)
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[hour]:[minute]:[second] UTC"
                ))
                .ok()
            })
            .unwrap_or_default(),
        resend_in: (resend_at - now).max(0),
        resends_left: (i64::from(r.max_codes_per_flow) - flow.codes_sent).max(0) as u32,
    }))
}

fn password_step(state: &Core, account: &Account) -> Step {
    Step::NewPassword {
        policy: (*state.policy).clone(),
        login: account.login.clone(),
        display_name: account.display_name.clone(),
    }
}

/// The step a flow is at.
async fn step_of(state: &Core, client: &ClientInfo, flow: &Flow) -> Result<Step> {
    let found = security_of(state, account_of(state, flow).await?).await?;
    let account = found.as_ref().map(|(a, _)| a.clone());
    Ok(match flow.state {
        FlowState::Channel => Step::Channel {
            options: channels(
                state,
                &flow.login_key,
                as_refs(&found),
                flow.first_factor.as_deref(),
            )
            .await?,
            second: flow.first_factor.is_some(),
        },
        FlowState::Code => code_step(state, flow, as_refs(&found)).await?,
        FlowState::Password => match account {
            Some(a) if may_reset(state, &a) => password_step(state, &a),
            Some(_) => unavailable(state),
            None => return Err(AppError::FlowVoid.into()),
        },
        FlowState::Done => Step::Done,
        FlowState::Void => new_identify(state, client, true).await?,
    })
}

pub async fn current_step(state: &Core, browser: &Browser, resume: bool) -> Result<Step> {
    let token = browser.token(Cookie::Recovery);
    if resume {
        if let Some(flow) = open_flow(state, browser).await? {
            return step_of(state, &browser.client, &flow).await;
        }
    } else if let Some(token) = &token {
        state.store.void_flow(&hash_token(token)).await?;
    }
    if token.is_some() {
        browser.clear(Cookie::Recovery);
    }
    new_identify(state, &browser.client, resume && token.is_some()).await
}

pub async fn abandon(state: &Core, browser: &Browser) -> Result<()> {
    if let Some(token) = browser.token(Cookie::Recovery) {
        state.store.void_flow(&hash_token(&token)).await?;
        browser.clear(Cookie::Recovery);
    }
    Ok(())
}

pub struct StartForm<'a> {
    pub login: &'a str,
    pub email: &'a str,
    pub captcha_id: &'a str,
    pub captcha: &'a str,
}

pub async fn start(state: &Core, form: &StartForm<'_>, browser: &Browser) -> Result<Step> {
    let client = &browser.client;
    let r = &state.config.recovery;
    let login = form.login.trim();
    let mut errors = Vec::new();
    let mut require = |field, value: &str| {
        if value.trim().is_empty() {
            errors.push(FieldError {
                field,
                problem: Problem::Required,
            });
        }
    };
    require(Field::Login, login);
    if r.ask_email {
        require(Field::Email, form.email);
    }
    require(Field::Captcha, form.captcha);
    // The challenge is used up by any try, even an incomplete form.
    let solved = captcha::solve(state, form.captcha_id, form.captcha).await?;
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }

    let key = login_key(login);
    let quotas = [
        (
            format!("recovery-start:{key}"),
            ThrottleRule::hourly(r.starts_per_login_per_hour),
        ),
        (
            format!("recovery-start:addr:{}", client.addr),
            ThrottleRule::hourly(r.starts_per_address_per_hour),
        ),
    ];
    // The address counts every try; the name only tries that solved the
    // CAPTCHA, so nobody can use up another person's starts without it.
    let (for_name, for_address) = quotas.split_at(1);
    let counted = reserve_quotas(state, for_address).await?;
    if !solved {
        return Err(AppError::Invalid(vec![FieldError {
            field: Field::Captcha,
            problem: Problem::CaptchaWrong,
        }])
        .into());
    }
    if let Err(refused) = reserve_quotas(state, for_name).await {
        // Refused starts do not count against the address.
        release_quotas(state, for_address, &counted).await?;
        return Err(refused);
    }

    // A name too long to be anyone's is looked up nowhere, and otherwise
    // answered like any other unknown one.
    let account = match LoginName::parse(login) {
        Ok(name) => state.store.account_by_login(&name).await?,
        Err(_) => None,
    }
    .filter(|a| !r.ask_email || a.email.eq_ignore_ascii_case(form.email.trim()));
    let token = new_token();
    let now = state.clock.unix();
    let flow_key = LoginName::key_of(login);
    let new = NewFlow {
        id_hash: &hash_token(&token),
        login_key: &flow_key,
        account_id: account.as_ref().map(|a| a.id),
        now,
        expires_at: now + i64::from(r.flow_lifetime_minutes) * 60,
        service: None,
    };
    state.store.start_flow(&new).await?;
    let event = AuditEvent::by_user(login, Action::RecoveryStarted, Outcome::Success, client);
    let event = if account.is_some() {
        event
    } else {
        event.detail("unknown_login")
    };
    state.store.record_audit(&event, now).await?;
    browser.set(
        Cookie::Recovery,
        &token,
        Some(i64::from(r.flow_lifetime_minutes) * 60),
    );
    let found = security_of(state, account).await?;
    Ok(Step::Channel {
        options: channels(state, &flow_key, as_refs(&found), None).await?,
        second: false,
    })
}

pub async fn send_code(state: &Core, channel: Channel, browser: &Browser) -> Result<Step> {
    let client = &browser.client;
    let started = Instant::now();
    let r = &state.config.recovery;
    let flow = require_flow(state, browser, &[FlowState::Channel, FlowState::Code]).await?;
    let now = state.clock.unix();
    let found = security_of(state, account_of(state, &flow).await?).await?;
    if !offers(state, &flow, &found, channel).await? {
        return Err(AppError::BadRequest.into());
    }
    if !channel.is_sent() {
        // Nothing to send: the user holds this factor.
        return Ok(held_step(state, &flow, channel, as_refs(&found)));
    }
    let quotas = [
        (
            format!("recovery-send:login:{}", flow.login_key),
            ThrottleRule::hourly(r.messages_per_account_per_hour),
        ),
        (
            format!("recovery-send:addr:{}", client.addr),
            ThrottleRule::hourly(r.messages_per_address_per_hour),
        ),
    ];
    // Claimed and counted before anything goes out: sends arriving
    // together send one message.
    let claimed_at = claim_send(state, &flow).await?;
    let counted = match reserve_quotas(state, &quotas).await {
        Ok(counted) => counted,
        Err(e) => {
            unclaim_send(state, &flow, claimed_at).await?;
            return Err(e);
        }
    };

    let code = new_code();
    let code_expires_at = now + i64::from(r.code_lifetime_seconds);
    let delivered = match &found {
        Some((account, doc)) => match doc.address(account, channel) {
            Some(to) => {
                let delivering = Instant::now();
                let sent =
                    factors::send_code(state, account, channel, to, &code, code_expires_at).await;
                state.send_times.record(delivering.elapsed());
                sent
            }
            None => Err(AppError::BadRequest.into()),
        },
        // An unknown name: nothing is sent, and the code is one nobody has.
        None => Ok(()),
    };
    if let Err(e) = &delivered {
        e.set_aside("a recovery code was not sent");
        // Nothing went out: nothing is used up.
        unclaim_send(state, &flow, claimed_at).await?;
        release_quotas(state, &quotas, &counted).await?;
        wait_for_floor(state, started).await;
        let event = AuditEvent::by_user(
            &flow.login_key,
            Action::RecoveryCodeSent,
            Outcome::Failure,
            client,
        )
        .detail("delivery_failed");
        state.store.record_audit(&event, now).await?;
        return Err(AppError::DeliveryFailed.into());
    }
    let sent = CodeSent {
        flow: &flow.id_hash,
        channel: channel.as_str(),
        code_hash: &state.keys.code_hash(&flow.id_hash, &code),
        code_expires_at,
        codes_sent_before: flow.codes_sent,
        now: claimed_at,
    };
    match state.store.record_code_sent(&sent).await {
        Ok(()) => {}
        // The flow moved on meanwhile (left, voided).
        Err(StoreError::Conflict) => return Err(AppError::FlowVoid.into()),
        Err(e) => return Err(Error::from(e)),
    }
    let event = AuditEvent::by_user(
        &flow.login_key,
        Action::RecoveryCodeSent,
        Outcome::Success,
        client,
    )
    .detail(channel.as_str());
    state.store.record_audit(&event, now).await?;
    wait_for_floor(state, started).await;

    // The flow as `record_code_sent` just left it.
    let flow = Flow {
        state: FlowState::Code,
        channel: Some(channel.as_str().to_owned()),
        code_expires_at: Some(code_expires_at),
        codes_sent: flow.codes_sent + 1,
        last_sent_at: Some(now),
        ..flow
    };
    code_step(state, &flow, as_refs(&found)).await
}

fn held_step(
    state: &Core,
    flow: &Flow,
    channel: Channel,
    found: Option<(&Account, &SecurityDoc)>,
) -> Step {
    let questions = match (channel, found) {
        (Channel::Questions, Some((_, doc))) => factors::questions_of(state, doc),
        // An unknown name shows questions from the list like an account
        // that answered them.
        (Channel::Questions, None) => {
            let q = &state.config.security_info.questions;
            decoy_questions(&state.keys, &flow.login_key, q.list.len(), q.required)
                .into_iter()
                .filter_map(|i| q.list.get(i))
                .map(Question::from)
                .collect()
        }
        _ => Vec::new(),
    };
    Step::Held { channel, questions }
}

/// Refuses another code on a flow (a reset's or a sign-in's second step)
/// past its number of codes or within the cooldown after the last one.
pub fn may_send(state: &Core, flow: &Flow) -> Result<()> {
    let r = &state.config.recovery;
    if flow.codes_sent >= i64::from(r.max_codes_per_flow) {
        return Err(AppError::ResendCapReached.into());
    }
    if let Some(last) = flow.last_sent_at {
        let wait = last + i64::from(r.resend_cooldown_seconds) - state.clock.unix();
        if wait > 0 {
            return Err(AppError::ResendTooSoon {
                seconds: wait as u64,
            }
            .into());
        }
    }
    Ok(())
}

/// Claims the flow's next code before anything is sent: of sends arriving
/// together one wins, the others wait for the cooldown. The claim is
/// given back (`unclaim`) if the message cannot go.
pub async fn claim_send(state: &Core, flow: &Flow) -> Result<i64> {
    may_send(state, flow)?;
    let r = &state.config.recovery;
    let now = state.clock.unix();
    let claimed = state
        .store
        .claim_code_send(&send_claim(state, flow, now))
        .await?;
    if claimed {
        Ok(now)
    } else {
        Err(AppError::ResendTooSoon {
            seconds: r.resend_cooldown_seconds.into(),
        }
        .into())
    }
}

pub async fn unclaim_send(state: &Core, flow: &Flow, claimed_at: i64) -> Result<()> {
    Ok(state
        .store
        .release_code_send(&send_claim(state, flow, claimed_at))
        .await?)
}

fn send_claim<'a>(state: &Core, flow: &'a Flow, now: i64) -> SendClaim<'a> {
    let r = &state.config.recovery;
    SendClaim {
        flow: &flow.id_hash,
        codes_sent_before: flow.codes_sent,
        last_sent_before: flow.last_sent_at,
        max_codes: i64::from(r.max_codes_per_flow),
        cooldown_seconds: i64::from(r.resend_cooldown_seconds),
        now,
    }
}

/// Answers no sooner than the configured floor, nor sooner than the
/// slowest recent delivery took, so the time a real send takes tells
/// nothing about whether the name exists.
pub(crate) async fn wait_for_floor(state: &Core, started: Instant) {
    let floor =
        Duration::from_millis(state.config.recovery.send_floor_ms).max(state.send_times.slowest());
    if let Some(rest) = floor.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
}

pub async fn verify_code(state: &Core, code: &str, browser: &Browser) -> Result<Step> {
    let flow = require_flow(state, browser, &[FlowState::Code]).await?;
    let code = required_code(code)?;
    let now = state.clock.unix();
    if flow.code_expires_at.is_none_or(|at| now >= at) {
        return Err(AppError::CodeExpired.into());
    }
    let stored = flow.code_hash.clone().unwrap_or_default();
    let tried = reserve_check(state, browser, &flow).await?;
    if !state.keys.code_matches(&flow.id_hash, &code, &stored) {
        return Err(Error::Refused(wrong(state, &flow, tried, browser).await?));
    }
    release_check(state, &flow).await?;
    let channel = flow
        .channel
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(Channel::Email);
    proved(state, flow, channel, Some(&stored), browser).await
}

/// Checks a factor the user holds: authenticator app, recovery code or
/// security questions.
pub async fn verify_held(
    state: &Core,
    channel: Channel,
    proof: Proof<'_>,
    browser: &Browser,
) -> Result<Step> {
    let client = &browser.client;
    let flow = require_flow(state, browser, &[FlowState::Channel, FlowState::Code]).await?;
    let found = security_of(state, account_of(state, &flow).await?).await?;
    let offered = offers(state, &flow, &found, channel).await?;
    if !offered || channel.is_sent() {
        return Err(AppError::BadRequest.into());
    }
    if let Proof::Code(code) = &proof {
        if code.trim().is_empty() {
            return Err(AppError::Invalid(vec![FieldError {
                field: Field::Code,
                problem: Problem::Required,
            }])
            .into());
        }
    }
    // An app code or an answer is guessable like a password: it counts
    // against the sign-in throttle of the login name too, reserved first.
    // An unknown name counts the same way and is never right.
    let login = found
        .as_ref()
        .map_or(flow.login_key.as_str(), |(a, _)| a.login.as_str());
    let attempt = Attempt::new(state, login, client);
    let reserved = attempt.reserve(state, login, client).await?;
    let (tried, reserved) = attempt
        .made(state, reserved, reserve_check(state, browser, &flow))
        .await?;
    let checked = match &found {
        Some((account, _)) => factors::check(state, account, channel, proof).await,
        None => decoy_check(state, proof).await,
    };
    let right = match checked {
        Ok(right) => right,
        Err(e) => {
            let given_back = async {
                attempt.release(state, reserved).await?;
                release_check(state, &flow).await
            };
            if let Err(cleanup) = given_back.await {
                e.set_aside("checking a held factor failed");
                return Err(cleanup);
            }
            return Err(e);
        }
    };
    if !right {
        attempt.fail(state, reserved).await?;
        return Err(Error::Refused(wrong(state, &flow, tried, browser).await?));
    }
    attempt.release(state, reserved).await?;
    release_check(state, &flow).await?;
    proved(state, flow, channel, None, browser).await
}

/// An unknown name's check: the work an account's would do (a hash per
/// answer), and never right.
async fn decoy_check(state: &Core, proof: Proof<'_>) -> Result<bool> {
    if let Proof::Answers(given) = proof {
        if given.len() == state.config.security_info.questions.required {
            for answer in given {
                state
                    .hasher
                    .verify(&factors::normalize_answer(answer), None)
                    .await?;
            }
        }
    }
    Ok(false)
}

/// Counts a code or answer check on the flow before it is made: once the
/// flow's wrong answers are used up (or reserved by checks under way) it
/// is over, however many arrive together.
async fn reserve_check(state: &Core, browser: &Browser, flow: &Flow) -> Result<i64> {
    let max = i64::from(state.config.recovery.max_wrong_codes);
    match state.store.reserve_code_check(&flow.id_hash, max).await? {
        Some(tried) => Ok(tried),
        None => {
            browser.clear(Cookie::Recovery);
            Err(AppError::FlowVoid.into())
        }
    }
}

/// A right answer gives its reserved check back.
async fn release_check(state: &Core, flow: &Flow) -> Result<()> {
    Ok(state.store.release_code_check(&flow.id_hash).await?)
}

/// A wrong code or answer (its check already counted as `tried`): the
/// error to show, or at the limit the flow is void.
async fn wrong(state: &Core, flow: &Flow, tried: i64, browser: &Browser) -> Result<AppError> {
    let client = &browser.client;
    let max = i64::from(state.config.recovery.max_wrong_codes);
    let void = tried >= max;
    if void {
        state.store.void_flow(&flow.id_hash).await?;
    }
    let event = AuditEvent::by_user(
        &flow.login_key,
        Action::RecoveryCodeChecked,
        Outcome::Failure,
        client,
    )
    .detail(if void { "flow_void" } else { "wrong_code" });
    state.store.record_audit(&event, state.clock.unix()).await?;
    if void {
        browser.clear(Cookie::Recovery);
        return Ok(AppError::FlowVoid);
    }
    Ok(AppError::CodeWrong {
        attempts_left: (max - tried).max(0) as u32,
    })
}

/// A channel proved: on to the new password, or, when 2-step verification
/// is on and this was the first channel, back to choose one more (a reset
/// never bypasses 2-step verification).
async fn proved(
    state: &Core,
    flow: Flow,
    channel: Channel,
    code_hash: Option<&str>,
    browser: &Browser,
) -> Result<Step> {
    let client = &browser.client;
    let found = security_of(state, account_of(state, &flow).await?).await?;
    let needs_second = flow.first_factor.is_none()
        && found
            .as_ref()
            .is_some_and(|(a, d)| factors::two_step_on(state, a, d));
    let first = needs_second.then(|| channel.as_str());
    let passed = FactorPassed {
        flow: &flow.id_hash,
        code_hash,
        first_factor: first,
    };
    if !state.store.pass_factor(&passed).await? {
        return Err(AppError::FlowVoid.into());
    }
    let event = AuditEvent::by_user(
        &flow.login_key,
        Action::RecoveryCodeChecked,
        Outcome::Success,
        client,
    )
    .detail(channel.as_str());
    state.store.record_audit(&event, state.clock.unix()).await?;
    let flow = if needs_second {
        Flow {
            state: FlowState::Channel,
            first_factor: first.map(str::to_owned),
            last_sent_at: None,
            ..flow
        }
    } else {
        Flow {
            state: FlowState::Password,
            ..flow
        }
    };
    step_of(state, client, &flow).await
}

pub async fn reset(
    state: &Core,
    new: &Password,
    confirm: &Password,
    browser: &Browser,
) -> Result<Step> {
    let client = &browser.client;
    let flow = require_flow(state, browser, &[FlowState::Password]).await?;
    let account = match account_of(state, &flow).await? {
        Some(a) if may_reset(state, &a) => a,
        Some(_) => return Ok(unavailable(state)),
        None => return Err(AppError::FlowVoid.into()),
    };
    let errors = check_new_password(state, &account, new, confirm, true).await?;
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }

    let new_hash = state.hasher.hash(new.expose()).await?;
    let notice = notices::password_changed(
        state,
        &account,
        state.clock.now(),
        client,
        notices::PasswordEvent::Reset,
    );
    let audit = AuditEvent::by_user(
        &account.login,
        Action::PasswordReset,
        Outcome::Success,
        client,
    )
    .detail(if account.password_hash.is_none() {
        "first_time"
    } else {
        "forgot"
    });
    let throttle_key = login_key(&account.login);
    let change = PasswordChange {
        account_id: account.id,
        expected_hash: account.password_hash.as_deref(),
        new_hash: &new_hash,
        history_depth: state.policy.history_depth,
        keep_session: None,
        notice: &notice,
        audit: &audit,
        complete_flow: Some(&flow.id_hash),
        clear_throttle: Some(&throttle_key),
        now: state.clock.unix(),
    };
    match state.store.change_password(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            tracing::info!("the account or flow changed meanwhile; the reset was not applied");
            return Err(AppError::Conflict.into());
        }
        Err(e) => return Err(Error::from(e)),
    }
    // The cookie stays until it expires: the page (a plain form post comes
    // back to it) shows this flow's "done" step; nothing more can be done
    // with it.
    state.mail_wakeup.notify_one();
    Ok(Step::Done)
}
