//! Who an account is: its role, its status, its login name, and what the
//! pages show of the signed-in user.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Student,
    Staff,
    Teacher,
    Applicant,
    Graduate,
    Retiree,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Student,
        Role::Staff,
        Role::Teacher,
        Role::Applicant,
        Role::Graduate,
        Role::Retiree,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Staff => "staff",
            Role::Teacher => "teacher",
            Role::Applicant => "applicant",
            Role::Graduate => "graduate",
            Role::Retiree => "retiree",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; use one of {}", known.join(", "))
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Locked,
    Disabled,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Locked => "locked",
            AccountStatus::Disabled => "disabled",
        }
    }
}

impl std::str::FromStr for AccountStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "active" => Ok(AccountStatus::Active),
            "locked" => Ok(AccountStatus::Locked),
            "disabled" => Ok(AccountStatus::Disabled),
            _ => Err(()),
        }
    }
}

/// What the pages show about the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub email: String,
    /// Unix seconds.
    pub password_changed_at: Option<i64>,
    pub must_change: bool,
    /// Days left before the password must be changed, while the reminder
    /// banner shows.
    pub password_due_in_days: Option<i64>,
}

/// Names stored as text (role, status, and the store's flow states and
/// audit actions) read back as their enums; an unknown one is a decoding
/// error. The enum must implement `FromStr`.
#[macro_export]
macro_rules! stored_as_name {
    ($($name:ty),+) => {$(
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                value.parse().map_err(|_| format!("unknown stored value {value:?}"))
            }
        }
    )+};
}
stored_as_name!(Role, AccountStatus);

/// One open session, as its owner sees it on My Profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session in "Sign out this session" (the stored hash of
    /// its token, never the token).
    pub reference: String,
    pub current: bool,
    pub browser: String,
    pub address: String,
    pub started: i64,
    pub last_seen: i64,
    /// The e-services signed in to through this session (CAS and OpenID
    /// Connect), by name.
    pub services: Vec<String>,
}
