//! The second step of a sign-in with 2-step verification. After the right
//! password a flow starts (keyed by a cookie of its own); the session is
//! made only when a second factor is proved. Wrong codes count toward the
//! same throttle as wrong passwords.
use crate::codes::{new_code, normalize_code};
use crate::error::{Error, Result};
use crate::factors::{self, Proof, SecurityDoc};
use crate::recovery::{claim_send, unclaim_send};
use crate::sessions::{self, hash_token, new_token};
use crate::sign_in::{audit, Attempt, SignedIn};
use crate::{passkeys, Browser, Cookie, Core};
use gatehouse_store::audit::Outcome;
use gatehouse_store::{Account, CodeSent, FactorPassed, Flow, FlowState, NewFlow};
use gatehouse_types::error::AppError;
use gatehouse_types::recovery::ChannelOption;
use gatehouse_types::security::{Ceremony, Method};
use gatehouse_types::sign_in::SecondStepView;

fn flow_key(account: &Account) -> String {
    format!(
        "sign-in:{}",
        gatehouse_types::LoginName::key_of(&account.login)
    )
}

fn lifetime(state: &Core) -> i64 {
    i64::from(state.config.recovery.flow_lifetime_minutes) * 60
}

/// Gives the browser the token of its second step.
pub fn hand_over(state: &Core, browser: &Browser, token: &str) {
    browser.set(Cookie::SecondStep, token, Some(lifetime(state)));
}

/// Starts the second step; a code goes out at once when the default
/// method is one that is sent.
pub async fn begin(
    state: &Core,
    account: &Account,
    doc: &SecurityDoc,
    service: Option<&str>,
) -> Result<String> {
    let token = new_token();
    let now = state.clock.unix();
    let key = flow_key(account);
    let new = NewFlow {
        id_hash: &hash_token(&token),
        login_key: &key,
        account_id: Some(account.id),
        now,
        expires_at: now + lifetime(state),
        service,
    };
    state.store.start_flow(&new).await?;
    let first = doc.registered().first().copied();
    if let Some(method) = first.filter(|m| m.is_sent()) {
        let flow = state
            .store
            .flow(new.id_hash)
            .await?
            .ok_or_else(|| Error::unexpected("the second step just started is missing"))?;
        // A failed send is not fatal: the page offers to send again.
        if let Err(e) = send(state, &flow, account, doc, method).await {
            e.set_aside("the first second-step code was not sent");
        }
    }
    Ok(token)
}

/// This browser's open second step and its account.
async fn open(state: &Core, browser: &Browser) -> Result<Option<(Flow, Account)>> {
    let Some(token) = browser.token(Cookie::SecondStep) else {
        return Ok(None);
    };
    let Some(flow) = state.store.flow(&hash_token(&token)).await? else {
        return Ok(None);
    };
    let open = matches!(flow.state, FlowState::Channel | FlowState::Code)
        && flow.expires_at > state.clock.unix()
        && flow.login_key.starts_with("sign-in:");
    let account = match flow.account_id {
        Some(id) if open => state.store.account_by_id(id).await?,
        _ => None,
    };
    // Disabled or ended meanwhile: the step cannot be finished.
    let account = account.filter(|a| sessions::in_good_standing(state, a));
    Ok(account.map(|a| (flow, a)))
}

async fn require(state: &Core, browser: &Browser) -> Result<(Flow, Account)> {
    open(state, browser).await?.ok_or(AppError::FlowVoid.into())
}

/// The methods this account can use now, the default first; recovery
/// codes last.
fn options(account: &Account, doc: &SecurityDoc) -> Vec<ChannelOption> {
    doc.offer(account, doc.second_factors())
}

fn step(
    state: &Core,
    flow: &Flow,
    account: &Account,
    doc: &SecurityDoc,
    method: Method,
) -> SecondStepView {
    let now = state.clock.unix();
    let code_out =
        flow.state == FlowState::Code && flow.channel.as_deref() == Some(method.as_str());
    SecondStepView {
        method,
        options: options(account, doc),
        questions: factors::questions_of(state, doc),
        code_sent: code_out,
        seconds_left: if code_out {
            flow.code_expires_at.map_or(0, |at| (at - now).max(0))
        } else {
            0
        },
    }
}

pub async fn current(state: &Core, browser: &Browser) -> Result<Option<SecondStepView>> {
    let Some((flow, account)) = open(state, browser).await? else {
        return Ok(None);
    };
    let doc = factors::load(state, account.id).await?.doc;
    let method = match (flow.state, flow.channel.as_deref()) {
        (FlowState::Code, Some(channel)) => channel.parse().ok(),
        _ => None,
    }
    .or_else(|| options(&account, &doc).first().map(|o| o.channel))
    .ok_or(AppError::FlowVoid)?;
    Ok(Some(step(state, &flow, &account, &doc, method)))
}

async fn send(
    state: &Core,
    flow: &Flow,
    account: &Account,
    doc: &SecurityDoc,
    method: Method,
) -> Result<()> {
    let r = &state.config.recovery;
    let now = state.clock.unix();
    let address = doc.address(account, method).ok_or(AppError::BadRequest)?;
    // Claimed and counted before anything goes out: sends arriving
    // together send one message.
    let claimed_at = claim_send(state, flow).await?;
    let code = new_code();
    let expires_at = now + i64::from(r.code_lifetime_seconds);
    let sent = factors::count_and_send(state, account, method, address, &code, expires_at).await;
    if let Err(e) = sent {
        unclaim_send(state, flow, claimed_at).await?;
        return Err(e);
    }
    let sent = CodeSent {
        flow: &flow.id_hash,
        channel: method.as_str(),
        code_hash: &state.keys.code_hash(&flow.id_hash, &code),
        code_expires_at: expires_at,
        codes_sent_before: flow.codes_sent,
        now: claimed_at,
    };
    state
        .store
        .record_code_sent(&sent)
        .await
        .map_err(|_| AppError::FlowVoid.into())
}

/// Switches to `method` ("Use another method"); a code goes out for a
/// method that is sent.
pub async fn choose(state: &Core, browser: &Browser, method: Method) -> Result<SecondStepView> {
    let (flow, account) = require(state, browser).await?;
    let doc = factors::load(state, account.id).await?.doc;
    if !options(&account, &doc).iter().any(|o| o.channel == method) {
        return Err(AppError::BadRequest.into());
    }
    if !method.is_sent() {
        return Ok(step(state, &flow, &account, &doc, method));
    }
    send(state, &flow, &account, &doc, method).await?;
    let flow = state
        .store
        .flow(&flow.id_hash)
        .await?
        .ok_or(AppError::FlowVoid)?;
    Ok(step(state, &flow, &account, &doc, method))
}

/// Starts the WebAuthn ceremony of this browser's second step, when a
/// passkey is one of its methods.
pub async fn passkey_ceremony(state: &Core, browser: &Browser) -> Result<Ceremony> {
    let (flow, account) = require(state, browser).await?;
    let doc = factors::load(state, account.id).await?.doc;
    if !doc.has(Method::Passkey) {
        return Err(AppError::BadRequest.into());
    }
    passkeys::start_second_step(state, &account, &flow.id_hash).await
}

/// Whether the proof is right; an error for a request that cannot be
/// checked at all (no code sent by that method, or it expired).
async fn check_proof(
    state: &Core,
    flow: &Flow,
    account: &Account,
    method: Method,
    proof: Proof<'_>,
    browser: &Browser,
) -> Result<(bool, Option<String>)> {
    let now = state.clock.unix();
    if let (Method::Passkey, Proof::Passkey { handle, credential }) = (method, &proof) {
        let client = &browser.client;
        let right =
            passkeys::check_second_step(state, account, &flow.id_hash, handle, credential, client)
                .await?;
        return Ok((right, None));
    }
    if !method.is_sent() {
        return Ok((factors::check(state, account, method, proof).await?, None));
    }
    let Proof::Code(code) = proof else {
        return Err(AppError::BadRequest.into());
    };
    let stored = flow.code_hash.clone().unwrap_or_default();
    let current = flow.state == FlowState::Code && flow.channel.as_deref() == Some(method.as_str());
    if !current {
        return Err(AppError::BadRequest.into());
    }
    if flow.code_expires_at.is_none_or(|at| now >= at) {
        return Err(AppError::CodeExpired.into());
    }
    let right = state
        .keys
        .code_matches(&flow.id_hash, &normalize_code(code), &stored);
    Ok((right, Some(stored)))
}

/// Checks the second factor; when right, the session starts. Returns it
/// and the e-service the sign-in is for.
pub async fn verify(
    state: &Core,
    method: Method,
    proof: Proof<'_>,
    browser: &Browser,
) -> Result<(SignedIn, Option<String>)> {
    let (flow, account) = require(state, browser).await?;
    let client = &browser.client;
    let store = state.store.as_ref();
    let attempt = Attempt::new(state, &account.login, client);
    let reserved = attempt.reserve(state, &account.login, client).await?;
    let max = i64::from(state.config.recovery.max_wrong_codes);
    let checking = async { Ok(store.reserve_code_check(&flow.id_hash, max).await?) };
    let (tried, reserved) = attempt.made(state, reserved, checking).await?;
    let Some(tried) = tried else {
        attempt.release(state, reserved).await?;
        browser.clear(Cookie::SecondStep);
        return Err(AppError::FlowVoid.into());
    };
    let (right, code_hash) = match check_proof(state, &flow, &account, method, proof, browser).await
    {
        Ok(checked) => checked,
        Err(e) => {
            let given_back = async {
                attempt.release(state, reserved).await?;
                Ok(store.release_code_check(&flow.id_hash).await?)
            };
            if let Err(cleanup) = given_back.await {
                e.set_aside("checking a second factor failed");
                return Err(cleanup);
            }
            return Err(e);
        }
    };

    if !right {
        attempt.fail(state, reserved).await?;
        let detail = format!("wrong_second_factor:{}", method.as_str());
        audit(state, &account.login, Outcome::Failure, client, &detail).await;
        if tried >= max {
            store.void_flow(&flow.id_hash).await?;
            browser.clear(Cookie::SecondStep);
            return Err(AppError::FlowVoid.into());
        }
        if method == Method::Passkey {
            return Err(AppError::PasskeyRefused.into());
        }
        return Err(AppError::CodeWrong {
            attempts_left: (max - tried).max(0) as u32,
        }
        .into());
    }
    store.release_code_check(&flow.id_hash).await?;
    let passed = FactorPassed {
        flow: &flow.id_hash,
        code_hash: code_hash.as_deref(),
        first_factor: None,
    };
    if !store.pass_factor(&passed).await? {
        // Another request passed this step first (a double click): this
        // one is no failure.
        attempt.release(state, reserved).await?;
        return Err(AppError::FlowVoid.into());
    }
    store.void_flow(&flow.id_hash).await?;
    browser.clear(Cookie::SecondStep);
    let detail = format!("second_step:{}", method.as_str());
    let token = attempt
        .open_session(state, reserved, browser, &account, true, &detail)
        .await?;
    Ok((
        SignedIn {
            token,
            must_change: sessions::must_change(state, &account),
            account,
        },
        flow.service,
    ))
}
