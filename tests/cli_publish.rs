//! The publishing commands as a user runs them: staff accounts, owner links, the static
//! export, `serve`, and `demo` serving its results.

use crate::common::cli_env::Env;
use crate::common::webapp::http_get;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use trustlabel_store::Store;

/// An environment with two targets in `targets.csv`.
fn env() -> Env {
    let env = Env::new();
    env.write(
        "targets.csv",
        "host,organisation,category,province\nbotaichinh.gov.vn,Bộ Tài chính,government,Hà Nội\nshop.example.vn,Cửa hàng,ecommerce,Huế\n",
    );
    env
}

/// Exit code, stdout and stderr.
async fn run(env: &Env, args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = env.run_with_stdin(args, stdin).await;
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits for the "serving on http://ADDR" line of a `serve`/`demo` process.
async fn serving_address(child: &mut Child) -> std::net::SocketAddr {
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix("serving on http://") {
                return rest.split_whitespace().next().and_then(|a| a.parse().ok());
            }
        }
        None
    })
    .await;
    found
        .ok()
        .flatten()
        .expect("the server printed its address")
}

#[tokio::test]
async fn staff_accounts_are_created_from_the_cli_with_a_hashed_password() {
    let env = env();
    let (code, _, err) = run(&env, &["staff", "add", "lan"], "short\n").await;
    assert_eq!(code, 2, "a short password is refused: {err}");
    let (code, _, err) = run(&env, &["staff", "add", "lan"], "một mật khẩu thật dài\n").await;
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(&env, &["staff", "add", "lan"], "một mật khẩu thật dài\n").await;
    assert_eq!(code, 2, "the name is taken");
    let (_, out, _) = run(&env, &["staff", "list"], "").await;
    assert_eq!(out.trim(), "lan\tactive");
    let store = Store::open(&env.db()).await.unwrap();
    let user = store.staff_by_username("lan").await.unwrap().unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(!user.password_hash.contains("mật khẩu"));
}

#[tokio::test]
async fn owner_links_are_printed_once_stored_hashed_and_revocable() {
    let env = env();
    assert_eq!(
        run(&env, &["targets", "import", "targets.csv"], "").await.0,
        0
    );
    let (code, out, err) = run(
        &env,
        &["owner-link", "botaichinh.gov.vn", "--days", "7"],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let url = out.trim();
    let token = url.rsplit('/').next().unwrap();
    assert!(url.contains("/owner/") && token.len() >= 40, "{url}");
    let store = Store::open(&env.db()).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let link = store
        .owner_link(&trustlabel::auth::token_hash(token), now)
        .await
        .unwrap()
        .expect("the printed link works");
    assert!(link.expires_at > now + time::Duration::days(6));
    assert!(
        store.owner_link(token, now).await.unwrap().is_none(),
        "only the hash is stored"
    );
    let (code, _, _) = run(&env, &["owner-link", "botaichinh.gov.vn", "--revoke"], "").await;
    assert_eq!(code, 0);
    assert!(
        store
            .owner_link(&trustlabel::auth::token_hash(token), now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(run(&env, &["owner-link", "unknown.gov.vn"], "").await.0, 2);
    assert!(
        err.contains("public_url"),
        "a link guessed from the listen address is flagged: {err}"
    );
    let (code, out, err) = run(
        &env,
        &[
            "owner-link",
            "botaichinh.gov.vn",
            "--public-url",
            "https://tinnhiem.example.vn",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("https://tinnhiem.example.vn/owner/"),
        "{out}"
    );
    assert!(!err.contains("warning"), "{err}");
}

#[tokio::test]
async fn imports_from_the_command_line_are_in_the_audit_log() {
    let env = env();
    assert_eq!(
        run(&env, &["targets", "import", "targets.csv"], "").await.0,
        0
    );
    let store = Store::open(&env.db()).await.unwrap();
    let log = store.audit_log(10).await.unwrap();
    let import = log
        .iter()
        .find(|e| e.action == "import")
        .expect("an import entry");
    assert!(import.actor.starts_with("cli"), "{import:?}");
    assert!(import.detail.contains("targets.csv"), "{import:?}");
}

#[tokio::test]
async fn publish_writes_the_same_export_twice_and_never_clears_a_foreign_directory() {
    let env = env();
    assert_eq!(
        run(&env, &["targets", "import", "targets.csv"], "").await.0,
        0
    );
    let (code, _, err) = run(&env, &["publish", "--out", "reports/a"], "").await;
    assert_eq!(code, 0, "{err}");
    let index = std::fs::read_to_string(env.path("reports/a/index.html")).unwrap();
    assert!(index.contains("botaichinh.gov.vn"));
    let first = std::fs::read(env.path("reports/a/data/sites.csv")).unwrap();
    assert_eq!(run(&env, &["publish", "--out", "reports/a"], "").await.0, 0);
    assert_eq!(
        first,
        std::fs::read(env.path("reports/a/data/sites.csv")).unwrap()
    );
    std::fs::create_dir_all(env.path("mine")).unwrap();
    std::fs::write(env.path("mine/notes.txt"), "x").unwrap();
    assert_eq!(run(&env, &["publish", "--out", "mine"], "").await.0, 2);
    assert!(env.path("mine/notes.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_on_the_address_it_prints() {
    let env = env();
    assert_eq!(
        run(&env, &["targets", "import", "targets.csv"], "").await.0,
        0
    );
    let mut child = env
        .command(&["serve", "--listen", "127.0.0.1:0", "--no-worker"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = serving_address(&mut child).await;
    let (status, body) = http_get(addr, "/?q=bo+tai+chinh").await;
    assert_eq!(status, 200);
    assert!(body.contains("botaichinh.gov.vn") && !body.contains("shop.example.vn"));
    let (status, body) = http_get(addr, "/api/v1/stats").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"total\":2"), "{body}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn serving_beyond_loopback_needs_the_authority_named_in_the_configuration() {
    let env = env();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["tinnhiem.example.vn".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    env.write("cert.pem", &cert.pem());
    env.write("key.pem", &key.serialize_pem());
    let tls = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--no-worker",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "key.pem",
    ];
    let (code, _, err) = run(&env, &tls, "").await;
    assert_eq!(code, 2, "{err}");
    for name in ["authority_name", "authority_short", "contact"] {
        assert!(err.contains(name), "names what is missing: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_serves_the_web_list_of_its_fleet() {
    let env = env();
    let mut child = env
        .command(&[
            "--site-deadline",
            "3",
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--format",
            "json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = serving_address(&mut child).await;
    let (status, body) = http_get(addr, "/?status=labelled").await;
    assert_eq!(status, 200);
    assert!(body.contains("good.demo.trustlabel.test"), "{body}");
    assert!(!body.contains("expired.demo.trustlabel.test"));
    // A demo that looks like the country: Vietnamese organisations under ministries and
    // provinces, and weeks of history behind the dashboard and the league tables.
    let (_, list) = http_get(addr, "/").await;
    assert!(
        list.contains("Sở Y tế") && list.contains("Lào Cai"),
        "{list}"
    );
    let (_, dashboard) = http_get(addr, "/dashboard").await;
    assert!(
        dashboard.matches("<circle").count() >= 2 * 10,
        "the trend has points on many days"
    );
    let (_, league) = http_get(addr, "/league?by=ministry").await;
    assert!(league.contains("Bộ Tài chính") && league.contains("UBND tỉnh Lào Cai"));
    child.kill().await.unwrap();
}
