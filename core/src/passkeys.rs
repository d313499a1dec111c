//! Passkeys and security keys (WebAuthn, checked by `webauthn-rs`): enrol
//! one on the security-info page, use it as the second step of a sign-in,
//! or sign in with it alone. The relying party is `public_url`: its host
//! is the RP id and its origin the only one accepted.
//!
//! Each ceremony is two requests. The first stores the library's state
//! server-side (`webauthn_challenges`) under the hash of a handle the
//! browser gets; the answer takes it (deletes it) whatever the outcome, so
//! a challenge is answered once, within five minutes, and only from the
//! session or second step that started it.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, CredentialID, DiscoverableAuthentication,
    DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::error::{Context, Error, Result};
use crate::factors::{self, Stored};
use crate::sessions::{self, hash_token, new_token};
use crate::sign_in::{audit, Attempt, SignedIn};
use crate::{notices, Browser, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::{Account, Challenge, ClientInfo, EndSessions};
use gatehouse_types::account::AccountStatus;
use gatehouse_types::error::{AppError, Field, FieldError, Problem};
use gatehouse_types::security::{Ceremony, Method, PasskeyView};

/// How long a ceremony may take, from its options to its answer.
const CEREMONY_SECONDS: i64 = 300;
/// The longest name a user may give a passkey, in characters.
const NAME_MAX: usize = 60;

/// One registered passkey, as kept in the security document. `Debug` is
/// not derived: the key is the account's credential.
#[derive(Serialize, Deserialize)]
pub struct StoredPasskey {
    pub name: String,
    pub added_at: i64,
    pub last_used_at: Option<i64>,
    /// Turned off after its signature counter went backwards (a copy of
    /// the key may be in use): it no longer signs anyone in.
    pub disabled: bool,
    /// The highest signature counter seen (0: the key keeps none).
    #[serde(default)]
    pub counter: u32,
    pub key: Passkey,
}

impl StoredPasskey {
    pub fn id(&self) -> String {
        credential_id(self.key.cred_id())
    }

    pub fn view(&self) -> PasskeyView {
        PasskeyView {
            id: self.id(),
            name: self.name.clone(),
            added_at: self.added_at,
            last_used_at: self.last_used_at,
            disabled: self.disabled,
        }
    }
}

/// A credential id as stored and shown: base64url without padding.
pub fn credential_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// What each stored challenge was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Enrol,
    SecondStep,
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Enrol => "enrol",
            Purpose::SecondStep => "second_step",
            Purpose::SignIn => "sign_in",
        }
    }
}

/// The relying party `public_url` describes; `None` when its host is an
/// address rather than a name (WebAuthn needs a domain: `localhost` or a
/// real one).
pub fn relying_party(public_url: &str, name: &str) -> Option<Webauthn> {
    let origin = Url::parse(public_url).ok()?;
    let rp_id = origin.domain()?.to_owned();
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name(name)
        .timeout(std::time::Duration::from_secs(CEREMONY_SECONDS as u64))
        .build()
        .ok()
}

/// Whether this portal can offer passkeys (its address is a domain name):
/// read on every sign-in page, so no relying party is built for it.
pub fn available(state: &Core) -> bool {
    Url::parse(&state.config.public_url).is_ok_and(|url| url.domain().is_some())
}

fn rp(state: &Core) -> Result<Webauthn> {
    relying_party(&state.config.public_url, &state.config.security_info.issuer)
        .ok_or(AppError::NotFound.into())
}

/// What an enrolment keeps between its two requests: the library's state
/// and the user handle the key was made for.
#[derive(Serialize, Deserialize)]
struct Enrolment {
    registration: PasskeyRegistration,
    user: Uuid,
}

async fn begin(
    state: &Core,
    purpose: Purpose,
    account_id: Option<i64>,
    bound_to: Option<&str>,
    ceremony_state: &impl Serialize,
    options: String,
) -> Result<Ceremony> {
    let handle = new_token();
    let now = state.clock.unix();
    let challenge = Challenge {
        purpose: purpose.as_str().to_owned(),
        account_id,
        bound_to: bound_to.map(str::to_owned),
        state: serde_json::to_string(ceremony_state).context("keeping a WebAuthn ceremony")?,
        expires_at: now + CEREMONY_SECONDS,
    };
    state
        .store
        .create_challenge(&hash_token(&handle), &challenge)
        .await?;
    Ok(Ceremony { handle, options })
}

/// Takes the challenge `handle` names, if it is still good and was started
/// for `purpose`, by `account_id` (when given) and `bound_to`.
async fn take(
    state: &Core,
    handle: &str,
    purpose: Purpose,
    bound_to: Option<&str>,
) -> Result<Option<Challenge>> {
    let Some(challenge) = state.store.take_challenge(&hash_token(handle)).await? else {
        return Ok(None);
    };
    let good = challenge.purpose == purpose.as_str()
        && challenge.bound_to.as_deref() == bound_to
        && challenge.expires_at > state.clock.unix();
    Ok(good.then_some(challenge))
}

fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|_| AppError::BadRequest.into())
}

fn state_of<T: for<'de> Deserialize<'de>>(challenge: &Challenge) -> Result<T> {
    serde_json::from_str(&challenge.state).context("reading a kept WebAuthn ceremony")
}

/// A passkey's name as given: trimmed, one to sixty characters.
fn checked_name(name: &str) -> Result<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let problem = if name.is_empty() {
        Problem::Required
    } else if name.chars().count() > NAME_MAX {
        Problem::TooLong { max: NAME_MAX }
    } else {
        return Ok(name);
    };
    Err(AppError::Invalid(vec![FieldError {
        field: Field::Name,
        problem,
    }])
    .into())
}

/// Starts enrolling a passkey named `name` for the signed-in account (the
/// password entered recently). A discoverable credential is asked for, so the key
/// can later sign in without the login name; keys already registered are
/// excluded.
pub async fn start_enrol(state: &Core, browser: &Browser, name: &str) -> Result<Ceremony> {
    let rp = rp(state)?;
    let (session, account) = crate::security_info::require_recent(state, browser).await?;
    // Checked before the authenticator is asked, so no key is made for
    // nothing.
    checked_name(name)?;
    let stored = factors::load(state, account.id).await?;
    let exclude: Vec<CredentialID> = stored
        .doc
        .passkeys
        .iter()
        .map(|p| p.key.cred_id().clone())
        .collect();
    // Random, and the same for every key of the account once saved.
    let user = stored.doc.passkey_user.unwrap_or_else(Uuid::new_v4);
    let (options, registration): (CreationChallengeResponse, PasskeyRegistration) = rp
        .start_passkey_registration(user, &account.login, &account.display_name, Some(exclude))
        .context("starting a passkey enrolment")?;
    let mut options =
        serde_json::to_value(&options.public_key).context("writing passkey options")?;
    // Preferred rather than discouraged: a key that can be discovered signs
    // in without the login name. (Only a requirement is checked on return.)
    if let Some(selection) = options.get_mut("authenticatorSelection") {
        selection["residentKey"] = "preferred".into();
    }
    let options = options.to_string();
    begin(
        state,
        Purpose::Enrol,
        Some(account.id),
        Some(&session.id_hash),
        &Enrolment { registration, user },
        options,
    )
    .await
}

/// Finishes an enrolment with the authenticator's answer and the name the
/// user gave; saved with its audit event and notice in one write.
pub async fn finish_enrol(
    state: &Core,
    browser: &Browser,
    handle: &str,
    credential: &str,
    name: &str,
) -> Result<()> {
    let rp = rp(state)?;
    let (session, account) = crate::security_info::require_recent(state, browser).await?;
    let name = checked_name(name)?;
    let answer: RegisterPublicKeyCredential = parse(credential)?;
    let challenge = take(state, handle, Purpose::Enrol, Some(&session.id_hash))
        .await?
        .filter(|c| c.account_id == Some(account.id))
        .ok_or(AppError::PasskeyRefused)?;
    let enrolment: Enrolment = state_of(&challenge)?;
    let key = rp
        .finish_passkey_registration(&answer, &enrolment.registration)
        .map_err(|e| refused("enrolment", &e))?;
    let mut stored = factors::load(state, account.id).await?;
    let id = credential_id(key.cred_id());
    let user = *stored.doc.passkey_user.get_or_insert(enrolment.user);
    // Two first enrolments at once: the other one's handle was saved.
    if user != enrolment.user || stored.doc.passkeys.iter().any(|p| p.id() == id) {
        return Err(AppError::Conflict.into());
    }
    stored.doc.passkeys.push(StoredPasskey {
        name,
        added_at: state.clock.unix(),
        last_used_at: None,
        disabled: false,
        counter: 0,
        key,
    });
    stored.doc.default.get_or_insert(Method::Passkey);
    crate::security_info::commit(
        state,
        &browser.client,
        &account,
        &stored,
        "passkey_added",
        None,
    )
    .await
}

fn refused(ceremony: &str, e: &WebauthnError) -> Error {
    tracing::info!(error = %e, ceremony, "a passkey answer was refused");
    AppError::PasskeyRefused.into()
}

fn position(stored: &Stored, id: &str) -> Result<usize> {
    stored
        .doc
        .passkeys
        .iter()
        .position(|p| p.id() == id)
        .ok_or(AppError::NotFound.into())
}

pub async fn rename(state: &Core, browser: &Browser, id: &str, name: &str) -> Result<()> {
    let (_, account) = crate::security_info::require_recent(state, browser).await?;
    let name = checked_name(name)?;
    let mut stored = factors::load(state, account.id).await?;
    let at = position(&stored, id)?;
    stored.doc.passkeys[at].name = name;
    crate::security_info::commit(
        state,
        &browser.client,
        &account,
        &stored,
        "passkey_renamed",
        None,
    )
    .await
}

/// Removes one passkey; the last method 2-step verification depends on
/// stays, as with every other method.
pub async fn remove(state: &Core, browser: &Browser, id: &str) -> Result<()> {
    let (session, account) = crate::security_info::require_recent(state, browser).await?;
    let mut stored = factors::load(state, account.id).await?;
    let at = position(&stored, id)?;
    stored.doc.passkeys.remove(at);
    let doc = &mut stored.doc;
    let on = doc.two_step || factors::required_by_role(state, &account);
    if on && doc.usable().is_empty() {
        return Err(AppError::LastMethod.into());
    }
    if doc.default == Some(Method::Passkey) && !doc.has(Method::Passkey) {
        doc.default = None;
    }
    // A passkey signs in alone: a session opened with it ends with it.
    let others = EndSessions::AllBut(&session.id_hash);
    let client = &browser.client;
    let change = "passkey_removed";
    crate::security_info::commit_ending(state, client, &account, &stored, change, None, others)
        .await
}

/// Asks for any of the account's passkeys as the second step `flow_hash`.
pub async fn start_second_step(
    state: &Core,
    account: &Account,
    flow_hash: &str,
) -> Result<Ceremony> {
    let rp = rp(state)?;
    let stored = factors::load(state, account.id).await?;
    let keys: Vec<Passkey> = stored
        .doc
        .passkeys
        .iter()
        .filter(|p| !p.disabled)
        .map(|p| p.key.clone())
        .collect();
    if keys.is_empty() {
        return Err(AppError::BadRequest.into());
    }
    let (options, authentication) = rp
        .start_passkey_authentication(&keys)
        .context("starting a passkey check")?;
    let options = serde_json::to_string(&options.public_key).context("writing passkey options")?;
    begin(
        state,
        Purpose::SecondStep,
        Some(account.id),
        Some(flow_hash),
        &authentication,
        options,
    )
    .await
}

/// Whether the answer proves one of the account's passkeys for the second
/// step `flow_hash`. An error only when the check could not be made.
pub async fn check_second_step(
    state: &Core,
    account: &Account,
    flow_hash: &str,
    handle: &str,
    credential: &str,
    client: &ClientInfo,
) -> Result<bool> {
    let rp = rp(state)?;
    let answer: PublicKeyCredential = parse(credential)?;
    let Some(challenge) = take(state, handle, Purpose::SecondStep, Some(flow_hash))
        .await?
        .filter(|c| c.account_id == Some(account.id))
    else {
        return Ok(false);
    };
    let asked = Asked::Listed(state_of(&challenge)?);
    verify(state, &rp, account, &answer, asked, client).await
}

/// The server's half of an assertion: a list of the account's keys (the
/// second step), or any discoverable key (a sign-in with a passkey alone).
enum Asked {
    Listed(PasskeyAuthentication),
    Discoverable(DiscoverableAuthentication),
}

/// Checks an assertion against the account's stored key, then records
/// the use. An error only when the check could not be made.
async fn verify(
    state: &Core,
    rp: &Webauthn,
    account: &Account,
    answer: &PublicKeyCredential,
    asked: Asked,
    client: &ClientInfo,
) -> Result<bool> {
    let stored = factors::load(state, account.id).await?;
    let id = credential_id(answer.get_credential_id());
    let handle_matches = match (answer.get_user_unique_id(), stored.doc.passkey_user) {
        (Some(given), Some(user)) => given == user.as_bytes(),
        _ => true,
    };
    let Some(entry) = stored
        .doc
        .passkeys
        .iter()
        .find(|p| p.id() == id && !p.disabled)
        .filter(|_| handle_matches)
    else {
        return Ok(false);
    };
    let outcome = match asked {
        Asked::Listed(authentication) => rp.finish_passkey_authentication(answer, &authentication),
        Asked::Discoverable(authentication) => {
            let key = DiscoverableKey::from(&entry.key);
            rp.finish_discoverable_authentication(answer, authentication, &[key])
        }
    };
    match outcome {
        Ok(result) => record_use(state, account, &id, &result, client).await,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            turn_off(state, account, &id, client).await?;
            Ok(false)
        }
        Err(e) => {
            tracing::info!(error = %e, "a passkey assertion was refused");
            Ok(false)
        }
    }
}

/// How often a write that lost a race with another change of the same
/// document is made again on a fresh read.
const TRIES: usize = 3;

/// Saves the key's new counter and last use. The counter is compared with
/// the one stored now, not only the one the ceremony started with: of two
/// copies of a key signing in parallel, the second is caught.
async fn record_use(
    state: &Core,
    account: &Account,
    id: &str,
    result: &AuthenticationResult,
    client: &ClientInfo,
) -> Result<bool> {
    let counter = result.counter();
    for _ in 0..TRIES {
        let mut stored = factors::load(state, account.id).await?;
        let Some(entry) = stored.doc.passkeys.iter_mut().find(|p| p.id() == id) else {
            return Ok(false);
        };
        if entry.disabled {
            return Ok(false);
        }
        if counter > 0 && counter <= entry.counter {
            turn_off(state, account, id, client).await?;
            return Ok(false);
        }
        entry.key.update_credential(result);
        entry.counter = counter;
        entry.last_used_at = Some(state.clock.unix());
        match stored.save(state, account.id, &[], None).await {
            Ok(()) => return Ok(true),
            Err(Error::Refused(AppError::Conflict)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict.into())
}

/// Turns a key off whose counter went backwards: a copy of it may be in
/// use. Every session of the account ends; audited and told.
async fn turn_off(state: &Core, account: &Account, id: &str, client: &ClientInfo) -> Result<()> {
    for _ in 0..TRIES {
        let mut stored = factors::load(state, account.id).await?;
        let Some(entry) = stored.doc.passkeys.iter_mut().find(|p| p.id() == id) else {
            return Ok(());
        };
        if entry.disabled {
            return Ok(());
        }
        entry.disabled = true;
        let event = AuditEvent::by_user(
            &account.login,
            Action::SecurityInfo,
            Outcome::Refused,
            client,
        )
        .detail("passkey_disabled");
        let change = "passkey_disabled";
        let notice = notices::security_changed(state, account, change, state.clock.now(), client);
        let all = EndSessions::All;
        match stored
            .save_ending(state, account.id, &[notice], Some(&event), all)
            .await
        {
            Ok(()) => return Ok(()),
            Err(Error::Refused(AppError::Conflict)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict.into())
}

/// Starts a sign-in with a passkey alone: no name is asked, the browser
/// offers the discoverable passkeys it holds for this portal (also in the
/// login name's autofill, `mediation: "conditional"`).
pub async fn start_sign_in(state: &Core) -> Result<Ceremony> {
    let rp = rp(state)?;
    let (options, authentication) = rp
        .start_discoverable_authentication()
        .context("starting a passkey sign-in")?;
    let options = serde_json::to_string(&options.public_key).context("writing passkey options")?;
    begin(state, Purpose::SignIn, None, None, &authentication, options).await
}

/// Signs in with a passkey alone. A refused answer counts toward the same
/// throttles as a wrong password (the account's, when the key names one,
/// and the address's); a disabled or ended account is refused as after a
/// right password. A user-verifying passkey is two factors in one, so the
/// session counts as 2-step verified.
pub async fn sign_in(
    state: &Core,
    browser: &Browser,
    handle: &str,
    credential: &str,
) -> Result<SignedIn> {
    let rp = rp(state)?;
    let client = &browser.client;
    let answer: PublicKeyCredential = parse(credential)?;
    // No challenge of ours (used up, expired, or never made): no secret
    // is checked, so nothing is counted.
    let challenge = take(state, handle, Purpose::SignIn, None)
        .await?
        .ok_or(AppError::PasskeyRefused)?;
    let store = state.store.as_ref();
    let account = match store
        .account_by_passkey(&credential_id(answer.get_credential_id()))
        .await?
    {
        Some(id) => store.account_by_id(id).await?,
        None => None,
    };
    // An unknown key counts against the address (and the empty name).
    let login = account.as_ref().map_or("", |a| a.login.as_str()).to_owned();
    let attempt = Attempt::new(state, &login, client);
    let reserved = attempt.reserve(state, &login, client).await?;
    let checking = async {
        let Some(account) = account
            .as_ref()
            .filter(|a| a.status == AccountStatus::Active)
        else {
            return Ok(false);
        };
        let asked = Asked::Discoverable(state_of(&challenge)?);
        verify(state, &rp, account, &answer, asked, client).await
    };
    let (right, reserved) = attempt.made(state, reserved, checking).await?;
    let account = match account {
        Some(account) if right => account,
        _ => {
            attempt.fail(state, reserved).await?;
            audit(state, &login, Outcome::Failure, client, "passkey_refused").await;
            return Err(AppError::PasskeyRefused.into());
        }
    };
    let reserved = attempt
        .refuse_if_ended(state, reserved, &account, client)
        .await?;
    let token = attempt
        .open_session(state, reserved, browser, &account, true, "passkey")
        .await?;
    Ok(SignedIn {
        token,
        must_change: sessions::must_change(state, &account),
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_host_of_public_url_which_must_be_a_name() {
        let rp = relying_party("https://login.example.edu", "Gatehouse").expect("a domain");
        assert_eq!(
            rp.get_allowed_origins(),
            [Url::parse("https://login.example.edu").unwrap()]
        );
        assert!(relying_party("http://localhost:3000", "Gatehouse").is_some());
        // An address is no relying party (the browser refuses it too).
        assert!(relying_party("http://127.0.0.1:3000", "Gatehouse").is_none());
        assert!(relying_party("http://[::1]:3000", "Gatehouse").is_none());
        assert!(relying_party("not a url", "Gatehouse").is_none());
    }

    #[test]
    fn a_name_is_trimmed_to_single_spaces_and_sixty_characters_at_most() {
        assert_eq!(checked_name("  Work   laptop ").unwrap(), "Work laptop");
        assert_eq!(checked_name(&"鑰".repeat(60)).unwrap(), "鑰".repeat(60));
        let problem = |name: &str| match checked_name(name) {
            Err(Error::Refused(AppError::Invalid(errors))) => errors[0].problem.clone(),
            other => panic!("{:?}", other.map_err(|e| e.to_string())),
        };
        assert_eq!(problem(" \t "), Problem::Required);
        assert_eq!(problem(&"K".repeat(61)), Problem::TooLong { max: 60 });
    }
}
