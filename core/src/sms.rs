//! Text messages: one interface, a gateway reached over HTTP, and a
//! development outbox that appends each message to a file.
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::config::SmsHttpConfig;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutgoingSms {
    pub to: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the text message could not be delivered")]
pub struct SmsError;

#[async_trait]
pub trait SmsGateway: Send + Sync + 'static {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError>;
}

/// Development: `dir/sms.jsonl`, one JSON object per message.
pub struct SmsOutbox {
    file: std::path::PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl SmsOutbox {
    pub fn new(dir: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("sms.outbox_dir {dir:?} cannot be created: {e}"))?;
        Ok(SmsOutbox {
            file: std::path::Path::new(dir).join("sms.jsonl"),
            lock: tokio::sync::Mutex::new(()),
        })
    }
}

#[async_trait]
impl SmsGateway for SmsOutbox {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        let mut line = serde_json::to_string(sms).map_err(|_| SmsError)?;
        line.push('\n');
        let _guard = self.lock.lock().await;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the SMS outbox cannot be written");
                SmsError
            })?;
        file.write_all(line.as_bytes()).await.map_err(|_| SmsError)
    }
}

/// A gateway that takes one POST per message, shaped by a body template.
pub struct HttpSmsGateway {
    client: reqwest::Client,
    config: SmsHttpConfig,
}

impl HttpSmsGateway {
    pub fn new(config: &SmsHttpConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds.max(1)))
            .build()
            .map_err(|e| format!("the SMS gateway client cannot be built: {e}"))?;
        Ok(HttpSmsGateway {
            client,
            config: config.clone(),
        })
    }

    /// The request body for `sms`, its values escaped for the content type.
    pub fn body(&self, sms: &OutgoingSms) -> String {
        let escape = |value: &str| -> String {
            if self.config.content_type.contains("json") {
                let quoted = serde_json::Value::String(value.to_owned()).to_string();
                quoted[1..quoted.len() - 1].to_owned()
            } else {
                form_urlencoded::byte_serialize(value.as_bytes()).collect()
            }
        };
        self.config
            .body_template
            .replace("{to}", &escape(&sms.to))
            .replace("{text}", &escape(&sms.text))
    }
}

#[async_trait]
impl SmsGateway for HttpSmsGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        let mut request = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, &self.config.content_type)
            .body(self.body(sms));
        if !self.config.authorization.is_empty() {
            request = request.header(
                reqwest::header::AUTHORIZATION,
                self.config.authorization.expose(),
            );
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                tracing::warn!(status = %response.status(), "the SMS gateway refused a message");
                Err(SmsError)
            }
            Err(e) => {
                // reqwest's error names the URL but never the headers.
                tracing::warn!(error = %e, "the SMS gateway could not be reached");
                Err(SmsError)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(content_type: &str, template: &str) -> HttpSmsGateway {
        HttpSmsGateway::new(&SmsHttpConfig {
            url: "http://127.0.0.1:9/sms".into(),
            content_type: content_type.into(),
            body_template: template.into(),
            ..SmsHttpConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn json_bodies_escape_the_values() {
        let g = gateway("application/json", r#"{"to":"{to}","text":"{text}"}"#);
        let body = g.body(&OutgoingSms {
            to: "+85291234567".into(),
            text: "Code \"K7QF2M\"\n驗證碼".into(),
        });
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["text"], "Code \"K7QF2M\"\n驗證碼");
    }

    #[test]
    fn form_bodies_are_url_encoded() {
        let g = gateway("application/x-www-form-urlencoded", "to={to}&msg={text}");
        let body = g.body(&OutgoingSms {
            to: "+852 9123".into(),
            text: "a&b".into(),
        });
        assert_eq!(body, "to=%2B852+9123&msg=a%26b");
    }
}
