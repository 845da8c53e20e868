//! `trustlabel checks lint DIR` and `--checks DIR` with the page rule files.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_trustlabel");

fn run(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("binary runs")
}

#[test]
fn lint_names_the_bad_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spam.toml"),
        "[scoring]\nthreshold = 12\nhidden_factor = 3\nmax_count = 3\ncounter_min = 2\n\
         link_weight = 6\n\n[[terms]]\nid = \"x\"\nkind = \"promo\"\nweight = 2\n\
         severity = \"high\"\nrationale = \"r\"\nreference = \"https://a.example/\"\n\
         terms = [\"nhà cái\"]\nwieght = 3\n",
    )
    .unwrap();
    let out = run(&["checks", "lint", "."], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("FAIL  spam.toml: ./spam.toml:16:"),
        "{stdout}"
    );
    assert!(stdout.contains("wieght"), "{stdout}");
    assert!(stdout.contains("-     privacy.toml (not in"), "{stdout}");

    // The same file refuses a scan that would use it, before any network work.
    let out = run(&["--checks", ".", "scan", "example.invalid"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("spam.toml:16:"));
}

#[test]
fn lint_accepts_the_shipped_rule_files() {
    let checks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["checks", "lint", checks.to_str().unwrap()], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for file in [
        "policy.toml",
        "findings.toml",
        "exposures.toml",
        "privacy.toml",
        "trackers.toml",
        "software.toml",
        "spam.toml",
        "blocklist.toml",
        "cookies.toml",
    ] {
        assert!(
            stdout.contains(&format!("ok    {file}")),
            "{file}: {stdout}"
        );
    }
}
