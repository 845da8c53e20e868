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

/// The one finding of `id` whose detail starts with `prefix`.
fn one<'f>(f: &'f [Finding], id: FindingId, prefix: &str) -> &'f Finding {
    let found: Vec<&Finding> = with_id(f, id)
        .into_iter()
        .filter(|x| x.detail.starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "{id:?} {prefix}: {f:#?}");
    found[0]
}

#[test]
fn wordpress_4_7_2_has_fixable_serious_advisories_with_cves_and_fixed_versions() {
    let f = with_headers(
        "<meta name=generator content='WordPress 4.7.2'>\
         <link rel=stylesheet href='/wp-includes/css/dashicons.min.css?ver=4.7.2'>",
        &[],
    );
    let vulnerable = one(&f, FindingId::SoftwareVulnerable, "WordPress 4.7.2");
    assert_eq!(vulnerable.severity, Severity::High);
    let d = &vulnerable.detail;
    assert!(
        d.contains("(seen in generator: WordPress 4.7.2; meta generator, confidence high)"),
        "{d}"
    );
    assert!(
        d.contains("CVE-2022-21661") && d.contains("fixed in 5.8.3"),
        "{d}"
    );
    assert!(
        d.contains("CVE-2019-8942") && d.contains("fixed in 4.9.9"),
        "{d}"
    );
    assert!(
        !d.contains("CVE-2017-6814"),
        "a medium advisory is not serious: {d}"
    );
    let outdated = one(&f, FindingId::SoftwareOutdated, "WordPress 4.7.2");
    assert!(
        outdated.detail.contains("CVE-2017-6814"),
        "{}",
        outdated.detail
    );
}

#[test]
fn nukeviet_and_liferay_are_recognised_with_version_and_confidence() {
    let f = with_headers("<meta name=\"generator\" content=\"NukeViet v3.4\">", &[]);
    let nukeviet = one(&f, FindingId::SoftwareOutdated, "NukeViet 3.4");
    assert!(
        nukeviet.detail.contains("meta generator, confidence high")
            && nukeviet.detail.contains("nukeviet-eol-3"),
        "{}",
        nukeviet.detail
    );
    let f = with_headers(
        "<script src='/html/js/barebone.jsp?browserId=other&amp;themeId=cong_WAR_theme&amp;\
         colorSchemeId=01&amp;minifierType=js&amp;minifierBundleId=javascript.barebone.files&amp;\
         languageId=vi_VN&amp;b=6205&amp;t=1453176542000'></script>",
        &[],
    );
    let liferay = one(
        &f,
        FindingId::SoftwareKnownExploited,
        "Liferay Portal 6.2.5",
    );
    assert_eq!(liferay.severity, Severity::Critical);
    assert!(
        liferay.detail.contains("build number, confidence medium")
            && liferay.detail.contains("CVE-2020-7961")
            && liferay.detail.contains("fixed in 7.2.1")
            && liferay.detail.contains("known exploited (CISA KEV)"),
        "{}",
        liferay.detail
    );
    let f = with_headers(
        "<p>Cổng thông tin</p>",
        &[(
            "liferay-portal",
            "Liferay Community Edition Portal 7.3.6 CE GA7 (Athanasius / Build 7305 / January 19, 2021)",
        )],
    );
    let outdated = with_id(&f, FindingId::SoftwareKnownExploited);
    assert!(outdated.is_empty(), "7.3.6 is past the fix: {f:#?}");
}

#[test]
fn plugins_and_themes_are_named_by_their_asset_paths() {
    let f = with_headers(
        "<link rel=stylesheet href='/wp-content/plugins/wp-file-manager/css/fm.css?ver=6.8'>\
         <script src='/wp-content/plugins/contact-form-7/includes/js/index.js?ver=5.9.8'></script>\
         <link rel=stylesheet href='/wp-content/themes/flatsome/style.css?ver=3.15.2'>",
        &[],
    );
    let fm = one(
        &f,
        FindingId::SoftwareKnownExploited,
        "WordPress plugin wp-file-manager 6.8",
    );
    assert!(
        fm.detail.contains("asset query string, confidence low"),
        "{}",
        fm.detail
    );
    assert!(fm.detail.contains("CVE-2020-25213") && fm.detail.contains("fixed in 6.9"));
    assert!(
        f.iter().all(|x| !x.detail.contains("contact-form-7 5.9.8")),
        "a current plugin is not reported: {f:#?}"
    );
}

#[test]
fn server_products_show_their_versions_in_headers_and_titles() {
    let f = with_headers(
        "<title>Apache Tomcat/9.0.30</title>",
        &[("microsoftsharepointteamservices", "16.0.0.5508")],
    );
    let tomcat = one(
        &f,
        FindingId::SoftwareKnownExploited,
        "Apache Tomcat 9.0.30",
    );
    assert!(tomcat.detail.contains("CVE-2020-1938") && tomcat.detail.contains("page title"));
    let sharepoint = one(
        &f,
        FindingId::SoftwareKnownExploited,
        "Microsoft SharePoint 16.0.0.5508",
    );
    assert!(
        sharepoint.detail.contains("CVE-2025-53770"),
        "{}",
        sharepoint.detail
    );
    let current = with_headers("", &[("microsoftsharepointteamservices", "16.0.0.18526")]);
    assert!(
        with_id(&current, FindingId::SoftwareKnownExploited).is_empty(),
        "{current:#?}"
    );
}
