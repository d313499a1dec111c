//! Gatehouse's data: the records, the storage interface (split by
//! concern, [`Store`] is all of it), and one implementation of it whose
//! queries are written once for SQLite and PostgreSQL alike.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod mail;
mod model;
mod postgres;
mod sqlite;
pub mod throttle;
mod traits;

pub use audit::{Action, AuditEvent, ClientInfo, Outcome};
pub use mail::OutgoingMail;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use traits::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("that login name is already taken")]
    Duplicate,
    /// The row changed since it was read (another request got there first).
    #[error("the record changed meanwhile")]
    Conflict,
    #[error("a database error occurred")]
    Database(#[from] sqlx::Error),
    #[error("a database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the one SQL text cannot say the same way in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The 1-based position of `needle` in `text` (0: not in it).
    pub(crate) fn position_of(self, needle: &str, text: &str) -> String {
        match self {
            Dialect::Sqlite => format!("INSTR({text}, {needle})"),
            Dialect::Postgres => format!("STRPOS({text}, {needle})"),
        }
    }
}
