//! Inventory discovery through the CLI against a Certificate Transparency log on
//! loopback (`trustlabel_fleet::ctlog`, whose tree hash and signing share no code with
//! the follower): the fleet's sites become candidates with their source, accepted ones
//! are assessed by the next `scan --all`, and hostile logs end in clear errors or a
//! bounded retry, never a hang, without losing what was stored.

use crate::common::cli_env::{Env, fleet_args};
use crate::common::{DOMAIN, host};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Output;
use std::time::Duration;
use trustlabel_fleet::ctlog::{CtLog, CtLogBehaviour, LoggedCert};
use trustlabel_fleet::{CertKind, Fleet, SiteSpec};
use trustlabel_store::Store;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// No CLI run may take longer than this; a hang becomes a failure, not a stuck CI job.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first certificate of a PEM chain, as DER.
fn first_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM")
}

fn config(log: &CtLog, key: &str, extra: &str) -> String {
    format!(
        "[discovery]\nsuffixes = [\"{DOMAIN}\"]\nbatch_size = 2\nrequests_per_second = 50\n\
         backoff_secs = 0.05\nmax_retries = 2\nrequest_timeout_secs = 5\n{extra}\n\
         [[discovery.logs]]\nurl = \"{}\"\nkey = \"{key}\"\n",
        log.url()
    )
}

async fn run(env: &Env, fleet: &Fleet, args: &[&str]) -> Output {
    let mut all = fleet_args(env, fleet);
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    tokio::time::timeout(HANG_GUARD, env.run(&all))
        .await
        .expect("the CLI finished")
}

/// host → (state, sources as "kind source detail").
async fn candidates(env: &Env) -> BTreeMap<String, (String, Vec<String>, Option<String>)> {
    let out = env.run(&["discover", "list", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            let sources = c["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .map(|s| format!("{} {} {}", s["kind"], s["source"], s["detail"]))
                .collect();
            (
                c["host"].as_str().expect("host").to_string(),
                (
                    c["state"].as_str().expect("state").to_string(),
                    sources,
                    c["probe"].as_str().map(str::to_string),
                ),
            )
        })
        .collect()
}

async fn fleet_with_log(behaviour: CtLogBehaviour) -> (Fleet, CtLog, Vec<String>) {
    let hosts = vec![host("disc-a"), host("disc-b"), host("disc-expired")];
    let fleet = Fleet::start(
        DOMAIN,
        vec![
            SiteSpec::good(&hosts[0]),
            SiteSpec::good(&hosts[1]),
            SiteSpec::good(&hosts[2]).with_cert(CertKind::Expired),
        ],
    )
    .await
    .expect("fleet");
    let mut certs = fleet.ct_entries();
    // A wildcard under the suffix, and a name outside it that must be ignored.
    for name in [format!("*.wild.{DOMAIN}"), "www.shop.example".to_string()] {
        let (chain, _) = fleet.issue_pem(&name).expect("issue");
        certs.push(LoggedCert::X509 {
            cert: first_der(&chain),
            chain: vec![],
        });
    }
    let entries = certs.len() as u64;
    let log = CtLog::start(LOOPBACK, certs, entries, behaviour)
        .await
        .expect("log");
    (fleet, log, hosts)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_ct_run_finds_the_fleet_and_accepted_candidates_are_assessed_by_scan_all() {
    let (fleet, log, hosts) = fleet_with_log(CtLogBehaviour::default()).await;
    let env = Env::new();
    env.write(
        "trustlabel.toml",
        &config(&log, &log.public_key_base64(), ""),
    );

    let out = run(&env, &fleet, &["discover", "ct"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("tree head verified"), "{stdout}");

    let found = candidates(&env).await;
    let wild = format!("wild.{DOMAIN}");
    let mut expected: Vec<&str> = hosts.iter().map(String::as_str).collect();
    expected.push(&wild);
    expected.sort();
    assert_eq!(
        found.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    for (host, (state, sources, _)) in &found {
        assert_eq!(state, "pending", "{host}");
        assert_eq!(sources.len(), 1, "{host}: {sources:?}");
        assert!(
            sources[0].starts_with(&format!("\"ct\" \"{}\" \"entry ", log.url())),
            "{host}: {sources:?}"
        );
    }
    // The light probe ran: the fleet's sites answer HTTPS.
    assert_eq!(found[&hosts[0]].2.as_deref(), Some("https"));

    // A second run resumes after the last entry: one get-sth, no entry fetched again.
    let before = log.requests();
    let out = run(&env, &fleet, &["discover", "ct", "--no-probe"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 new candidates"), "{stdout}");
    assert_eq!(log.requests(), before + 1, "only the tree head was asked");

    for h in &hosts {
        let out = env
            .run(&[
                "discover",
                "accept",
                h,
                "--organisation",
                "Sở Thông tin",
                "--category",
                "government",
                "--province",
                "Hà Nội",
            ])
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let out = env
        .run(&["discover", "dismiss", &wild, "--reason", "parked"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = env
        .run(&["discover", "dismiss", &wild, "--reason", "bored"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown reason is a usage error"
    );

    let out = run(&env, &fleet, &["scan", "--all", "--quiet"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the expired site fails: {stdout}"
    );
    let store = Store::open(&env.db()).await.expect("store");
    for h in &hosts {
        let target = store.target_by_host(h).await.unwrap().expect("a target");
        let label = store.label(target.id).await.unwrap();
        let want = if h.contains("expired") {
            "not_labelled"
        } else {
            "labelled"
        };
        assert_eq!(label.status.as_str(), want, "{h}");
    }
    assert!(store.target_by_host(&wild).await.unwrap().is_none());
    let audit: Vec<String> = store
        .audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.host.unwrap_or_default()))
        .collect();
    for h in &hosts {
        assert!(audit.contains(&format!("discover.accept {h}")), "{audit:?}");
    }
    assert!(
        audit.contains(&format!("discover.dismiss {wild}")),
        "{audit:?}"
    );
}

/// Runs `discover ct` against a log with `behaviour`; returns the output and the
/// candidates stored afterwards.
async fn against(
    behaviour: CtLogBehaviour,
    key_of_other_log: bool,
) -> (
    Output,
    BTreeMap<String, (String, Vec<String>, Option<String>)>,
    usize,
) {
    let (fleet, log, _) = fleet_with_log(behaviour).await;
    let key = if key_of_other_log {
        let (_f, other, _) = fleet_with_log(CtLogBehaviour::default()).await;
        other.public_key_base64()
    } else {
        log.public_key_base64()
    };
    let env = Env::new();
    env.write("trustlabel.toml", &config(&log, &key, ""));
    let out = run(&env, &fleet, &["discover", "ct", "--no-probe"]).await;
    let found = candidates(&env).await;
    (out, found, log.requests())
}

/// [`against`] for a log that must end the run in an error (exit 3) saying `expected`;
/// returns the candidates stored and the requests the log saw.
async fn fails_with(
    behaviour: CtLogBehaviour,
    key_of_other_log: bool,
    expected: &str,
) -> (
    BTreeMap<String, (String, Vec<String>, Option<String>)>,
    usize,
) {
    let (out, found, requests) = against(behaviour, key_of_other_log).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    (found, requests)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_whose_root_is_not_its_entries_ends_in_an_error_and_keeps_what_was_stored() {
    let behaviour = CtLogBehaviour {
        wrong_root: true,
        ..CtLogBehaviour::default()
    };
    let (found, _) = fails_with(behaviour, false, "does not serve the tree it signed").await;
    assert_eq!(
        found.len(),
        4,
        "candidates read before the check stay: {found:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_that_claims_more_entries_than_it_serves_ends_in_an_error() {
    let behaviour = CtLogBehaviour {
        claimed_extra: 5,
        ..CtLogBehaviour::default()
    };
    let expected = "claims 11 entries but it serves none from index 6";
    let (found, _) = fails_with(behaviour, false, expected).await;
    assert_eq!(found.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tree_head_signed_by_another_key_is_refused_before_any_entry_is_read() {
    let expected = "does not verify under the configured log key";
    let (found, requests) = fails_with(CtLogBehaviour::default(), true, expected).await;
    assert!(found.is_empty());
    assert_eq!(requests, 1, "only get-sth");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_entries_are_named_and_skipped_and_the_tree_still_verifies() {
    let (out, found, _) = against(
        CtLogBehaviour {
            malformed: vec![0],
            ..CtLogBehaviour::default()
        },
        false,
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("tree head verified"), "{stdout}");
    assert!(
        stderr.contains("1 malformed entries skipped: entry 0:"),
        "{stderr}"
    );
    assert_eq!(
        found.len(),
        3,
        "the first site's certificate was the bad entry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_with_backoff_and_a_failing_log_stops_after_the_retry_limit() {
    let (out, found, _) = against(
        CtLogBehaviour {
            throttled_requests: 2,
            ..CtLogBehaviour::default()
        },
        false,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(found.len(), 4);

    // Two batches (4 entries) served, then 503 for ever: 1 + 2 retries, then an error;
    // the candidates of the first two batches are stored.
    let behaviour = CtLogBehaviour {
        failing_after: Some(2),
        ..CtLogBehaviour::default()
    };
    let (found, requests) = fails_with(behaviour, false, "HTTP 503 (after 3 attempts)").await;
    assert_eq!(requests, 1 + 2 + 3, "get-sth, two batches, three tries");
    assert!(found.len() >= 2, "first batches stored: {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_log_times_out_within_the_retry_limit() {
    let (fleet, log, _) = fleet_with_log(CtLogBehaviour {
        delay: Some(Duration::from_secs(30)),
        ..CtLogBehaviour::default()
    })
    .await;
    let env = Env::new();
    let mut text_config = config(&log, &log.public_key_base64(), "");
    text_config = text_config.replace("request_timeout_secs = 5", "request_timeout_secs = 0.3");
    env.write("trustlabel.toml", &text_config);
    let out = run(&env, &fleet, &["discover", "ct", "--no-probe"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("no answer within 300 ms (after 3 attempts)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hosts_linked_from_a_scanned_page_become_candidates_with_the_page() {
    let portal = host("disc-portal");
    let agency = host("disc-agency");
    let body = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Cổng</title></head>\
         <body><a href=\"https://{agency}/gioi-thieu\">Sở</a> <a href=\"https://{portal}/\">Trang chủ</a> \
         <a href=\"https://www.shop.example/\">shop</a></body></html>"
    );
    let fleet = Fleet::start(DOMAIN, vec![SiteSpec::good(&portal).with_home_body(&body)])
        .await
        .expect("fleet");
    let env = Env::new();
    env.write(
        "trustlabel.toml",
        &format!("[discovery]\nsuffixes = [\"{DOMAIN}\"]\n"),
    );
    let list = env.write("t.csv", &format!("{portal},Cổng,government,Hà Nội,\n"));
    let out = run(
        &env,
        &fleet,
        &["scan", "--targets", &list.display().to_string(), "--quiet"],
    )
    .await;
    assert!(out.status.code().is_some(), "{}", text(&out.stderr));
    let found = candidates(&env).await;
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        [&agency],
        "only the in-scope host that is not the site itself"
    );
    let (state, sources, _) = &found[&agency];
    assert_eq!(state, "pending");
    assert_eq!(
        sources,
        &[format!("\"link\" \"https://{portal}/\" \"\"")],
        "the page it was linked from"
    );
}

/// An `[[discovery.auto_accept]]` rule accepts, with no person, exactly the candidates
/// under its suffix: they become targets with the rule's organisation, category and
/// province, the audit log names the rule, and every other candidate waits for staff.
#[tokio::test(flavor = "multi_thread")]
async fn an_auto_accept_rule_accepts_only_the_candidates_under_its_suffix() {
    let (fleet, log, hosts) = fleet_with_log(CtLogBehaviour::default()).await;
    let wild = format!("wild.{DOMAIN}");
    let env = Env::new();
    let rule = format!(
        "[[discovery.auto_accept]]\nsuffix = \"{wild}\"\norganisation = \"UBND tỉnh Lào Cai\"\n\
         category = \"government\"\nprovince = \"Lào Cai\"\n"
    );
    env.write(
        "trustlabel.toml",
        &config(&log, &log.public_key_base64(), &rule),
    );
    let out = run(&env, &fleet, &["discover", "ct", "--no-probe"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let found = candidates(&env).await;
    assert_eq!(found[&wild].0, "accepted", "{found:?}");
    for h in &hosts {
        assert_eq!(found[h].0, "pending", "{h} is not under the rule's suffix");
    }
    let store = Store::open(&env.db()).await.expect("store");
    let target = store
        .target_by_host(&wild)
        .await
        .unwrap()
        .expect("the accepted candidate is a target");
    assert_eq!(
        (
            target.target.organisation.as_str(),
            target.target.category.as_str(),
            target.target.province.as_str()
        ),
        ("UBND tỉnh Lào Cai", "government", "Lào Cai")
    );
    for h in &hosts {
        assert!(store.target_by_host(h).await.unwrap().is_none(), "{h}");
    }
    let audit: Vec<(String, String, String)> = store
        .audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.host.unwrap_or_default(), e.detail))
        .collect();
    assert_eq!(
        audit
            .iter()
            .filter(|(action, _, _)| action == "discover.accept")
            .collect::<Vec<_>>(),
        vec![&(
            "discover.accept".to_string(),
            wild.clone(),
            format!("auto-accept rule for {wild}")
        )],
        "{audit:?}"
    );
}
