//! What every service reaches: configuration, storage, hashing, the clock,
//! the message transports and the texts of the notices.
use std::sync::Arc;

use gatehouse_policy::Policy;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::codes::{DecoyModel, Keys};
use crate::config::Config;
use crate::mail::MailTransport;
use crate::mailbox::DemoMailbox;
use crate::notices::NoticeTexts;
use crate::passwords::PasswordHasher;
use crate::sms::SmsGateway;
use gatehouse_store::Store;

#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub policy: Arc<Policy>,
    pub store: Arc<dyn Store>,
    pub hasher: Arc<PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    /// Rung after a message is queued, so it goes out at once.
    pub mail_wakeup: Arc<Notify>,
    /// Rung when a sign-in session ends, so e-services are told at once.
    pub logout_wakeup: Arc<Notify>,
    pub mail: Arc<dyn MailTransport>,
    pub sms: Arc<dyn SmsGateway>,
    /// Demo mode only: every message sent, for `/dev/mailbox`.
    pub mailbox: Option<Arc<DemoMailbox>>,
    pub keys: Arc<Keys>,
    /// How long code deliveries took lately (see `SendTimes`).
    pub send_times: Arc<SendTimes>,
    /// The real accounts' shape that decoys copy, with when it was read.
    pub decoys: Arc<tokio::sync::Mutex<Option<(i64, DecoyModel)>>>,
    /// The notices' words in each language.
    pub texts: Arc<dyn NoticeTexts>,
}

/// How long the last real code deliveries took: every "send code" answer
/// waits as long as the slowest of them (and at least the configured
/// floor), whether or not the name has an account, so a slow transport
/// tells nothing about which names exist.
#[derive(Debug, Default)]
pub struct SendTimes(std::sync::Mutex<std::collections::VecDeque<std::time::Duration>>);

impl SendTimes {
    const KEPT: usize = 32;

    pub fn record(&self, took: std::time::Duration) {
        let mut recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == Self::KEPT {
            recent.pop_front();
        }
        recent.push_back(took);
    }

    /// The slowest recent delivery (zero before any).
    pub fn slowest(&self) -> std::time::Duration {
        let recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().max().copied().unwrap_or_default()
    }
}
