//! The forgot-password wizard's steps as the server answers them.
use gatehouse_policy::Policy;
use serde::{Deserialize, Serialize};

/// Where a code goes, or what else proves the user: every method.
pub use crate::security::Method as Channel;
use crate::security::Question;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelOption {
    pub channel: Channel,
    /// For example `•••••••@e••••.edu.hk` or `•••• 1234`.
    pub masked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeStep {
    pub channel: Channel,
    pub masked: String,
    /// Seconds until the code expires, as the server counts them; the page
    /// counts down from here.
    pub seconds_left: i64,
    /// The expiry as a time of day, for pages without JavaScript.
    pub expires_at: String,
    /// Seconds until another code may be asked for.
    pub resend_in: i64,
    pub resends_left: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Step {
    Identify {
        /// The CAPTCHA challenge's id.
        captcha: String,
        ask_email: bool,
        /// An earlier flow on this page ended (left, expired or voided).
        restarted: bool,
    },
    Channel {
        options: Vec<ChannelOption>,
        /// One channel was proved; 2-step verification asks for another.
        second: bool,
    },
    Code(CodeStep),
    /// A factor the user holds: a code from the authenticator app or a
    /// recovery code, or the answers to their security questions.
    Held {
        channel: Channel,
        questions: Vec<Question>,
    },
    NewPassword {
        policy: Policy,
        login: String,
        display_name: String,
    },
    Done,
    /// The account may not be reset here (past its end date, or disabled);
    /// told only after the visitor proved control of a registered channel,
    /// with whom to contact.
    Unavailable {
        phone: String,
        email: String,
    },
}
