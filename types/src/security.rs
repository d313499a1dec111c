//! Security info as the pages and the server exchange it: the methods, the
//! security questions, an enrolment waiting for its code.
use serde::{Deserialize, Serialize};

/// A way to prove who one is beyond the password. `Email` is the
/// registered address from the institution's records; the others are
/// registered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Email,
    Mobile,
    AltEmail,
    App,
    Questions,
    RecoveryCode,
    /// A passkey or security key (WebAuthn).
    Passkey,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::Email,
        Method::Mobile,
        Method::AltEmail,
        Method::App,
        Method::Questions,
        Method::RecoveryCode,
        Method::Passkey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Email => "email",
            Method::Mobile => "mobile",
            Method::AltEmail => "alt_email",
            Method::App => "app",
            Method::Questions => "questions",
            Method::RecoveryCode => "recovery_code",
            Method::Passkey => "passkey",
        }
    }

    /// Whether a code is sent for it (rather than the user holding it).
    pub fn is_sent(self) -> bool {
        matches!(self, Method::Email | Method::Mobile | Method::AltEmail)
    }
}

impl std::str::FromStr for Method {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Method::ALL.into_iter().find(|m| m.as_str() == s).ok_or(())
    }
}

/// One registered method as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodView {
    pub method: Method,
    /// The address or number (the user's own, shown in full), else empty.
    pub detail: String,
    /// Unix seconds.
    pub added_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub en: String,
    pub zh_hant: String,
}

/// An enrolment waiting for its confirming code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    App(AppEnrolment),
    Contact {
        method: Method,
        address: String,
        seconds_left: i64,
    },
}

/// What the page shows to enrol an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// The `otpauth://` link the QR code holds.
    pub url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub login: String,
    /// The registered methods, the default first.
    pub methods: Vec<MethodView>,
    pub default: Option<Method>,
    pub two_step: bool,
    pub two_step_required: bool,
    /// Recovery codes not yet used; `None` before the first set.
    pub recovery_codes_left: Option<usize>,
    /// Empty when the deployment does not offer security questions.
    pub questions: Vec<Question>,
    pub questions_required: usize,
    /// Seconds left in which changes need no password; 0: enter it first.
    pub reauth_seconds_left: i64,
    pub pending: Option<Pending>,
    /// The passkeys and security keys, oldest first.
    pub passkeys: Vec<PasskeyView>,
    /// Whether this portal's address allows passkeys (a domain name).
    pub passkeys_available: bool,
}

/// One passkey or security key as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    /// The credential id (base64url): what rename and remove name.
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub added_at: i64,
    pub last_used_at: Option<i64>,
    /// Turned off after a sign-in suggested the key was copied.
    pub disabled: bool,
}

/// A WebAuthn ceremony started by the server: the browser passes
/// `options` (JSON, as `PublicKeyCredential.parse…OptionsFromJSON` takes
/// it) to its authenticator and sends the answer back with `handle`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// Answers the ceremony once: never logged.
    pub handle: String,
    pub options: String,
}

impl std::fmt::Debug for Ceremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ceremony")
            .field("handle", &"***")
            .field("options", &self.options)
            .finish()
    }
}
