//! League tables: ministries, provinces or categories ranked by how much of what they
//! run is labelled, with the date the ranking was computed, so a journalist can quote it.

use super::{PageCtx, date_time, layout};
use crate::publish::charts::{percent, tile_map};
use crate::publish::i18n::Lang;
use maud::{Markup, html};
use time::OffsetDateTime;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::finding::Severity;
use trustlabel_core::provinces::Provinces;
use trustlabel_store::{LeagueBy, LeagueRow};

pub struct LeagueView<'a> {
    pub by: LeagueBy,
    /// Ranked, best first.
    pub rows: &'a [LeagueRow],
    pub computed_at: OffsetDateTime,
    pub catalog: &'a Catalog,
    pub provinces: &'a Provinces,
}

/// Best first: the share of in-scope sites holding the label, then the share assessed,
/// then the name; groups with nothing in scope last.
pub fn rank(rows: &mut [LeagueRow]) {
    let key = |r: &LeagueRow| {
        let scope = r.in_scope();
        (
            scope == 0,
            std::cmp::Reverse(share_ppm(r.collecting_labelled, scope)),
            std::cmp::Reverse(share_ppm(r.collecting, scope)),
        )
    };
    rows.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.group.cmp(&b.group)));
}

fn share_ppm(part: u64, whole: u64) -> u64 {
    (part * 1_000_000).checked_div(whole).unwrap_or(0)
}

pub fn by_name(lang: Lang, by: LeagueBy) -> &'static str {
    match (lang, by) {
        (Lang::Vi, LeagueBy::Ministry) => "Bộ, ngành và tỉnh",
        (Lang::Vi, LeagueBy::Province) => "Tỉnh, thành phố",
        (Lang::Vi, LeagueBy::Category) => "Lĩnh vực",
        (Lang::En, LeagueBy::Ministry) => "Ministries and provinces",
        (Lang::En, LeagueBy::Province) => "Provinces",
        (Lang::En, LeagueBy::Category) => "Categories",
    }
}

pub fn by_param(by: LeagueBy) -> &'static str {
    match by {
        LeagueBy::Ministry => "ministry",
        LeagueBy::Province => "province",
        LeagueBy::Category => "category",
    }
}

fn share_cell(lang: Lang, label: &str, part: u64, whole: u64) -> Markup {
    let pct = percent(part, whole);
    html! {
        td data-label=(label) {
            progress value=(part.min(whole)) max=(whole.max(1)) aria-label=(format!("{label}: {pct}%")) { (pct) "%" }
            " " (lang.count_of(part, whole)) " (" (pct) "%)"
        }
    }
}

pub fn league_page(ctx: &PageCtx<'_>, view: &LeagueView<'_>) -> Markup {
    let lang = ctx.lang;
    let vi = lang == Lang::Vi;
    let name = |group: &str| -> String {
        match view.by {
            LeagueBy::Category => lang.category(group),
            _ if group.is_empty() => "—".into(),
            _ => group.to_string(),
        }
    };
    let group_link = |group: &str| -> String {
        let params = crate::publish::listing::ListParams {
            province: (view.by == LeagueBy::Province).then(|| group.to_string()),
            category: (view.by == LeagueBy::Category).then(|| group.to_string()),
            q: (view.by == LeagueBy::Ministry).then(|| group.to_string()),
            ..Default::default()
        };
        ctx.links.list(&params)
    };
    let body = html! {
        p {
            @if vi {
                "Xếp hạng theo tỉ lệ website trong phạm vi đã được gắn nhãn, rồi theo tỉ lệ đã được đánh giá. "
                "Trong phạm vi: các website thu thập dữ liệu cá nhân, cùng các website chưa được đánh giá "
                "(được tính là trong phạm vi cho đến khi một lần quét cho thấy không thu thập)."
            } @else {
                "Ranked by the share of in-scope websites that hold the label, then by the share assessed. "
                "In scope: websites that collect personal data, and websites not yet assessed "
                "(counted in scope until a scan shows they collect none)."
            }
        }
        p class="hint" {
            @if vi {
                "Lỗi phổ biến chỉ gồm các lỗi cấu hình gặp ở ít nhất "
                (crate::publish::MIN_SITES_PER_PUBLIC_FINDING)
                " website của nhóm; lỗ hổng, tệp bị lộ và dấu hiệu bị xâm nhập không bao giờ được công bố. "
            } @else {
                "Frequent issues list configuration faults found on at least "
                (crate::publish::MIN_SITES_PER_PUBLIC_FINDING)
                " websites of the group; vulnerabilities, exposed files and signs of compromise are never published. "
            }
            (if vi { "Số liệu tính lúc " } else { "Computed at " })
            strong { (date_time(ctx, view.computed_at)) }
            "."
        }
        nav aria-label=(if vi { "Xếp hạng theo" } else { "Rank by" }) {
            ul class="tabs" {
                @for by in [LeagueBy::Ministry, LeagueBy::Province, LeagueBy::Category] {
                    li {
                        @if by == view.by {
                            strong aria-current="page" { (by_name(lang, by)) }
                        } @else {
                            a href=(ctx.links.league(by_param(by))) { (by_name(lang, by)) }
                        }
                    }
                }
            }
        }
        @if view.by == LeagueBy::Province {
            (tile_map(lang, view.provinces, view.rows))
        }
        table class="cards league" {
            caption { (by_name(lang, view.by)) }
            thead {
                tr {
                    th scope="col" { (if vi { "Hạng" } else { "Rank" }) }
                    th scope="col" { (by_name(lang, view.by)) }
                    th scope="col" { (if vi { "Trong phạm vi" } else { "In scope" }) }
                    th scope="col" { (if vi { "Đã đánh giá" } else { "Assessed" }) }
                    th scope="col" { (if vi { "Có nhãn" } else { "Labelled" }) }
                    th scope="col" { (if vi { "Phân bố xếp hạng" } else { "Grades" }) }
                    th scope="col" { (if vi { "Lỗi phổ biến nhất" } else { "Most frequent issues" }) }
                }
            }
            tbody {
                @for (i, row) in view.rows.iter().enumerate() {
                    @let scope = row.in_scope();
                    tr {
                        td data-label=(if vi { "Hạng" } else { "Rank" }) { (i + 1) }
                        th scope="row" { a href=(group_link(&row.group)) { (name(&row.group)) } }
                        td data-label=(if vi { "Trong phạm vi" } else { "In scope" }) {
                            (scope) " / " (row.sites)
                        }
                        (share_cell(lang, if vi { "Đã đánh giá" } else { "Assessed" }, row.collecting, scope))
                        (share_cell(lang, if vi { "Có nhãn" } else { "Labelled" }, row.collecting_labelled, scope))
                        td data-label=(if vi { "Phân bố xếp hạng" } else { "Grades" }) {
                            @if row.grades.is_empty() { "—" }
                            @for (j, (grade, n)) in row.grades.iter().enumerate() {
                                @if j > 0 { " · " }
                                (grade.to_string()) ": " (n)
                            }
                        }
                        td data-label=(if vi { "Lỗi phổ biến nhất" } else { "Most frequent issues" }) {
                            @let worst: Vec<_> = crate::publish::public_open_findings(row).into_iter().filter(|(_, s, _)| *s >= Severity::Medium).take(3).collect();
                            @if worst.is_empty() { "—" }
                            ul class="plain" {
                                @for (id, _, n) in worst {
                                    @let text = view.catalog.text(id);
                                    li { (if vi { &text.title_vi } else { &text.title_en }.replace('`', "")) " (" (n) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        ctx,
        if vi {
            "Bảng xếp hạng"
        } else {
            "League tables"
        },
        body,
    )
}
