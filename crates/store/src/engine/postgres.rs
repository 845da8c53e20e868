//! Opening the shared PostgreSQL store.
//!
//! Concurrency: PostgreSQL takes many writers at once (any number of `trustlabel worker`
//! processes on any machines share one database), so there is one pool for reads and
//! writes. Write transactions run at READ COMMITTED; the few that read before they write
//! take the lock SQLite's single writer gives implicitly (see `Engine::lock_site` and
//! `Engine::lock_targets`), and reads that must agree run in one snapshot.
//!
//! Schema: `migrations/postgres/`, the same tables and columns as SQLite's, with the same
//! text timestamps (`codec`) and the "C" collation (byte order, as SQLite's BINARY). The
//! migrations run under a session advisory lock, so processes opening a new database at
//! the same moment take turns instead of racing on `CREATE TABLE`.

use super::{Db, Engine};
use crate::StoreError;
use crate::migrations::{self, Embedded};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// Connections per process: scan tasks and web requests queue for them in the pool.
const POOL_SIZE: u32 = 10;

/// How long a statement waits for a pooled connection. Generous, because with many scan
/// tasks the queue is long but each turn is short.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(300);

/// The session advisory lock held while the schema is brought up to date (any constant
/// of our own; `pg_advisory_lock` keys are per database).
const MIGRATION_LOCK: i64 = 0x7472_7573_746c_6162; // "trustlab"

/// SQLSTATE of "database does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";

/// Whether `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub(crate) fn is_postgres_url(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// The URL without user, password or query (which may carry `password=`): what an error
/// message may show.
pub(crate) fn location(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("");
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", parsed.scheme(), parsed.path())
        }
        Err(_) => "(unparseable PostgreSQL URL)".into(),
    }
}

fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// Connects (creating the database when it does not exist yet and the role may, as
/// SQLite creates its file) and brings the schema up to date.
pub(super) async fn open(url: &str) -> Result<Db, StoreError> {
    let location = location(url);
    let open_error = |source| StoreError::Open {
        location: location.clone(),
        source,
    };
    let options = PgConnectOptions::from_str(url.trim()).map_err(open_error)?;
    // One direct connection first: a pool retries refused connections until its
    // acquire timeout, while a wrong URL should fail at once with the server's reason.
    let probe = match PgConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) if sqlstate(&e).as_deref() == Some(INVALID_CATALOG_NAME) => {
            // Another process may be creating it at this very moment, so a failed
            // CREATE only matters when the database is still not there afterwards.
            let created = Postgres::create_database(url.trim()).await;
            match PgConnection::connect_with(&options).await {
                Ok(conn) => conn,
                Err(again) => return Err(open_error(created.err().unwrap_or(again))),
            }
        }
        Err(e) => return Err(open_error(e)),
    };
    let _ = probe.close().await;
    let any_options = AnyConnectOptions::from_str(url.trim()).map_err(open_error)?;
    let pool = AnyPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(any_options);
    let db = Db {
        engine: Engine::Postgres,
        writer: pool.clone(),
        reader: pool,
    };
    if let Err(e) = migrate(&db).await {
        db.close().await;
        return Err(e);
    }
    Ok(db)
}

/// Migrations and the search-key backfill on one connection holding the advisory lock;
/// a second process opening at the same moment waits, then finds nothing to do.
async fn migrate(db: &Db) -> Result<(), StoreError> {
    let mut conn = db.writer.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    let result = async {
        let mut migrator = Migrator::new(Embedded(migrations::POSTGRES)).await?;
        // Our own lock already serialises every opener.
        migrator.set_locking(false);
        migrator.run(&mut *conn).await?;
        crate::scans::fill_search_keys(Engine::Postgres, &mut conn).await
    }
    .await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    if unlocked.is_err() {
        // Never hand a connection that may still hold the lock back to the pool.
        let _ = conn.detach().close().await;
    }
    result?;
    unlocked?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_never_shows_credentials() {
        for url in [
            "postgres://lan:s3cret@db.example:5433/trust",
            "postgresql://lan:s3cret@db.example:5433/trust?password=s3cret&sslmode=require",
            "postgres://:s3cret@db.example:5433/trust",
        ] {
            let shown = location(url);
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(!shown.contains("lan"), "{shown}");
            assert!(shown.ends_with("db.example:5433/trust"), "{shown}");
        }
        assert!(!location("postgres://u:s3cret@[::1").contains("s3cret"));
    }

    #[tokio::test]
    async fn an_open_that_fails_names_the_server_but_not_the_password() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let err = crate::Store::open("postgres://lan:s3cret@127.0.0.1:1/trust")
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(matches!(err, StoreError::Open { .. }), "{text}");
        assert!(text.contains("127.0.0.1:1/trust"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
