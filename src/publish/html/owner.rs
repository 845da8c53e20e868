//! The owner page (private token link): everything public plus the findings with their
//! evidence excerpts and remediation, the history with reasons, and "re-scan now".

use super::public::{SitePage, site_facts};
use super::{PageCtx, date, date_time, history_table, layout, rich_text};
use crate::publish::i18n::Lang;
use maud::{Markup, html};
use time::OffsetDateTime;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::changes::Changes;
use trustlabel_core::finding::{Finding, FindingId};
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

/// Findings with the catalog's advice; shared by the owner and staff pages.
pub fn findings_table(lang: Lang, findings: &[Finding], catalog: &Catalog) -> Markup {
    let t = lang.t();
    html! {
        h2 { (t.findings) }
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
                                // What the site sent or the scanner saw, quoted as is: it is
                                // technical data, marked as such for screen readers.
                                td data-label=(t.evidence) { code class="evidence" lang="en" { (f.detail) } }
                                td data-label=(t.remediation) {
                                    (rich_text(if lang == Lang::Vi { &text.remediation_vi } else { &text.remediation_en }))
                                    " " a href=(text.reference) rel="noreferrer" { (t.reference) }
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
