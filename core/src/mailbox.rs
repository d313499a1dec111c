//! Demo mode only: every email and text message sent is also kept in memory
//! and listed at `/dev/mailbox`, so someone trying the portal can read
//! their verification code in the browser.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::clock::Clock;
use crate::mail::{MailError, MailTransport, OutgoingMail};
use crate::sms::{OutgoingSms, SmsError, SmsGateway};
use gatehouse_types::mailbox::MailboxEntry;

/// Messages kept; older ones drop off.
const KEPT: usize = 200;

#[derive(Default)]
pub struct DemoMailbox {
    entries: Mutex<VecDeque<MailboxEntry>>,
}

impl DemoMailbox {
    fn keep(&self, entry: MailboxEntry) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() == KEPT {
                entries.pop_back();
            }
            entries.push_front(entry);
        }
    }

    /// Newest first.
    pub fn entries(&self) -> Vec<MailboxEntry> {
        self.entries
            .lock()
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// A transport that delivers through `inner` and, once delivered, keeps a
/// copy in the mailbox.
pub struct Recorded<T: ?Sized> {
    pub inner: Arc<T>,
    pub mailbox: Arc<DemoMailbox>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl MailTransport for Recorded<dyn MailTransport> {
    async fn deliver(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.inner.deliver(mail).await?;
        self.mailbox.keep(MailboxEntry {
            at: self.clock.unix(),
            kind: "email".into(),
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
        });
        Ok(())
    }
}

#[async_trait]
impl SmsGateway for Recorded<dyn SmsGateway> {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        self.inner.send(sms).await?;
        self.mailbox.keep(MailboxEntry {
            at: self.clock.unix(),
            kind: "sms".into(),
            to: sms.to.clone(),
            subject: String::new(),
            text: sms.text.clone(),
        });
        Ok(())
    }
}
