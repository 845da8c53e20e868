//! `trustlabel checks update FILE…`: installs advisory feeds (retire.js, OSV, CISA KEV)
//! into `feeds/` of the checks directory in force, where `RuleSet::load` reads them.
//!
//! Every file is validated before anything is written, so one bad file installs
//! nothing; each feed is written to a temporary file in the same directory and renamed
//! over the installed one, so a scan starting meanwhile reads the old feed or the new,
//! never half of one. The new file's modification time is the install date that dates
//! formats without a date of their own (retire.js).

use super::settings::Settings;
use super::{CliError, EXIT_OK, runtime, usage};
use std::io::Write;
use std::path::{Path, PathBuf};
use trustlabel_core::feeds::{self, FEEDS_DIR, FeedFormat, MAX_FEED_BYTES};
use trustlabel_core::ruleset::RuleSet;

pub fn update(settings: &Settings, files: &[PathBuf]) -> Result<u8, CliError> {
    let Some(checks_dir) = &settings.checks_dir else {
        return Err(usage(
            "no checks directory in force: pass --checks DIR (or set `checks` in the config \
             file); feeds are installed into DIR/feeds/",
        ));
    };
    if files.is_empty() {
        return Err(usage("name at least one feed file"));
    }
    let mut valid: Vec<(FeedFormat, Vec<u8>, &Path)> = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        match read_and_validate(file) {
            Ok((format, bytes)) => {
                if let Some((_, _, other)) = valid.iter().find(|(f, _, _)| *f == format) {
                    refused.push(format!(
                        "{}: a second {format:?} feed (after {}); one file per format",
                        file.display(),
                        other.display()
                    ));
                } else {
                    valid.push((format, bytes, file));
                }
            }
            Err(reason) => refused.push(reason),
        }
    }
    if !refused.is_empty() {
        for reason in &refused {
            eprintln!("FAIL  {reason}");
        }
        return Err(usage(format!(
            "{} feed file(s) refused; nothing installed",
            refused.len()
        )));
    }
    let target_dir = checks_dir.join(FEEDS_DIR);
    std::fs::create_dir_all(&target_dir)
        .map_err(|e| runtime(format!("cannot create {}: {e}", target_dir.display())))?;
    for (format, bytes, _) in &valid {
        install(&target_dir, *format, bytes)?;
    }
    // The whole set as a scan will load it: what was installed is what is in force.
    let rules = RuleSet::load(Some(checks_dir)).map_err(usage)?;
    for (format, _, source) in &valid {
        if let Some(stamp) = rules.feeds.stamps.iter().find(|s| s.format == *format) {
            let date = stamp.date.map(|d| d.to_string()).unwrap_or_default();
            println!(
                "installed {} from {}: {} entries, dated {date} ({}), sha256 {}",
                stamp.name,
                source.display(),
                stamp.entries,
                stamp.date_from,
                stamp.sha256
            );
        }
    }
    Ok(EXIT_OK)
}

/// The file's format and bytes, or the reason it is refused (`file:line: reason` or
/// `file: json path: reason`).
fn read_and_validate(file: &Path) -> Result<(FeedFormat, Vec<u8>), String> {
    let name = file.display().to_string();
    let len = std::fs::metadata(file)
        .map_err(|e| format!("{name}: cannot read: {e}"))?
        .len();
    if len > MAX_FEED_BYTES as u64 {
        return Err(format!(
            "{name}: {len} bytes is more than the {MAX_FEED_BYTES} a feed may have"
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let parsed = feeds::parse(&name, &bytes).map_err(|e| e.to_string())?;
    Ok((parsed.format(), bytes))
}

/// Write beside, then rename over: the installed feed is replaced whole or not at all.
fn install(dir: &Path, format: FeedFormat, bytes: &[u8]) -> Result<(), CliError> {
    let target = dir.join(format.file_name());
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        format.file_name(),
        std::process::id()
    ));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temp, &target));
    renamed.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        runtime(format!("cannot install {}: {e}", target.display()))
    })
}
