//! A message waiting in the mail queue (or sent at once: a verification
//! code).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutgoingMail {
    #[sqlx(rename = "recipient")]
    pub to: String,
    pub subject: String,
    #[sqlx(rename = "body_text")]
    pub text: String,
    #[sqlx(rename = "body_html")]
    pub html: String,
}

impl OutgoingMail {
    /// The same message to another address.
    pub fn to(&self, address: &str) -> OutgoingMail {
        OutgoingMail {
            to: address.to_owned(),
            ..self.clone()
        }
    }
}
