//! Prices by kind and severity, bonuses, and the verdict's explanation of both.

use super::*;
use crate::finding::{Finding, FindingId, Severity};

fn policy() -> Policy {
    Policy::builtin().expect("built-in policy loads")
}

fn builtin_policy() -> &'static str {
    crate::rulefile::builtin_text(POLICY_FILE).unwrap_or_default()
}

fn csp_unsafe(severity: Severity, kinds: &[&str]) -> Finding {
    Finding::new(FindingId::HeaderCspUnsafe, severity, "x").with_kinds(kinds.iter().copied())
}

fn strength(id: FindingId, kinds: &[&str]) -> Finding {
    Finding::new(id, Severity::Info, "x").with_kinds(kinds.iter().copied())
}

#[test]
fn scripts_from_anywhere_cost_more_than_images_over_http() {
    let p = policy();
    let scripts = p.evaluate(&[csp_unsafe(Severity::High, &["script_broad_source"])]);
    let images = p.evaluate(&[csp_unsafe(Severity::Low, &["insecure_passive"])]);
    assert_eq!((scripts.score, images.score), (80, 90));
    assert_eq!(
        scripts.priced,
        [Priced {
            id: FindingId::HeaderCspUnsafe,
            points: -20,
            basis: "default".into(),
            bonus: false,
        }]
    );
    assert_eq!(images.priced[0].basis, "kind insecure_passive");
}

#[test]
fn the_worst_kind_of_a_finding_sets_its_price() {
    let v = policy().evaluate(&[csp_unsafe(
        Severity::High,
        &[
            "duplicate_directive",
            "script_unsafe_eval",
            "script_unsafe_inline",
        ],
    )]);
    assert_eq!(v.score, 80);
    let free = policy().evaluate(&[csp_unsafe(Severity::Low, &["duplicate_directive"])]);
    assert_eq!(free.score, 100);
    assert_eq!(free.priced[0].basis, "kind duplicate_directive");
}

#[test]
fn session_cookies_cost_more_and_hsts_mitigates() {
    let p = policy();
    let cookie = |kinds: &[&str]| {
        p.evaluate(
            &[Finding::new(FindingId::CookieInsecure, Severity::High, "x")
                .with_kinds(kinds.iter().copied())],
        )
        .score
    };
    assert_eq!(cookie(&["session"]), 60);
    assert_eq!(cookie(&["session_hsts"]), 90);
    assert_eq!(cookie(&["other"]), 80);
    assert_eq!(cookie(&["other_hsts"]), 95);
    assert_eq!(cookie(&["other_hsts", "session"]), 60);
}

#[test]
fn a_price_may_follow_severity_when_no_kind_is_priced() {
    let text = builtin_policy().replace(
        "\"header.referrer.unsafe\" = -5",
        "\"header.referrer.unsafe\" = { default = -5, info = -1, low = -3 }",
    );
    let p = Policy::from_toml("p.toml", &text).unwrap();
    let referrer = |severity| {
        p.evaluate(&[Finding::new(FindingId::HeaderReferrerUnsafe, severity, "x")])
            .priced[0]
            .clone()
    };
    assert_eq!(
        (
            referrer(Severity::Info).points,
            referrer(Severity::Info).basis.as_str()
        ),
        (-1, "severity info")
    );
    assert_eq!(referrer(Severity::Low).points, -3);
    assert_eq!(
        (
            referrer(Severity::Medium).points,
            referrer(Severity::Medium).basis.as_str()
        ),
        (-5, "default")
    );
}

#[test]
fn bonuses_lift_a_good_site_to_a_plus_as_in_the_observatory() {
    // 95 before bonuses (no X-Content-Type-Options) + a strict CSP: A+, as the
    // Observatory grades it.
    let v = policy().evaluate(&[
        Finding::new(FindingId::HeaderXctoMissing, Severity::Low, "x"),
        strength(FindingId::HeaderCspStrict, &["no_unsafe"]),
    ]);
    assert_eq!((v.score, v.grade), (100, Grade::APlus));
    assert!(
        v.reasons.iter().any(|r| r.starts_with("bonuses +5 added")),
        "{:?}",
        v.reasons
    );
    // Bonuses add up beyond 100, and the best kind counts.
    let v = policy().evaluate(&[
        strength(FindingId::HeaderCspStrict, &["no_unsafe", "default_none"]),
        strength(FindingId::HeaderCoopProtective, &[]),
    ]);
    assert_eq!(v.score, 120);
    assert!(v.priced.iter().all(|p| p.bonus));
}

#[test]
fn bonuses_do_not_lift_a_weak_site() {
    let v = policy().evaluate(&[
        Finding::new(FindingId::HeaderCspMissing, Severity::Medium, "x"),
        strength(FindingId::HeaderCoopProtective, &[]),
        strength(FindingId::HeaderCorpProtective, &[]),
    ]);
    assert_eq!(v.score, 75);
    assert!(
        v.reasons
            .iter()
            .any(|r| r.contains("not added: the score before bonuses, 75, is below 90")),
        "{:?}",
        v.reasons
    );
    // Category scores show what was lost, never bonuses.
    assert_eq!(v.category_scores[&crate::finding::Category::Headers], 75);
}

#[test]
fn prices_are_validated_with_file_and_line() {
    let bad = |from: &str, to: &str| {
        let text = builtin_policy().replace(from, to);
        assert_ne!(text, builtin_policy(), "{from} not in the policy");
        let err = Policy::from_toml("p.toml", &text).unwrap_err().to_string();
        let needle = to.split('"').nth(1).unwrap_or(to);
        // The entry's own line: bonuses are looked up in their table.
        let from_table = if to.contains("csp.unsafe\" = {") {
            text.find("[bonuses]").unwrap()
        } else {
            0
        };
        let line =
            crate::rulefile::line_of(&text, from_table + text[from_table..].find(needle).unwrap());
        (err, line)
    };
    for (from, to, reason) in [
        (
            "\"header.xcto.missing\" = -5",
            "\"header.xcto.missing\" = 5",
            "0 or below",
        ),
        (
            "\"cookie.hardened\" = 5",
            "\"cookie.hardened\" = -5",
            "above 0",
        ),
        (
            "\"header.csp.strict\" = {",
            "\"header.csp.unsafe\" = {",
            "is a problem",
        ),
        (
            "\"header.xcto.missing\" = -5",
            "\"header.frame.protected\" = -5",
            "is a strength",
        ),
        (
            "\"header.xcto.missing\" = -5",
            "\"header.xcto.missing\" = { default = -5, script_unsafe_eval = -1 }",
            "neither a kind of it nor a severity (it has no kinds)",
        ),
        (
            "\"header.xcto.missing\" = -5",
            "\"header.xcto.missing\" = { low = -5 }",
            "needs `default`",
        ),
        (
            "\"header.xcto.missing\" = -5",
            "\"header.xcto.missing\" = \"-5\"",
            "whole number",
        ),
    ] {
        let (err, line) = bad(from, to);
        assert!(
            err.starts_with(&format!("p.toml:{line}: ")),
            "{err} (line {line})"
        );
        assert!(err.contains(reason), "{err}");
    }
    let text = builtin_policy().replace("topic_en = \"HSTS duration\"", "topic_en = \"\"");
    let err = Policy::from_toml("p.toml", &text).unwrap_err().to_string();
    assert!(err.contains("[[difference]] needs"), "{err}");
}

#[test]
fn the_builtin_policy_names_its_differences_from_the_observatory() {
    let p = policy();
    assert!(p.differences.len() >= 5);
    assert!(p.differences.iter().any(|d| d.en.contains("one year")));
    assert!(
        p.differences
            .iter()
            .any(|d| d.en.contains("Permissions-Policy"))
    );
    assert_eq!(p.bonus_min_score, 90);
}

#[test]
fn stored_verdicts_without_prices_still_read() {
    let mut json = serde_json::to_value(policy().evaluate(&[])).unwrap();
    json.as_object_mut().unwrap().remove("priced");
    let v: Verdict = serde_json::from_value(json).unwrap();
    assert!(v.priced.is_empty());
}
