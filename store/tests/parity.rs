//! The two migration folders make the same schema: an empty SQLite file
//! and an empty PostgreSQL database, each migrated, have the same tables,
//! the same columns with the same type families and nullability, and the
//! same indexes.
//!
//! PostgreSQL is named by `TEST_POSTGRES_URL` (`scripts/test.sh` sets it);
//! without it the test is skipped, except under CI, where it fails.
use std::collections::BTreeSet;

use gatehouse_store::{PgStore, SqliteStore};
use sqlx::{Connection, Executor, Row};

/// `(table, column, type family, nullable)`.
type Column = (String, String, &'static str, bool);
/// `(table, unique, columns)`, an expression column written `<expr>`.
type Index = (String, bool, Vec<String>);

#[derive(Debug, PartialEq)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

fn family(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int" | "int4" | "int8" | "smallint" | "bigserial" | "serial" => {
            "integer"
        }
        "text" | "character varying" | "varchar" => "text",
        "blob" | "bytea" => "blob",
        // SQLite has no boolean: it keeps one as an integer 0 or 1.
        "boolean" | "bool" => "integer",
        "real" | "double precision" | "float8" => "real",
        other => panic!("a column type with no family: {other}"),
    }
}

/// The migrations' own bookkeeping, not the schema.
const BOOKKEEPING: &str = "_sqlx_migrations";

async fn sqlite_schema(url: &str) -> Schema {
    SqliteStore::connect(url).await.unwrap();
    let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .into_iter()
    .filter(|t: &String| t != BOOKKEEPING)
    .collect();
    let mut columns = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    for table in &tables {
        let rows = db
            .fetch_all(format!("PRAGMA table_info({table})").as_str())
            .await
            .unwrap();
        for row in rows {
            let name: String = row.get("name");
            let declared: String = row.get("type");
            let not_null: bool = row.get::<i64, _>("notnull") != 0;
            // A primary key column is never null, however it is declared.
            let key: bool = row.get::<i64, _>("pk") != 0;
            columns.insert((table.clone(), name, family(&declared), !(not_null || key)));
        }
        let list = db
            .fetch_all(format!("PRAGMA index_list({table})").as_str())
            .await
            .unwrap();
        for index in list {
            if index.get::<String, _>("origin") == "pk" {
                continue;
            }
            let name: String = index.get("name");
            let unique = index.get::<i64, _>("unique") != 0;
            let parts = db
                .fetch_all(format!("PRAGMA index_xinfo(\"{name}\")").as_str())
                .await
                .unwrap();
            let cols = parts
                .iter()
                .filter(|p| p.get::<i64, _>("key") != 0)
                .map(|p| {
                    p.get::<Option<String>, _>("name")
                        .unwrap_or_else(|| "<expr>".into())
                })
                .collect();
            indexes.insert((table.clone(), unique, cols));
        }
    }
    Schema {
        tables,
        columns,
        indexes,
    }
}

async fn postgres_schema(url: &str) -> Schema {
    PgStore::connect(url).await.unwrap();
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .into_iter()
    .filter(|t: &String| t != BOOKKEEPING)
    .collect();
    let columns = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
         is_nullable::text AS n FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.get::<String, _>("t") != BOOKKEEPING)
    .map(|r| {
        (
            r.get::<String, _>("t"),
            r.get::<String, _>("c"),
            family(&r.get::<String, _>("ty")),
            r.get::<String, _>("n") == "YES",
        )
    })
    .collect();
    // Each index's key columns in order; 0 is an expression.
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, ix.indisunique AS u, \
           ARRAY(SELECT COALESCE(a.attname::text, '<expr>') \
                 FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                 LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 ORDER BY k.ord) AS cols \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT ix.indisprimary",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.get::<String, _>("t") != BOOKKEEPING)
    .map(|r| {
        (
            r.get::<String, _>("t"),
            r.get::<bool, _>("u"),
            r.get::<Vec<String>, _>("cols"),
        )
    })
    .collect();
    Schema {
        tables,
        columns,
        indexes,
    }
}

#[tokio::test]
async fn both_migration_folders_make_the_same_schema() {
    let Some(admin_url) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the schema parity test needs TEST_POSTGRES_URL"
        );
        eprintln!("TEST_POSTGRES_URL is not set: schema parity skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_schema(&format!("sqlite://{}/parity.db", dir.path().display())).await;

    let name = format!(
        "gatehouse_parity_{:016x}",
        std::process::id() as u64 ^ 0x9e37_79b9
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let postgres = postgres_schema(&format!("{base}/{name}")).await;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();

    assert!(!sqlite.tables.is_empty(), "the migrations made no table");
    assert_eq!(sqlite.tables, postgres.tables, "tables");
    let only =
        |a: &BTreeSet<Column>, b: &BTreeSet<Column>| a.difference(b).cloned().collect::<Vec<_>>();
    assert!(
        sqlite.columns == postgres.columns,
        "columns only in SQLite: {:?}\ncolumns only in PostgreSQL: {:?}",
        only(&sqlite.columns, &postgres.columns),
        only(&postgres.columns, &sqlite.columns),
    );
    assert_eq!(sqlite.indexes, postgres.indexes, "indexes");
    eprintln!(
        "alike: {} tables, {} columns, {} indexes",
        sqlite.tables.len(),
        sqlite.columns.len(),
        sqlite.indexes.len()
    );
}
