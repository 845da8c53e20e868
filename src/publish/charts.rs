//! Server-rendered SVG charts for the dashboard: no script, no external library, and
//! readable by screen readers through their title and a data table beside them.

use super::i18n::Lang;
use super::zone::DisplayZone;
use maud::{Markup, html};
use trustlabel_core::provinces::Provinces;
use trustlabel_store::HourlyChanges;
use trustlabel_store::LeagueRow;

/// Progress of one group (a category, a province, or everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProgress {
    pub name: String,
    pub total: u64,
    pub assessed: u64,
    /// Holding the label (labelled or at risk).
    pub labelled: u64,
}

/// Cumulative counts at the end of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: String,
    pub assessed: u64,
    pub labelled: u64,
}

/// Replays the status changes (oldest first) into running totals per local day of
/// `zone`: a site counts as assessed from its first change out of `not_assessed`, and
/// as labelled while it holds the label.
pub fn trend(changes: &[HourlyChanges], zone: &DisplayZone) -> Vec<TrendPoint> {
    let mut points: Vec<TrendPoint> = Vec::new();
    let (mut assessed, mut labelled) = (0i64, 0i64);
    for c in changes {
        let n = i64::try_from(c.count).unwrap_or(i64::MAX);
        if c.from == trustlabel_core::policy::LabelStatus::NotAssessed && c.to != c.from {
            assessed += n;
        }
        match (c.from.holds_label(), c.to.holds_label()) {
            (false, true) => labelled += n,
            (true, false) => labelled -= n,
            _ => {}
        }
        let point = TrendPoint {
            day: zone.local(c.hour).date().to_string(),
            assessed: u64::try_from(assessed).unwrap_or(0),
            labelled: u64::try_from(labelled).unwrap_or(0),
        };
        match points.last_mut() {
            Some(last) if last.day == point.day => *last = point,
            _ => points.push(point),
        }
    }
    points
}

/// A share in whole percent, rounded to the nearest, but never 100 % before every site
/// is counted nor 0 % once one is: 34 of 37 is 92 %, 1 of 300 is 1 %.
pub fn percent(part: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    let part = part.min(total);
    let rounded = (part * 100 + total / 2) / total;
    match rounded {
        100 if part < total => 99,
        0 if part > 0 => 1,
        n => n,
    }
}

/// Progress per group as a table with a progress bar in each cell: readable at any
/// width (on a phone each group becomes a card), by screen readers as plain numbers,
/// and with no drawing to shrink. `name` gives a group's display name.
pub fn progress_table(
    lang: Lang,
    caption: &str,
    group_heading: &str,
    groups: &[GroupProgress],
) -> Markup {
    let t = lang.t();
    let cell = |label: &str, part: u64, total: u64| {
        let pct = percent(part, total);
        html! {
            td data-label=(label) {
                progress value=(part.min(total)) max=(total.max(1)) aria-label=(format!("{label}: {pct}%")) { (pct) "%" }
                " " (lang.count_of(part, total)) " (" (pct) "%)"
            }
        }
    };
    html! {
        table class="cards progress" {
            caption { (caption) }
            thead {
                tr {
                    th scope="col" { (group_heading) }
                    th scope="col" { (t.in_scope) }
                    th scope="col" { (t.assessed_share) }
                    th scope="col" { (t.labelled_share) }
                }
            }
            tbody {
                @for g in groups {
                    tr {
                        th scope="row" { (g.name) }
                        td data-label=(t.in_scope) { (g.total) }
                        (cell(t.assessed_share, g.assessed, g.total))
                        (cell(t.labelled_share, g.labelled, g.total))
                    }
                }
            }
        }
    }
}

/// Two lines over time (assessed, labelled) against the number of sites in scope, each
/// day marked by a dot (one day alone is a pair of dots, not an empty frame), with the
/// figures in a table beside it for those who do not see the drawing.
pub fn trend_chart(lang: Lang, points: &[TrendPoint], in_scope: u64) -> Markup {
    let t = lang.t();
    // A narrow drawing, so that its text stays legible when a phone scales it down.
    let (w, h, left, bottom) = (400u64, 220u64, 44u64, 28u64);
    let plot_w = w - left - 12;
    let plot_h = h - bottom - 12;
    let max = points
        .iter()
        .map(|p| p.assessed.max(p.labelled))
        .max()
        .unwrap_or(0)
        .max(in_scope)
        .max(1);
    let x = |i: usize| {
        if points.len() <= 1 {
            left + plot_w / 2
        } else {
            left + i as u64 * plot_w / (points.len() as u64 - 1)
        }
    };
    let y = |v: u64| 12 + plot_h - v.min(max) * plot_h / max;
    let line = |get: fn(&TrendPoint) -> u64| -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{},{}", x(i), y(get(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        figure {
            svg class="chart" viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(t.trend) xmlns="http://www.w3.org/2000/svg" {
                title { (t.trend) }
                line x1=(left) y1=(y(max)) x2=(w - 12) y2=(y(max)) stroke="#6b7785" stroke-dasharray="4 4" {}
                text x="0" y=(y(max) + 5) { (max) }
                text x="0" y=(y(0) + 5) { "0" }
                line x1=(left) y1=(y(0)) x2=(w - 12) y2=(y(0)) stroke="#4a5560" {}
                @if points.len() > 1 {
                    polyline points=(line(|p| p.assessed)) fill="none" stroke="#2f6aa8" stroke-width="3" {}
                    polyline points=(line(|p| p.labelled)) fill="none" stroke="#0f6b2f" stroke-width="3" {}
                }
                @for (i, p) in points.iter().enumerate() {
                    circle cx=(x(i)) cy=(y(p.assessed)) r="5" fill="#2f6aa8" {}
                    circle cx=(x(i)) cy=(y(p.labelled)) r="5" fill="#0f6b2f" {}
                }
                @if let Some(first) = points.first() {
                    text x=(left) y=(h - 6) { (lang.day(&first.day)) }
                }
                @if let Some(last) = points.last().filter(|_| points.len() > 1) {
                    text x=(w - 12) y=(h - 6) text-anchor="end" { (lang.day(&last.day)) }
                }
            }
            figcaption class="hint" {
                span class="key-assessed" { "● " } (t.trend_assessed) " · "
                span class="key-labelled" { "● " } (t.trend_labelled)
                @if points.len() == 1 { " — " (t.trend_one_day) }
            }
        }
        @if !points.is_empty() {
            details {
                summary { (t.trend_figures) }
                table class="cards" {
                    thead { tr { th scope="col" { (t.date) } th scope="col" { (t.trend_assessed) } th scope="col" { (t.trend_labelled) } } }
                    tbody {
                        @for p in points.iter().rev() {
                            tr {
                                th scope="row" { (lang.day(&p.day)) }
                                td data-label=(t.trend_assessed) { (p.assessed) }
                                td data-label=(t.trend_labelled) { (p.labelled) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The fill of a tile by the share of in-scope sites holding the label: five steps from
/// pale to deep green, all light enough for dark text; grey when nothing is in scope.
fn tile_fill(share: Option<u64>) -> &'static str {
    match share {
        None => "#e5e8eb",
        Some(p) if p < 20 => "#f1f8e9",
        Some(p) if p < 40 => "#dcedc8",
        Some(p) if p < 60 => "#c5e1a5",
        Some(p) if p < 80 => "#aed581",
        Some(_) => "#9ccc65",
    }
}

/// The provinces as a tile map (one equal tile per unit, placed roughly where it lies,
/// from `checks/provinces.toml`), each filled by its share of labelled sites. A tile map
/// rather than boundaries: every province counts the same, and small ones stay visible.
/// The table beside it carries the same figures for those who do not see the drawing.
pub fn tile_map(lang: Lang, provinces: &Provinces, rows: &[LeagueRow]) -> Markup {
    let vi = lang == Lang::Vi;
    let (w, h, gap) = (72u64, 30u64, 3u64);
    let cols = provinces
        .units()
        .iter()
        .map(|u| u64::from(u.tile.1))
        .max()
        .unwrap_or(0)
        + 1;
    let rows_n = provinces
        .units()
        .iter()
        .map(|u| u64::from(u.tile.0))
        .max()
        .unwrap_or(0)
        + 1;
    let (width, height) = (cols * (w + gap), rows_n * (h + gap) + 40);
    let title = if vi {
        "Bản đồ ô: tỉ lệ website trong phạm vi có nhãn, theo tỉnh, thành phố"
    } else {
        "Tile map: share of in-scope websites labelled, by province"
    };
    html! {
        figure {
            svg class="chart tiles" viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                @for unit in provinces.units() {
                    @let row = rows.iter().find(|r| r.group == unit.name);
                    @let scope = row.map(|r| r.in_scope()).unwrap_or(0);
                    @let share = row.filter(|_| scope > 0).map(|r| percent(r.collecting_labelled, scope));
                    @let (x, y) = (u64::from(unit.tile.1) * (w + gap), u64::from(unit.tile.0) * (h + gap));
                    g {
                        title {
                            (unit.name) ": "
                            @match share {
                                Some(p) => { (p) "% " (if vi { "có nhãn" } else { "labelled" }) }
                                None => { (if vi { "chưa có website trong phạm vi" } else { "no website in scope" }) }
                            }
                        }
                        rect x=(x) y=(y) width=(w) height=(h) rx="3" fill=(tile_fill(share)) stroke="#6b7785" {}
                        text x=(x + w / 2) y=(y + 19) text-anchor="middle" class="tile" { (unit.name) }
                    }
                }
                @let ly = rows_n * (h + gap) + 10;
                @for (i, (label, fill)) in [("<20%", tile_fill(Some(0))), ("40%", tile_fill(Some(39))), ("60%", tile_fill(Some(59))), ("80%", tile_fill(Some(79))), ("≥80%", tile_fill(Some(100)))].iter().enumerate() {
                    rect x=(i as u64 * 72) y=(ly) width="16" height="16" fill=(fill) stroke="#6b7785" {}
                    text x=(i as u64 * 72 + 20) y=(ly + 13) { (label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustlabel_core::policy::LabelStatus::*;

    /// Changes at 08:00 UTC of a January day (15:00 in Vietnam, the same day).
    fn change(
        day: u8,
        from: trustlabel_core::policy::LabelStatus,
        to: trustlabel_core::policy::LabelStatus,
        count: u64,
    ) -> HourlyChanges {
        HourlyChanges {
            hour: time::macros::datetime!(2026-01-01 08:00 UTC)
                + time::Duration::days(i64::from(day) - 1),
            from,
            to,
            count,
        }
    }

    #[test]
    fn the_trend_counts_first_assessments_and_label_holders() {
        let points = trend(
            &[
                change(1, NotAssessed, Labelled, 3),
                change(1, NotAssessed, NotLabelled, 2),
                change(2, Labelled, AtRisk, 1),
                change(3, AtRisk, Revoked, 1),
                change(3, NotLabelled, Labelled, 1),
            ],
            &DisplayZone::default(),
        );
        let got: Vec<_> = points
            .iter()
            .map(|p| (p.day.as_str(), p.assessed, p.labelled))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01-01", 5, 3),
                ("2026-01-02", 5, 3),
                ("2026-01-03", 5, 3)
            ]
        );
    }

    #[test]
    fn a_change_late_in_the_utc_evening_counts_on_the_next_vietnamese_day() {
        let late = HourlyChanges {
            hour: time::macros::datetime!(2026-01-01 19:00 UTC),
            from: NotAssessed,
            to: Labelled,
            count: 1,
        };
        let points = trend(&[late], &DisplayZone::default());
        assert_eq!(points[0].day, "2026-01-02");
    }

    #[test]
    fn percentages_round_to_the_nearest_but_never_claim_all_or_none_too_early() {
        assert_eq!(percent(34, 37), 92);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(999, 1000), 99, "not 100 before the last site");
        assert_eq!(percent(1, 1000), 1, "not 0 once one site counts");
        assert_eq!(percent(0, 1000), 0);
        assert_eq!(percent(5, 5), 100);
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(9, 5), 100, "a part never exceeds its whole");
    }

    #[test]
    fn a_single_day_of_history_still_draws_its_points() {
        let chart = trend_chart(
            Lang::Vi,
            &[TrendPoint {
                day: "2026-01-01".into(),
                assessed: 5,
                labelled: 3,
            }],
            10,
        )
        .into_string();
        assert_eq!(chart.matches("<circle").count(), 2, "{chart}");
        assert!(chart.contains("01/01/2026"), "the day in Vietnamese order");
    }
}
