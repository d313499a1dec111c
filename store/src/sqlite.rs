//! SQLite: one file in WAL mode, migrations applied at start.
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Dialect, StoreResult};

type Db = sqlx::Sqlite;
const DIALECT: Dialect = Dialect::Sqlite;

// One SQL text for both backends: the same file, compiled once per
// database with its own `Db` and `DIALECT`.
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

/// The store on one SQLite file.
pub type SqliteStore = sql::SqlStore;

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self::new(pool))
    }
}
