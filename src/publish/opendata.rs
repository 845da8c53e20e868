//! Open data: the public list as CSV and JSON, and the JSON shapes of the API.

use super::settings::PublishSettings;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trustlabel_store::{SiteRow, StatusCounts, StoredTransition};

/// ISO 8601 with the display zone's offset (`2026-03-02T02:26:00+07:00`): the same
/// instant as the stored UTC time, and the date a reader in that zone expects.
fn ts(settings: &PublishSettings, at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| settings.zone.local(t).format(&Rfc3339).ok())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) is prefixed with `'`, so opening the open-data file never runs
/// what a target list carried in (OWASP "CSV injection").
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
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
        "grade": super::public_grade(row),
        "status_since": ts(settings, row.status_since),
        "last_assessed": ts(settings, row.last_assessed),
        "next_assessment": ts(settings, super::next_assessment(row, settings)),
        "label_valid_until": ts(settings, super::valid_until(row, settings)),
        "verify_url": super::verify_url(settings, &row.host),
        "badge_url": super::badge_url(settings, &row.host),
        // Set when the status is a staff decision of the authority, not a scan's result.
        "decided_at": ts(settings, row.decided_at),
        "attested_at": ts(settings, row.attested_at.filter(|_| row.level == Some(trustlabel_core::policy::LabelLevel::Advanced))),
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
                "at": ts(settings, Some(h.transition.at)),
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
        let record = [
            r.host.clone(),
            trustlabel_core::target::display_host(&r.host),
            r.organisation.clone(),
            r.category.clone(),
            r.province.clone(),
            r.status.as_str().to_string(),
            level.to_string(),
            super::public_grade(r)
                .map(|g| g.to_string())
                .unwrap_or_default(),
            ts(settings, r.status_since).unwrap_or_default(),
            ts(settings, r.last_assessed).unwrap_or_default(),
            ts(settings, super::valid_until(r, settings)).unwrap_or_default(),
            super::verify_url(settings, &r.host),
        ];
        let _ = w.write_record(record.iter().map(|cell| spreadsheet_safe(cell)));
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

/// The most hosts one batch of the partner API may hold; larger lists are split by the
/// partner (a batch is one transaction and one answer).
pub const MAX_BATCH_HOSTS: usize = 1000;

/// One host of a partner's batch, for its CSV results.
pub struct BatchRow<'a> {
    pub host: &'a str,
    pub job: &'a str,
    pub finished_at: Option<OffsetDateTime>,
    pub status: trustlabel_core::policy::LabelStatus,
    pub grade: Option<trustlabel_core::policy::Grade>,
    pub findings: &'a [trustlabel_core::finding::Finding],
}

/// A batch's results as CSV; with `findings`, the problems the latest scan found (ids,
/// `;`-separated; strengths left out) for tokens allowed to read them.
pub fn batch_csv<'a>(
    rows: impl Iterator<Item = BatchRow<'a>>,
    settings: &PublishSettings,
    findings: bool,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "host",
        "job",
        "finished_at",
        "status",
        "grade",
        "verify_url",
    ];
    if findings {
        header.push("findings");
    }
    let _ = w.write_record(&header);
    for r in rows {
        let mut record = vec![
            r.host.to_string(),
            r.job.to_string(),
            ts(settings, r.finished_at).unwrap_or_default(),
            r.status.as_str().to_string(),
            r.grade.map(|g| g.to_string()).unwrap_or_default(),
            super::verify_url(settings, r.host),
        ];
        if findings {
            record.push(
                r.findings
                    .iter()
                    .filter(|f| !f.id.is_strength())
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
            );
        }
        let _ = w.write_record(record.iter().map(|cell| spreadsheet_safe(cell)));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A league table as published by the API: ranked groups with their figures.
pub fn league_json(
    by: trustlabel_store::LeagueBy,
    computed_at: OffsetDateTime,
    rows: &[trustlabel_store::LeagueRow],
    settings: &PublishSettings,
) -> Value {
    let groups: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "rank": i + 1,
                "group": r.group,
                "sites": r.sites,
                "in_scope": r.in_scope(),
                "not_assessed": r.not_assessed,
                "collecting_personal_data": r.collecting,
                "labelled_in_scope": r.collecting_labelled,
                "labelled": r.labelled,
                "grades": r.grades.iter().map(|(g, n)| json!({ "grade": g.to_string(), "sites": n })).collect::<Vec<_>>(),
                "open_findings": super::public_open_findings(r).iter().map(|(id, sev, n)| json!({ "id": id.as_str(), "severity": sev.as_str(), "sites": n })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "by": super::html::by_param(by),
        "computed_at": ts(settings, Some(computed_at)),
        "groups": groups,
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use trustlabel_core::policy::{Grade, LabelLevel, LabelStatus};

    fn row(organisation: &str, province: &str) -> SiteRow {
        SiteRow {
            target_id: 1,
            host: "a.gov.vn".into(),
            organisation: organisation.into(),
            category: "government".into(),
            province: province.into(),
            status: LabelStatus::Labelled,
            level: Some(LabelLevel::Basic),
            grade: Some(Grade::A),
            status_since: Some(datetime!(2026-03-01 19:26 UTC)),
            last_assessed: Some(datetime!(2026-03-01 19:26 UTC)),
            last_pass_at: Some(datetime!(2026-03-01 19:26 UTC)),
            at_risk_since: None,
            decided_at: None,
            attested_at: None,
        }
    }

    #[test]
    fn spreadsheet_formulas_from_a_target_list_are_neutralised_in_the_csv() {
        let csv = sites_csv(
            &[row(
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "+cmd|' /C calc'!A0",
            )],
            &PublishSettings::default(),
        );
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "'=HYPERLINK(\"http://evil.example\",\"x\")");
        assert_eq!(&record[4], "'+cmd|' /C calc'!A0");
        for cell in &record {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
        assert_eq!(spreadsheet_safe("Sở Y tế"), "Sở Y tế");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("\t=1"), "'\t=1");
    }

    #[test]
    fn a_site_that_could_not_be_reached_has_no_public_grade() {
        let mut unreachable = row("Sở A", "Huế");
        unreachable.status = LabelStatus::Unreachable;
        unreachable.grade = Some(Grade::F);
        let value = site_json(&unreachable, &PublishSettings::default());
        assert!(value["grade"].is_null(), "{value}");
        let csv = sites_csv(&[unreachable], &PublishSettings::default());
        assert!(!csv.contains(",F,"), "{csv}");
    }

    #[test]
    fn times_are_iso_8601_in_the_display_zone_with_its_offset() {
        let value = site_json(&row("Bộ Tài chính", "Hà Nội"), &PublishSettings::default());
        assert_eq!(value["last_assessed"], "2026-03-02T02:26:00+07:00");
        let csv = sites_csv(&[row("Bộ", "Huế")], &PublishSettings::default());
        assert!(csv.contains(",2026-03-02T02:26:00+07:00,"), "{csv}");
    }
}
