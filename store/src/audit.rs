//! Audit events: who did what, when, from where, and how it ended. They
//! carry no secret: no password, hash, code or session token.
use std::str::FromStr;

/// Who is asking: the client address and browser, as audit events and
/// notices report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub addr: String,
    pub user_agent: String,
}

macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(()) }
            }
        }
    };
}

string_enum!(Action {
    AccountCreated => "account.created",
    AccountUpdated => "account.updated",
    Import => "import",
    Admin => "admin.action",
    AdminDenied => "admin.denied",
    SignIn => "sign_in",
    SignOut => "sign_out",
    PasswordChanged => "password.changed",
    RecoveryStarted => "recovery.started",
    RecoveryCodeSent => "recovery.code_sent",
    RecoveryCodeChecked => "recovery.code_checked",
    PasswordReset => "password.reset",
    LoginNamesSent => "recovery.login_names_sent",
    CasTicketIssued => "cas.ticket_issued",
    CasTicketValidated => "cas.ticket_validated",
    OidcCodeIssued => "oidc.code_issued",
    OidcTokenIssued => "oidc.token_issued",
    OidcTokenRefused => "oidc.token_refused",
    SecurityInfo => "security_info.changed",
});

string_enum!(Outcome {
    Success => "success",
    Failure => "failure",
    Refused => "refused",
});

gatehouse_types::stored_as_name!(Action, Outcome);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEvent {
    pub actor: Option<String>,
    pub subject: Option<String>,
    #[sqlx(try_from = "String")]
    pub action: Action,
    #[sqlx(try_from = "String")]
    pub outcome: Outcome,
    pub client_addr: String,
    pub user_agent: String,
    /// A short, non-secret reason, e.g. `wrong_password`.
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event a user caused about their own account.
    pub fn by_user(login: &str, action: Action, outcome: Outcome, client: &ClientInfo) -> Self {
        AuditEvent {
            actor: Some(login.to_owned()),
            subject: Some(login.to_owned()),
            action,
            outcome,
            client_addr: client.addr.clone(),
            user_agent: client.user_agent.clone(),
            detail: None,
        }
    }

    /// An event about an account that no signed-in user caused (a
    /// reminder asked for from the sign-in page).
    pub fn about(login: &str, action: Action, outcome: Outcome, client: &ClientInfo) -> Self {
        AuditEvent {
            actor: None,
            ..AuditEvent::by_user(login, action, outcome, client)
        }
    }

    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }
}
