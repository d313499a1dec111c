//! Checking a sign-in: throttling first, then the password (against a dummy
//! hash for unknown names), then a fresh session.
use crate::error::{Error, Result};
use crate::second_step;
use crate::sessions;
use crate::throttle::{address_key, login_key, ThrottleRule};
use crate::{factors, lifecycle};
use crate::{Browser, Cookie, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, NewSession, SignInDone};
use gatehouse_types::account::AccountStatus;
use gatehouse_types::{AppError, LoginName, Password};

pub struct SignedIn {
    pub token: String,
    pub must_change: bool,
    pub account: Account,
}

/// How a right password ends: signed in, or asked for a second factor
/// (the browser holds that step's token; no session exists yet).
pub enum SignInResult {
    SignedIn(Box<SignedIn>),
    SecondStep,
}

#[tracing::instrument(skip(state, browser, password, service), fields(client = %browser.client.addr))]
pub async fn sign_in(
    state: &Core,
    browser: &Browser,
    login: &str,
    password: &Password,
    service: Option<&str>,
) -> Result<SignInResult> {
    let client = &browser.client;
    let store = state.store.as_ref();
    // Certainly no login name: refused before it is counted, audited or
    // stored anywhere (its length tells nothing about any account).
    let name = LoginName::parse(login).map_err(|_| AppError::BadRequest)?;
    state.hasher.refuses_now()?;
    let login = name.as_str();
    let attempt = Attempt::new(state, login, client);
    let reserved = attempt.reserve(state, login, client).await?;

    let checked = async {
        let account = if login.is_empty() {
            None
        } else {
            store.account_by_login(&name).await?
        };
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let matched = state
            .hasher
            .verify(password.expose(), stored.as_deref())
            .await?;
        Ok((account, stored, matched))
    };
    let ((account, stored, matched), reserved) = attempt.made(state, reserved, checked).await?;
    let account = match account {
        Some(account) if matched && account.status == AccountStatus::Active => account,
        _ => {
            attempt.fail(state, reserved).await?;
            audit(
                state,
                login,
                Outcome::Failure,
                client,
                "invalid_credentials",
            )
            .await;
            return Err(AppError::InvalidCredentials.into());
        }
    };

    // Only someone who knows the password learns that the account ended.
    let reserved = attempt
        .refuse_if_ended(state, reserved, &account, client)
        .await?;
    let upgraded = async {
        if let Some(hash) = stored.as_deref().filter(|h| state.hasher.needs_rehash(h)) {
            let fresh = state.hasher.hash(password.expose()).await?;
            store.rehash_password(account.id, hash, &fresh).await?;
        }
        factors::load(state, account.id).await
    };
    let (security, reserved) = attempt.made(state, reserved, upgraded).await?;
    if factors::two_step_on(state, &account, &security.doc) {
        // The password was right; the second step counts its own attempts.
        attempt.release(state, reserved).await?;
        let token = second_step::begin(state, &account, &security.doc, service).await?;
        second_step::hand_over(state, browser, &token);
        audit(
            state,
            &account.login,
            Outcome::Success,
            client,
            "password_then_second_step",
        )
        .await;
        return Ok(SignInResult::SecondStep);
    }
    // With a second step, failures are cleared only once it is passed too:
    // re-entering the password must not reset the count of wrong codes.
    let token = attempt
        .open_session(state, reserved, browser, &account, false, "password")
        .await?;
    Ok(SignInResult::SignedIn(Box::new(SignedIn {
        token,
        must_change: sessions::must_change(state, &account),
        account,
    })))
}

/// Where a signed-in browser goes, which now holds the session: the
/// new-password page, the security-info page while the role's first
/// method is missing, the e-service it came for (a CAS ticket, or back to
/// the OpenID Connect authorization), or My Profile.
pub async fn enter(
    state: &Core,
    browser: &Browser,
    signed_in: SignedIn,
    service: Option<String>,
) -> Result<String> {
    browser.set(Cookie::Session, &signed_in.token, None);
    let enrolling = sessions::enrolment_pending(state, &signed_in.account).await?;
    Ok(match service {
        _ if signed_in.must_change => "/account/password".to_owned(),
        // Nothing for an e-service until the role's 2-step verification
        // can be asked.
        _ if enrolling => "/account/security-info".to_owned(),
        Some(target) if crate::oidc::is_continuation(&target) => target,
        Some(service) if crate::cas::service_for(state, &service).is_some() => {
            let session = sessions::hash_token(&signed_in.token);
            crate::cas::issue(
                state,
                &service,
                &signed_in.account,
                &session,
                true,
                &browser.client,
            )
            .await?
        }
        _ => "/account".to_owned(),
    })
}

/// The name of the e-service a sign-in is for, shown on the sign-in
/// page: a registered CAS service, or an OpenID Connect client whose
/// authorization the sign-in will come back to.
pub fn service_name(state: &Core, service: &str) -> Option<String> {
    crate::oidc::continuation_client(state, service)
        .map(|c| c.name.clone())
        .or_else(|| crate::cas::service_for(state, service).map(|s| s.name.clone()))
}

/// The signed-in account's password typed again (to change it, or to
/// change security info): a guess like a sign-in, reserved first, counted
/// when wrong and given back when right.
pub async fn password_again(
    state: &Core,
    account: &Account,
    password: &Password,
    client: &ClientInfo,
) -> Result<bool> {
    state.hasher.refuses_now()?;
    let attempt = Attempt::new(state, &account.login, client);
    let reserved = attempt.reserve(state, &account.login, client).await?;
    let checked = async {
        Ok(state
            .hasher
            .verify(password.expose(), account.password_hash.as_deref())
            .await?)
    };
    let (right, reserved) = attempt.made(state, reserved, checked).await?;
    if right {
        attempt.release(state, reserved).await?;
    } else {
        attempt.fail(state, reserved).await?;
    }
    Ok(right)
}

/// The two throttles a sign-in attempt (password or second step) counts
/// against: its login name and its client address.
pub struct Attempt {
    login_key: String,
    address_key: String,
    login_rule: ThrottleRule,
    address_rule: ThrottleRule,
}

/// An attempt counted before its secret is checked; it must end as a
/// failure, a success, or be given back.
#[must_use]
pub struct Reserved {
    login: i64,
    address: i64,
}

impl Attempt {
    pub fn new(state: &Core, login: &str, client: &ClientInfo) -> Self {
        Attempt {
            login_key: login_key(login),
            address_key: address_key(&client.addr),
            login_rule: crate::throttle::login_rule(&state.config.throttle),
            address_rule: crate::throttle::address_rule(&state.config.throttle),
        }
    }

    /// Counts the attempt against both throttles before any hash or code
    /// check, or refuses (audited) while either holds it back: however
    /// many arrive at once, no more than the limit are ever checked.
    pub async fn reserve(
        &self,
        state: &Core,
        login: &str,
        client: &ClientInfo,
    ) -> Result<Reserved> {
        let now = state.clock.unix();
        let store = state.store.as_ref();
        let address = store
            .reserve_attempt(&self.address_key, &self.address_rule, now)
            .await?;
        let Some(address) = address else {
            return Err(Error::Refused(
                self.refused(state, login, client, &self.address_key, &self.address_rule)
                    .await,
            ));
        };
        let reserved = store
            .reserve_attempt(&self.login_key, &self.login_rule, now)
            .await?;
        let Some(login_count) = reserved else {
            store
                .release_attempt(&self.address_key, address, &self.address_rule, now)
                .await?;
            return Err(Error::Refused(
                self.refused(state, login, client, &self.login_key, &self.login_rule)
                    .await,
            ));
        };
        Ok(Reserved {
            login: login_count,
            address,
        })
    }

    async fn refused(
        &self,
        state: &Core,
        login: &str,
        client: &ClientInfo,
        key: &str,
        rule: &ThrottleRule,
    ) -> AppError {
        audit(state, login, Outcome::Refused, client, "throttled").await;
        let now = state.clock.unix();
        let held = state.store.throttle_state(key).await.ok().flatten();
        rule.refusal(held.as_ref(), now)
            .unwrap_or(AppError::Throttled { seconds: 1 })
    }

    /// Runs the work the attempt guards (finding the account, checking
    /// the secret). When the work itself fails (the database or the
    /// hasher, not a wrong secret), nothing was learned: the attempt is
    /// given back and the error passed on.
    pub async fn made<T>(
        &self,
        state: &Core,
        reserved: Reserved,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<(T, Reserved)> {
        match work.await {
            Ok(done) => Ok((done, reserved)),
            Err(e) => {
                if let Err(release) = self.release(state, reserved).await {
                    tracing::error!(error = %release.chain(), "giving back a sign-in attempt failed");
                }
                Err(e)
            }
        }
    }

    /// The secret was wrong: the reserved attempt stays counted and earns
    /// its delay.
    pub async fn fail(&self, state: &Core, reserved: Reserved) -> Result<()> {
        let now = state.clock.unix();
        let store = state.store.as_ref();
        store
            .settle_failure(&self.login_key, reserved.login, &self.login_rule, now)
            .await?;
        Ok(store
            .settle_failure(&self.address_key, reserved.address, &self.address_rule, now)
            .await?)
    }

    /// Not a failure (the secret was right but more is asked, or the check
    /// could not be made): the attempt is given back.
    pub async fn release(&self, state: &Core, reserved: Reserved) -> Result<()> {
        let now = state.clock.unix();
        let store = state.store.as_ref();
        store
            .release_attempt(&self.login_key, reserved.login, &self.login_rule, now)
            .await?;
        Ok(store
            .release_attempt(&self.address_key, reserved.address, &self.address_rule, now)
            .await?)
    }

    /// After a right secret: an account past its end (and its grace) is
    /// refused, the attempt given back and the refusal audited; only
    /// someone who proved the account learns that it ended.
    pub async fn refuse_if_ended(
        &self,
        state: &Core,
        reserved: Reserved,
        account: &Account,
        client: &ClientInfo,
    ) -> Result<Reserved> {
        if !lifecycle::ended(state, account) {
            return Ok(reserved);
        }
        self.release(state, reserved).await?;
        audit(
            state,
            &account.login,
            Outcome::Refused,
            client,
            "account_ended",
        )
        .await;
        Err(AppError::AccountInactive.into())
    }

    /// Every factor asked of the account is proved (`two_step`: a second
    /// one too): a new session opens, with a new id at every sign-in (any
    /// session the browser had ends), audited as a success with `detail`.
    /// In the same transaction the attempt is settled: the login name's
    /// failures are forgotten, the address keeps its count of others'.
    /// When the transaction fails, nothing of it happened: the attempt is
    /// given back (as by [`Attempt::made`]) and the error passed on.
    pub async fn open_session(
        &self,
        state: &Core,
        reserved: Reserved,
        browser: &Browser,
        account: &Account,
        two_step: bool,
        detail: &str,
    ) -> Result<String> {
        let client = &browser.client;
        let previous = browser
            .token(Cookie::Session)
            .map(|token| sessions::hash_token(&token));
        let token = sessions::new_token();
        let id_hash = sessions::hash_token(&token);
        let event = AuditEvent::by_user(&account.login, Action::SignIn, Outcome::Success, client)
            .detail(detail);
        let finished = state
            .store
            .finish_sign_in(&SignInDone {
                session: NewSession {
                    id_hash: &id_hash,
                    account_id: account.id,
                    two_step,
                    now: state.clock.unix(),
                    client_addr: &client.addr,
                    user_agent: &client.user_agent,
                },
                previous: previous.as_deref(),
                address_key: &self.address_key,
                address_reserved: reserved.address,
                address_rule: &self.address_rule,
                login_key: &self.login_key,
                event: &event,
            })
            .await;
        if let Err(e) = finished {
            if let Err(release) = self.release(state, reserved).await {
                tracing::error!(error = %release.chain(), "giving back a sign-in attempt failed");
            }
            return Err(e.into());
        }
        Ok(token)
    }
}

pub async fn sign_out(state: &Core, token: &str, client: &ClientInfo) -> Result<()> {
    let store = state.store.as_ref();
    let id_hash = sessions::hash_token(token);
    if let Some(session) = store.session(&id_hash).await? {
        store.delete_session(&id_hash).await?;
        // The e-services it signed in to are told now, not at the next poll.
        state.logout_wakeup.notify_one();
        if let Some(account) = store.account_by_id(session.account_id).await? {
            let event =
                AuditEvent::by_user(&account.login, Action::SignOut, Outcome::Success, client);
            store.record_audit(&event, state.clock.unix()).await?;
        }
    }
    Ok(())
}

pub async fn audit(state: &Core, login: &str, outcome: Outcome, client: &ClientInfo, detail: &str) {
    let event = AuditEvent::by_user(login, Action::SignIn, outcome, client).detail(detail);
    if let Err(e) = state.store.record_audit(&event, state.clock.unix()).await {
        tracing::error!(error = %e, "writing an audit event failed");
    }
}
