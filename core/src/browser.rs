//! Who asks and the cookies they hold, without HTTP: the adapter fills a
//! [`Browser`] from the request, hands it to the service, and writes what
//! the service set into the response as `Set-Cookie` headers.
use std::sync::{Mutex, PoisonError};

use crate::config::Config;
use gatehouse_store::ClientInfo;

/// Gatehouse's own cookies. Each holds a random token whose SHA-256 keys a
/// row (a session or an open flow); none holds anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cookie {
    Session,
    /// Ties a browser to its forgot-password or first-time flow.
    Recovery,
    /// Ties a browser to the second step of its sign-in.
    SecondStep,
}

impl Cookie {
    pub const ALL: [Cookie; 3] = [Cookie::Session, Cookie::Recovery, Cookie::SecondStep];

    /// Its name in this instance (with the `__Host-` prefix in production).
    pub fn name(self, config: &Config) -> String {
        match self {
            Cookie::Session => config.session_cookie_name(),
            Cookie::Recovery => config.cookie_name("gatehouse_recovery"),
            Cookie::SecondStep => config.cookie_name("gatehouse_second_step"),
        }
    }

    /// `Strict` for the flows: no other site can make the browser send
    /// them. The session is `Lax`, so a link from an e-service arrives
    /// signed in.
    pub fn same_site(self) -> &'static str {
        match self {
            Cookie::Session => "Lax",
            Cookie::Recovery | Cookie::SecondStep => "Strict",
        }
    }
}

/// One cookie to set: `value` for `max_age` seconds (`None`: until the
/// browser closes), or removed with `max_age` 0. The adapter writes it as
/// a `Set-Cookie` header.
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub cookie: Cookie,
    pub value: String,
    pub max_age: Option<i64>,
}

/// The browser of one request: its client (address and user agent, as
/// audit and notices report them), the cookies it sent, and those it is
/// to be sent back.
pub struct Browser {
    pub client: ClientInfo,
    sent: Vec<(Cookie, String)>,
    set: Mutex<Vec<SetCookie>>,
}

impl Browser {
    /// The client that sent these cookies (an empty value counts as none).
    pub fn new(client: ClientInfo, cookies: impl IntoIterator<Item = (Cookie, String)>) -> Self {
        Browser {
            client,
            sent: cookies.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
            set: Mutex::default(),
        }
    }

    /// The token the request sent in `cookie`; what a service sets is for
    /// the browser's next request.
    pub fn token(&self, cookie: Cookie) -> Option<String> {
        self.sent
            .iter()
            .find(|(c, _)| *c == cookie)
            .map(|(_, v)| v.clone())
    }

    pub fn set(&self, cookie: Cookie, value: &str, max_age: Option<i64>) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(SetCookie {
                cookie,
                value: value.to_owned(),
                max_age,
            });
    }

    pub fn clear(&self, cookie: Cookie) {
        self.set(cookie, "", Some(0));
    }

    /// The cookies to set, in the order they were set.
    pub fn to_set(&self) -> Vec<SetCookie> {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_s_cookies_are_read_and_the_set_ones_kept_in_order() {
        let client = ClientInfo {
            addr: "203.0.113.7".into(),
            user_agent: "test".into(),
        };
        let browser = Browser::new(
            client,
            [
                (Cookie::Session, "old".to_owned()),
                (Cookie::Recovery, String::new()),
            ],
        );
        assert_eq!(browser.token(Cookie::Session).as_deref(), Some("old"));
        assert_eq!(browser.token(Cookie::Recovery), None);
        browser.set(Cookie::Session, "new", None);
        browser.clear(Cookie::Recovery);
        assert_eq!(browser.token(Cookie::Session).as_deref(), Some("old"));
        let set = browser.to_set();
        assert_eq!(set.len(), 2);
        assert!(set[0].cookie == Cookie::Session && set[0].value == "new");
        assert!(set[1].cookie == Cookie::Recovery && set[1].max_age == Some(0));
    }
}
