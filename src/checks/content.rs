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
use crate::collect::http::same_site;
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
