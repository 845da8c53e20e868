//! The owner page (private token link): everything public plus the findings with their
//! evidence excerpts and remediation, the history with reasons, and "re-scan now".

use super::public::{SitePage, site_facts};
use super::{PageCtx, date, date_time, history_table, layout, rich_text};
use crate::publish::i18n::Lang;
use maud::{Markup, html};
use time::OffsetDateTime;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::changes::Changes;
use trustlabel_core::finding::{Finding, FindingId, RecordAdvice};
use trustlabel_store::ScanJob;

pub struct OwnerView<'a> {
    pub site: SitePage<'a>,
    pub findings: &'a [Finding],
    pub catalog: &'a Catalog,
    pub latest_job: Option<&'a ScanJob>,
    /// Where the re-scan form posts (the token path).
    pub rescan_action: String,
    /// Outcome of the last action (re-scan requested, too soon, ...).
    pub flash: Option<String>,
    pub link_expires: OffsetDateTime,
}

/// What a finding's detail says: one line per fact; lines indented by two spaces belong
/// to the line above, and read `origin: what it says` when they name where it came from
/// (a CSP finding names the header or `<meta>` policy that allowed each hole). Checks
/// replace control characters in server text, so only they can start a line.
fn evidence(detail: &str) -> Markup {
    if !detail.contains('\n') {
        return html! { code class="evidence" lang="en" { (detail) } };
    }
    let mut items: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in detail.lines() {
        match line.strip_prefix("  ") {
            Some(sub) if !items.is_empty() => {
                if let Some(last) = items.last_mut() {
                    last.1.push(sub);
                }
            }
            _ => items.push((line, Vec::new())),
        }
    }
    html! {
        ul class="evidence" lang="en" {
            @for (line, subs) in &items {
                li {
                    code class="evidence" { (line) }
                    @if !subs.is_empty() {
                        ul {
                            @for sub in subs {
                                li {
                                    @if let Some((origin, said)) = origin_of(sub) {
                                        strong class="origin" { (origin) } ": " code class="evidence" { (said) }
                                    } @else {
                                        code class="evidence" { (sub) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `origin: what it says`, when the line starts with a short origin (`header`, `meta #2`,
/// `ignored`) rather than with server text.
fn origin_of(line: &str) -> Option<(&str, &str)> {
    line.split_once(": ").filter(|(origin, _)| {
        (origin.len() <= 16 && !origin.contains(' '))
            || origin.starts_with("header #")
            || origin.starts_with("meta #")
    })
}

/// A DNS or mail finding's evidence: what the scan concluded, then the records it saw
/// at the name (or that there were none), each in zone-file form.
fn records_seen(lang: Lang, advice: &RecordAdvice) -> Markup {
    let t = lang.t();
    html! {
        code class="evidence" lang="en" { (advice.summary) }
        p class="records-heading" { strong { (t.record_seen) } }
        @if advice.seen.is_empty() {
            p class="records-none" { (t.record_none) }
        } @else {
            ul class="evidence records-seen" lang="en" {
                @for record in &advice.seen {
                    li { code class="evidence" { (record) } }
                }
            }
        }
    }
}

/// The records to publish instead, in zone-file form, ready to paste.
fn records_to_publish(lang: Lang, advice: &RecordAdvice) -> Markup {
    let t = lang.t();
    html! {
        @if !advice.publish.is_empty() {
            p class="records-heading" { strong { (t.record_publish) } }
            ul class="evidence records-publish" lang="en" {
                @for record in &advice.publish {
                    li { code class="evidence" { (record) } }
                }
            }
        }
    }
}

/// Findings with the catalog's advice, then the strengths; shared by the owner and staff
/// pages.
pub fn findings_table(lang: Lang, findings: &[Finding], catalog: &Catalog) -> Markup {
    let t = lang.t();
    let (strengths, problems): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.id.is_strength());
    html! {
        h2 { (t.findings) }
        (finding_rows(lang, &problems, catalog))
        @if !strengths.is_empty() {
            h2 { (t.strengths) }
            p class="hint" { (t.strengths_help) }
            (finding_rows(lang, &strengths, catalog))
        }
    }
}

fn finding_rows(lang: Lang, findings: &[&Finding], catalog: &Catalog) -> Markup {
    let t = lang.t();
    html! {
        @if findings.is_empty() {
            p class="ok" { (t.no_findings) }
        } @else {
            div {
                table class="cards findings" {
                    thead {
                        tr {
                            th scope="col" { (t.findings) }
                            th scope="col" { (t.severity) }
                            th scope="col" { (t.evidence) }
                            th scope="col" { (t.remediation) }
                        }
                    }
                    tbody {
                        @for f in findings {
                            @let text = catalog.text(f.id);
                            tr {
                                td {
                                    strong { (rich_text(if lang == Lang::Vi { &text.title_vi } else { &text.title_en })) }
                                    br; code class="id" { (f.id.as_str()) }
                                }
                                td data-label=(t.severity) class={ "sev-" (f.severity.as_str()) } { (lang.severity(f.severity)) }
                                @let records = RecordAdvice::from_detail(&f.detail);
                                // What the site sent or the scanner saw, quoted as is: it is
                                // technical data, marked as such for screen readers. A DNS or
                                // mail finding names the records seen, and what to publish
                                // goes with the advice.
                                td data-label=(t.evidence) {
                                    @match &records {
                                        Some(advice) => (records_seen(lang, advice)),
                                        None => (evidence(&f.detail)),
                                    }
                                }
                                td data-label=(t.remediation) {
                                    (rich_text(if lang == Lang::Vi { &text.remediation_vi } else { &text.remediation_en }))
                                    " " a href=(text.reference) rel="noreferrer" { (t.reference) }
                                    @if let Some(advice) = &records {
                                        (records_to_publish(lang, advice))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Findings added, fixed and still open since the previous assessment, each with the
/// date it was first seen: an owner sees a fix counted. Shared by the owner and staff
/// pages.
pub fn changes_section(ctx: &PageCtx<'_>, changes: &Changes, catalog: &Catalog) -> Markup {
    let lang = ctx.lang;
    let t = lang.t();
    let title = |id: FindingId| {
        let text = catalog.text(id);
        rich_text(if lang == Lang::Vi {
            &text.title_vi
        } else {
            &text.title_en
        })
    };
    let list = |heading: &str, items: &[(FindingId, time::OffsetDateTime)], class: &str| {
        html! {
            @if !items.is_empty() {
                h3 { (heading) " (" (items.len()) ")" }
                ul class=(class) {
                    @for (id, first) in items {
                        li { (title(*id)) " " code { (id.as_str()) } " — " (t.changes_first) " " (date(ctx, Some(*first))) }
                    }
                }
            }
        }
    };
    html! {
        section aria-labelledby="changes" {
            h2 id="changes" { (t.changes_title) }
            @match changes.previous_at {
                Some(previous) => p {
                    (date(ctx, Some(previous))) " → " (date(ctx, Some(changes.latest_at))) ": "
                    (lang.grade_change(&changes.grade_before.map(|g| g.to_string()).unwrap_or_default(), &changes.grade_now.to_string(), &date(ctx, Some(previous))))
                },
                None => p { (t.no_history) },
            }
            (list(t.changes_resolved, &changes.resolved, "resolved"))
            (list(t.changes_added, &changes.added, "added"))
            (list(t.changes_unchanged, &changes.unchanged, "unchanged"))
        }
    }
}

pub fn job_status(ctx: &PageCtx<'_>, job: &ScanJob) -> Markup {
    let lang = ctx.lang;
    let t = lang.t();
    html! {
        p id="scan-progress" class=(if job.state.is_pending() { "notice" } else { "ok" }) {
            (t.last_request) ": " strong { (lang.job(job.state)) }
            " (" (date_time(ctx, job.created_at)) ")"
            @if let Some(error) = &job.error { " — " (error) }
        }
    }
}

pub fn owner_page(ctx: &PageCtx<'_>, view: &OwnerView<'_>) -> Markup {
    let t = ctx.lang.t();
    let host = trustlabel_core::target::display_host(&view.site.row.host);
    let body = html! {
        p class="notice" { (t.owner_private) " (" (date(ctx, Some(view.link_expires))) ")" }
        @if let Some(flash) = &view.flash {
            p class="ok" role="status" { (flash) }
        }
        (site_facts(ctx, &view.site))
        h2 { (t.rescan) }
        p { (t.rescan_help) }
        @if let Some(job) = view.latest_job {
            (job_status(ctx, job))
        }
        form method="post" action=(view.rescan_action) {
            button type="submit" { (t.rescan) }
        }
        @if let Some(changes) = view.site.changes {
            (changes_section(ctx, changes, view.catalog))
        }
        (findings_table(ctx.lang, view.findings, view.catalog))
        (history_table(ctx, view.site.history, Some(view.catalog)))
    };
    layout(ctx, &format!("{} — {host}", t.owner_title), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustlabel_core::finding::{FindingId, Severity};

    fn table(findings: &[Finding]) -> String {
        findings_table(Lang::En, findings, &Catalog::builtin().unwrap()).into_string()
    }

    #[test]
    fn a_csp_finding_shows_which_policy_allowed_what() {
        let csp = Finding::new(
            FindingId::HeaderCspUnsafe,
            Severity::High,
            "inline scripts may run ('unsafe-inline')\n  header: script-src 'self' 'unsafe-inline'\n  \
             meta: default-src * 'unsafe-inline'",
        );
        let html = table(&[csp]);
        assert!(
            html.contains(
                "<code class=\"evidence\">inline scripts may run ('unsafe-inline')</code>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<strong class=\"origin\">header</strong>: <code class=\"evidence\">script-src 'self' 'unsafe-inline'</code>"),
            "{html}"
        );
        assert!(
            html.contains("<strong class=\"origin\">meta</strong>: <code class=\"evidence\">default-src * 'unsafe-inline'</code>"),
            "{html}"
        );
    }

    #[test]
    fn strengths_are_listed_apart_from_problems() {
        let strength = Finding::new(
            FindingId::HeaderCoopProtective,
            Severity::Info,
            "Cross-Origin-Opener-Policy: same-origin",
        );
        let html = table(&[strength]);
        let (problems, bonuses) = html
            .split_once("<h2>Bonuses</h2>")
            .expect("a bonus section");
        assert!(problems.contains("No problems found."), "{html}");
        assert!(bonuses.contains("header.coop.protective"), "{html}");
        // One-line details stay one code element, server text escaped.
        let plain = table(&[Finding::new(
            FindingId::HeaderXctoMissing,
            Severity::Low,
            "X-Content-Type-Options is `<b>`",
        )]);
        assert!(
            plain.contains(
                "<code class=\"evidence\" lang=\"en\">X-Content-Type-Options is `&lt;b&gt;`</code>"
            ),
            "{plain}"
        );
        assert!(!plain.contains("Bonuses"));
    }

    #[test]
    fn a_software_finding_lists_each_advisory_with_its_cve_and_fixed_version() {
        // The shape `checks::software` writes (issue 12).
        let finding = Finding::new(
            FindingId::SoftwareVulnerable,
            Severity::High,
            "WordPress 4.7.2 (seen in generator: WordPress 4.7.2; meta generator, confidence high)\n  \
             CVE-2022-21661: high; fixed in 5.8.3; affects <5.8.3; SQL injection [TL-WORDPRESS-2022-21661, osv.json]\n  \
             CVE-2019-8942: high; fixed in 4.9.9; affects <4.9.9; also CVE-2019-8943; code execution [TL-WORDPRESS-2019-8942, osv.json]",
        );
        let html = table(&[finding]);
        assert!(
            html.contains("<code class=\"evidence\">WordPress 4.7.2 (seen in generator: WordPress 4.7.2; meta generator, confidence high)</code>"),
            "{html}"
        );
        assert!(
            html.contains("<strong class=\"origin\">CVE-2022-21661</strong>: <code class=\"evidence\">high; fixed in 5.8.3;"),
            "{html}"
        );
        assert!(
            html.contains("<strong class=\"origin\">CVE-2019-8942</strong>"),
            "{html}"
        );
    }
}
