//! Core's errors, of two kinds: a refusal the person is told about (the
//! browser-facing [`AppError`]: a wrong password, a throttle, bad input),
//! and a failure underneath it (the database, the hasher, a stored secret,
//! any library's error), which keeps its cause and the place it happened.
//! A message that cannot be delivered is a refusal (`DeliveryFailed`): the
//! person is told to try again or use another channel. The
//! adapter that answers the request logs a failure once, with its whole
//! cause chain, and tells the browser only that something went wrong.
use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;

use gatehouse_store::StoreError;
use gatehouse_types::error::AppError;

use crate::passwords::HashError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in core a failure was met: the `?` that passed it on.
#[derive(Debug, Clone, Copy)]
pub struct At(&'static Location<'static>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

impl At {
    #[track_caller]
    fn here() -> Self {
        At(Location::caller())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the person is told, as it is.
    #[error(transparent)]
    Refused(AppError),
    #[error("the store failed (at {at})")]
    Store {
        #[source]
        source: StoreError,
        at: At,
    },
    #[error("password hashing failed (at {at})")]
    Hashing {
        #[source]
        source: HashError,
        at: At,
    },
    /// Anything else that should not happen: what was being done, and
    /// the error it met.
    #[error("{what} failed (at {at})")]
    Failed {
        what: &'static str,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
        at: At,
    },
    /// Something that should not happen and has no error of its own.
    #[error("{what} (at {at})")]
    Unexpected { what: String, at: At },
}

/// Says what was being done when an error of some library came up, as a
/// core failure.
pub trait Context<T> {
    fn context(self, what: &'static str) -> Result<T>;
}

impl<T, E: StdError + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    #[track_caller]
    fn context(self, what: &'static str) -> Result<T> {
        match self {
            Ok(value) => Ok(value),
            Err(e) => Err(Error::Failed {
                what,
                source: Box::new(e),
                at: At::here(),
            }),
        }
    }
}

impl Error {
    /// A failure that has no error value of its own.
    #[track_caller]
    pub fn unexpected(what: impl fmt::Display) -> Self {
        Error::Unexpected {
            what: what.to_string(),
            at: At::here(),
        }
    }

    /// Logs a failure that goes no further: the service carries on
    /// without what failed, or passes another error on in its place. A
    /// refusal is the person's answer and is not logged.
    pub fn set_aside(&self, what: &'static str) {
        if !matches!(self, Error::Refused(_)) {
            tracing::error!(error = %self.chain(), "{what}");
        }
    }

    /// The error and every cause under it, outermost first.
    pub fn chain(&self) -> String {
        let mut said = self.to_string();
        let mut cause = self.source();
        while let Some(e) = cause {
            said.push_str(": ");
            said.push_str(&e.to_string());
            cause = e.source();
        }
        said
    }
}

impl From<AppError> for Error {
    fn from(e: AppError) -> Self {
        Error::Refused(e)
    }
}

impl From<StoreError> for Error {
    #[track_caller]
    fn from(source: StoreError) -> Self {
        Error::Store {
            source,
            at: At::here(),
        }
    }
}

impl From<HashError> for Error {
    #[track_caller]
    fn from(source: HashError) -> Self {
        match source {
            // Not a failure: the person is told to try again shortly.
            HashError::Busy { seconds } => Error::Refused(AppError::Busy { seconds }),
            source => Error::Hashing {
                source,
                at: At::here(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read() -> Result<()> {
        let failed: std::result::Result<(), StoreError> = Err(StoreError::Conflict);
        failed?;
        Ok(())
    }

    #[test]
    fn a_failure_keeps_its_cause_and_the_line_that_passed_it_on() {
        let error = read().err().map(|e| e.chain()).unwrap_or_default();
        assert!(
            error.starts_with("the store failed (at core/src/error.rs:"),
            "{error}"
        );
        assert!(error.ends_with(": the record changed meanwhile"), "{error}");
    }

    #[test]
    fn a_library_error_says_what_was_being_done() {
        let parsed: std::result::Result<u8, _> = "x".parse::<u8>();
        let error = parsed
            .context("reading a number")
            .err()
            .map(|e| e.chain())
            .unwrap_or_default();
        assert!(
            error.starts_with("reading a number failed (at core/src/error.rs:"),
            "{error}"
        );
        assert!(
            error.ends_with(": invalid digit found in string"),
            "{error}"
        );
    }

    #[test]
    fn a_refusal_is_said_as_it_is() {
        let error = Error::from(AppError::Forbidden);
        assert!(matches!(error, Error::Refused(AppError::Forbidden)));
        assert_eq!(error.chain(), "forbidden");
    }
}
