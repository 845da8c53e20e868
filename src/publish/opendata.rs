//! Open data: the public list as CSV and JSON, and the JSON shapes of the API.

use super::settings::PublishSettings;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trustlabel_store::{SiteRow, StatusCounts, StoredTransition};

fn ts(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.format(&Rfc3339).ok())
}

/// One site as published (the API item and a JSON download row).
pub fn site_json(row: &SiteRow, settings: &PublishSettings) -> Value {
    json!({
        "host": row.host,
        "display_host": trustlabel_core::target::display_host(&row.host),
        "organisation": row.organisation,
        "category": row.category,
        "province": row.province,
        "status": row.status,
        "level": if row.status.holds_label() { row.level } else { None },
        "grade": row.grade,
        "status_since": ts(row.status_since),
        "last_assessed": ts(row.last_assessed),
        "next_assessment": ts(super::next_assessment(row, settings)),
        "label_valid_until": ts(super::valid_until(row, settings)),
        "verify_url": super::verify_url(settings, &row.host),
        "badge_url": super::badge_url(settings, &row.host),
    })
}

/// A site with its public history (dates and statuses, no reasons).
pub fn site_detail_json(
    row: &SiteRow,
    history: &[StoredTransition],
    settings: &PublishSettings,
) -> Value {
    let mut value = site_json(row, settings);
    value["history"] = history
        .iter()
        .map(|h| {
            json!({
                "at": ts(Some(h.transition.at)),
                "from": h.transition.from,
                "to": h.transition.to,
            })
        })
        .collect();
    value
}

pub fn sites_json(rows: &[SiteRow], settings: &PublishSettings) -> String {
    let items: Vec<Value> = rows.iter().map(|r| site_json(r, settings)).collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}

pub const CSV_COLUMNS: [&str; 12] = [
    "host",
    "display_host",
    "organisation",
    "category",
    "province",
    "status",
    "level",
    "grade",
    "status_since",
    "last_assessed",
    "label_valid_until",
    "verify_url",
];

pub fn sites_csv(rows: &[SiteRow], settings: &PublishSettings) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for r in rows {
        let level = if r.status.holds_label() {
            r.level.map(|l| l.as_str()).unwrap_or("")
        } else {
            ""
        };
        let _ = w.write_record([
            r.host.clone(),
            trustlabel_core::target::display_host(&r.host),
            r.organisation.clone(),
            r.category.clone(),
            r.province.clone(),
            r.status.as_str().to_string(),
            level.to_string(),
            r.grade.map(|g| g.to_string()).unwrap_or_default(),
            ts(r.status_since).unwrap_or_default(),
            ts(r.last_assessed).unwrap_or_default(),
            ts(super::valid_until(r, settings)).unwrap_or_default(),
            super::verify_url(settings, &r.host),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

pub fn stats_json(
    overall: &StatusCounts,
    by_category: &[StatusCounts],
    by_province: &[StatusCounts],
) -> Value {
    let group = |c: &StatusCounts| {
        let counts: serde_json::Map<String, Value> = c
            .counts
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), json!(n)))
            .collect();
        json!({ "group": c.group, "total": c.total(), "by_status": counts })
    };
    json!({
        "total": overall.total(),
        "by_status": group(overall)["by_status"],
        "by_category": by_category.iter().map(group).collect::<Vec<_>>(),
        "by_province": by_province.iter().map(group).collect::<Vec<_>>(),
    })
}

/// Everything in one group, for the overall figures.
pub fn overall(groups: &[StatusCounts]) -> StatusCounts {
    let mut total: std::collections::BTreeMap<
        &'static str,
        (trustlabel_core::policy::LabelStatus, u64),
    > = Default::default();
    for g in groups {
        for (s, n) in &g.counts {
            total.entry(s.as_str()).or_insert((*s, 0)).1 += n;
        }
    }
    StatusCounts {
        group: String::new(),
        counts: total.into_values().collect(),
    }
}
