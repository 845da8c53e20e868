//! Server-rendered SVG charts for the dashboard: no script, no external library, and
//! readable by screen readers through their title and a data table beside them.

use super::i18n::Lang;
use maud::{Markup, html};
use trustlabel_store::DailyChanges;

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

/// Replays the daily status changes into running totals: a site counts as assessed from
/// its first change out of `not_assessed`, and as labelled while it holds the label.
pub fn trend(changes: &[DailyChanges]) -> Vec<TrendPoint> {
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
            day: c.day.clone(),
            assessed: u64::try_from(assessed).unwrap_or(0),
            labelled: u64::try_from(labelled).unwrap_or(0),
        };
        match points.last_mut() {
            Some(last) if last.day == c.day => *last = point,
            _ => points.push(point),
        }
    }
    points
}

const WIDTH: u64 = 600;
const LABEL_W: u64 = 160;
const ROW_H: u64 = 28;

fn share(part: u64, total: u64, width: u64) -> u64 {
    (part.min(total) * width).checked_div(total).unwrap_or(0)
}

/// Horizontal bars: grey = in scope, blue = assessed, green = labelled.
pub fn progress_chart(lang: Lang, title: &str, groups: &[GroupProgress]) -> Markup {
    let t = lang.t();
    let bar_w = WIDTH - LABEL_W - 150;
    let height = ROW_H * groups.len() as u64 + 30;
    html! {
        figure {
            svg class="chart" viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                @for (i, g) in groups.iter().enumerate() {
                    @let y = i as u64 * ROW_H + 4;
                    text x="0" y=(y + 15) { (truncate(&g.name, 22)) }
                    rect x=(LABEL_W) y=(y) width=(bar_w) height="18" fill="#d9dee3" {}
                    rect x=(LABEL_W) y=(y) width=(share(g.assessed, g.total, bar_w)) height="18" fill="#5b8fc7" {}
                    rect x=(LABEL_W) y=(y + 5) width=(share(g.labelled, g.total, bar_w)) height="8" fill="#0f6b2f" {}
                    text x=(LABEL_W + bar_w + 6) y=(y + 15) { (g.labelled) "/" (g.assessed) "/" (g.total) }
                }
                @let ly = ROW_H * groups.len() as u64 + 14;
                rect x="0" y=(ly) width="12" height="12" fill="#0f6b2f" {}
                text x="16" y=(ly + 11) { (t.labelled_share) }
                rect x="140" y=(ly) width="12" height="12" fill="#5b8fc7" {}
                text x="156" y=(ly + 11) { (t.assessed_share) }
                rect x="280" y=(ly) width="12" height="12" fill="#d9dee3" {}
                text x="296" y=(ly + 11) { (t.total) }
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Two lines over time (assessed, labelled) against the number of sites in scope.
pub fn trend_chart(lang: Lang, points: &[TrendPoint], in_scope: u64) -> Markup {
    let t = lang.t();
    let (w, h, left, bottom) = (600u64, 240u64, 50u64, 30u64);
    let plot_w = w - left - 10;
    let plot_h = h - bottom - 10;
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
    let y = |v: u64| 10 + plot_h - v.min(max) * plot_h / max;
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
                line x1=(left) y1=(y(max)) x2=(w - 10) y2=(y(max)) stroke="#c9d1d9" stroke-dasharray="4 4" {}
                text x="0" y=(y(max) + 4) { (max) }
                text x="0" y=(y(0) + 4) { "0" }
                line x1=(left) y1=(y(0)) x2=(w - 10) y2=(y(0)) stroke="#4a5560" {}
                @if !points.is_empty() {
                    polyline points=(line(|p| p.assessed)) fill="none" stroke="#5b8fc7" stroke-width="3" {}
                    polyline points=(line(|p| p.labelled)) fill="none" stroke="#0f6b2f" stroke-width="3" {}
                    text x=(left) y=(h - 8) { (points[0].day) }
                    @if points.len() > 1 {
                        text x=(w - 90) y=(h - 8) { (points[points.len() - 1].day) }
                    }
                }
            }
            figcaption class="hint" {
                span class="st-not_assessed" { "━ " } (t.trend_assessed) " · "
                span class="st-labelled" { "━ " } (t.trend_labelled)
                @if let Some(last) = points.last() {
                    " (" (last.day) ": " (last.assessed) " / " (last.labelled) ")"
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustlabel_core::policy::LabelStatus::*;

    fn change(
        day: &str,
        from: trustlabel_core::policy::LabelStatus,
        to: trustlabel_core::policy::LabelStatus,
        count: u64,
    ) -> DailyChanges {
        DailyChanges {
            day: day.into(),
            from,
            to,
            count,
        }
    }

    #[test]
    fn the_trend_counts_first_assessments_and_label_holders() {
        let points = trend(&[
            change("2026-01-01", NotAssessed, Labelled, 3),
            change("2026-01-01", NotAssessed, NotLabelled, 2),
            change("2026-01-02", Labelled, AtRisk, 1),
            change("2026-01-03", AtRisk, Revoked, 1),
            change("2026-01-03", NotLabelled, Labelled, 1),
        ]);
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
    fn bars_are_proportional_and_never_overflow() {
        assert_eq!(share(50, 100, 300), 150);
        assert_eq!(share(200, 100, 300), 300);
        assert_eq!(share(5, 0, 300), 0);
    }
}
