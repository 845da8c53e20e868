//! Staff pages: sign-in, the working list with import, a site's full picture with the
//! staff actions (scan, attest, override), and the audit log. Every form carries the
//! session's CSRF token.

use super::owner::{findings_table, job_status};
use super::public::{SitePage, site_facts, site_table};
use super::{PageCtx, date_time, history_table, layout};
use crate::publish::listing::ListParams;
use maud::{Markup, html};
use trustlabel_core::catalog::Catalog;
use trustlabel_core::finding::Finding;
use trustlabel_core::policy::LabelStatus;
use trustlabel_store::{AuditEntry, ScanJob, SiteRow};

pub(super) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn lang_field(ctx: &PageCtx<'_>) -> Markup {
    html! {
        @if ctx.lang == crate::publish::i18n::Lang::En {
            input type="hidden" name="lang" value="en";
        }
    }
}

pub fn login_page(ctx: &PageCtx<'_>, error: Option<&str>, username: &str) -> Markup {
    let t = ctx.lang.t();
    let body = html! {
        @if let Some(error) = error {
            p class="error" role="alert" { (error) }
        }
        form class="stack" method="post" action="/staff/login" {
            (lang_field(ctx))
            label for="username" { (t.username) }
            input id="username" name="username" autocomplete="username" required value=(username);
            label for="password" { (t.password) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            div { button type="submit" { (t.login) } }
        }
    };
    layout(ctx, t.login_title, body)
}

pub(super) fn session_bar(ctx: &PageCtx<'_>, csrf: &str) -> Markup {
    let t = ctx.lang.t();
    html! {
        p {
            (t.signed_in_as) " " strong { (ctx.staff_user.unwrap_or("")) } " · "
            a href=(format!("/staff/audit{}", if ctx.lang == crate::publish::i18n::Lang::En { "?lang=en" } else { "" })) { (t.audit_title) }
            " · "
            a href=(format!("/staff/tokens{}", if ctx.lang == crate::publish::i18n::Lang::En { "?lang=en" } else { "" })) { (t.api_tokens) }
            " · "
            a href=(format!("/staff/discovery{}", if ctx.lang == crate::publish::i18n::Lang::En { "?lang=en" } else { "" })) {
                (if ctx.lang == crate::publish::i18n::Lang::En { "Discovered websites" } else { "Website mới phát hiện" })
            }
        }
        form class="inline" method="post" action="/staff/logout" {
            (csrf_field(csrf))
            button type="submit" { (t.logout) }
        }
    }
}

/// The result of a CSV import, line errors included.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub read: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// `file:line: reason`, as the CLI prints them.
    pub refused: Vec<String>,
}

pub fn staff_home_page(
    ctx: &PageCtx<'_>,
    csrf: &str,
    params: &ListParams,
    rows: &[SiteRow],
    total: u64,
    import: Option<&ImportReport>,
) -> Markup {
    let t = ctx.lang.t();
    let lang_q = if ctx.lang == crate::publish::i18n::Lang::En {
        "?lang=en"
    } else {
        ""
    };
    let body = html! {
        (session_bar(ctx, csrf))
        form class="filters" method="get" action="/staff" role="search" {
            (lang_field(ctx))
            div {
                label for="q" { (t.search_label) }
                input id="q" name="q" type="search" value=(params.search().unwrap_or(""));
            }
            div { button type="submit" { (t.apply) } }
        }
        p { strong { (total) } " " (t.results) }
        (site_table(ctx, rows, |h| format!("/staff/site/{h}{lang_q}")))
        h2 id="import" { (t.import_title) }
        @if let Some(report) = import {
            div class="ok" role="status" {
                p { (ctx.lang.import_summary(report.read, report.inserted, report.updated, report.unchanged)) }
                @if !report.refused.is_empty() {
                    p { (t.refused_lines) ": " (report.refused.len()) }
                    ul id="refused" { @for line in &report.refused { li { code { (line) } } } }
                }
            }
        }
        form class="stack" method="post" action="/staff/import" {
            (csrf_field(csrf))
            (lang_field(ctx))
            label for="csv" { (t.import_title) }
            textarea id="csv" name="csv" required aria-describedby="csv-hint" {}
            span id="csv-hint" class="hint" { (t.import_help) }
            div { button type="submit" { (t.import_button) } }
        }
    };
    layout(ctx, t.staff_title, body)
}

pub struct StaffSiteView<'a> {
    pub site: SitePage<'a>,
    pub findings: &'a [Finding],
    pub catalog: &'a Catalog,
    pub latest_job: Option<&'a ScanJob>,
    pub flash: Option<String>,
    /// The owner's address from the target list, so staff know whom to notify.
    pub contact: Option<&'a str>,
}

pub fn staff_site_page(ctx: &PageCtx<'_>, csrf: &str, view: &StaffSiteView<'_>) -> Markup {
    let t = ctx.lang.t();
    let host = &view.site.row.host;
    let display = trustlabel_core::target::display_host(host);
    let body = html! {
        (session_bar(ctx, csrf))
        @if let Some(flash) = &view.flash {
            p class="ok" role="status" id="flash" { (flash) }
        }
        (site_facts(ctx, &view.site))
        p {
            (t.owner_contact) ": "
            @match view.contact {
                Some(contact) => a href=(format!("mailto:{contact}")) { (contact) },
                None => (t.no_contact),
            }
        }
        @if let Some(job) = view.latest_job { (job_status(ctx, job)) }
        form method="post" action=(format!("/staff/site/{host}/scan")) {
            (csrf_field(csrf)) (lang_field(ctx))
            button type="submit" { (t.scan_now) }
        }
        @if let Some(changes) = view.site.changes {
            (super::owner::changes_section(ctx, changes, view.catalog))
        }
        (findings_table(ctx.lang, view.findings, view.catalog))
        h2 { (t.attest_title) }
        p class="hint" { (t.attest_help) }
        // Only a site that holds the label can be raised to advanced: elsewhere the form
        // would always be refused, so it is not offered.
        @if view.site.row.status.holds_label() {
            form class="stack" method="post" action=(format!("/staff/site/{host}/attest")) {
                (csrf_field(csrf)) (lang_field(ctx))
                label for="note" { (t.note) }
                textarea id="note" name="note" required {}
                div { button type="submit" { (t.attest_button) } }
            }
        }
        h2 { (t.override_title) }
        p class="hint" { (t.override_help) }
        form class="stack" method="post" action=(format!("/staff/site/{host}/override")) {
            (csrf_field(csrf)) (lang_field(ctx))
            label for="status" { (t.new_status) }
            select id="status" name="status" {
                @for status in LabelStatus::ALL {
                    option value=(status.as_str()) selected[status == view.site.row.status] { (ctx.lang.status(status)) }
                }
            }
            label for="reason" { (t.reason) }
            textarea id="reason" name="reason" required {}
            div { button type="submit" { (t.override_button) } }
        }
        (history_table(ctx, view.site.history, Some(view.catalog)))
    };
    layout(ctx, &display, body)
}

pub fn staff_audit_page(ctx: &PageCtx<'_>, csrf: &str, entries: &[AuditEntry]) -> Markup {
    let t = ctx.lang.t();
    let body = html! {
        (session_bar(ctx, csrf))
        div {
            table id="audit" class="cards" {
                thead { tr { th scope="col" { (t.date) } th scope="col" { (t.actor) } th scope="col" { (t.action) } th scope="col" { (t.site) } th scope="col" { (t.detail) } } }
                tbody {
                    @for e in entries {
                        tr {
                            td { (date_time(ctx, e.at)) }
                            td data-label=(t.actor) { (e.actor) }
                            td data-label=(t.action) { code { (e.action) } }
                            td data-label=(t.site) { (e.host.as_deref().unwrap_or("—")) }
                            td data-label=(t.detail) { code class="evidence" { (e.detail) } }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, t.audit_title, body)
}

/// The batch API's tokens: who holds one, what it may do, until when; a form to issue
/// one (shown once, right here) and a button to revoke each.
pub fn staff_tokens_page(
    ctx: &PageCtx<'_>,
    csrf: &str,
    tokens: &[trustlabel_store::ApiToken],
    issued: Option<&crate::api_tokens::IssuedToken>,
    error: Option<&str>,
    now: time::OffsetDateTime,
) -> Markup {
    let vi = ctx.lang == crate::publish::i18n::Lang::Vi;
    let lang_q = if vi { "" } else { "?lang=en" };
    let title = if vi {
        "Mã truy cập API cho cơ quan đối tác"
    } else {
        "API tokens of partner agencies"
    };
    let body = html! {
        (session_bar(ctx, csrf))
        @if let Some(issued) = issued {
            div class="notice" role="status" {
                p { strong { (if vi { "Mã mới — chỉ hiển thị lần này, hãy gửi cho cơ quan qua kênh an toàn:" } else { "New token — shown only now; send it to the agency over a safe channel:" }) } }
                p { code class="evidence" id="new-token" { (issued.token) } }
                p { (issued.name) " · " (crate::api_tokens::scope_list(&issued.scopes)) " · " (date_time(ctx, issued.expires_at)) }
            }
        }
        @if let Some(error) = error {
            p class="error" role="alert" { (error) }
        }
        h2 { (if vi { "Cấp mã mới" } else { "Issue a token" }) }
        form method="post" action=(format!("/staff/tokens{lang_q}")) {
            (csrf_field(csrf))
            p {
                label for="token-name" { (if vi { "Cơ quan" } else { "Agency" }) }
                input id="token-name" name="name" type="text" required maxlength="200";
            }
            p {
                label for="token-days" { (if vi { "Số ngày hiệu lực" } else { "Days valid" }) }
                input id="token-days" name="days" type="number" min="1" max="3650" value="365" required;
            }
            p {
                input id="token-findings" name="findings" type="checkbox" value="1";
                " "
                label for="token-findings" { (if vi { "Được đọc chi tiết lỗi của các website trong lô đã gửi" } else { "May read the findings of the sites of its batches" }) }
            }
            button type="submit" { (if vi { "Cấp mã" } else { "Issue" }) }
        }
        h2 { (if vi { "Các mã đã cấp" } else { "Tokens issued" }) }
        table id="tokens" class="cards" {
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (if vi { "Cơ quan" } else { "Agency" }) }
                th scope="col" { (if vi { "Quyền" } else { "Scopes" }) }
                th scope="col" { (if vi { "Hết hạn" } else { "Expires" }) }
                th scope="col" { (if vi { "Trạng thái" } else { "State" }) }
                th scope="col" { span class="visually-hidden" { (if vi { "Thao tác" } else { "Action" }) } }
            } }
            tbody {
                @for t in tokens {
                    @let live = t.revoked_at.is_none() && t.expires_at > now;
                    tr {
                        td { (t.id) }
                        td data-label=(if vi { "Cơ quan" } else { "Agency" }) { (t.name) }
                        td data-label=(if vi { "Quyền" } else { "Scopes" }) { code { (crate::api_tokens::scope_list(&t.scopes)) } }
                        td data-label=(if vi { "Hết hạn" } else { "Expires" }) { (date_time(ctx, t.expires_at)) }
                        td data-label=(if vi { "Trạng thái" } else { "State" }) {
                            @if t.revoked_at.is_some() { (if vi { "Đã thu hồi" } else { "Revoked" }) }
                            @else if !live { (if vi { "Hết hạn" } else { "Expired" }) }
                            @else { (if vi { "Đang dùng" } else { "Active" }) }
                        }
                        td {
                            @if live {
                                form class="inline" method="post" action=(format!("/staff/tokens/{}/revoke{lang_q}", t.id)) {
                                    (csrf_field(csrf))
                                    button type="submit" aria-label=(format!("{} {}", if vi { "Thu hồi mã" } else { "Revoke token" }, t.id)) { (if vi { "Thu hồi" } else { "Revoke" }) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, title, body)
}
