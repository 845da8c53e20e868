//! Opening the embedded SQLite store.
//!
//! Concurrency: SQLite allows one writer at a time. Writes go through a pool of exactly
//! one connection, so concurrent scan tasks queue (fairly, in the pool) instead of
//! racing for the file lock and failing with "database is locked". Every write
//! transaction still starts with `BEGIN IMMEDIATE` (see `Engine::begin_write`), which
//! takes the write lock up front: when another process (a CLI import beside a running
//! server) holds it, we wait for the busy timeout instead of failing on a read-to-write
//! lock upgrade, which SQLite cannot wait for. Reads use a separate small pool; in WAL
//! mode they never block the writer nor wait for it.
//!
//! The pools speak through sqlx's `Any` driver, which opens SQLite from a URL only, so
//! the settings that a URL cannot carry (WAL, `synchronous`, busy timeout, the readers'
//! `query_only`) are pragmas run on every new connection.

use super::{Db, Engine};
use crate::StoreError;
use crate::migrations::{self, Embedded};
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

/// How long a write waits for its turn on the single writer connection. Generous,
/// because with many scan tasks the queue is long but each turn is short.
const WRITER_QUEUE_TIMEOUT: Duration = Duration::from_secs(300);

/// Concurrent readers (web requests, reports); the machine is small.
const READERS: u32 = 4;

/// Every connection: foreign keys enforced, `synchronous=NORMAL` and a busy timeout.
///
/// The busy timeout (30 s) is how long a statement waits for another process's write
/// lock. Our own writers queue in the pool instead, so it only matters across processes;
/// a large import in another process can hold the lock for seconds.
///
/// NORMAL in WAL mode: a commit is appended to the log but not fsynced. The log is in
/// the OS page cache the moment `COMMIT` returns, so a killed or crashed *process* loses
/// nothing; only an OS crash or power cut can lose the last commits (never corrupt the
/// file). Losing a few scans to a power cut costs a rescan; an fsync per scan would
/// throttle every write.
const COMMON_PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

/// The writer switches the file to WAL, a persistent, file-level setting, before any
/// reader connects.
const WRITER_PRAGMAS: &str = "PRAGMA journal_mode = WAL;";

/// `query_only` makes an accidental write on a reader fail loudly instead of quietly
/// competing with the writer for the lock. Readers serve the web list: memory-mapped
/// reads and a larger page cache keep a filtered count over tens of thousands of sites
/// off the syscall path (the defaults are no mmap and a 2 MiB cache).
const READER_PRAGMAS: &str =
    "PRAGMA query_only = ON; PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768;";

/// Errors of a concurrent first open that go away on a second try.
fn is_transient_open_error(e: &StoreError) -> bool {
    match e {
        StoreError::Open { source, .. } => source
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "5" || code == "6"),
        StoreError::Migrate(_) => true,
        _ => false,
    }
}

/// Opens (creating and migrating when needed). Several processes may open a brand new
/// file at the same moment: switching it to WAL and creating the schema then race, and
/// SQLite answers the loser "database is locked" without waiting, or its `CREATE` meets
/// the winner's table. Both are transient, and every step is idempotent (WAL is
/// persistent, applied migrations are skipped), so the whole open is retried a few times
/// with a growing pause.
pub(super) async fn open(url: &str) -> Result<Db, StoreError> {
    let mut attempt: u64 = 0;
    loop {
        match open_once(url).await {
            Ok(db) => return Ok(db),
            Err(e) if attempt < 8 && is_transient_open_error(&e) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(25 * attempt * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A pool whose every new connection first runs the common pragmas, then `extra`.
fn pool_options(connections: u32, extra: Option<&'static str>) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(sqlx::raw_sql(COMMON_PRAGMAS)).await?;
                if let Some(extra) = extra {
                    conn.execute(sqlx::raw_sql(extra)).await?;
                }
                Ok(())
            })
        })
}

async fn open_once(url: &str) -> Result<Db, StoreError> {
    let (target, location) = connect_target(url)?;
    let open_error = |source| StoreError::Open {
        location: location.clone(),
        source,
    };
    let db = match target {
        Target::Memory => {
            // One connection for everything, kept forever: the database lives and dies
            // with it. (sqlx names each in-memory database afresh and shares its cache,
            // which is harmless with a single connection.)
            let options = AnyConnectOptions::from_str("sqlite::memory:").map_err(open_error)?;
            let pool = pool_options(1, None)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(WRITER_QUEUE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_error)?;
            Db {
                engine: Engine::Sqlite,
                writer: pool.clone(),
                reader: pool,
            }
        }
        Target::File(options) => {
            let writer_options = any_options((*options).clone().create_if_missing(true));
            let writer = pool_options(1, Some(WRITER_PRAGMAS))
                .acquire_timeout(WRITER_QUEUE_TIMEOUT)
                .connect_with(writer_options.map_err(open_error)?)
                .await
                .map_err(open_error)?;
            let reader = connect_readers(any_options(*options).map_err(open_error)?).await;
            let reader = match reader {
                Ok(reader) => reader,
                Err(e) => {
                    writer.close().await;
                    return Err(open_error(e));
                }
            };
            Db {
                engine: Engine::Sqlite,
                writer,
                reader,
            }
        }
    };
    if let Err(e) = migrate(&db).await {
        db.close().await;
        return Err(e);
    }
    Ok(db)
}

async fn connect_readers(options: AnyConnectOptions) -> Result<AnyPool, sqlx::Error> {
    pool_options(READERS, Some(READER_PRAGMAS))
        .connect_with(options)
        .await
}

async fn migrate(db: &Db) -> Result<(), StoreError> {
    let migrator = Migrator::new(Embedded(migrations::SQLITE)).await?;
    let mut conn = db.writer.acquire().await?;
    migrator.run(&mut *conn).await?;
    crate::scans::fill_search_keys(Engine::Sqlite, &mut conn).await
}

/// Where a SQLite URL points.
#[derive(Debug)]
enum Target {
    Memory,
    File(Box<SqliteConnectOptions>),
}

/// Parses the URL forms `Store::open` documents; returns the target and a
/// human-readable location (`:memory:` for an in-memory database).
fn connect_target(url: &str) -> Result<(Target, String), StoreError> {
    let url = url.trim();
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    if database == ":memory:" || params.split('&').any(|p| p == "mode=memory") {
        return Ok((Target::Memory, ":memory:".into()));
    }
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open {
            location: url.to_string(),
            source,
        })?;
        let location = options.get_filename().display().to_string();
        return Ok((Target::File(Box::new(options)), location));
    }
    Ok((
        Target::File(Box::new(SqliteConnectOptions::new().filename(url))),
        url.to_string(),
    ))
}

/// The `Any` driver's options for a file: sqlx's own URL form of the SQLite options
/// (mode, cache, vfs kept), over the absolute path so that no part of a relative path
/// can be read as a URL host.
fn any_options(options: SqliteConnectOptions) -> Result<AnyConnectOptions, sqlx::Error> {
    let absolute = std::path::absolute(options.get_filename())
        .map_err(|e| sqlx::Error::Configuration(e.into()))?;
    let url = options.filename(absolute).to_url_lossy();
    AnyConnectOptions::from_url(&url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(url: &str) -> String {
        connect_target(url).unwrap().1
    }

    #[test]
    fn urls_and_bare_paths_name_the_same_file() {
        let a = location("sqlite:///tmp/x/trust.db");
        assert_eq!(a, "/tmp/x/trust.db");
        assert_eq!(location("/tmp/x/trust.db"), a);
        assert_eq!(location("sqlite:/tmp/x/trust.db"), a);
        for memory in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            ":memory:",
        ] {
            assert_eq!(location(memory), ":memory:", "{memory}");
        }
    }

    #[test]
    fn a_relative_path_with_odd_characters_reaches_the_driver_intact() {
        let Target::File(options) = connect_target("data dir/a:b#c?.db").unwrap().0 else {
            panic!("a file");
        };
        let any = any_options(*options).unwrap();
        let back = SqliteConnectOptions::from_url(&any.database_url).unwrap();
        let expected = std::path::absolute("data dir/a:b#c?.db").unwrap();
        assert_eq!(back.get_filename(), expected);
    }
}
