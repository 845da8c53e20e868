use super::*;

fn rules() -> ExposureRules {
    ExposureRules::builtin().expect("the built-in exposure rules load")
}

fn rule<'a>(rules: &'a ExposureRules, id: &str) -> &'a ExposureRule {
    rules
        .rules()
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

const MINIMAL: &str = r#"version = "t1"
[[rule]]
id = "vcs.git"
finding = "exposure.vcs"
severity = "high"
paths = ["/.git/HEAD"]
rationale = "why"
reference = "https://example.org/why"
[rule.proof]
all = ['\Aref: ']
"#;

fn refused(text: &str) -> String {
    match ExposureRules::from_toml("x.toml", text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn builtin_rules_cover_every_exposure_finding_within_the_default_budget() {
    let rules = rules();
    let findings: HashSet<FindingId> = rules.rules().iter().map(|r| r.finding).collect();
    for id in FindingId::ALL
        .iter()
        .filter(|id| id.category() == Category::Exposure)
    {
        assert!(findings.contains(id), "no rule reports {id}");
    }
    // The default budget is 20 requests, one of them the baseline.
    assert!(rules.paths().len() <= 19, "{:?}", rules.paths());
    assert_eq!(
        rules.paths()[0],
        "/.git/HEAD",
        "the most telling path first"
    );
    for r in rules.rules() {
        if r.finding == FindingId::ExposureAdminPanel {
            assert!(
                r.severity <= Severity::Low,
                "{}: admin panels are low/info",
                r.id
            );
        }
    }
}

/// Every built-in proof accepts a real sample of what it looks for and refuses the pages
/// a site commonly answers instead: a home page, a 404 page, a login page.
#[test]
fn builtin_proofs_accept_real_samples_and_refuse_ordinary_pages() {
    let rules = rules();
    let samples: &[(&str, &str)] = &[
        ("vcs.git-head", "ref: refs/heads/main\n"),
        ("vcs.git-head", "3f786850e387550fdab836ed7e6dc881de23001b\n"),
        (
            "env.dotenv",
            "APP_NAME=Portal\nAPP_KEY=base64:abc\n\nDB_HOST=127.0.0.1\nDB_PASSWORD=secret\n",
        ),
        (
            "backup.wp-config",
            "<?php\ndefine( 'DB_NAME', 'wp' );\ndefine( 'DB_PASSWORD', 's3cret' );\n",
        ),
        (
            "backup.sql-dump",
            "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost\n",
        ),
        (
            "backup.sql-dump",
            "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n",
        ),
        ("backup.zip-archive", "PK\u{3}\u{4}\u{14}\0\0\0"),
        ("vcs.svn-wcdb", "SQLite format 3\0\u{10}\0"),
        (
            "debug.phpinfo",
            "<!DOCTYPE html><html><head><title>PHP 8.1.2 - phpinfo()</title></head>\
             <body><h1 class=\"p\">PHP Version 8.1.2</h1>",
        ),
        (
            "debug.apache-server-status",
            "<html><head>\n<title>Apache Status</title>\n</head><body>\n\
             <h1>Apache Server Status for portal.gov.vn (via 10.0.0.5)</h1>",
        ),
        (
            "dir_listing.index",
            "<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1>",
        ),
        (
            "admin.wordpress-login",
            "<form name=\"loginform\" id=\"loginform\" action=\"/wp-login.php\" method=\"post\">\
             <input type=\"text\" name=\"log\"><input type=\"password\" name=\"pwd\">",
        ),
        (
            "admin.joomla-administrator",
            "<form id=\"form-login\"><input name=\"username\"><input type=\"password\" \
             name=\"passwd\"><input type=\"hidden\" name=\"option\" value=\"com_login\">",
        ),
        (
            "admin.phpmyadmin",
            "<title>phpMyAdmin</title><input type=\"text\" name=\"pma_username\">",
        ),
    ];
    for (id, body) in samples {
        assert!(rule(&rules, id).proof.holds(body), "{id} refused {body:?}");
    }
    let ordinary = [
        "<!doctype html><html><head><title>Cổng thông tin điện tử</title></head>\
         <body><h1>Trang chủ</h1><p>Tin tức về phòng chống cờ bạc trực tuyến.</p></body></html>",
        "not found\n",
        "<html><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>",
        "<html><body><form action=\"/login\" method=\"post\"><input name=\"username\">\
         <input type=\"password\" name=\"password\"></form></body></html>",
        "<html><body>APP_NAME=x\nDB_HOST=y\nDB_PASSWORD=z\n</body></html>",
        "",
    ];
    for r in rules.rules() {
        for body in ordinary {
            assert!(!r.proof.holds(body), "{} accepted {body:?}", r.id);
        }
    }
}

#[test]
fn a_directory_without_the_file_uses_the_builtin_rules_and_one_with_it_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = crate::ruleset::RuleSet::load(Some(dir.path())).unwrap();
    assert_eq!(
        builtin.exposures.paths(),
        ExposureRules::builtin().unwrap().paths()
    );
    std::fs::write(dir.path().join(EXPOSURES_FILE), MINIMAL).unwrap();
    let own = crate::ruleset::RuleSet::load(Some(dir.path())).unwrap();
    assert_eq!(own.exposures.version(), "t1");
    assert_eq!(own.exposures.paths(), ["/.git/HEAD"]);
}

#[test]
fn faults_are_refused_with_file_line_and_reason() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "finding = \"exposure.vcs\"",
            "finding = \"exposure.vsc\"",
            "x.toml:4: unknown finding id `exposure.vsc`",
        ),
        (
            "finding = \"exposure.vcs\"",
            "finding = \"header.hsts.missing\"",
            "x.toml:4: `header.hsts.missing` is not an exposure.* finding",
        ),
        (
            "paths = [\"/.git/HEAD\"]",
            "paths = [\"//evil.example/x\"]",
            "x.toml:6: path `//evil.example/x` would leave the site",
        ),
        (
            "paths = [\"/.git/HEAD\"]",
            "paths = [\".git/HEAD\"]",
            "x.toml:6: path `.git/HEAD` must start with `/`",
        ),
        (
            "paths = [\"/.git/HEAD\"]",
            "paths = []",
            "x.toml:6: `paths` is empty",
        ),
        (
            "all = ['\\Aref: ']",
            "all = ['(ref']",
            "x.toml:10: bad regular expression `(ref`",
        ),
        (
            "all = ['\\Aref: ']",
            "none = ['x']",
            "x.toml:9: the proof has no positive condition",
        ),
        (
            "all = ['\\Aref: ']",
            "min_lines = { pattern = 'x', count = 0 }",
            "x.toml:10: `min_lines.count` must be at least 1",
        ),
        (
            "severity = \"high\"",
            "severity = \"hihg\"",
            "x.toml:5: unknown variant `hihg`",
        ),
        (
            "reference = \"https://example.org/why\"",
            "reference = \"example.org\"",
            "x.toml:8: reference `example.org` is not an absolute http(s) URL",
        ),
        (
            "rationale = \"why\"",
            "rationale = \"why\"\nrationle = \"typo\"",
            "x.toml:8: unknown field `rationle`",
        ),
        (
            "id = \"vcs.git\"",
            "id = \"VCS git\"",
            "x.toml:3: rule id `VCS git` must be lower-case",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(MINIMAL.contains(from), "{from}");
        let message = refused(&MINIMAL.replacen(from, to, 1));
        assert!(
            message.starts_with(expected),
            "{to}: expected `{expected}...`, got `{message}`"
        );
    }
    let twice = format!("{MINIMAL}{}", &MINIMAL[MINIMAL.find("[[rule]]").unwrap()..]);
    assert_eq!(
        refused(&twice),
        "x.toml:12: rule id `vcs.git` is used twice"
    );
}

#[test]
fn paths_are_probed_once_in_file_order() {
    let text = format!(
        "{MINIMAL}{}",
        MINIMAL[MINIMAL.find("[[rule]]").unwrap()..]
            .replace("vcs.git", "vcs.again")
            .replace("[\"/.git/HEAD\"]", "[\"/b\", \"/.git/HEAD\", \"/a\"]")
    );
    let rules = ExposureRules::from_toml("x.toml", &text).unwrap();
    assert_eq!(rules.paths(), ["/.git/HEAD", "/b", "/a"]);
}
