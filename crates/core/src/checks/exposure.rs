//! `exposure.*`: files and pages that must not be public, judged from the recorded probe
//! answers with the exposure rules in force.
//!
//! Precision first: a false accusation against a ministry's site is as bad as a miss, so a
//! probe counts only when its `200` body proves the exposure (the rule's proof), and on a
//! site that answers every path with `200` (the baseline did) only when the answer is not
//! that catch-all page. A redirect, a login page, a `403` never counts.

use crate::evidence::{Evidence, ExposureEvidence, ProbeResponse};
use crate::exposures::{ExposureRule, ExposureRules};
use crate::finding::Finding;

pub(super) fn check(evidence: &Evidence, rules: &ExposureRules, out: &mut Vec<Finding>) {
    let Some(exposure) = &evidence.exposure else {
        return;
    };
    let catch_all = exposure.baseline.response().filter(|r| r.status == 200);
    for rule in rules.rules() {
        let proven: Vec<String> = rule
            .paths
            .iter()
            .filter_map(|path| {
                let answer = exposure.probe(path)?.response()?;
                proves(rule, answer, catch_all).then(|| describe(exposure, path, rule, answer))
            })
            .collect();
        if !proven.is_empty() {
            out.push(Finding::new(
                rule.finding,
                rule.severity,
                format!("{} (rule {})", proven.join("; "), rule.id),
            ));
        }
    }
}

fn proves(rule: &ExposureRule, answer: &ProbeResponse, catch_all: Option<&ProbeResponse>) -> bool {
    if answer.status != 200 || !rule.proof.holds(&answer.excerpt_text()) {
        return false;
    }
    match catch_all {
        None => true,
        // The site answers any path: the probe must not be that answer, and that answer
        // must not itself look like the exposure (a login page served everywhere).
        Some(baseline) => {
            baseline.sha256 != answer.sha256 && !rule.proof.holds(&baseline.excerpt_text())
        }
    }
}

fn describe(
    exposure: &ExposureEvidence,
    path: &str,
    rule: &ExposureRule,
    answer: &ProbeResponse,
) -> String {
    let url = format!("{}{path}", exposure.base_url.trim_end_matches('/'));
    let size = if answer.truncated {
        format!("more than {} bytes", answer.received)
    } else {
        format!("{} bytes", answer.received)
    };
    if rule.redact {
        format!("{url} answered 200 ({size}); content not shown, it holds secrets")
    } else {
        let shown = rule.proof.shown_match(&answer.excerpt_text());
        format!("{url} answered 200 ({size}): {shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::evidence_with_https_headers;
    use crate::evidence::{
        NotSentReason, Probe, ProbeChannel, ProbeOutcome, ProbeResponse as Answer,
    };
    use crate::finding::{FindingId, Severity};
    use sha2::{Digest, Sha256};

    const HOME: &str = "<!doctype html><html><body><h1>Cổng thông tin</h1></body></html>";

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            content_type: None,
            location: None,
            content_length: Some(body.len() as u64),
            received: body.len() as u64,
            truncated: false,
            sha256: hex::encode(Sha256::digest(body.as_bytes())),
            excerpt: body.as_bytes().to_vec(),
        }
    }

    fn probe(path: &str, answer: Answer) -> Probe {
        Probe {
            path: path.into(),
            outcome: ProbeOutcome::Answered(answer),
        }
    }

    fn judge(baseline: Answer, probes: Vec<Probe>) -> Vec<Finding> {
        let mut evidence = evidence_with_https_headers(&[]);
        evidence.exposure = Some(ExposureEvidence {
            base_url: "https://site.test/".into(),
            channel: ProbeChannel::VerifiedHttps,
            baseline: probe("/trustlabel-not-found-0123", baseline),
            probes,
            max_requests: 20,
        });
        let rules = ExposureRules::builtin().unwrap();
        let mut out = Vec::new();
        check(&evidence, &rules, &mut out);
        out
    }

    fn not_found() -> Answer {
        answer(404, "not found\n")
    }

    #[test]
    fn a_real_git_head_is_reported_with_what_it_showed() {
        let out = judge(
            not_found(),
            vec![probe("/.git/HEAD", answer(200, "ref: refs/heads/main\n"))],
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].id, FindingId::ExposureVcs);
        assert_eq!(out[0].severity, Severity::High);
        assert_eq!(
            out[0].detail,
            "https://site.test/.git/HEAD answered 200 (21 bytes): `ref: refs/heads/main` \
             (rule vcs.git-head)"
        );
    }

    #[test]
    fn secrets_stay_out_of_the_finding() {
        let env = "APP_KEY=base64:topsecret\nDB_USER=portal\nDB_PASSWORD=hunter2\n";
        let out = judge(not_found(), vec![probe("/.env", answer(200, env))]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].id, FindingId::ExposureEnv);
        assert!(!out[0].detail.contains("hunter2"), "{}", out[0].detail);
        assert!(out[0].detail.contains("content not shown"));
    }

    #[test]
    fn redirects_errors_and_unproven_answers_never_count() {
        let mut login_redirect = answer(302, "");
        login_redirect.location = Some("/login?next=/.env".into());
        let out = judge(
            not_found(),
            vec![
                probe("/.env", login_redirect),
                probe("/.git/HEAD", answer(403, "ref: refs/heads/main\n")),
                probe("/phpinfo.php", answer(200, HOME)),
                probe("/server-status", answer(200, "")),
                Probe {
                    path: "/backup.sql".into(),
                    outcome: ProbeOutcome::NotSent {
                        reason: NotSentReason::Budget,
                    },
                },
            ],
        );
        assert_eq!(out, vec![]);
    }

    #[test]
    fn a_site_that_answers_everything_with_its_home_page_raises_nothing() {
        let everywhere = answer(200, HOME);
        let probes = ["/.git/HEAD", "/.env", "/uploads/", "/wp-login.php"]
            .iter()
            .map(|p| probe(p, everywhere.clone()))
            .collect();
        assert_eq!(judge(everywhere.clone(), probes), vec![]);
    }

    #[test]
    fn a_catch_all_login_page_is_not_an_exposed_admin_panel() {
        let login = "<form name=\"loginform\" id=\"loginform\"><input name=\"log\">\
                     <input type=\"password\" name=\"pwd\"></form><p>request 1</p>";
        let same_but_dynamic = login.replace("request 1", "request 2");
        let out = judge(
            answer(200, login),
            vec![probe("/wp-login.php", answer(200, &same_but_dynamic))],
        );
        assert_eq!(out, vec![], "the baseline itself satisfies the proof");
    }

    #[test]
    fn a_real_file_behind_a_catch_all_site_still_counts() {
        let out = judge(
            answer(200, HOME),
            vec![
                probe("/.git/HEAD", answer(200, "ref: refs/heads/master\n")),
                probe("/uploads/", answer(200, HOME)),
            ],
        );
        let ids: Vec<FindingId> = out.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![FindingId::ExposureVcs]);
    }

    #[test]
    fn several_paths_of_one_rule_make_one_finding_and_admin_panels_are_info() {
        let listing = |dir: &str| {
            answer(
                200,
                &format!("<html><head><title>Index of {dir}</title></head><body>"),
            )
        };
        let login = "<form id=\"loginform\" method=\"post\"><input type=\"password\" name=\"pwd\">";
        let out = judge(
            not_found(),
            vec![
                probe("/uploads/", listing("/uploads")),
                probe("/images/", listing("/images")),
                probe("/wp-login.php", answer(200, login)),
            ],
        );
        let listing = out
            .iter()
            .find(|f| f.id == FindingId::ExposureDirListing)
            .expect("directory listing");
        assert!(listing.detail.contains("/uploads/") && listing.detail.contains("/images/"));
        let admin = out
            .iter()
            .find(|f| f.id == FindingId::ExposureAdminPanel)
            .expect("admin panel");
        assert_eq!(admin.severity, Severity::Info);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn no_probes_no_findings() {
        let evidence = evidence_with_https_headers(&[]);
        let mut out = Vec::new();
        check(&evidence, &ExposureRules::builtin().unwrap(), &mut out);
        assert_eq!(out, vec![]);
    }
}
