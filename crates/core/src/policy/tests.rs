use super::*;
use crate::finding::{Finding, FindingId, Severity};
use crate::rulefile::line_of;
use time::macros::datetime;

fn builtin_policy() -> &'static str {
    crate::rulefile::builtin_text(POLICY_FILE).unwrap_or_default()
}

fn policy() -> Policy {
    Policy::builtin().expect("built-in policy loads")
}

fn f(id: FindingId) -> Finding {
    Finding::new(id, Severity::Medium, "test")
}

#[test]
fn a_clean_site_gets_a_plus_and_passes() {
    let v = policy().evaluate(&[]);
    assert_eq!(
        (v.score, v.grade, v.decision),
        (100, Grade::APlus, Decision::Pass)
    );
    assert!(v.category_scores.values().all(|s| *s == 100));
}

#[test]
fn informational_findings_cost_nothing() {
    let v = policy().evaluate(&[f(FindingId::TlsProtoNoTls13)]);
    assert_eq!(v.grade, Grade::APlus);
    assert_eq!(v.decision, Decision::Pass);
}

#[test]
fn a_blocking_finding_refuses_the_label_whatever_the_grade() {
    let v = policy().evaluate(&[f(FindingId::HeaderHstsShort)]);
    assert_eq!(v.grade, Grade::A);
    assert_eq!(v.decision, Decision::Fail);
    assert_eq!(v.blocking, vec![FindingId::HeaderHstsShort]);
}

#[test]
fn severe_tls_faults_cap_the_grade() {
    let v = policy().evaluate(&[f(FindingId::CertChainIncomplete)]);
    assert_eq!(v.score, 80);
    assert_eq!(v.grade, Grade::B, "chain_incomplete caps at B");
    assert_eq!(v.caps, vec![(FindingId::CertChainIncomplete, Grade::B)]);
    let v = policy().evaluate(&[f(FindingId::CertExpired)]);
    assert_eq!(v.grade, Grade::F);
    assert_eq!(v.decision, Decision::Fail);
}

#[test]
fn many_small_faults_fail_on_grade_alone() {
    let v = policy().evaluate(&[
        f(FindingId::HeaderCspMissing),
        f(FindingId::HeaderFrameMissing),
        f(FindingId::HeaderXctoMissing),
    ]);
    assert_eq!(v.score, 50);
    assert_eq!(v.grade, Grade::C);
    assert!(v.blocking.is_empty());
    assert_eq!(v.decision, Decision::Fail);
    assert!(
        v.reasons[0].contains("below the required B"),
        "{:?}",
        v.reasons
    );
    assert_eq!(v.category_scores[&crate::finding::Category::Headers], 50);
}

#[test]
fn a_modifier_applies_once_per_id() {
    let v = policy().evaluate(&[
        f(FindingId::CookieNoSamesite),
        f(FindingId::CookieNoSamesite),
    ]);
    assert_eq!(v.score, 95);
}

#[test]
fn unreachable_sites_are_not_judged_as_failing() {
    let v = policy().evaluate(&[f(FindingId::SiteTimeout)]);
    assert_eq!(v.decision, Decision::Unreachable);
    assert_eq!(v.grade, Grade::F);
}

#[test]
fn a_blocked_scan_is_neither_unreachable_nor_failing() {
    let v = policy().evaluate(&[f(FindingId::SiteBlocked), f(FindingId::HeaderCspMissing)]);
    assert_eq!(v.decision, Decision::Blocked);
    assert!(
        v.reasons.iter().any(|r| r.contains("stopped the scanner")),
        "{:?}",
        v.reasons
    );
    let both = policy().evaluate(&[f(FindingId::SiteBlocked), f(FindingId::SiteTimeout)]);
    assert_eq!(both.decision, Decision::Unreachable, "an outage wins");
}

#[test]
fn software_blocks_only_when_critical() {
    let p = policy();
    let high = Finding::new(
        FindingId::SoftwareVulnerableJs,
        Severity::High,
        "jquery 1.12",
    );
    assert!(p.evaluate(&[high]).blocking.is_empty());
    let critical = Finding::new(FindingId::SoftwareVulnerableJs, Severity::Critical, "x");
    assert_eq!(
        p.evaluate(&[critical]).blocking,
        vec![FindingId::SoftwareVulnerableJs]
    );
}

#[test]
fn every_catalog_id_has_a_modifier_or_a_bonus_in_the_builtin_policy() {
    let p = policy();
    for id in FindingId::ALL {
        if id.is_strength() {
            assert!(p.bonuses.contains_key(id), "{id} has no bonus");
        } else {
            assert!(p.modifiers.contains_key(id), "{id} has no modifier");
        }
    }
}

#[test]
fn a_bad_policy_is_refused_with_file_and_line() {
    let text = builtin_policy().replace(
        "\"header.xcto.missing\" = -5",
        "\"header.xcto.mising\" = -5",
    );
    let err = Policy::from_toml("p.toml", &text).unwrap_err().to_string();
    let line = line_of(&text, text.find("header.xcto.mising").unwrap());
    assert_eq!(
        err,
        format!("p.toml:{line}: unknown finding id `header.xcto.mising`")
    );

    let err = Policy::from_toml("p.toml", "version = \n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("p.toml:1: "), "{err}");

    let text = builtin_policy().replace("\"A\" = 90", "\"A\" = 100");
    let err = Policy::from_toml("p.toml", &text).unwrap_err().to_string();
    assert!(err.contains("higher minimum score"), "{err}");

    let text = builtin_policy().replace("minimum_grade = \"B\"", "minimum_grade = \"Q\"");
    assert!(
        Policy::from_toml("p.toml", &text)
            .unwrap_err()
            .to_string()
            .contains("unknown grade `Q`")
    );
}

#[test]
fn a_critical_weak_cipher_caps_at_f_a_lesser_one_at_c() {
    let p = policy();
    let medium = Finding::new(FindingId::TlsCipherWeak, Severity::Medium, "3DES");
    let v = p.evaluate(&[medium]);
    assert_eq!(v.grade, Grade::C);
    assert_eq!(v.caps, vec![(FindingId::TlsCipherWeak, Grade::C)]);
    let critical = Finding::new(FindingId::TlsCipherWeak, Severity::Critical, "NULL");
    let v = p.evaluate(&[critical]);
    assert_eq!(v.grade, Grade::F);
    assert_eq!(
        v.caps,
        vec![
            (FindingId::TlsCipherWeak, Grade::C),
            (FindingId::TlsCipherWeak, Grade::F)
        ]
    );
    assert_eq!(v.decision, Decision::Fail);
}

#[test]
fn tls_protocol_and_forward_secrecy_faults_cap_at_b() {
    for id in [
        FindingId::TlsProtoTls10,
        FindingId::TlsProtoTls11,
        FindingId::TlsCipherNoForwardSecrecy,
    ] {
        let v = policy().evaluate(&[f(id)]);
        assert!(v.caps.contains(&(id, Grade::B)), "{id}: {:?}", v.caps);
        assert!(v.grade >= Grade::B, "{id}: {}", v.grade);
    }
    let v = policy().evaluate(&[f(FindingId::TlsProtoSslv3)]);
    assert_eq!(v.grade, Grade::F);
}

#[test]
fn caps_when_critical_is_optional_and_validated() {
    let without =
        builtin_policy().replace("[caps_when_critical]\n\"tls.cipher.weak\" = \"F\"\n", "");
    assert_ne!(
        without,
        builtin_policy(),
        "the built-in policy has the table"
    );
    let p = Policy::from_toml("old.toml", &without).expect("an older policy still loads");
    assert!(p.caps_when_critical.is_empty());
    let critical = Finding::new(FindingId::TlsCipherWeak, Severity::Critical, "NULL");
    assert_eq!(p.evaluate(&[critical]).grade, Grade::C);

    let typo = builtin_policy().replace(
        "[caps_when_critical]\n\"tls.cipher.weak\"",
        "[caps_when_critical]\n\"tls.cipher.weal\"",
    );
    let err = Policy::from_toml("p.toml", &typo).unwrap_err().to_string();
    let line = line_of(&typo, typo.find("tls.cipher.weal").unwrap());
    assert_eq!(
        err,
        format!("p.toml:{line}: unknown finding id `tls.cipher.weal`")
    );

    let milder = builtin_policy().replace(
        "[caps_when_critical]\n\"tls.cipher.weak\" = \"F\"",
        "[caps_when_critical]\n\"tls.cipher.weak\" = \"A\"",
    );
    let err = Policy::from_toml("p.toml", &milder)
        .unwrap_err()
        .to_string();
    assert!(err.contains("milder than its [caps] entry C"), "{err}");
}

#[test]
fn the_tls_rating_caps_the_grade_and_is_recorded() {
    use crate::evidence::{AcceptedSuite, LegacyTls, TlsVersion, VersionOutcome, VersionProbe};
    let probe = |code: u16| VersionProbe {
        version: TlsVersion::Tls12,
        outcome: VersionOutcome::Supported,
        suites: vec![AcceptedSuite {
            code,
            name: String::new(),
            key_exchange: Some(crate::evidence::KeyExchangeParams::Dh { bits: 512 }),
        }],
        server_order: None,
        complete: true,
        handshakes: 1,
    };
    let legacy = |code: u16| LegacyTls {
        versions: vec![probe(code)],
        handshakes: 1,
        elapsed_ms: 1,
        server_key: None,
        cut_short: false,
        vulnerabilities: None,
    };
    // DHE with a 512-bit group and AES-128-GCM: key exchange 40, cipher 80 → 74 → B.
    let v = policy().evaluate_at(&[], Some(&legacy(0x009e)), None);
    let rating = v.tls_rating.expect("rated");
    assert_eq!((rating.score, rating.grade), (74, Grade::B));
    assert_eq!(v.grade, Grade::B);
    assert_eq!(
        v.decision,
        Decision::Pass,
        "B is still enough for the label"
    );
    assert!(v.reasons[0].starts_with("TLS rating 74"), "{:?}", v.reasons);
    // DHE-512 with DES-CBC: cipher 20 → score 50 → C, below the label's B.
    let v = policy().evaluate_at(&[], Some(&legacy(0x0015)), None);
    assert_eq!(v.grade, Grade::C);
    assert_eq!(v.decision, Decision::Fail);
    assert!(policy().evaluate(&[]).tls_rating.is_none());
    // A rating of A leaves a clean site at A+.
    let strong = LegacyTls {
        versions: vec![VersionProbe {
            suites: vec![AcceptedSuite {
                code: 0xc02f,
                name: String::new(),
                key_exchange: Some(crate::evidence::KeyExchangeParams::Ecdh {
                    group: "x25519".into(),
                }),
            }],
            ..probe(0xc02f)
        }],
        ..legacy(0xc02f)
    };
    let v = policy().evaluate_at(&[], Some(&strong), None);
    assert_eq!(v.tls_rating.map(|r| r.grade), Some(Grade::A));
    assert_eq!(v.grade, Grade::APlus);
}

fn verdict(decision: Decision) -> Verdict {
    let p = policy();
    let mut v = p.evaluate(&[]);
    v.decision = decision;
    v
}

const T0: time::OffsetDateTime = datetime!(2026-11-01 00:00 UTC);

/// The default lifecycle with this grace period.
fn grace(days: i64) -> LabelRules {
    LabelRules {
        grace_days: days,
        ..LabelRules::default()
    }
}

fn day(d: i64) -> time::OffsetDateTime {
    T0 + time::Duration::days(d)
}

#[test]
fn a_first_pass_grants_the_label() {
    let (next, t) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &grace(14),
    );
    assert_eq!(next.status, LabelStatus::Labelled);
    assert_eq!(next.level, Some(LabelLevel::Basic));
    let t = t.expect("transition recorded");
    assert_eq!(
        (t.from, t.to),
        (LabelStatus::NotAssessed, LabelStatus::Labelled)
    );
}

#[test]
fn a_labelled_site_that_fails_is_at_risk_then_revoked_after_grace() {
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &grace(14),
    );
    let (at_risk, t) = next_label(&labelled, &verdict(Decision::Fail), day(1), &grace(14));
    assert_eq!(at_risk.status, LabelStatus::AtRisk);
    assert!(at_risk.status.holds_label());
    assert!(t.unwrap().reason.contains("label kept until 2026-11-16"));
    let (still, t) = next_label(&at_risk, &verdict(Decision::Fail), day(14), &grace(14));
    assert_eq!(still.status, LabelStatus::AtRisk);
    assert!(t.is_none(), "no transition inside the grace period");
    let (revoked, t) = next_label(&still, &verdict(Decision::Fail), day(15), &grace(14));
    assert_eq!(revoked.status, LabelStatus::Revoked);
    assert_eq!(t.unwrap().from, LabelStatus::AtRisk);
    let (again, t) = next_label(&revoked, &verdict(Decision::Fail), day(16), &grace(14));
    assert_eq!(again.status, LabelStatus::Revoked);
    assert!(t.is_none());
}

#[test]
fn an_at_risk_site_that_recovers_is_labelled_again() {
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &grace(14),
    );
    let (at_risk, _) = next_label(&labelled, &verdict(Decision::Fail), T0, &grace(14));
    assert_eq!(at_risk.status, LabelStatus::AtRisk);
    let (back, t) = next_label(&at_risk, &verdict(Decision::Pass), T0, &grace(14));
    assert_eq!(back.status, LabelStatus::Labelled);
    assert_eq!(back.at_risk_since, None);
    assert!(t.unwrap().reason.starts_with("requirements pass again"));
}

#[test]
fn never_labelled_sites_are_not_labelled_or_unreachable() {
    let (n, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Fail),
        T0,
        &grace(14),
    );
    assert_eq!(n.status, LabelStatus::NotLabelled);
    let mut u = n;
    for _ in 1..LabelRules::default().unreachable_after {
        (u, _) = next_label(&u, &verdict(Decision::Unreachable), T0, &grace(14));
        assert_eq!(u.status, LabelStatus::NotLabelled);
    }
    let (u, t) = next_label(&u, &verdict(Decision::Unreachable), T0, &grace(14));
    assert_eq!(u.status, LabelStatus::Unreachable);
    assert_eq!(t.unwrap().from, LabelStatus::NotLabelled);
}

#[test]
fn a_blocked_site_keeps_its_assessment_until_consecutive_scans_are_stopped() {
    let rules = LabelRules::default();
    let (never, t) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Blocked),
        T0,
        &rules,
    );
    assert_eq!(
        never.status,
        LabelStatus::Blocked,
        "never assessed: blocked at once"
    );
    assert_eq!(t.unwrap().to, LabelStatus::Blocked);
    let (mut state, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &rules,
    );
    for _ in 1..rules.unreachable_after {
        (state, _) = next_label(&state, &verdict(Decision::Blocked), T0, &rules);
        assert_eq!(
            state.status,
            LabelStatus::Labelled,
            "one challenge undoes nothing"
        );
    }
    let (state, t) = next_label(&state, &verdict(Decision::Blocked), T0, &rules);
    assert_eq!(state.status, LabelStatus::Blocked);
    assert!(!state.status.holds_label());
    assert!(t.unwrap().reason.contains("were stopped by the site"));
    let (state, _) = next_label(&state, &verdict(Decision::Pass), T0, &rules);
    assert_eq!(
        state.status,
        LabelStatus::Labelled,
        "allowed again: assessed again"
    );
}

#[test]
fn an_assessed_site_becomes_unreachable_only_after_consecutive_failed_scans() {
    let rules = LabelRules::default(); // unreachable after 3
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &rules,
    );
    let (one, t) = next_label(&labelled, &verdict(Decision::Unreachable), day(1), &rules);
    assert_eq!(
        (one.status, one.unreachable_scans),
        (LabelStatus::Labelled, 1)
    );
    assert!(t.is_none(), "one outage changes nothing public");
    // A reachable scan in between starts the count again.
    let (back, _) = next_label(&one, &verdict(Decision::Pass), day(2), &rules);
    assert_eq!(back.unreachable_scans, 0);
    let (one, _) = next_label(&back, &verdict(Decision::Unreachable), day(3), &rules);
    let (two, t) = next_label(&one, &verdict(Decision::Unreachable), day(4), &rules);
    assert_eq!(two.status, LabelStatus::Labelled);
    assert!(t.is_none());
    let (three, t) = next_label(&two, &verdict(Decision::Unreachable), day(5), &rules);
    assert_eq!(three.status, LabelStatus::Unreachable);
    assert_eq!(three.level, None);
    let t = t.expect("the third consecutive failure is a transition");
    assert_eq!(t.from, LabelStatus::Labelled);
    assert!(
        t.reason
            .starts_with("3 consecutive scans could not reach the site"),
        "{}",
        t.reason
    );
    // A site never assessed has no assessment to keep: unreachable at once.
    let (never, t) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Unreachable),
        T0,
        &rules,
    );
    assert_eq!(never.status, LabelStatus::Unreachable);
    assert!(t.is_some());
}

#[test]
fn an_at_risk_site_that_stops_answering_is_still_revoked_when_grace_ends() {
    let rules = grace(14);
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &rules,
    );
    let (at_risk, _) = next_label(&labelled, &verdict(Decision::Fail), day(1), &rules);
    let (dark, t) = next_label(&at_risk, &verdict(Decision::Unreachable), day(10), &rules);
    assert_eq!(dark.status, LabelStatus::AtRisk);
    assert!(t.is_none());
    let (revoked, t) = next_label(&dark, &verdict(Decision::Unreachable), day(15), &rules);
    assert_eq!(revoked.status, LabelStatus::Revoked);
    assert!(t.unwrap().reason.contains("grace period"));
}

#[test]
fn a_label_lapses_without_a_passing_scan_within_its_validity() {
    let rules = LabelRules {
        validity_days: 30,
        ..LabelRules::default()
    };
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &rules,
    );
    assert_eq!(
        rules.valid_until(labelled.status, labelled.last_pass_at, None),
        Some(day(30))
    );
    assert!(expire_label(&labelled, day(29), &rules).is_none());
    let (expired, t) = expire_label(&labelled, day(30), &rules).expect("lapsed");
    assert_eq!(expired.status, LabelStatus::Revoked);
    assert_eq!(expired.level, None);
    assert_eq!(t.from, LabelStatus::Labelled);
    assert!(
        t.reason.starts_with(
            "label expired: no passing assessment within 30 days (last pass 2026-11-01)"
        ),
        "{}",
        t.reason
    );
    // Nothing to expire on a site that holds no label.
    assert!(expire_label(&expired, day(90), &rules).is_none());
    // A failing scan after the validity ended revokes at once instead of starting a grace.
    let (failing, t) = next_label(&labelled, &verdict(Decision::Fail), day(31), &rules);
    assert_eq!(failing.status, LabelStatus::Revoked);
    assert!(t.unwrap().reason.starts_with("label expired"));
    // While at risk, the label is valid until the grace period ends, if that is sooner.
    let (at_risk, _) = next_label(&labelled, &verdict(Decision::Fail), day(20), &grace(14));
    assert_eq!(
        rules.valid_until(at_risk.status, at_risk.last_pass_at, at_risk.at_risk_since),
        Some(day(30))
    );
    assert_eq!(
        grace(5).valid_until(at_risk.status, at_risk.last_pass_at, at_risk.at_risk_since),
        Some(day(25))
    );
}

/// The built-in policy with its `blocking_since` line replaced by `line`.
fn with_blocking_since(line: &str) -> String {
    builtin_policy()
        .lines()
        .map(|l| {
            if l.starts_with("blocking_since =") {
                line.trim_end().to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_new_blocking_rule_blocks_only_after_its_grace_period() {
    let text = with_blocking_since("blocking_since = { \"tls.proto.tls11\" = \"2026-11-10\" }\n");
    let p = Policy::from_toml("policy.toml", &text).unwrap();
    let findings = [f(FindingId::TlsProtoTls11)];
    let during = p.evaluate_at(&findings, None, Some(datetime!(2026-12-01 00:00 UTC)));
    assert!(during.blocking.is_empty());
    assert!(
        during
            .reasons
            .iter()
            .any(|r| r.contains("tls.proto.tls11 will block the label from 2026-12-10")),
        "{:?}",
        during.reasons
    );
    let after = p.evaluate_at(&findings, None, Some(datetime!(2026-12-10 00:00 UTC)));
    assert_eq!(after.blocking, vec![FindingId::TlsProtoTls11]);
    assert_eq!(after.decision, Decision::Fail);
    // Without a time every rule is in force.
    assert_eq!(
        p.evaluate(&findings).blocking,
        vec![FindingId::TlsProtoTls11]
    );
}

#[test]
fn lifecycle_settings_are_checked_at_load() {
    let base = builtin_policy().to_string();
    let bad_date = with_blocking_since("blocking_since = { \"tls.proto.tls11\" = \"soon\" }\n");
    let err = Policy::from_toml("policy.toml", &bad_date)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`soon` is not a date"), "{err}");
    let not_blocking =
        with_blocking_since("blocking_since = { \"header.xcto.missing\" = \"2026-01-01\" }\n");
    let err = Policy::from_toml("policy.toml", &not_blocking)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not in label.blocking"), "{err}");
    let zero = base.replace("unreachable_after = 3\n", "unreachable_after = 0\n");
    assert_ne!(zero, base);
    assert!(Policy::from_toml("policy.toml", &zero).is_err());
}

#[test]
fn a_staff_override_sets_status_and_level_and_keeps_what_scans_measured() {
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &grace(14),
    );
    let (revoked, t) = staff_override(
        &labelled,
        LabelStatus::Revoked,
        Some(LabelLevel::Advanced),
        day(3),
        "staff decision by lan: fraud".into(),
    );
    let t = t.expect("the status changed");
    assert_eq!(
        (t.from, t.to),
        (LabelStatus::Labelled, LabelStatus::Revoked)
    );
    assert_eq!(
        (t.at, t.reason.as_str()),
        (day(3), "staff decision by lan: fraud")
    );
    assert_eq!(revoked.status_since, Some(day(3)));
    assert_eq!(revoked.level, None, "a status without a label has no level");
    assert_eq!(revoked.grade, labelled.grade);
    assert_eq!(revoked.last_pass_at, labelled.last_pass_at);

    let (granted, _) = staff_override(&revoked, LabelStatus::Labelled, None, day(4), "ok".into());
    assert_eq!(granted.level, Some(LabelLevel::Basic));
    let (advanced, t) = staff_override(
        &granted,
        LabelStatus::Labelled,
        Some(LabelLevel::Advanced),
        day(5),
        "audited".into(),
    );
    assert_eq!(t, None, "same status: no transition");
    assert_eq!(advanced.level, Some(LabelLevel::Advanced));
    assert_eq!(
        advanced.status_since,
        Some(day(4)),
        "the status did not change"
    );
}

#[test]
fn a_label_granted_by_decision_is_marked_and_valid_for_one_period_until_a_scan_decides() {
    let rules = grace(14);
    let (failed, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Fail),
        T0,
        &rules,
    );
    let (granted, t) = staff_override(
        &failed,
        LabelStatus::Labelled,
        None,
        day(2),
        "checked".into(),
    );
    assert!(t.is_some());
    assert_eq!(granted.decided_at, Some(day(2)), "the decision is recorded");
    assert_eq!(
        granted.last_pass_at,
        Some(day(2)),
        "validity runs from the decision"
    );
    assert!(
        rules
            .valid_until(granted.status, granted.last_pass_at, granted.at_risk_since)
            .is_some(),
        "a label always has an end"
    );
    let expired = expire_label(
        &granted,
        day(2) + time::Duration::days(rules.validity_days),
        &rules,
    );
    assert!(expired.is_some(), "it lapses like any label");
    // A scan that changes the status ends the decision; one that keeps it keeps it.
    let (kept, _) = next_label(&granted, &verdict(Decision::Pass), day(3), &rules);
    assert_eq!(kept.decided_at, Some(day(2)));
    let (at_risk, t) = next_label(&granted, &verdict(Decision::Fail), day(3), &rules);
    assert!(t.is_some());
    assert_eq!(at_risk.decided_at, None);
}

#[test]
fn a_staff_override_to_at_risk_keeps_a_running_grace_clock() {
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        T0,
        &grace(14),
    );
    let (at_risk, _) = staff_override(&labelled, LabelStatus::AtRisk, None, day(2), "r".into());
    assert_eq!(at_risk.at_risk_since, Some(day(2)), "the clock starts now");
    let (still, t) = staff_override(&at_risk, LabelStatus::AtRisk, None, day(9), "r".into());
    assert_eq!(t, None);
    assert_eq!(still.at_risk_since, Some(day(2)), "and keeps running");
    let (cleared, _) = staff_override(&still, LabelStatus::Labelled, None, day(10), "r".into());
    assert_eq!(cleared.at_risk_since, None);
}

#[test]
fn a_change_is_never_dated_before_the_label_it_follows() {
    let (labelled, _) = next_label(
        &LabelState::not_assessed(),
        &verdict(Decision::Pass),
        day(2),
        &grace(14),
    );
    assert_eq!(
        labelled.next_change_at(day(1)),
        day(2),
        "judged before the change"
    );
    assert_eq!(labelled.next_change_at(day(3)), day(3));
    assert_eq!(LabelState::not_assessed().next_change_at(day(1)), day(1));
}

#[test]
fn the_new_dns_and_mail_blocking_rules_wait_for_their_grace_period() {
    let p = policy();
    for id in [FindingId::DnsDnssecBogus, FindingId::MailSpfAllowAll] {
        let since = p.blocking_since[&id];
        let findings = [f(id)];
        let during = p.evaluate_at(&findings, None, Some(since.midnight().assume_utc()));
        assert!(during.blocking.is_empty(), "{id}: {:?}", during.blocking);
        let later = since.midnight().assume_utc() + time::Duration::days(p.new_blocking_grace_days);
        assert_eq!(
            p.evaluate_at(&findings, None, Some(later)).blocking,
            vec![id]
        );
    }
}

#[test]
fn the_advanced_level_needs_dnssec_dmarc_and_starttls() {
    let p = policy();
    for id in [
        FindingId::DnsDnssecUnsigned,
        FindingId::DnsDnssecBogus,
        FindingId::DnsDnssecUnverified,
        FindingId::MailDmarcMissing,
        FindingId::MailDmarcInvalid,
        FindingId::MailDmarcNotEnforcing,
        FindingId::MailStarttlsMissing,
        FindingId::MailStarttlsCertInvalid,
        FindingId::MailStarttlsFailed,
        FindingId::MailMxUnreachable,
    ] {
        assert!(p.advanced_requires_absent.contains(&id), "{id}");
    }
    // Informational DNS findings cost nothing at the basic level.
    let unsigned = p.evaluate(&[f(FindingId::DnsDnssecUnsigned)]);
    assert_eq!(
        (unsigned.decision, unsigned.grade),
        (Decision::Pass, Grade::APlus)
    );
    assert_eq!(
        unsigned.advanced_blockers,
        vec![FindingId::DnsDnssecUnsigned]
    );
    assert!(
        p.evaluate(&[f(FindingId::MailTlsrptMissing)])
            .advanced_blockers
            .is_empty()
    );

    let advanced = LabelState {
        status: LabelStatus::Labelled,
        level: Some(LabelLevel::Advanced),
        ..LabelState::not_assessed()
    };
    let (kept, _) = next_label(&advanced, &p.evaluate(&[]), T0, &grace(14));
    assert_eq!(kept.level, Some(LabelLevel::Advanced));
    let (lowered, t) = next_label(&advanced, &unsigned, T0, &grace(14));
    assert_eq!(
        (lowered.status, lowered.level),
        (LabelStatus::Labelled, Some(LabelLevel::Basic))
    );
    assert!(t.is_none(), "the status did not change");
    // A basic label never rises on its own, even when everything passes.
    let (basic, _) = next_label(&lowered, &p.evaluate(&[]), T0, &grace(14));
    assert_eq!(basic.level, Some(LabelLevel::Basic));
}

#[test]
fn sensitive_data_without_the_stricter_notice_refuses_the_label_after_its_grace() {
    let p = policy();
    let critical = [Finding::new(
        FindingId::PrivacyCollectsSensitiveData,
        Severity::Critical,
        "forms ask for sensitive personal data",
    )];
    let during = p.evaluate_at(&critical, None, Some(datetime!(2026-12-10 00:00 UTC)));
    assert!(during.blocking.is_empty(), "{:?}", during.reasons);
    assert!(
        during
            .reasons
            .iter()
            .any(|r| r
                .contains("privacy.collects_sensitive_data will block the label from 2027-01-04")),
        "{:?}",
        during.reasons
    );
    let after = p.evaluate_at(&critical, None, Some(datetime!(2027-01-04 00:00 UTC)));
    assert_eq!(
        after.blocking,
        vec![FindingId::PrivacyCollectsSensitiveData]
    );
    let info = [Finding::new(
        FindingId::PrivacyCollectsSensitiveData,
        Severity::Info,
        "the notice meets the stricter requirements",
    )];
    assert!(
        p.evaluate(&info).blocking.is_empty(),
        "plain collection is informational"
    );
}
