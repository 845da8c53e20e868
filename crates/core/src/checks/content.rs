//! Content findings on the page a visitor gets.
//!
//! - `content.mixed_active` / `content.mixed_passive`: an https page loads scripts,
//!   styles, frames or plugins (active) or images and media (passive) over http. Only
//!   what a browser with JavaScript loads counts (`<noscript>` content does not).
//! - `content.sri_missing`: a third-party script or stylesheet without `integrity`, so
//!   whoever controls that host controls the page. Tracker hosts are left out: their
//!   scripts change daily and cannot carry a fixed hash (`content.trackers` covers them).
//! - `content.trackers`: third-party trackers (`checks/trackers.toml`) loaded with the
//!   page, i.e. before any consent; each says whether the privacy notice names it.

use super::pages::Pages;
use crate::domain::same_site;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::text::excerpt;
use crate::page::{PageFacts, Resource};
use crate::rules::terms::Tokens;
use crate::rules::trackers::Tracker;
use crate::rules::{PageRules, url_host};

/// URLs quoted in one finding's detail.
const MAX_QUOTED: usize = 5;

pub(super) fn check(pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    if let Some(page) = pages.secure() {
        mixed_content(page, out);
        sri(page, rules, out);
    }
    if let Some(page) = &pages.primary {
        trackers(page, pages.notice.as_ref(), rules, out);
    }
}

fn mixed_content(page: &PageFacts, out: &mut Vec<Finding>) {
    let insecure = |list: &[Resource]| -> Vec<String> {
        list.iter()
            .filter(|r| !r.noscript && r.url.starts_with("http://"))
            .map(|r| format!("<{}> {}", r.tag, r.url))
            .collect()
    };
    let active: Vec<String> = [
        &page.scripts,
        &page.stylesheets,
        &page.frames,
        &page.objects,
    ]
    .into_iter()
    .flat_map(|l| insecure(l))
    .collect();
    let passive = insecure(&page.media);
    for (id, severity, list) in [
        (FindingId::ContentMixedActive, Severity::High, active),
        (FindingId::ContentMixedPassive, Severity::Low, passive),
    ] {
        if !list.is_empty() {
            out.push(Finding::new(id, severity, quote(&list)));
        }
    }
}

fn sri(page: &PageFacts, rules: &PageRules, out: &mut Vec<Finding>) {
    let Some(site) = url_host(&page.url) else {
        return;
    };
    let missing: Vec<String> = page
        .scripts
        .iter()
        .chain(&page.stylesheets)
        .filter(|r| r.integrity.is_none() && !r.noscript)
        .filter(|r| {
            url_host(&r.url).is_some_and(|host| {
                !same_site(&host, &site) && rules.trackers.tracker_for(&host).is_none()
            })
        })
        .map(|r| format!("<{}> {}", r.tag, r.url))
        .collect();
    if !missing.is_empty() {
        out.push(Finding::new(
            FindingId::ContentSriMissing,
            Severity::Low,
            quote(&missing),
        ));
        return;
    }
    sri_complete(page, &site, out);
}

/// The strength `content.sri_complete` (the Observatory's SRI bonus): the page loads
/// scripts, every one is fetched over https, and every script or stylesheet from
/// another site (trackers included) carries `integrity`, at least one script too.
fn sri_complete(page: &PageFacts, site: &str, out: &mut Vec<Finding>) {
    let loaded = |r: &&Resource| !r.noscript;
    let scripts: Vec<&Resource> = page.scripts.iter().filter(loaded).collect();
    let third_party = |r: &&Resource| url_host(&r.url).is_some_and(|h| !same_site(&h, site));
    let all_over_https = scripts.iter().all(|r| r.url.starts_with("https://"));
    let foreign_covered = page
        .scripts
        .iter()
        .chain(&page.stylesheets)
        .filter(loaded)
        .filter(third_party)
        .all(|r| r.integrity.is_some());
    let with_integrity: Vec<String> = scripts
        .iter()
        .filter(|r| r.integrity.is_some())
        .map(|r| format!("<{}> {}", r.tag, r.url))
        .collect();
    if !scripts.is_empty() && all_over_https && foreign_covered && !with_integrity.is_empty() {
        out.push(Finding::new(
            FindingId::ContentSriComplete,
            Severity::Info,
            format!(
                "every script is loaded over https and every third-party script or stylesheet \
                 carries integrity: {}",
                quote(&with_integrity)
            ),
        ));
    }
}

fn trackers(
    page: &PageFacts,
    notice: Option<&PageFacts>,
    rules: &PageRules,
    out: &mut Vec<Finding>,
) {
    let Some(site) = url_host(&page.url) else {
        return;
    };
    let urls = page
        .scripts
        .iter()
        .chain(&page.frames)
        .chain(&page.objects)
        .chain(&page.media)
        .map(|r| r.url.as_str())
        .chain(page.embedded_urls.iter().map(String::as_str));
    let mut found: Vec<&Tracker> = Vec::new();
    for url in urls {
        let Some(host) = url_host(url) else { continue };
        if same_site(&host, &site) {
            continue;
        }
        if let Some(tracker) = rules.trackers.tracker_for(&host) {
            if !found.iter().any(|t| std::ptr::eq(*t, tracker)) {
                found.push(tracker);
            }
        }
    }
    if found.is_empty() {
        return;
    }
    let notice_tokens = notice.map(|n| Tokens::new(&n.visible_text));
    let mut severity = Severity::Info;
    let described: Vec<String> = found
        .iter()
        .map(|t| {
            let disclosure = match &notice_tokens {
                Some(tokens) if t.disclosed_in(tokens) => "named in the privacy notice",
                Some(_) => {
                    severity = severity.max(t.info.severity);
                    "not named in the privacy notice"
                }
                None => {
                    severity = severity.max(t.info.severity);
                    "no privacy notice seen"
                }
            };
            format!("{} ({}; {disclosure})", t.name, t.category)
        })
        .collect();
    out.push(Finding::new(
        FindingId::ContentTrackers,
        severity,
        format!(
            "loaded with the page, before any consent: {}",
            described.join("; ")
        ),
    ));
}

/// The first few entries, and how many more.
fn quote(list: &[String]) -> String {
    let mut text: Vec<String> = list
        .iter()
        .take(MAX_QUOTED)
        .map(|s| excerpt(s, 160))
        .collect();
    if list.len() > MAX_QUOTED {
        text.push(format!("and {} more", list.len() - MAX_QUOTED));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::pages::*;
    use crate::checks::test_support::{evidence_with_home, judge_pages, the, with_id};
    use crate::finding::{FindingId, Severity};

    fn findings(body: &str) -> Vec<crate::finding::Finding> {
        judge_pages(&evidence_with_home(body.as_bytes()))
    }

    #[test]
    fn http_scripts_are_active_and_http_images_passive_mixed_content() {
        let f = findings(
            "<script src='http://cdn.example.vn/app.js'></script>\
             <link rel=stylesheet href='http://cdn.example.vn/a.css'>\
             <img src='http://cdn.example.vn/a.png'>\
             <noscript><img src='http://stats.example.vn/p.gif'></noscript>",
        );
        let active = the(&f, FindingId::ContentMixedActive);
        assert_eq!(active.severity, Severity::High);
        assert!(
            active
                .detail
                .contains("<script> http://cdn.example.vn/app.js")
        );
        assert!(active.detail.contains("<link> http://cdn.example.vn/a.css"));
        let passive = the(&f, FindingId::ContentMixedPassive);
        assert!(
            !passive.detail.contains("p.gif"),
            "noscript content is not loaded"
        );

        let f = findings(
            "<script src='https://cdn.example.vn/app.js'></script>\
             <img src='//cdn.example.vn/a.png'><a href='http://other.example/'>x</a>",
        );
        assert!(with_id(&f, FindingId::ContentMixedActive).is_empty());
        assert!(
            with_id(&f, FindingId::ContentMixedPassive).is_empty(),
            "links are not content"
        );
    }

    #[test]
    fn third_party_code_without_integrity_is_reported_but_not_first_party_or_trackers() {
        let f = judge_pages(&evidence_with_home(GOV_HOME));
        let sri = the(&f, FindingId::ContentSriMissing);
        assert!(
            sri.detail.contains("cdn.jsdelivr.net/npm/bootstrap@3.3.7"),
            "{}",
            sri.detail
        );
        assert!(!sri.detail.contains("googletagmanager"), "{}", sri.detail);
        assert!(!sri.detail.contains("wp-includes"), "{}", sri.detail);

        let f = findings(
            "<script src='https://cdn.jsdelivr.net/npm/x@1/x.js' integrity='sha384-abc' crossorigin></script>\
             <script src='/local.js'></script><script src='https://static.example.test/a.js'></script>",
        );
        assert!(with_id(&f, FindingId::ContentSriMissing).is_empty());
    }

    #[test]
    fn trackers_are_named_and_say_whether_the_notice_discloses_them() {
        let f = judge_pages(&evidence_with_home(GOV_HOME));
        let t = the(&f, FindingId::ContentTrackers);
        assert!(t.detail.contains("Google Analytics"), "{}", t.detail);
        assert!(t.detail.contains("no privacy notice seen"), "{}", t.detail);
        assert_eq!(t.severity, Severity::Low);

        // The same tracker with a notice (inside the page) that names it.
        let mut page =
            b"<script async src='https://www.googletagmanager.com/gtag/js?id=G-1'></script>\
                         <a href='#privacy'>Privacy policy</a><div id=privacy>"
                .to_vec();
        page.extend_from_slice(NOTICE_COMPLETE);
        let f = judge_pages(&evidence_with_home(&page));
        let t = the(&f, FindingId::ContentTrackers);
        assert!(
            t.detail.contains("named in the privacy notice"),
            "{}",
            t.detail
        );
        assert_eq!(t.severity, Severity::Info, "disclosed, but still a tracker");

        // A pixel built by an inline snippet is found too.
        let f = findings(
            "<script>!function(f,b,e,v){}(window,document,'script',\
             'https://connect.facebook.net/en_US/fbevents.js');</script>",
        );
        assert!(
            the(&f, FindingId::ContentTrackers)
                .detail
                .contains("Facebook")
        );

        let f =
            findings("<script src='/js/app.js'></script><a href='https://facebook.com/so'>fb</a>");
        assert!(
            with_id(&f, FindingId::ContentTrackers).is_empty(),
            "a link is not a tracker"
        );
    }
}
