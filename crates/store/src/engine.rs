//! The engine dialect: the short list of places where SQLite and PostgreSQL really differ.
//!
//! Every statement and every row decoding of the store is written once, over sqlx's `Any`
//! driver, and runs unchanged on both engines: `$n` placeholders, `RETURNING`,
//! `ON CONFLICT … DO UPDATE`, `NULLS FIRST/LAST`, text timestamps (`codec`), integer
//! flags. What cannot be said the same way lives here, and only here:
//!
//! - opening and migrations (`sqlite.rs`: a one-connection writer pool beside a
//!   `query_only` reader pool, WAL, pragmas, retried first opens; `postgres.rs`: the
//!   database created when missing, one pool, migrations under an advisory lock);
//! - how a transaction begins: SQLite writes with `BEGIN IMMEDIATE`, PostgreSQL reads
//!   that must agree with each other in a REPEATABLE READ, READ ONLY snapshot;
//! - row locks: on PostgreSQL a read-then-write change of one site locks the site's row
//!   and an import locks the `targets` table, and queue claims skip rows another worker
//!   holds; SQLite's single writer already gives all of that;
//! - `ILIKE` where SQLite's `LIKE` is already ASCII case-insensitive.

mod postgres;
mod sqlite;

use crate::StoreError;
use sqlx::{Any, Connection, Transaction};
use sqlx::{AnyConnection, AnyPool};

pub(crate) use postgres::{is_postgres_url, location};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// SQLite: take the write lock up front. A deferred transaction that reads and then
    /// writes must upgrade its lock, which SQLite cannot wait for ("database is locked"
    /// at once when another process writes); `IMMEDIATE` waits for the busy timeout.
    /// PostgreSQL: the default READ COMMITTED, plus the row locks below.
    fn begin_write(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => Some("BEGIN IMMEDIATE"),
            Engine::Postgres => None,
        }
    }

    /// PostgreSQL: one snapshot for reads that must agree (a page and its total, a scan
    /// and its findings). SQLite: a plain read transaction on a WAL reader already is one.
    fn begin_snapshot(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
        }
    }

    /// Serialises read-then-write changes of one site (its label, its queue) the way
    /// SQLite's single writer does. `NO KEY UPDATE` does not block scans being inserted
    /// for the site (their foreign-key checks take `KEY SHARE`). A missing target locks
    /// nothing; the write that follows then fails as it does on SQLite.
    fn lock_site(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("SELECT id FROM targets WHERE id = $1 FOR NO KEY UPDATE"),
        }
    }

    /// One import at a time (SQLite's single writer): two imports of a new host must not
    /// both decide to insert it. Readers and scans are not blocked.
    fn lock_targets(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("LOCK TABLE targets IN SHARE ROW EXCLUSIVE MODE"),
        }
    }

    /// Ends the inner `SELECT` of a queue claim: on PostgreSQL several workers claim at
    /// once and each passes over the rows another is taking instead of waiting for them.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// ASCII case-insensitive `LIKE`: SQLite's `LIKE` is, PostgreSQL's is not.
    pub(crate) fn like(self) -> &'static str {
        match self {
            Engine::Sqlite => "LIKE",
            Engine::Postgres => "ILIKE",
        }
    }
}

/// The pools of one open database and the engine they speak to.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    engine: Engine,
    /// SQLite: exactly one connection, the only path for writes. PostgreSQL: the pool.
    writer: AnyPool,
    /// SQLite: `query_only` connections, or the writer itself for an in-memory database
    /// (a second connection would open a different, empty one). PostgreSQL: the same
    /// pool as `writer`, which takes many writers at once.
    reader: AnyPool,
}

impl Db {
    /// Opens the database the URL names; see [`crate::Store::open`].
    pub(crate) async fn open(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        if is_postgres_url(url) {
            postgres::open(url).await
        } else {
            sqlite::open(url).await
        }
    }

    pub(crate) fn engine(&self) -> Engine {
        self.engine
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub(crate) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// A transaction that writes (see [`Engine::begin_write`]).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.engine.begin_write() {
            Some(begin) => self.writer.begin_with(begin).await?,
            None => self.writer.begin().await?,
        })
    }

    /// A read-only transaction whose statements all see one snapshot.
    pub(crate) async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.engine.begin_snapshot() {
            Some(begin) => self.reader.begin_with(begin).await?,
            None => self.reader.begin().await?,
        })
    }
}

/// [`Db::begin_write`] on a connection already held (the migration connection).
pub(crate) async fn begin_write_on(
    engine: Engine,
    conn: &mut AnyConnection,
) -> Result<Transaction<'_, Any>, StoreError> {
    Ok(match engine.begin_write() {
        Some(begin) => conn.begin_with(begin).await?,
        None => conn.begin().await?,
    })
}

/// Locks one site against other read-then-write changes until the transaction ends
/// (see [`Engine::lock_site`]); a no-op on SQLite, whose writer is already alone.
pub(crate) async fn lock_site(
    engine: Engine,
    conn: &mut AnyConnection,
    target_id: i64,
) -> Result<(), StoreError> {
    if let Some(sql) = engine.lock_site() {
        sqlx::query(sql)
            .bind(target_id)
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// Locks the target list against other imports (see [`Engine::lock_targets`]).
pub(crate) async fn lock_targets(
    engine: Engine,
    conn: &mut AnyConnection,
) -> Result<(), StoreError> {
    if let Some(sql) = engine.lock_targets() {
        sqlx::query(sql).execute(conn).await?;
    }
    Ok(())
}
