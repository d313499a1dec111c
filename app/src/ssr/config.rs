//! Settings: built-in defaults here, then a TOML file, then `GATEHOUSE_…`
//! environment variables (loaded by the server crate).
use std::net::SocketAddr;

use gatehouse_policy::{Policy, PolicyOverrides, Preset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// The address users reach Gatehouse at, used in links in emails.
    pub public_url: String,
    /// `sqlite://path/to/file.db` (created if missing).
    pub database_url: String,
    /// Folder with the compiled site (`pkg/`, styles, assets).
    pub site_root: String,
    /// Header carrying the client address when behind a trusted proxy
    /// (for example `x-forwarded-for`); unset means the socket address.
    pub client_ip_header: Option<String>,
    pub session: SessionConfig,
    pub argon2: Argon2Config,
    pub policy: PolicyConfig,
    /// Days after which a password must be changed; unset means never.
    pub password_max_age_days: Option<u32>,
    pub throttle: ThrottleConfig,
    pub mail: MailConfig,
    pub contact: ContactConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub cookie_name: String,
    /// A session unused this long ends.
    pub idle_minutes: u32,
    /// A session ends this long after sign-in, however busy.
    pub absolute_hours: u32,
    /// Mark the cookie `Secure`; defaults to whether `public_url` is https.
    pub secure_cookie: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// How many hashes may run at once; more wait, so a flood of sign-ins
    /// cannot take every thread.
    pub max_concurrent: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    pub preset: PresetName,
    /// Single rules that replace the preset's.
    pub rules: PolicyOverrides,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PresetName(pub Preset);

impl Default for PresetName {
    fn default() -> Self {
        PresetName(Preset::Eservices)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Failures allowed before any delay.
    pub free_failures: u32,
    /// The first delay; each further failure doubles it.
    pub base_delay_seconds: u64,
    pub max_delay_seconds: u64,
    /// Failures for one login name after which it is locked for a while.
    pub lock_after: u32,
    pub lock_minutes: u64,
    /// Failures from one client address after which it is locked for a while.
    pub address_lock_after: u32,
    /// Failures older than this are forgotten.
    pub window_minutes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Sender of every message, e.g. `Gatehouse <no-reply@example.edu>`.
    pub from: String,
    /// Development outbox: every message is written here as an `.eml` file.
    pub outbox_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactConfig {
    pub name_en: String,
    pub name_zh: String,
    pub email: String,
    pub phone: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".into(),
            database_url: "sqlite://data/gatehouse.db".into(),
            site_root: "target/site".into(),
            client_ip_header: None,
            session: SessionConfig::default(),
            argon2: Argon2Config::default(),
            policy: PolicyConfig::default(),
            password_max_age_days: None,
            throttle: ThrottleConfig::default(),
            mail: MailConfig::default(),
            contact: ContactConfig::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            cookie_name: "gatehouse_session".into(),
            idle_minutes: 30,
            absolute_hours: 12,
            secure_cookie: None,
        }
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        // OWASP's first recommended argon2id setting.
        Argon2Config {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 4,
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            free_failures: 3,
            base_delay_seconds: 2,
            max_delay_seconds: 60,
            lock_after: 10,
            lock_minutes: 15,
            address_lock_after: 100,
            window_minutes: 60,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "Gatehouse <no-reply@gatehouse.invalid>".into(),
            outbox_dir: "data/outbox".into(),
        }
    }
}

impl Default for ContactConfig {
    fn default() -> Self {
        ContactConfig {
            name_en: "IT Help".into(),
            name_zh: "資訊科技支援".into(),
            email: "it-help@example.edu".into(),
            phone: "(852) 0000 0000".into(),
        }
    }
}

impl Config {
    /// Checks every setting and returns the active password policy, or a
    /// sentence naming the setting to fix.
    pub fn validate(&self) -> Result<Policy, String> {
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(format!(
                "public_url must start with http:// or https:// (got {:?}); set GATEHOUSE_PUBLIC_URL",
                self.public_url
            ));
        }
        if !self.database_url.starts_with("sqlite:") {
            return Err(format!(
                "database_url must be a sqlite: URL (got a {:?} URL); set GATEHOUSE_DATABASE_URL",
                self.database_url.split(':').next().unwrap_or_default()
            ));
        }
        if self.argon2.memory_kib < 19 * 1024
            || self.argon2.iterations < 2
            || self.argon2.parallelism < 1
        {
            return Err(
                "argon2 settings are below the OWASP minimum (memory_kib >= 19456, iterations >= 2, parallelism >= 1)"
                    .into(),
            );
        }
        if self.argon2.max_concurrent == 0 {
            return Err("argon2.max_concurrent must be at least 1".into());
        }
        if self.session.idle_minutes == 0 || self.session.absolute_hours == 0 {
            return Err(
                "session.idle_minutes and session.absolute_hours must be at least 1".into(),
            );
        }
        if self.throttle.lock_after == 0 || self.throttle.address_lock_after == 0 {
            return Err(
                "throttle.lock_after and throttle.address_lock_after must be at least 1".into(),
            );
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "mail.from is not a valid mailbox: {:?}",
                self.mail.from
            ));
        }
        Policy::from_preset(self.policy.preset.0, &self.policy.rules)
    }

    pub fn secure_cookie(&self) -> bool {
        self.session
            .secure_cookie
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }
}
