//! `gatehouse account create`: an account with a random initial password
//! that must be changed at first sign-in (ASVS 6.4.1), or, for a first-time
//! user, with no password until they set one on the forgot-password page.
use app::ssr::AppState;
use gatehouse_core::records;
use gatehouse_policy::{check, Context, Reuse};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::{NewAccount, StoreError};
use gatehouse_types::account::Role;
use rand::distributions::{Alphanumeric, DistString};

pub struct AccountInput {
    pub login: String,
    pub name: String,
    pub role: String,
    pub email: String,
    pub mobile: Option<String>,
    /// No password: the user sets one through the first-time flow.
    pub first_time: bool,
}

/// Initial passwords are at least this long, more if the policy asks.
const INITIAL_LENGTH: usize = 16;

/// Creates the account; returns its initial password for the person who
/// hands it over (none for a first-time account), or a sentence saying
/// what is wrong with the input.
pub async fn create(state: &AppState, input: AccountInput) -> Result<Option<String>, String> {
    let login = records::check_login(&input.login).map_err(|e| format!("--login: {e}"))?;
    let name = records::check_name(&input.name).map_err(|e| format!("--name: {e}"))?;
    let role: Role = input.role.parse().map_err(|e| format!("--role: {e}"))?;
    let email = records::check_email(&input.email).map_err(|e| format!("--email: {e}"))?;
    let mobile = input
        .mobile
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(records::check_mobile)
        .transpose()
        .map_err(|e| format!("--mobile: {e}"))?;
    let (login, name, email) = (login.as_str(), name.as_str(), email.as_str());

    let password = (!input.first_time).then(|| initial_password(state, login, name));
    let hash = match &password {
        Some(password) => Some(
            state
                .hasher
                .hash(password)
                .await
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let now = state.clock.unix();
    let created = state
        .store
        .create_account(&NewAccount {
            login: gatehouse_types::LoginName::parse(login).map_err(|e| format!("--login: {e}"))?,
            display_name: name.to_owned(),
            role,
            email: email.to_owned(),
            mobile,
            must_change: hash.is_some(),
            password_hash: hash,
            now,
        })
        .await;
    let account = match created {
        Ok(account) => account,
        Err(StoreError::Duplicate) => {
            return Err(format!(
                "an account with login name {login:?} already exists"
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    let event = AuditEvent {
        actor: Some("command-line".into()),
        subject: Some(account.login.clone()),
        action: Action::AccountCreated,
        outcome: Outcome::Success,
        client_addr: "local".into(),
        user_agent: "gatehouse account create".into(),
        detail: Some(format!("role={}", role.as_str())),
    };
    state
        .store
        .record_audit(&event, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(password)
}

/// A random password the active policy accepts (letters and digits only,
/// so no policy's forbidden characters can appear).
fn initial_password(state: &AppState, login: &str, name: &str) -> String {
    let length = INITIAL_LENGTH
        .max(state.policy.min_length)
        .min(state.policy.max_length);
    let ctx = Context {
        login,
        display_name: name,
        reuse: Reuse::Fresh,
    };
    loop {
        let candidate = Alphanumeric.sample_string(&mut rand::rngs::OsRng, length);
        if check(&candidate, &state.policy, &ctx).is_acceptable() {
            return candidate;
        }
    }
}
