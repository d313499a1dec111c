//! Settings: built-in defaults here, then a TOML file, then `GATEHOUSE_…`
//! environment variables (loaded by the server crate).
use std::net::SocketAddr;

use gatehouse_policy::{Policy, PolicyOverrides, Preset};
use serde::{Deserialize, Serialize};

use crate::service_url::ServicePattern;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `production`, `development` (the default), `demo` or `test`.
    pub mode: Mode,
    /// Key for the verification-code hashes and the masks shown for
    /// unknown login names: at least 32 characters, kept secret. Required
    /// in every mode but development, where a random one is made at start.
    pub secret_key: Secret,
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// The address users reach Gatehouse at, used in links in emails.
    pub public_url: String,
    /// `sqlite://path/to/file.db` (created if missing), or
    /// `postgres://user@host/db` for several instances sharing one database.
    pub database_url: String,
    /// Folder with the compiled site (`pkg/`, styles, assets).
    pub site_root: String,
    /// Header carrying the client address when behind a trusted proxy
    /// (for example `x-forwarded-for`); unset means the socket address.
    pub client_ip_header: Option<String>,
    /// How many proxies of yours append to that header: the client address
    /// is the value this many places from the right (what the client wrote
    /// itself stands further left and is never believed).
    pub trusted_proxy_hops: u32,
    pub session: SessionConfig,
    pub argon2: Argon2Config,
    pub policy: PolicyConfig,
    /// Days after which a password must be changed; unset means never.
    pub password_max_age_days: Option<u32>,
    pub lifecycle: LifecycleConfig,
    pub housekeeping: HousekeepingConfig,
    pub throttle: ThrottleConfig,
    pub mail: MailConfig,
    pub sms: SmsConfig,
    pub recovery: RecoveryConfig,
    pub captcha: CaptchaConfig,
    pub cas: CasConfig,
    pub oidc: OidcConfig,
    pub cors: CorsConfig,
    pub security_info: SecurityInfoConfig,
    pub contact: ContactConfig,
}

/// Security info and 2-step verification (seed 003).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityInfoConfig {
    /// Base64 of 32 random bytes: the key that encrypts authenticator-app
    /// secrets at rest. Unset, a key derived from `secret_key` is used.
    pub encryption_key: Secret,
    /// How long after the password was entered (at sign-in or on the
    /// security-info page) methods may be changed without entering it again.
    pub reauth_minutes: u32,
    /// Roles for which 2-step verification is on whatever the user chose.
    pub required_roles: Vec<String>,
    /// The name authenticator apps show next to the account.
    pub issuer: String,
    /// How many recovery codes a new set has.
    pub recovery_codes: usize,
    /// Authenticator-app steps (30 s each) accepted besides the current
    /// one: before it (a phone running slow, or a code typed just as it
    /// changed) and after it (a phone running fast). By default one before
    /// and none after, so a code is good for at most 60 s.
    pub totp_steps_before: u32,
    pub totp_steps_after: u32,
    pub questions: QuestionsConfig,
}

/// Security questions: off unless a deployment wants them. NIST SP 800-63B
/// (5.1.1.2) and OWASP ASVS (2.5.5 in 4.0; 6.4.2 in 5.0) advise against
/// knowledge-based answers as an authenticator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuestionsConfig {
    pub enabled: bool,
    /// How many questions a user picks and answers.
    pub required: usize,
    pub list: Vec<SecurityQuestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityQuestion {
    /// Stable id, kept with the answers; never reuse one for another text.
    pub id: String,
    pub en: String,
    pub zh_hant: String,
}

impl From<&SecurityQuestion> for gatehouse_types::security::Question {
    fn from(q: &SecurityQuestion) -> Self {
        gatehouse_types::security::Question {
            id: q.id.clone(),
            en: q.en.clone(),
            zh_hant: q.zh_hant.clone(),
        }
    }
}

impl Default for SecurityInfoConfig {
    fn default() -> Self {
        SecurityInfoConfig {
            encryption_key: Secret::default(),
            reauth_minutes: 5,
            required_roles: Vec::new(),
            issuer: "Gatehouse".into(),
            recovery_codes: 10,
            totp_steps_before: 1,
            totp_steps_after: 0,
            questions: QuestionsConfig::default(),
        }
    }
}

impl Default for QuestionsConfig {
    fn default() -> Self {
        let q = |id: &str, en: &str, zh_hant: &str| SecurityQuestion {
            id: id.into(),
            en: en.into(),
            zh_hant: zh_hant.into(),
        };
        QuestionsConfig {
            enabled: false,
            required: 3,
            list: vec![
                q(
                    "first_school",
                    "What was the name of your first school?",
                    "你就讀的第一所學校叫甚麼名字？",
                ),
                q(
                    "childhood_street",
                    "What street did you live on as a child?",
                    "你童年時住在哪一條街？",
                ),
                q(
                    "first_pet",
                    "What was the name of your first pet?",
                    "你第一隻寵物叫甚麼名字？",
                ),
                q(
                    "parents_met",
                    "In which city did your parents meet?",
                    "你的父母在哪個城市相識？",
                ),
                q(
                    "childhood_friend",
                    "What is the first name of your childhood best friend?",
                    "你童年最好朋友的名字是甚麼？",
                ),
                q(
                    "first_job",
                    "What was your first job?",
                    "你的第一份工作是甚麼？",
                ),
            ],
        }
    }
}

/// The periodic clean-up of what has expired.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HousekeepingConfig {
    /// How often expired sessions, flows, tickets, CAPTCHA challenges and
    /// old throttle rows are deleted (every instance may run it).
    pub interval_minutes: u32,
    /// Audit events older than this many days are deleted; unset, the
    /// audit log is kept forever (and never edited otherwise).
    pub audit_retention_days: Option<u32>,
}

impl Default for HousekeepingConfig {
    fn default() -> Self {
        HousekeepingConfig {
            interval_minutes: 10,
            audit_retention_days: None,
        }
    }
}

/// When accounts end, and when passwords are due (seeds 002 to 004).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleConfig {
    /// How long past its `valid_until` date an account of each role may
    /// still sign in and reset its password; roles not listed: none.
    pub grace: std::collections::BTreeMap<String, Grace>,
    /// With `password_max_age_days` set: the banner shows, and one reminder
    /// email goes, this many days before a password is due.
    pub password_reminder_days: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grace {
    pub months: u32,
    pub days: u32,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            grace: [
                (
                    "staff".to_owned(),
                    Grace {
                        months: 0,
                        days: 30,
                    },
                ),
                (
                    "teacher".to_owned(),
                    Grace {
                        months: 18,
                        days: 0,
                    },
                ),
            ]
            .into(),
            password_reminder_days: 14,
        }
    }
}

/// Other origins whose pages may call the server functions with the
/// session cookie: the client-side-rendered bundle served from elsewhere.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Exact origins such as `https://static.example.edu` (scheme, host and
    /// port; no path, no wildcard). Empty: same origin only.
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasConfig {
    /// How long a service ticket may wait to be validated (Apereo: 10 s).
    pub ticket_lifetime_seconds: u32,
    /// The e-services allowed to sign their users in through Gatehouse.
    pub services: Vec<CasService>,
    /// Production refuses `http://` service patterns unless this says so
    /// (logged at every start).
    pub allow_http_services: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasService {
    /// Shown on the sign-in page: "You are signing in to …".
    pub name: String,
    /// The service URLs allowed, matched part by part: `*` within one host
    /// label or one path segment, `**` as a whole segment for any deeper
    /// path, e.g. `https://portal.example.edu/**` or
    /// `https://*.example.edu/cas/login`. Any query is allowed unless the
    /// pattern has one.
    pub url_pattern: String,
    /// What the service receives besides the login name: any of
    /// `display_name`, `email`, `role`.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Told when the sign-in session ends (CAS single logout: a SAML
    /// `LogoutRequest` posted to the service URL the ticket was for).
    #[serde(default)]
    pub single_logout: bool,
}

impl Default for CasConfig {
    fn default() -> Self {
        CasConfig {
            ticket_lifetime_seconds: 10,
            services: Vec::new(),
            allow_http_services: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// How long an access token and an ID token are good for.
    pub token_lifetime_seconds: u32,
    /// How long an authorization code may wait to be exchanged (at most 60).
    pub code_lifetime_seconds: u32,
    /// The e-services that sign their users in by OpenID Connect.
    pub clients: Vec<OidcClient>,
    /// Production refuses `http://` redirect URIs unless this says so.
    pub allow_http_redirects: bool,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            token_lifetime_seconds: 300,
            code_lifetime_seconds: 60,
            clients: Vec::new(),
            allow_http_redirects: false,
        }
    }
}

/// One registered OpenID Connect client (a relying party).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClient {
    pub client_id: String,
    /// Shown on the sign-in page: "You are signing in to …".
    pub name: String,
    /// A confidential client's secret as the hex SHA-256 of it (secrets
    /// are long and random, so a fast hash is enough and costs no argon2
    /// time on the token endpoint).
    #[serde(default)]
    pub secret_sha256: Option<String>,
    /// Or: the name of an environment variable that holds the secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Exact redirect URIs; nothing else is ever redirected to.
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// What it may ask for: `openid`, `profile`, `email`, `roles`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Whether it gets refresh tokens (good while the sign-in session lasts).
    #[serde(default)]
    pub refresh_tokens: bool,
    /// Only users who passed 2-step verification in this session.
    #[serde(default)]
    pub require_two_step: bool,
    /// A `sub` of its own for each user, unlike any other client's.
    #[serde(default)]
    pub pairwise: bool,
    /// The ID token's signature: `RS256` (the default) or `ES256`.
    #[serde(default = "default_alg")]
    pub id_token_signed_response_alg: String,
    /// Told when the sign-in session ends (OpenID Connect Back-Channel
    /// Logout 1.0: a logout token posted here).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Ask the user before releasing anything (not a first-party service).
    #[serde(default)]
    pub consent: bool,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}

fn default_alg() -> String {
    "RS256".into()
}

impl OidcClient {
    /// A public client (a browser or phone app) has no secret and must
    /// use PKCE.
    pub fn is_public(&self) -> bool {
        self.secret_sha256.is_none() && self.secret_env.is_none()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Production,
    #[default]
    Development,
    /// For trying the portal: `/dev/mailbox` shows every message sent.
    Demo,
    /// For the automated tests.
    Test,
}

/// A setting that must never be printed: its `Debug` shows `***`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "(unset)" } else { "***" })
    }
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
    /// How many hashes may run at once (the hashing threads; default: the
    /// number of cores); more wait, so a flood of sign-ins cannot take
    /// every thread.
    pub max_concurrent: usize,
    /// How many requests may wait for a hashing thread; past that, a
    /// sign-in, re-authentication or password change is answered at once
    /// with 503 and `Retry-After`, and nothing is counted against the
    /// user. Default: three seconds' worth of hashing at the speed
    /// measured at start.
    pub max_waiting: Option<usize>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    pub preset: PresetName,
    /// Single rules that replace the preset's.
    pub rules: PolicyOverrides,
    /// Refused in passwords like the login name (besides
    /// `security_info.issuer`, the product's name): list the institution's
    /// names and abbreviations here.
    pub context_words: Vec<String>,
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
    /// `smtp`, or `outbox` (development: every message is written to
    /// `outbox_dir` as an `.eml` file).
    pub transport: Transport,
    pub outbox_dir: String,
    pub smtp: SmtpConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    #[default]
    Outbox,
    Smtp,
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `none` (plain, for a local relay), `starttls` or `tls` (implicit).
    pub tls: SmtpTls,
    pub username: String,
    pub password: Secret,
    pub timeout_seconds: u64,
    /// Production refuses `tls = "none"` unless this says the relay is
    /// local on purpose (logged at every start).
    pub allow_plaintext: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpTls {
    None,
    #[default]
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `http` (a gateway), or `outbox` (development: one JSON line per
    /// message in `outbox_dir/sms.jsonl`).
    pub transport: Transport,
    pub outbox_dir: String,
    pub http: SmsHttpConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsHttpConfig {
    /// The gateway's endpoint; each message is one POST.
    pub url: String,
    /// Sent as the `Authorization` header, e.g. `Bearer …`.
    pub authorization: Secret,
    pub content_type: String,
    /// The body, with `{to}` and `{text}` replaced (JSON-escaped when the
    /// content type is JSON, form-encoded otherwise).
    pub body_template: String,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecoveryConfig {
    /// Ask for the registered email address as well as the login name.
    pub ask_email: bool,
    /// How long a verification code stays valid.
    pub code_lifetime_seconds: u32,
    /// Wait between two codes in one flow.
    pub resend_cooldown_seconds: u32,
    /// Codes one flow may send, the first included.
    pub max_codes_per_flow: u32,
    /// Wrong codes after which the flow is void.
    pub max_wrong_codes: u32,
    /// A flow not finished in this time is void.
    pub flow_lifetime_minutes: u32,
    /// Flows one login name may start in an hour.
    pub starts_per_login_per_hour: u32,
    /// Flows one client address may start in an hour.
    pub starts_per_address_per_hour: u32,
    /// Codes sent for one account in an hour, whatever the flow.
    pub messages_per_account_per_hour: u32,
    /// Codes asked for from one client address in an hour.
    pub messages_per_address_per_hour: u32,
    /// "Forgot your login name?" requests one client address may make in
    /// an hour.
    pub login_names_per_address_per_hour: u32,
    /// Login-name reminders one email address may be sent in an hour
    /// (counted whether or not it is registered).
    pub login_names_per_email_per_hour: u32,
    /// Sending a code (or a login-name reminder) answers no sooner than
    /// this, whether or not the login name (or address) exists, so response
    /// times tell nothing.
    pub send_floor_ms: u64,
    /// Domains the masked address of an unknown login name is drawn from
    /// while there are no accounts yet (then the accounts' own domains, as
    /// often as they are used).
    pub decoy_email_domains: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptchaConfig {
    pub length: u32,
    pub lifetime_seconds: u32,
    /// Challenges one client address may ask for in an hour (drawing them
    /// costs CPU).
    pub per_address_per_hour: u32,
    /// Every CAPTCHA answers this. Only for tests and demos: the server
    /// refuses to start with it in another mode.
    pub fixed_answer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactConfig {
    pub name_en: String,
    pub name_zh: String,
    pub email: String,
    pub phone: String,
    /// When the phone is answered, as the help page says it.
    pub hours_en: String,
    pub hours_zh: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::default(),
            secret_key: Secret::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".into(),
            database_url: "sqlite://data/gatehouse.db".into(),
            site_root: "target/site".into(),
            client_ip_header: None,
            trusted_proxy_hops: 1,
            session: SessionConfig::default(),
            argon2: Argon2Config::default(),
            policy: PolicyConfig::default(),
            password_max_age_days: None,
            lifecycle: LifecycleConfig::default(),
            housekeeping: HousekeepingConfig::default(),
            throttle: ThrottleConfig::default(),
            mail: MailConfig::default(),
            sms: SmsConfig::default(),
            recovery: RecoveryConfig::default(),
            captcha: CaptchaConfig::default(),
            cas: CasConfig::default(),
            oidc: OidcConfig::default(),
            cors: CorsConfig::default(),
            security_info: SecurityInfoConfig::default(),
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
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_waiting: None,
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
            transport: Transport::Outbox,
            outbox_dir: "data/outbox".into(),
            smtp: SmtpConfig::default(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: String::new(),
            password: Secret::default(),
            timeout_seconds: 10,
            allow_plaintext: false,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            transport: Transport::Outbox,
            outbox_dir: "data/sms-outbox".into(),
            http: SmsHttpConfig::default(),
        }
    }
}

impl Default for SmsHttpConfig {
    fn default() -> Self {
        SmsHttpConfig {
            url: String::new(),
            authorization: Secret::default(),
            content_type: "application/json".into(),
            body_template: r#"{"to": "{to}", "text": "{text}"}"#.into(),
            timeout_seconds: 10,
        }
    }
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            ask_email: false,
            code_lifetime_seconds: 600,
            resend_cooldown_seconds: 60,
            max_codes_per_flow: 3,
            max_wrong_codes: 5,
            flow_lifetime_minutes: 30,
            starts_per_login_per_hour: 10,
            starts_per_address_per_hour: 60,
            messages_per_account_per_hour: 5,
            messages_per_address_per_hour: 30,
            login_names_per_address_per_hour: 10,
            login_names_per_email_per_hour: 3,
            send_floor_ms: 1500,
            decoy_email_domains: vec!["example.edu".into()],
        }
    }
}

impl Default for CaptchaConfig {
    fn default() -> Self {
        CaptchaConfig {
            length: 5,
            lifetime_seconds: 300,
            per_address_per_hour: 300,
            fixed_answer: None,
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
            hours_en: "Monday to Friday, 9:00 to 18:00".into(),
            hours_zh: "星期一至五，上午九時至下午六時".into(),
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
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(format!(
                "database_url must be a sqlite: or postgres:// URL (got a {:?} URL); set GATEHOUSE_DATABASE_URL",
                self.database_url.split(':').next().unwrap_or_default()
            ));
        }
        if self.housekeeping.interval_minutes == 0
            || self.housekeeping.audit_retention_days == Some(0)
        {
            return Err("housekeeping.interval_minutes and housekeeping.audit_retention_days must be at least 1 (leave audit_retention_days unset to keep the audit log forever)".into());
        }
        if self.client_ip_header.is_some() && self.trusted_proxy_hops == 0 {
            return Err(
                "trusted_proxy_hops must be at least 1 when client_ip_header is set (the number of your proxies that append to it)"
                    .into(),
            );
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
        if self.argon2.max_waiting == Some(0) {
            return Err("argon2.max_waiting must be at least 1".into());
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
        self.validate_recovery()?;
        self.validate_cas()?;
        self.validate_oidc()?;
        self.validate_cors()?;
        self.validate_lifecycle()?;
        self.validate_delivery()?;
        self.validate_security_info()?;
        Policy::from_preset(self.policy.preset.0, &self.policy.rules).map(|mut policy| {
            // The product's name as authenticator apps show it counts too.
            policy.context_words = std::iter::once(&self.security_info.issuer)
                .chain(&self.policy.context_words)
                .filter(|w| !w.trim().is_empty())
                .cloned()
                .collect();
            policy
        })
    }

    fn validate_recovery(&self) -> Result<(), String> {
        if self.mode != Mode::Development && self.secret_key.expose().len() < 32 {
            return Err(format!(
                "secret_key must be set to at least 32 random characters in {:?} mode; set GATEHOUSE_SECRET_KEY (for example from `openssl rand -base64 48`)",
                self.mode
            ));
        }
        if self.captcha.fixed_answer.is_some() && !matches!(self.mode, Mode::Test | Mode::Demo) {
            return Err(
                "captcha.fixed_answer makes every CAPTCHA predictable and is allowed only in test or demo mode; remove it or set mode"
                    .into(),
            );
        }
        if !(4..=8).contains(&self.captcha.length)
            || self.captcha.lifetime_seconds == 0
            || self.captcha.per_address_per_hour == 0
        {
            return Err("captcha.length must be 4 to 8, captcha.lifetime_seconds and captcha.per_address_per_hour at least 1".into());
        }
        let r = &self.recovery;
        if r.code_lifetime_seconds == 0 || r.code_lifetime_seconds > 600 {
            return Err(
                "recovery.code_lifetime_seconds must be 1 to 600 (codes live at most 10 minutes)"
                    .into(),
            );
        }
        if r.max_codes_per_flow == 0
            || r.max_wrong_codes == 0
            || r.flow_lifetime_minutes == 0
            || r.starts_per_login_per_hour == 0
            || r.starts_per_address_per_hour == 0
            || r.messages_per_account_per_hour == 0
            || r.messages_per_address_per_hour == 0
            || r.login_names_per_address_per_hour == 0
            || r.login_names_per_email_per_hour == 0
        {
            return Err("recovery limits (max_codes_per_flow, max_wrong_codes, flow_lifetime_minutes, starts_per_*, messages_per_*, login_names_per_*) must be at least 1".into());
        }
        if r.decoy_email_domains.iter().all(|d| !d.contains('.')) {
            return Err(
                "recovery.decoy_email_domains must list at least one domain such as example.edu"
                    .into(),
            );
        }
        Ok(())
    }

    fn validate_cas(&self) -> Result<(), String> {
        if self.cas.ticket_lifetime_seconds == 0 || self.cas.ticket_lifetime_seconds > 300 {
            return Err("cas.ticket_lifetime_seconds must be 1 to 300".into());
        }
        for s in &self.cas.services {
            let pattern = ServicePattern::parse(&s.url_pattern).map_err(|why| {
                format!(
                    "cas.services {:?}: url_pattern {:?} is not usable: {why}",
                    s.name, s.url_pattern
                )
            })?;
            if self.mode == Mode::Production && !pattern.is_https() && !self.cas.allow_http_services
            {
                return Err(format!(
                    "cas.services {:?}: url_pattern {:?} must use https:// in production (or set cas.allow_http_services = true)",
                    s.name, s.url_pattern
                ));
            }
            if let Some(a) = s
                .attributes
                .iter()
                .find(|a| !["display_name", "email", "role"].contains(&a.as_str()))
            {
                return Err(format!(
                    "cas.services {:?}: unknown attribute {a:?} (display_name, email or role)",
                    s.name
                ));
            }
        }
        Ok(())
    }

    fn validate_oidc(&self) -> Result<(), String> {
        let oidc = &self.oidc;
        if oidc.token_lifetime_seconds < 30 || oidc.token_lifetime_seconds > 3600 {
            return Err("oidc.token_lifetime_seconds must be 30 to 3600".into());
        }
        if oidc.code_lifetime_seconds == 0 || oidc.code_lifetime_seconds > 60 {
            return Err("oidc.code_lifetime_seconds must be 1 to 60".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &oidc.clients {
            let entry = format!("oidc.clients {:?}", c.client_id);
            if c.client_id.is_empty()
                || !c
                    .client_id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
            {
                return Err(format!(
                    "{entry}: client_id must be letters, digits, '-', '_' or '.'"
                ));
            }
            if !seen.insert(&c.client_id) {
                return Err(format!("{entry}: client_id is registered twice"));
            }
            if c.secret_sha256.is_some() && c.secret_env.is_some() {
                return Err(format!(
                    "{entry}: give secret_sha256 or secret_env, not both"
                ));
            }
            if let Some(hash) = &c.secret_sha256 {
                if hash.len() != 64 || !hash.chars().all(|ch| ch.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{entry}: secret_sha256 must be 64 hex digits (sha256sum of the secret)"
                    ));
                }
            }
            if let Some(var) = &c.secret_env {
                match std::env::var(var) {
                    Ok(secret) if secret.len() >= 32 => {}
                    Ok(_) => {
                        return Err(format!(
                            "{entry}: the secret in ${var} must be at least 32 characters"
                        ))
                    }
                    Err(_) => {
                        return Err(format!(
                            "{entry}: secret_env names ${var}, which is not set"
                        ))
                    }
                }
            }
            if c.redirect_uris.is_empty() {
                return Err(format!("{entry}: redirect_uris must list at least one URI"));
            }
            for uri in c
                .redirect_uris
                .iter()
                .chain(&c.post_logout_redirect_uris)
                .chain(&c.backchannel_logout_uri)
            {
                let parsed = url::Url::parse(uri)
                    .map_err(|_| format!("{entry}: {uri:?} is not an absolute URI"))?;
                if parsed.fragment().is_some() {
                    return Err(format!("{entry}: {uri:?} must not have a fragment"));
                }
                let https = parsed.scheme() == "https";
                if !https && parsed.scheme() != "http" {
                    return Err(format!("{entry}: {uri:?} must be http:// or https://"));
                }
                if self.mode == Mode::Production && !https && !oidc.allow_http_redirects {
                    return Err(format!(
                        "{entry}: {uri:?} must use https:// in production (or set oidc.allow_http_redirects = true)"
                    ));
                }
            }
            if !c.scopes.iter().any(|s| s == "openid") {
                return Err(format!("{entry}: scopes must include \"openid\""));
            }
            if let Some(s) = c
                .scopes
                .iter()
                .find(|s| !crate::oidc::SCOPES.contains(&s.as_str()))
            {
                return Err(format!(
                    "{entry}: unknown scope {s:?} (openid, profile, email or roles)"
                ));
            }
            if !["RS256", "ES256"].contains(&c.id_token_signed_response_alg.as_str()) {
                return Err(format!(
                    "{entry}: id_token_signed_response_alg must be RS256 or ES256"
                ));
            }
        }
        Ok(())
    }

    fn validate_lifecycle(&self) -> Result<(), String> {
        if let Some(role) = self
            .lifecycle
            .grace
            .keys()
            .find(|r| r.parse::<gatehouse_types::account::Role>().is_err())
        {
            return Err(format!("lifecycle.grace: unknown role {role:?}"));
        }
        if self.password_max_age_days == Some(0) {
            return Err("password_max_age_days must be at least 1 (or unset)".into());
        }
        Ok(())
    }

    fn validate_cors(&self) -> Result<(), String> {
        for origin in &self.cors.allowed_origins {
            if !is_origin(origin) {
                return Err(format!(
                    "cors.allowed_origins: {origin:?} is not an origin; write scheme, host and optional port, such as https://static.example.edu (no path, no trailing slash, no wildcard: cookies are sent to these origins)"
                ));
            }
            if self.mode == Mode::Production && !origin.starts_with("https://") {
                return Err(format!(
                    "cors.allowed_origins: {origin:?} must use https:// in production"
                ));
            }
        }
        Ok(())
    }

    fn validate_security_info(&self) -> Result<(), String> {
        use base64::Engine;
        let s = &self.security_info;
        if !s.encryption_key.is_empty()
            && base64::engine::general_purpose::STANDARD
                .decode(s.encryption_key.expose())
                .map_or(true, |key| key.len() != 32)
        {
            return Err("security_info.encryption_key must be base64 of exactly 32 bytes (for example from `openssl rand -base64 32`)".into());
        }
        if s.reauth_minutes == 0 || s.reauth_minutes > 60 {
            return Err("security_info.reauth_minutes must be 1 to 60".into());
        }
        if !(5..=20).contains(&s.recovery_codes) {
            return Err("security_info.recovery_codes must be 5 to 20".into());
        }
        for role in &s.required_roles {
            if role.parse::<gatehouse_types::account::Role>().is_err() {
                return Err(format!(
                    "security_info.required_roles: unknown role {role:?}"
                ));
            }
        }
        let q = &s.questions;
        if q.enabled {
            let mut ids: Vec<&str> = q.list.iter().map(|q| q.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            if q.required == 0 || ids.len() != q.list.len() || q.list.len() < q.required {
                return Err("security_info.questions: `required` must be at least 1, and the list must hold at least that many questions with distinct ids".into());
            }
        }
        Ok(())
    }

    fn validate_delivery(&self) -> Result<(), String> {
        match self.mail.transport {
            Transport::Smtp if self.mail.smtp.host.is_empty() => {
                return Err("mail.smtp.host must be set when mail.transport is smtp".into())
            }
            Transport::Http => return Err("mail.transport must be smtp or outbox".into()),
            Transport::Outbox if self.mode == Mode::Production => {
                return Err("mail.transport = outbox is for development; set mail.transport = smtp and mail.smtp.* in production".into())
            }
            _ => {}
        }
        if self.mode == Mode::Production
            && self.mail.transport == Transport::Smtp
            && self.mail.smtp.tls == SmtpTls::None
            && !self.mail.smtp.allow_plaintext
        {
            return Err("mail.smtp.tls = none sends mail (codes included) unencrypted: use starttls or tls in production, or set mail.smtp.allow_plaintext = true for a relay on this host".into());
        }
        match self.sms.transport {
            Transport::Http if !self.sms.http.url.starts_with("http") => {
                return Err("sms.http.url must be an http(s) URL when sms.transport is http".into())
            }
            Transport::Smtp => return Err("sms.transport must be http or outbox".into()),
            Transport::Outbox if self.mode == Mode::Production => {
                return Err("sms.transport = outbox is for development; set sms.transport = http and sms.http.* in production".into())
            }
            _ => {}
        }
        if self.mode == Mode::Demo && self.mail.transport != Transport::Outbox {
            return Err(
                "demo mode keeps every message in the outbox: set mail.transport = outbox".into(),
            );
        }
        Ok(())
    }

    pub fn secure_cookie(&self) -> bool {
        self.mode == Mode::Production
            || self
                .session
                .secure_cookie
                .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    /// A cookie's name: in production with the `__Host-` prefix, so the
    /// browser takes it only from this very host, over HTTPS, for the whole
    /// site (no subdomain can plant or read one).
    pub fn cookie_name(&self, base: &str) -> String {
        if self.mode == Mode::Production {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// The session cookie's name (see [`Config::cookie_name`]).
    pub fn session_cookie_name(&self) -> String {
        self.cookie_name(&self.session.cookie_name)
    }

    /// The settings production accepts only when told to, each said at
    /// every start.
    pub fn exceptions(&self) -> Vec<&'static str> {
        let mut said = Vec::new();
        if self.mode == Mode::Production && self.cas.allow_http_services {
            said.push(
                "cas.allow_http_services = true: e-services on plain http:// may get tickets",
            );
        }
        if self.mode == Mode::Production && self.mail.smtp.allow_plaintext {
            said.push("mail.smtp.allow_plaintext = true: mail goes to the SMTP server unencrypted");
        }
        said
    }
}

/// `scheme://host[:port]` and nothing else.
fn is_origin(text: &str) -> bool {
    let Ok(uri) = text.parse::<http::Uri>() else {
        return false;
    };
    matches!(uri.scheme_str(), Some("http" | "https"))
        && uri
            .host()
            .is_some_and(|h| !h.is_empty() && !h.contains('*'))
        && !text.ends_with('/')
        && !text.contains('@')
        && uri.path_and_query().is_none_or(|p| p.as_str() == "/")
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn an_origin_is_scheme_host_and_port_only() {
        assert!(is_origin("https://static.example.edu"));
        assert!(is_origin("http://127.0.0.1:8080"));
        for bad in [
            "*",
            "https://*.example.edu",
            "https://static.example.edu/",
            "https://static.example.edu/app",
            "ftp://static.example.edu",
            "static.example.edu",
            "https://user@static.example.edu",
            "https://static.example.edu?x=1",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
