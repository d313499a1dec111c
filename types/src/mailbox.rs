//! A message the demo mailbox shows.
use serde::{Deserialize, Serialize};

/// One message the portal sent, as `/dev/mailbox` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxEntry {
    pub at: i64,
    /// `email` or `sms`.
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
}
