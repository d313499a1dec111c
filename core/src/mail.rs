//! Outgoing mail: notices are queued in the database with the change they
//! report, and a worker hands them to the transport (SMTP, or the
//! development outbox folder of `.eml` files). Verification codes are not
//! queued: they are sent while the user waits, so a failure can be told.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::{SmtpConfig, SmtpTls};
pub use gatehouse_store::OutgoingMail;
use gatehouse_store::Store;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the message could not be built")]
    Build,
    #[error("the message could not be delivered")]
    Delivery,
}

#[async_trait]
pub trait MailTransport: Send + Sync + 'static {
    async fn deliver(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// Writes each message to a folder as an RFC 5322 `.eml` file.
pub struct FileOutbox {
    from: Mailbox,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileOutbox {
    pub fn new(from: &str, dir: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("mail.outbox_dir {dir:?} cannot be created: {e}"))?;
        let from = from
            .parse()
            .map_err(|_| format!("mail.from is not a valid mailbox: {from:?}"))?;
        Ok(FileOutbox {
            from,
            transport: AsyncFileTransport::new(dir),
        })
    }
}

pub fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    Message::builder()
        .from(from.clone())
        .to(mail.to.parse().map_err(|_| MailError::Build)?)
        .subject(&mail.subject)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|_| MailError::Build)
}

#[async_trait]
impl MailTransport for FileOutbox {
    async fn deliver(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        self.transport
            .send(message)
            .await
            .map_err(|_| MailError::Delivery)?;
        Ok(())
    }
}

/// Hands each message to an SMTP server (lettre's pooled transport).
pub struct SmtpMail {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMail {
    pub fn new(from: &str, config: &SmtpConfig) -> Result<Self, String> {
        let from = from
            .parse()
            .map_err(|_| format!("mail.from is not a valid mailbox: {from:?}"))?;
        let host = config.host.as_str();
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| {
                    format!("mail.smtp.host {host:?} cannot be used with STARTTLS: {e}")
                })?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("mail.smtp.host {host:?} cannot be used with TLS: {e}"))?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(config.timeout_seconds.max(1))));
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.expose().to_owned(),
            ));
        }
        Ok(SmtpMail {
            from,
            transport: builder.build(),
        })
    }
}

#[async_trait]
impl MailTransport for SmtpMail {
    async fn deliver(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        self.transport.send(message).await.map_err(|e| {
            // lettre's error names the server's reply, never the credentials.
            tracing::warn!(error = %e, "the SMTP server did not take a message");
            MailError::Delivery
        })?;
        Ok(())
    }
}

/// How long to wait before trying a failed message again.
const RETRY_SECONDS: i64 = 60;
/// How often the worker looks for due messages when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);

/// Delivers every message that is due; returns how many were sent.
pub async fn deliver_due(
    store: &dyn Store,
    transport: &dyn MailTransport,
    clock: &dyn Clock,
) -> usize {
    let due = match store.due_mail(clock.unix(), 50).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "reading the mail queue failed");
            return 0;
        }
    };
    let mut sent = 0;
    for (id, mail) in due {
        let result = match transport.deliver(&mail).await {
            Ok(()) => {
                sent += 1;
                store.mark_mail_sent(id, clock.unix()).await
            }
            Err(e) => {
                tracing::warn!(mail_id = id, error = %e, "mail delivery failed; will retry");
                store
                    .mark_mail_failed(id, clock.unix() + RETRY_SECONDS)
                    .await
            }
        };
        if let Err(e) = result {
            tracing::error!(mail_id = id, error = %e, "recording a mail delivery failed");
        }
    }
    sent
}

pub fn spawn_worker(
    store: Arc<dyn Store>,
    transport: Arc<dyn MailTransport>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            deliver_due(store.as_ref(), transport.as_ref(), clock.as_ref()).await;
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}
