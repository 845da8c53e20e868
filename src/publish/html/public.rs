//! Public pages: the list, a site's verification page, the dashboard, open data.
//! They show status, level, grade, dates and history — never findings.

use super::{PageCtx, date, grade_text, history_table, layout, status_pill};
use crate::publish::charts::{self, GroupProgress, TrendPoint};
use crate::publish::listing::ListParams;
use maud::{Markup, html};
use time::OffsetDateTime;
use trustlabel_core::policy::LabelStatus;
use trustlabel_store::{SiteRow, StatusCounts, StoredTransition, View};

fn or_dash(text: &str) -> &str {
    if text.trim().is_empty() { "—" } else { text }
}

pub struct ListPage<'a> {
    pub params: &'a ListParams,
    pub rows: &'a [SiteRow],
    pub total: u64,
    pub per_page: u64,
    pub categories: &'a [(String, u64)],
    pub provinces: &'a [(String, u64)],
    /// The goal's denominator line (live pages; the static export leaves it out).
    pub programme: Option<Programme>,
}

fn list_title(ctx: &PageCtx<'_>, view: View) -> &'static str {
    let t = ctx.lang.t();
    match view {
        View::All => t.list_title,
        View::Assessed => t.assessed_title,
        View::NotAssessed => t.not_assessed_title,
    }
}

fn select(
    name: &str,
    label: &str,
    any: &str,
    current: Option<&str>,
    options: &[(String, String)],
) -> Markup {
    html! {
        div {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" { (any) }
                @for (value, text) in options {
                    option value=(value) selected[current == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

fn filter_form(ctx: &PageCtx<'_>, page: &ListPage<'_>) -> Markup {
    let t = ctx.lang.t();
    let p = page.params;
    let statuses: Vec<(String, String)> = LabelStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), ctx.lang.status(*s).to_string()))
        .collect();
    let with_counts = |items: &[(String, u64)], category: bool| -> Vec<(String, String)> {
        items
            .iter()
            .filter(|(v, _)| !v.is_empty())
            .map(|(v, n)| {
                let name = if category {
                    ctx.lang.category(v)
                } else {
                    v.clone()
                };
                (v.clone(), format!("{name} ({n})"))
            })
            .collect()
    };
    let sorts: Vec<(String, String)> = [
        ("host", t.sort_host),
        ("organisation", t.sort_organisation),
        ("status", t.sort_status),
        ("grade", t.sort_grade),
        ("last_assessed", t.sort_last),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let status_now = p.statuses().first().map(|s| s.as_str().to_string());
    html! {
        form class="filters" method="get" action="/" role="search" {
            div {
                label for="q" { (t.search_label) }
                input id="q" name="q" type="search" value=(p.search().unwrap_or("")) aria-describedby="q-hint";
                span id="q-hint" class="hint" { (t.search_hint) }
            }
            (select("status", t.status, t.any, status_now.as_deref(), &statuses))
            (select("category", t.category, t.any, p.category(), &with_counts(page.categories, true)))
            (select("province", t.province, t.any, p.province(), &with_counts(page.provinces, false)))
            (select("sort", t.sort, t.sort_host, Some(p.sort_name()), &sorts))
            div {
                label for="order" { (t.descending) }
                select id="order" name="order" {
                    option value="asc" selected[!p.descending()] { "↑" }
                    option value="desc" selected[p.descending()] { "↓" }
                }
            }
            @if let Some(view) = p.view.as_deref().filter(|v| !v.is_empty()) {
                input type="hidden" name="view" value=(view);
            }
            @if ctx.lang == crate::publish::i18n::Lang::En {
                input type="hidden" name="lang" value="en";
            }
            div { button type="submit" { (t.apply) } }
        }
    }
}

/// The list of sites. On a phone each row becomes a card whose cells carry their
/// column name, so status and grade stay in view without sideways scrolling.
pub fn site_table(ctx: &PageCtx<'_>, rows: &[SiteRow], link: impl Fn(&str) -> String) -> Markup {
    let t = ctx.lang.t();
    html! {
        div {
            table class="cards" {
                thead {
                    tr {
                        th scope="col" { (t.site) }
                        th scope="col" { (t.organisation) }
                        th scope="col" { (t.category) }
                        th scope="col" { (t.province) }
                        th scope="col" { (t.status) }
                        th scope="col" { (t.grade) }
                        th scope="col" { (t.last_assessed) }
                    }
                }
                tbody {
                    @for row in rows {
                        tr {
                            td { a href=(link(&row.host)) { (trustlabel_core::target::display_host(&row.host)) } }
                            td data-label=(t.organisation) { (row.organisation) }
                            td data-label=(t.category) { (ctx.lang.category(&row.category)) }
                            td data-label=(t.province) { (or_dash(&row.province)) }
                            td data-label=(t.status) { (status_pill(ctx.lang, row.status, row.level)) }
                            td data-label=(t.grade) { (grade_text(crate::publish::public_grade(row))) }
                            td data-label=(t.last_assessed) { (date(ctx, row.last_assessed)) }
                        }
                    }
                }
            }
        }
    }
}

pub fn list_page(ctx: &PageCtx<'_>, page: &ListPage<'_>) -> Markup {
    let t = ctx.lang.t();
    let p = page.params;
    let current = p.page();
    let pages = page.total.div_ceil(page.per_page).max(1);
    let body = html! {
        @if !ctx.links.is_static() {
            (filter_form(ctx, page))
        }
        p aria-live="polite" { strong { (page.total) } " " (t.results) " · " (t.page) " " (current) "/" (pages) }
        @if let Some(programme) = page.programme {
            (programme_line(ctx, &programme))
        }
        @if page.rows.is_empty() {
            p { (t.no_results) }
        } @else {
            (site_table(ctx, page.rows, |h| ctx.links.site(h)))
        }
        nav class="pager" aria-label=(t.page) {
            @if current > 1 {
                a rel="prev" href=(ctx.links.list(&p.with_page(current - 1))) { "← " (t.previous) }
            }
            @if current < pages {
                a rel="next" href=(ctx.links.list(&p.with_page(current + 1))) { (t.next) " →" }
            }
        }
    };
    layout(ctx, list_title(ctx, p.view()), body)
}

pub struct SitePage<'a> {
    pub row: &'a SiteRow,
    pub history: &'a [StoredTransition],
    /// What changed at the latest assessment (the public sees the grades and dates only).
    pub changes: Option<&'a trustlabel_core::changes::Changes>,
    pub next_assessment: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
    /// Absolute URLs for the embed snippet.
    pub verify_url: String,
    pub badge_url: String,
}

pub fn site_facts(ctx: &PageCtx<'_>, page: &SitePage<'_>) -> Markup {
    let t = ctx.lang.t();
    let row = page.row;
    html! {
        dl class="facts" {
            dt { (t.organisation) } dd { (row.organisation) }
            dt { (t.category) } dd { (ctx.lang.category(&row.category)) }
            dt { (t.province) } dd { (row.province) }
            dt { (t.status) } dd {
                (status_pill(ctx.lang, row.status, row.level))
                @if row.status == LabelStatus::Blocked {
                    // Blocked is not down: say what it means and how the owner fixes it.
                    " " a href=(ctx.links.scanner()) { (t.blocked_help) }
                }
            }
            @if let (true, Some(level)) = (row.status.holds_label(), row.level) {
                dt { (t.level) } dd { (ctx.lang.level(level)) }
            }
            dt { (t.grade) } dd { (grade_text(crate::publish::public_grade(row))) }
            @if let Some(at) = row.decided_at {
                // The status is not what the last scan alone would give: say who set it.
                dt { (t.decision) }
                dd { (ctx.lang.decided_by(&ctx.branding.authority_name, &date(ctx, Some(at)))) }
            }
            @if let (Some(at), true) = (row.attested_at, row.level == Some(trustlabel_core::policy::LabelLevel::Advanced)) {
                dt { (t.manual_assessment) }
                dd { (ctx.lang.attested_on(&date(ctx, Some(at)))) }
            }
            @if let Some(c) = page.changes.filter(|_| crate::publish::public_grade(row).is_some()) {
                @if let (Some(before), Some(previous_at)) = (c.grade_before, c.previous_at) {
                    dt { (t.since_last) }
                    dd { (ctx.lang.grade_change(&before.to_string(), &c.grade_now.to_string(), &date(ctx, Some(previous_at)))) }
                }
            }
            dt { (t.status_since) } dd { (date(ctx, row.status_since)) }
            dt { (t.last_assessed) } dd { (date(ctx, row.last_assessed)) }
            dt { (t.next_assessment) } dd { (date(ctx, page.next_assessment)) }
            dt { (t.valid_until) } dd { (date(ctx, page.valid_until)) }
        }
    }
}

pub fn site_page(ctx: &PageCtx<'_>, page: &SitePage<'_>) -> Markup {
    let t = ctx.lang.t();
    let host = trustlabel_core::target::display_host(&page.row.host);
    let snippet = format!(
        "<a href=\"{}\"><img src=\"{}\" alt=\"{} — {}\" width=\"220\" height=\"40\"></a>",
        page.verify_url, page.badge_url, t.label_name, host
    );
    let body = html! {
        p class="notice" { (t.verify_note) }
        (site_facts(ctx, page))
        (history_table(ctx, page.history, None))
        h2 { (t.badge_title) }
        p { img src=(ctx.links.badge(&page.row.host)) alt=(format!("{} — {}", t.label_name, ctx.lang.status(page.row.status))) width="220" height="40"; }
        p class="hint" { (t.badge_help) }
        pre { code { (snippet) } }
    };
    layout(ctx, &host, body)
}

pub struct DashboardData<'a> {
    pub overall: &'a StatusCounts,
    pub by_category: &'a [StatusCounts],
    pub by_province: &'a [StatusCounts],
    pub trend: &'a [TrendPoint],
    /// The province league table, for the tile map.
    pub province_league: &'a [trustlabel_store::LeagueRow],
    pub provinces: &'a trustlabel_core::provinces::Provinces,
    pub programme: Programme,
}

/// The programme's own denominator: every site that collects personal data. A site no
/// scan has read yet counts in it until a scan says otherwise (as in the league tables),
/// so the share cannot look better by assessing less.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Programme {
    /// Assessed and found collecting personal data.
    pub collecting: u64,
    /// Of those, holding the label.
    pub collecting_labelled: u64,
    /// Listed but not read by a scan yet (accepted discoveries included).
    pub not_read: u64,
    /// Discovered hosts waiting for a staff decision (not in any figure yet); `None`
    /// where it is not known (the static export reads no candidates).
    pub candidates_pending: Option<u64>,
}

impl Programme {
    pub fn from_league(
        rows: &[trustlabel_store::LeagueRow],
        candidates_pending: Option<u64>,
    ) -> Programme {
        rows.iter().fold(
            Programme {
                candidates_pending,
                ..Programme::default()
            },
            |p, r| Programme {
                collecting: p.collecting + r.collecting,
                collecting_labelled: p.collecting_labelled + r.collecting_labelled,
                not_read: p.not_read + r.not_assessed,
                candidates_pending,
            },
        )
    }

    pub fn denominator(&self) -> u64 {
        self.collecting + self.not_read
    }
}

fn progress(counts: &StatusCounts, name: String) -> GroupProgress {
    let labelled = counts.count(LabelStatus::Labelled) + counts.count(LabelStatus::AtRisk);
    GroupProgress {
        name,
        total: counts.total(),
        assessed: counts.total() - counts.count(LabelStatus::NotAssessed),
        labelled,
    }
}

pub fn dashboard_page(ctx: &PageCtx<'_>, data: &DashboardData<'_>) -> Markup {
    let t = ctx.lang.t();
    let lang = ctx.lang;
    let overall = progress(data.overall, t.total.to_string());
    let pct = |n: u64| charts::percent(n, overall.total);
    let named = |name: &str, category: bool| {
        if category {
            lang.category(name)
        } else if name.is_empty() {
            "—".to_string()
        } else {
            name.to_string()
        }
    };
    let categories: Vec<GroupProgress> = data
        .by_category
        .iter()
        .map(|c| progress(c, named(&c.group, true)))
        .collect();
    let provinces: Vec<GroupProgress> = data
        .by_province
        .iter()
        .map(|c| progress(c, named(&c.group, false)))
        .collect();
    let body = html! {
        p { (t.goal) }
        dl class="facts" {
            dt { (t.in_scope) } dd { (overall.total) }
            dt { (t.assessed_share) } dd { (lang.count_of(overall.assessed, overall.total)) " (" (pct(overall.assessed)) "%)" }
            dt { (t.labelled_share) } dd { (lang.count_of(overall.labelled, overall.total)) " (" (pct(overall.labelled)) "%)" }
        }
        (programme_section(lang, &data.programme))
        h2 { (t.by_category) }
        (charts::progress_table(lang, t.by_category, t.category, &categories))
        h2 { (t.by_province) }
        (charts::tile_map(lang, data.provinces, data.province_league))
        p { a href=(ctx.links.league("province")) { (t.nav_league) " — " (t.by_province) } }
        (charts::progress_table(lang, t.by_province, t.province, &provinces))
        h2 { (t.trend) }
        (charts::trend_chart(lang, data.trend, overall.total))
        h2 { (t.status) }
        table class="cards" {
            thead { tr { th scope="col" { (t.status) } th scope="col" { (t.total) } } }
            tbody {
                @for status in LabelStatus::ALL {
                    tr { td { (status_pill(lang, status, None)) } td data-label=(t.total) { (data.overall.count(status)) } }
                }
            }
        }
    };
    layout(ctx, t.dashboard_title, body)
}

/// One line under the list: how far the goal is, against its named denominator.
fn programme_line(ctx: &PageCtx<'_>, p: &Programme) -> Markup {
    let total = p.denominator();
    let dashboard = ctx.links.dashboard();
    html! {
        p id="programme-line" {
            @if ctx.lang == crate::publish::i18n::Lang::Vi {
                "Trên " (total) " website thu thập dữ liệu cá nhân: " (p.collecting) " đã được đánh giá ("
                (charts::percent(p.collecting, total)) "%), " (p.collecting_labelled) " có nhãn ("
                (charts::percent(p.collecting_labelled, total)) "%). "
                a href=(dashboard) { "Cách tính" }
            } @else {
                "Of " (total) " websites that collect personal data: " (p.collecting) " assessed ("
                (charts::percent(p.collecting, total)) "%), " (p.collecting_labelled) " labelled ("
                (charts::percent(p.collecting_labelled, total)) "%). "
                a href=(dashboard) { "How this is counted" }
            }
        }
    }
}

/// The goal's own percentages, each naming its denominator.
fn programme_section(lang: crate::publish::i18n::Lang, p: &Programme) -> Markup {
    let vi = lang == crate::publish::i18n::Lang::Vi;
    let total = p.denominator();
    let share = |n: u64| charts::percent(n, total);
    html! {
        h2 id="programme" { (if vi { "Mục tiêu: website thu thập dữ liệu cá nhân" } else { "The goal: websites that collect personal data" }) }
        p {
            @if vi {
                "Mẫu số của chương trình là " strong { (total) } " website thu thập dữ liệu cá nhân: "
                (p.collecting) " website đã được đánh giá và có thu thập, cộng " (p.not_read)
                " website trong danh sách chưa được quét (được tính cho đến khi một lần quét cho thấy không thu thập)."
            } @else {
                "The programme's denominator is " strong { (total) } " websites that collect personal data: "
                (p.collecting) " assessed and found collecting, plus " (p.not_read)
                " listed but not scanned yet (counted until a scan shows they collect none)."
            }
        }
        p {
            (if vi { "Đã đánh giá, trên số website thu thập dữ liệu cá nhân: " } else { "Assessed, of the websites that collect personal data: " })
            strong id="programme-assessed" { (p.collecting) " / " (total) " (" (share(p.collecting)) "%)" }
        }
        p {
            (if vi { "Có nhãn, trên số website thu thập dữ liệu cá nhân: " } else { "Labelled, of the websites that collect personal data: " })
            strong id="programme-labelled" { (p.collecting_labelled) " / " (total) " (" (share(p.collecting_labelled)) "%)" }
        }
        @if let Some(pending) = p.candidates_pending {
            p {
                (if vi { "Website mới phát hiện chờ xem xét (chưa tính vào mẫu số): " } else { "Discovered websites awaiting a decision (not in the denominator yet): " })
                strong id="programme-candidates" { (pending) }
            }
        }
    }
}

pub fn open_data_page(ctx: &PageCtx<'_>) -> Markup {
    let t = ctx.lang.t();
    let body = html! {
        p { (t.open_data_text) }
        ul {
            li { a href=(ctx.links.csv()) { "sites.csv" } " (CSV, UTF-8)" }
            li { a href=(ctx.links.json()) { "sites.json" } " (JSON)" }
            li { a href=(ctx.links.feed()) { (t.feed) } }
            @if let Some(api) = ctx.links.openapi() {
                li { a href=(api) { (t.api_doc) } " — " code { "/api/v1/sites" } ", " code { "/api/v1/sites/{host}" } ", " code { "/api/v1/stats" } }
            }
        }
    };
    layout(ctx, t.open_data_title, body)
}

/// A page that only says something (not found, invalid link, too many requests).
pub fn message_page(ctx: &PageCtx<'_>, title: &str, message: &str) -> Markup {
    layout(ctx, title, html! { p class="error" { (message) } })
}
