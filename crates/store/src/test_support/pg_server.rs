//! A PostgreSQL server for tests, and a fresh database per test.
//!
//! The server is `TRUSTLABEL_TEST_POSTGRES` (an admin URL such as
//! `postgres://trustlabel@127.0.0.1:5432/postgres`) when it is set. Otherwise the first
//! test that needs one starts a throwaway cluster for the whole test binary: `initdb`
//! into a temporary directory and `postgres` listening only on a Unix socket in that
//! directory (no TCP port at all, so there is no port to find free, hand over and lose
//! to another process), both from the Debian package (`/usr/lib/postgresql/VERSION/bin`). `initdb` refuses to run as root,
//! so as root both run as the package's `postgres` user (`runuser`). A small shell
//! watchdog stops the server and removes its directory once this test process is gone,
//! so the server never outlives the tests, however they end.
//!
//! Without PostgreSQL the tests that need it fail, naming the package to install; they
//! never skip.
//!
//! Shared by the store's unit tests and the CLI integration test (`#[path]`), so it
//! uses nothing of the crate itself.

use sqlx::{Connection, Executor, PgConnection};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const ADMIN_URL_ENV: &str = "TRUSTLABEL_TEST_POSTGRES";

const MISSING: &str = "PostgreSQL is needed by this test but its server binaries were not \
     found (/usr/lib/postgresql/*/bin/initdb and postgres): install Debian package \
     postgresql; .ci/run does. Alternatively set TRUSTLABEL_TEST_POSTGRES to an admin URL \
     (postgres://USER@127.0.0.1:PORT/postgres) of a running server";

/// The admin URL of the server the tests use, starting one on first use.
pub fn admin_url() -> String {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var(ADMIN_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Ok(url.trim().to_string()),
            _ => start_cluster(),
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The newest installed server's `bin` directory.
fn server_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let bin = entry.path().join("bin");
            let version = entry
                .file_name()
                .to_string_lossy()
                .split('.')
                .map(|part| part.parse::<u64>().ok())
                .collect::<Option<Vec<u64>>>()?;
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A command that runs `program` as the `postgres` user when we are root.
fn as_server_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Runs the server until the process `$3` is gone (or the server stops), then stops it
/// (SIGINT: fast shutdown) and removes the cluster directory. `listen_addresses` is empty:
/// the only way in is the socket `$2/.s.PGSQL.5432`, in a directory of this test run.
const WATCHDOG: &str = r#"
postgres_bin=$1; dir=$2; parent=$3
"$postgres_bin" -D "$dir/data" -k "$dir" -c listen_addresses= -p 5432 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=300 >"$dir/server.log" 2>&1 &
pg=$!
echo "$pg" >"$dir/server.pid"
while [ -d "/proc/$parent" ] && kill -0 "$pg" 2>/dev/null; do sleep 0.2; done
kill -INT "$pg" 2>/dev/null
wait "$pg"
[ -d "/proc/$parent" ] || rm -rf "$dir"
"#;

fn start_cluster() -> Result<String, String> {
    let bin = server_bin_dir().ok_or_else(|| MISSING.to_string())?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let as_root = unsafe { libc::geteuid() } == 0;
    let dir = std::env::temp_dir().join(format!(
        "trustlabel-pg-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if as_root {
        let chown = Command::new("chown")
            .arg("postgres:")
            .arg(&dir)
            .output()
            .map_err(|e| format!("chown: {e}"))?;
        if !chown.status.success() {
            return Err(format!(
                "cannot hand {} to the postgres user (is the Debian package postgresql \
                 installed?): {}",
                dir.display(),
                String::from_utf8_lossy(&chown.stderr)
            ));
        }
    }
    let initdb = as_server_user(as_root, &bin.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            "trustlabel",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", bin.join("initdb").display()))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    run_server(as_root, &bin, &dir)
        .map_err(|e| format!("the test PostgreSQL server did not start: {e}"))?;
    socket_url(&dir)
}

/// `postgres:///postgres?host=DIR&user=trustlabel`: sqlx (and libpq) read a `host` that
/// starts with `/` as the directory of the server's Unix socket.
fn socket_url(dir: &Path) -> Result<String, String> {
    let dir = dir
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", dir.display()))?;
    let mut url = url::Url::parse("postgres:///postgres").map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair("host", dir)
        .append_pair("user", "trustlabel");
    Ok(url.to_string())
}

fn run_server(as_root: bool, bin: &Path, dir: &Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let mut watchdog = as_server_user(as_root, Path::new("/bin/sh"));
    watchdog
        .arg("-c")
        .arg(WATCHDOG)
        // `sh -c SCRIPT NAME ARGS…`: NAME is `$0`, the arguments `$1`….
        .arg("trustlabel-test-postgres")
        .arg(bin.join("postgres"))
        .arg(dir)
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C of the tests reaches the tests, and the
        // watchdog then cleans up behind them.
        .process_group(0);
    let mut child = watchdog
        .spawn()
        .map_err(|e| format!("cannot start the test PostgreSQL server: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args([
                "-q",
                "-p",
                "5432",
                "-U",
                "trustlabel",
                "-d",
                "postgres",
                "-h",
            ])
            .arg(dir)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("pg_isready: {e}"))?;
        if ready.success() {
            return Ok(());
        }
        if let Ok(Some(_)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("postgres exited: {log}"));
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("postgres not ready after 60 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A database of its own for one test, dropped (best effort) when the value is.
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a fresh, empty database.
    pub async fn create() -> TestDatabase {
        let db = TestDatabase::unborn();
        let mut conn = connect_admin(&db.admin).await;
        conn.execute(format!("CREATE DATABASE \"{}\"", db.name).as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {}: {e}", db.name));
        let _ = conn.close().await;
        db
    }

    /// A unique name whose database does not exist yet (for tests of creating it).
    pub fn unborn() -> TestDatabase {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let admin = admin_url();
        let name = format!(
            "trustlabel_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut url =
            url::Url::parse(&admin).unwrap_or_else(|e| panic!("{ADMIN_URL_ENV} is not a URL: {e}"));
        url.set_path(&name);
        TestDatabase {
            admin,
            name,
            url: url.to_string(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn connect_admin(admin: &str) -> PgConnection {
    let mut attempt = 0;
    loop {
        match PgConnection::connect(admin).await {
            Ok(conn) => return conn,
            // "the database system is starting up" and the like pass quickly.
            Err(_) if attempt < 50 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot connect to the test PostgreSQL server: {e}"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with
        // its own small runtime does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        });
        let _ = dropped.join();
    }
}
