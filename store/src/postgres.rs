//! PostgreSQL: for several Gatehouse instances sharing one database.
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::{Dialect, StoreResult};

type Db = sqlx::Postgres;
const DIALECT: Dialect = Dialect::Postgres;

// One SQL text for both backends: the same file, compiled once per
// database with its own `Db` and `DIALECT`.
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

/// The store on a PostgreSQL database.
pub type PgStore = sql::SqlStore;

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self::new(pool))
    }
}
