//! `trustlabel publish --out DIR`: the public surfaces as static files any web server
//! can host. The output depends only on the database (rows in a fixed order, no "now"),
//! so exporting the same database twice gives identical files.

use super::charts;
use super::html::{self, DashboardData, ListPage, PageCtx, SitePage};
use super::i18n::Lang;
use super::links::{Links, Mode, safe_file_stem, static_list_file};
use super::listing::ListParams;
use super::settings::PublishSettings;
use std::path::{Path, PathBuf};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_store::LeagueBy;
use trustlabel_store::{Facet, SiteQuery, SiteRow, Store, StoreError, View};

/// Marks a directory as ours, so a re-export may clear it and a wrong `--out` cannot
/// wipe someone's files.
const MARKER: &str = ".trustlabel-export";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{0} is not empty and was not written by `trustlabel publish`; choose an empty or new directory"
    )]
    NotOurs(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub sites: usize,
    pub files: usize,
}

struct Writer {
    root: PathBuf,
    files: usize,
}

impl Writer {
    fn write(&mut self, rel: &str, content: &str) -> Result<(), ExportError> {
        let path = self.root.join(rel);
        let io = |source| ExportError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, content).map_err(io)?;
        self.files += 1;
        Ok(())
    }
}

fn prepare(out: &Path) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: out.display().to_string(),
        source,
    };
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io)?;
        let empty = entries.next().is_none();
        if !empty {
            if !out.join(MARKER).exists() {
                return Err(ExportError::NotOurs(out.display().to_string()));
            }
            std::fs::remove_dir_all(out).map_err(io)?;
        }
    }
    std::fs::create_dir_all(out).map_err(io)?;
    Ok(())
}

fn ctx<'a>(settings: &'a PublishSettings, lang: Lang, depth: usize, file: &str) -> PageCtx<'a> {
    let links = Links {
        mode: Mode::Static { depth },
        lang,
    };
    PageCtx {
        lang,
        links,
        branding: &settings.branding,
        other_language: links.other_language("", file),
        staff_user: None,
        refresh_secs: None,
        zone: &settings.zone,
    }
}

/// Writes the export into `out` (created; replaced when it holds an earlier export).
/// `rules` are the rules in force (the criteria page is generated from them) and `now`
/// decides which announced rules already block.
pub async fn export(
    store: &Store,
    settings: &PublishSettings,
    rules: &RuleSet,
    now: time::OffsetDateTime,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    prepare(out)?;
    let mut w = Writer {
        root: out.to_path_buf(),
        files: 0,
    };
    w.write(
        MARKER,
        "written by trustlabel publish; the next export replaces this directory\n",
    )?;
    let all = store
        .list_sites(&SiteQuery {
            limit: 0,
            ..SiteQuery::default()
        })
        .await?
        .rows;
    let by_category = store.status_counts(Facet::Category).await?;
    let by_province = store.status_counts(Facet::Province).await?;
    let overall = super::opendata::overall(&by_category);
    let trend = charts::trend(&store.hourly_changes().await?, &settings.zone);
    let mut leagues = Vec::new();
    for by in [LeagueBy::Ministry, LeagueBy::Province, LeagueBy::Category] {
        let mut rows = store.league(by).await?;
        html::rank(&mut rows);
        leagues.push((by, rows));
    }
    let province_league = leagues
        .iter()
        .find(|(by, _)| *by == LeagueBy::Province)
        .map(|(_, rows)| rows.as_slice())
        .unwrap_or(&[]);
    let changes = store.recent_changes(200).await?;

    w.write("static/style.css", html::STYLE_CSS)?;
    w.write(
        "data/sites.csv",
        &super::opendata::sites_csv(&all, settings),
    )?;
    w.write(
        "data/sites.json",
        &super::opendata::sites_json(&all, settings),
    )?;
    w.write("feed.atom", &super::feed::render(settings, &changes))?;

    for lang in [Lang::Vi, Lang::En] {
        let prefix = if lang == Lang::En { "en/" } else { "" };
        for view in [View::All, View::Assessed, View::NotAssessed] {
            let rows: Vec<&SiteRow> = all
                .iter()
                .filter(|r| match view {
                    View::All => true,
                    View::Assessed => r.status != trustlabel_core::policy::LabelStatus::NotAssessed,
                    View::NotAssessed => {
                        r.status == trustlabel_core::policy::LabelStatus::NotAssessed
                    }
                })
                .collect();
            let per_page = u64::from(settings.page_size);
            let pages = (rows.len() as u64).div_ceil(per_page).max(1);
            for page in 1..=pages {
                let start = ((page - 1) * per_page) as usize;
                let chunk: Vec<SiteRow> = rows
                    .iter()
                    .skip(start)
                    .take(per_page as usize)
                    .map(|r| (*r).clone())
                    .collect();
                let view_name = match view {
                    View::All => None,
                    View::Assessed => Some("assessed".to_string()),
                    View::NotAssessed => Some("not_assessed".to_string()),
                };
                let params = ListParams {
                    view: view_name,
                    page: Some(page.to_string()),
                    ..ListParams::default()
                };
                let file = static_list_file(view, page);
                let page_html = html::list_page(
                    &ctx(settings, lang, 0, &file),
                    &ListPage {
                        params: &params,
                        rows: &chunk,
                        total: rows.len() as u64,
                        per_page,
                        categories: &[],
                        provinces: &[],
                        programme: None,
                    },
                );
                w.write(&format!("{prefix}{file}"), &page_html.into_string())?;
            }
        }
        let dash = html::dashboard_page(
            &ctx(settings, lang, 0, "dashboard.html"),
            &DashboardData {
                overall: &overall,
                by_category: &by_category,
                by_province: &by_province,
                trend: &trend,
                province_league,
                provinces: &rules.provinces,
                programme: html::Programme::from_league(province_league, None),
            },
        );
        w.write(&format!("{prefix}dashboard.html"), &dash.into_string())?;
        let data = html::open_data_page(&ctx(settings, lang, 0, "data.html"));
        w.write(&format!("{prefix}data.html"), &data.into_string())?;
        let criteria = html::criteria_page(
            &ctx(settings, lang, 0, "criteria.html"),
            &html::CriteriaView {
                policy: &rules.policy,
                catalog: &rules.catalog,
                cadence: &settings.cadence,
                today: now,
            },
        );
        w.write(&format!("{prefix}criteria.html"), &criteria.into_string())?;
        let scanner = html::scanner_page(
            &ctx(settings, lang, 0, "scanner.html"),
            &html::ScannerView {
                identity: &settings.scanner,
                cadence: &settings.cadence,
                label_rules: &settings.label_rules,
            },
        );
        w.write(&format!("{prefix}scanner.html"), &scanner.into_string())?;
        for (by, rows) in &leagues {
            let file = format!("league-{}.html", html::by_param(*by));
            let page = html::league_page(
                &ctx(settings, lang, 0, &file),
                &html::LeagueView {
                    by: *by,
                    rows,
                    computed_at: now,
                    catalog: &rules.catalog,
                    provinces: &rules.provinces,
                },
            );
            w.write(&format!("{prefix}{file}"), &page.into_string())?;
        }
    }

    for row in &all {
        let stem = safe_file_stem(&row.host);
        let history = store.history(row.target_id).await?;
        let outlines = store.scan_outlines(row.target_id, 2).await?;
        let changes = trustlabel_core::changes::changes(&outlines);
        for lang in [Lang::Vi, Lang::En] {
            let prefix = if lang == Lang::En { "en/" } else { "" };
            let file = format!("site/{stem}.html");
            let page = html::site_page(
                &ctx(settings, lang, 1, &file),
                &SitePage {
                    row,
                    history: &history,
                    changes: changes.as_ref(),
                    next_assessment: super::next_assessment(row, settings),
                    valid_until: super::valid_until(row, settings),
                    verify_url: super::verify_url(settings, &row.host),
                    badge_url: super::badge_url(settings, &row.host),
                },
            );
            w.write(&format!("{prefix}{file}"), &page.into_string())?;
        }
        let verify = super::verify_url(settings, &row.host);
        let badge = super::badge::render(&super::badge::BadgeData {
            lang: Lang::Vi,
            host: &trustlabel_core::target::display_host(&row.host),
            status: row.status,
            level: row.level,
            grade: super::public_grade(row),
            authority_short: &settings.branding.authority_short,
            verify_url: &verify,
        });
        w.write(&format!("badge/{stem}.svg"), &badge)?;
    }
    Ok(ExportSummary {
        sites: all.len(),
        files: w.files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustlabel_store::test_support::fixtures::{Scan, seeded_targets, temp_store};

    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(dir).unwrap().display().to_string();
                    files.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    }

    #[tokio::test]
    async fn the_same_database_exports_to_identical_files_without_findings() {
        let (_db, store) = temp_store().await;
        let sites = seeded_targets(&store, 7).await;
        for site in &sites[..3] {
            let scan = Scan::failing(&site.target.host);
            scan.record_into(&store, site.id, None).await.unwrap();
        }
        let settings = PublishSettings {
            page_size: 5,
            ..PublishSettings::default()
        };
        let out = tempfile::tempdir().unwrap();
        let a = out.path().join("a");
        let b = out.path().join("b");
        let summary = export(
            &store,
            &settings,
            &RuleSet::builtin().unwrap(),
            time::macros::datetime!(2026-06-01 00:00 UTC),
            &a,
        )
        .await
        .unwrap();
        assert_eq!(summary.sites, 7);
        export(
            &store,
            &settings,
            &RuleSet::builtin().unwrap(),
            time::macros::datetime!(2026-06-01 00:00 UTC),
            &b,
        )
        .await
        .unwrap();
        let first = snapshot(&a);
        assert_eq!(first, snapshot(&b), "same database, same bytes");
        // Exporting again into the same directory replaces it, with the same result.
        export(
            &store,
            &settings,
            &RuleSet::builtin().unwrap(),
            time::macros::datetime!(2026-06-01 00:00 UTC),
            &a,
        )
        .await
        .unwrap();
        assert_eq!(first, snapshot(&a));

        let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "index.html",
            "index-2.html",
            "assessed.html",
            "not-assessed.html",
            "en/index.html",
            "dashboard.html",
            "data/sites.csv",
            "data/sites.json",
            "feed.atom",
            "static/style.css",
            "site/site0.example.vn.html",
            "en/site/site0.example.vn.html",
            "badge/site0.example.vn.svg",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for (name, bytes) in &first {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains("nginx/1.18.0"), "{name} shows a finding");
            assert!(!text.contains("href=\"/"), "{name} links to a server route");
        }
    }

    #[tokio::test]
    async fn a_directory_that_is_not_an_export_is_never_cleared() {
        let (_db, store) = temp_store().await;
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("precious.txt"), "keep me").unwrap();
        let err = export(
            &store,
            &PublishSettings::default(),
            &RuleSet::builtin().unwrap(),
            time::macros::datetime!(2026-06-01 00:00 UTC),
            out.path(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ExportError::NotOurs(_)));
        assert!(out.path().join("precious.txt").exists());
    }
}
