use crate::checks::test_support::pages::GOV_HOME;
use crate::checks::test_support::{
    evidence_with_chains, evidence_with_home, html_page, judge_pages, page_chain, with_id,
};
use crate::finding::{Finding, FindingId, Severity};

fn with_headers(body: &str, headers: &[(&str, &str)]) -> Vec<Finding> {
    judge_pages(&evidence_with_chains(
        None,
        Some(page_chain(
            "https://example.test/",
            html_page(body.as_bytes(), headers),
        )),
    ))
}

#[test]
fn an_old_cms_and_old_libraries_are_reported_with_their_cves() {
    let f = judge_pages(&evidence_with_home(GOV_HOME));
    let outdated = with_id(&f, FindingId::SoftwareOutdated);
    assert_eq!(outdated.len(), 1, "{outdated:?}");
    assert!(
        outdated[0]
            .detail
            .starts_with("WordPress 5.2.1 (seen in generator")
    );
    assert!(outdated[0].detail.contains("CVE-2022-21661"));
    assert_eq!(outdated[0].severity, Severity::High);
    let js = with_id(&f, FindingId::SoftwareVulnerableJs);
    let details: Vec<&str> = js.iter().map(|f| f.detail.as_str()).collect();
    assert_eq!(js.len(), 2, "{details:?}");
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("Bootstrap 3.3.7") && d.contains("CVE-2019-8331"))
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("jQuery 1.8.3") && d.contains("CVE-2020-11022"))
    );
    assert!(js.iter().all(|f| f.severity == Severity::Medium));
}

#[test]
fn current_versions_and_versionless_sightings_are_not_reported() {
    let f = with_headers(
        "<meta name=generator content='WordPress 6.6.2'>\
         <meta name=generator content='Joomla! - Open Source Content Management'>\
         <script src='https://code.jquery.com/jquery-3.7.1.min.js'></script>\
         <script src='/js/jquery.min.js'></script>",
        &[("server", "nginx/1.25.3"), ("x-powered-by", "PHP/8.3.4")],
    );
    assert!(with_id(&f, FindingId::SoftwareOutdated).is_empty(), "{f:?}");
    assert!(
        with_id(&f, FindingId::SoftwareVulnerableJs).is_empty(),
        "{f:?}"
    );
}

#[test]
fn a_critical_advisory_makes_the_finding_critical() {
    let f = with_headers(
        "<script src='https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.11/lodash.min.js'></script>",
        &[
            ("server", "Apache/2.4.49 (Unix)"),
            ("x-powered-by", "PHP/5.6.40"),
        ],
    );
    let js = with_id(&f, FindingId::SoftwareVulnerableJs);
    assert_eq!(js.len(), 1);
    assert_eq!(js[0].severity, Severity::Critical);
    assert!(js[0].detail.contains("CVE-2019-10744"));
    let outdated = with_id(&f, FindingId::SoftwareOutdated);
    let apache = outdated
        .iter()
        .find(|f| f.detail.starts_with("Apache httpd 2.4.49"))
        .expect("apache");
    assert_eq!(apache.severity, Severity::Critical);
    assert!(apache.detail.contains("CVE-2021-41773"));
    let php = outdated
        .iter()
        .find(|f| f.detail.starts_with("PHP 5.6.40"))
        .expect("php");
    assert_eq!(php.severity, Severity::High);
}
