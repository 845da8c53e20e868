//! Targets: the sites in scope, and the parser for target lists.
//!
//! A target list is CSV with the columns `host, organisation, category, province,
//! contact_email, parent` (the last ones optional); `#` starts a comment line; the host may be a bare name, a URL or a
//! Vietnamese IDN name (stored as punycode). A bad line is reported with its file and
//! line number and never stops the good lines from loading.

use crate::provinces::Provinces;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// One site in scope, as imported from a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Lower-case ASCII host (punycode for IDN names); the unique key.
    pub host: String,
    /// HTTPS port when the list gives a URL with an explicit port; else 443.
    pub https_port: u16,
    pub organisation: String,
    pub category: String,
    pub province: String,
    pub contact_email: String,
    /// The ministry, or the provincial people's committee, the organisation answers to:
    /// the top of its hierarchy (ministry or province → agency → site) and the group of
    /// the league tables. Empty when the organisation is itself at the top.
    #[serde(default)]
    pub parent: String,
}

/// Why a host string is not a usable target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("empty host")]
    Empty,
    #[error("unsupported URL scheme `{0}` (use http or https)")]
    Scheme(String),
    #[error("`{0}` is not a valid host name: {1}")]
    Invalid(String, String),
    #[error("URL has no host")]
    NoHost,
}

/// Normalises what a person typed (bare host, URL, IDN) to `(ascii_host, https_port)`.
pub fn normalise_host(input: &str) -> Result<(String, u16), HostError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(HostError::Empty);
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = url::Url::parse(&with_scheme)
        .map_err(|e| HostError::Invalid(trimmed.to_string(), e.to_string()))?;
    let port = match url.scheme() {
        "https" => url.port().unwrap_or(443),
        "http" => 443,
        other => return Err(HostError::Scheme(other.to_string())),
    };
    let host = match url.host() {
        None => return Err(HostError::NoHost),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            if d.is_empty() || !d.contains('.') && d != "localhost" {
                return Err(HostError::Invalid(
                    trimmed.to_string(),
                    "a site name needs a dot (e.g. example.gov.vn)".into(),
                ));
            }
            // url::Url already applies IDNA (UTS #46) to domains: "bộ.vn" → "xn--b-...".
            d.to_ascii_lowercase()
        }
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
    };
    Ok((host, port))
}

/// The Unicode form of an ASCII host, for display.
pub fn display_host(ascii: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(ascii);
    if result.is_ok() {
        unicode
    } else {
        ascii.to_string()
    }
}

/// One refused line of a target list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// The result of parsing a list: the good targets and the refused lines.
#[derive(Debug, Default)]
pub struct ParsedList {
    pub targets: Vec<Target>,
    pub errors: Vec<LineError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read target list {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

pub fn parse_list_file(
    path: &Path,
    provinces: Option<&Provinces>,
) -> Result<ParsedList, ListError> {
    let text = std::fs::read(path).map_err(|source| ListError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(parse_list_filed(
        &path.display().to_string(),
        &text,
        provinces,
    ))
}

const COLUMNS: [&str; 6] = [
    "host",
    "organisation",
    "category",
    "province",
    "contact_email",
    "parent",
];

/// Parses a target list. A header row (first cell `host`) is optional. Duplicate hosts
/// within one file: the later line wins, as a re-import would.
pub fn parse_list(file: &str, bytes: &[u8]) -> ParsedList {
    parse_list_filed(file, bytes, None)
}

/// [`parse_list`], filing each province under the unit in force: a former province or
/// another spelling becomes the unit's name, and a name that is no unit at all is a bad
/// line (a typo would otherwise make a league table of its own).
pub fn parse_list_filed(file: &str, bytes: &[u8], provinces: Option<&Provinces>) -> ParsedList {
    let mut parsed = ParsedList::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut seen = std::collections::HashMap::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(bytes, p)).unwrap_or(0);
                parsed.errors.push(LineError {
                    file: file.to_string(),
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| line_at(bytes, p)).unwrap_or(0);
        let fail = |reason: String| LineError {
            file: file.to_string(),
            line,
            reason,
        };
        let mut cells = Vec::with_capacity(record.len());
        let mut bad_utf8 = false;
        for cell in record.iter() {
            match std::str::from_utf8(cell) {
                Ok(s) => cells.push(s.to_string()),
                Err(_) => bad_utf8 = true,
            }
        }
        if bad_utf8 {
            parsed.errors.push(fail(
                "line is not valid UTF-8 (save the list as UTF-8)".into(),
            ));
            continue;
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if cells[0].eq_ignore_ascii_case("host") {
            continue; // header row
        }
        if cells.len() > COLUMNS.len() {
            parsed.errors.push(fail(format!(
                "{} columns, expected at most {} ({})",
                cells.len(),
                COLUMNS.len(),
                COLUMNS.join(", ")
            )));
            continue;
        }
        let (host, https_port) = match normalise_host(&cells[0]) {
            Ok(h) => h,
            Err(e) => {
                parsed.errors.push(fail(e.to_string()));
                continue;
            }
        };
        let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
        let contact_email = cell(4);
        if !contact_email.is_empty() && !looks_like_email(&contact_email) {
            parsed.errors.push(fail(format!(
                "contact_email `{contact_email}` is not an e-mail address"
            )));
            continue;
        }
        let mut province = cell(3);
        if let (Some(provinces), false) = (provinces, province.is_empty()) {
            match provinces.resolve(&province) {
                Some(unit) => province = unit.name.clone(),
                None => {
                    parsed.errors.push(fail(format!(
                        "province `{province}` is not a provincial unit in force \
                         (checks/{}, map {})",
                        crate::provinces::PROVINCES_FILE,
                        provinces.version
                    )));
                    continue;
                }
            }
        }
        let target = Target {
            host: host.clone(),
            https_port,
            organisation: cell(1),
            category: cell(2),
            province,
            contact_email,
            parent: cell(5),
        };
        if let Some(&index) = seen.get(&host) {
            parsed.targets[index] = target;
        } else {
            seen.insert(host, parsed.targets.len());
            parsed.targets.push(target);
        }
    }
    parsed
}

/// The 1-based line a record starts on. `csv::Position::line` lags by one after each
/// CRLF line end (the position is taken on the `\n` of the `\r\n`), and lists saved
/// on Windows or posted from a browser form use CRLF, so count the newlines ourselves.
fn line_at(bytes: &[u8], position: &csv::Position) -> u64 {
    let mut start = usize::try_from(position.byte())
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    if bytes.get(start) == Some(&b'\n') {
        start += 1;
    }
    1 + bytes[..start].iter().filter(|&&b| b == b'\n').count() as u64
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c == ',')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hosts_urls_and_idn_are_normalised() {
        assert_eq!(
            normalise_host("Example.GOV.vn").unwrap(),
            ("example.gov.vn".into(), 443)
        );
        assert_eq!(
            normalise_host("https://portal.example.vn:8443/path").unwrap(),
            ("portal.example.vn".into(), 8443)
        );
        assert_eq!(
            normalise_host("http://example.vn/").unwrap(),
            ("example.vn".into(), 443)
        );
        let (idn, _) = normalise_host("bộtàichính.gov.vn").unwrap();
        assert!(idn.starts_with("xn--"), "{idn}");
        assert_eq!(display_host(&idn), "bộtàichính.gov.vn");
    }

    #[test]
    fn bad_hosts_are_refused_with_a_reason() {
        assert_eq!(normalise_host("  "), Err(HostError::Empty));
        assert!(matches!(
            normalise_host("ftp://x.vn"),
            Err(HostError::Scheme(_))
        ));
        assert!(matches!(
            normalise_host("nodot"),
            Err(HostError::Invalid(..))
        ));
        assert!(matches!(
            normalise_host("exa mple.vn"),
            Err(HostError::Invalid(..))
        ));
    }

    #[test]
    fn provinces_are_filed_under_the_unit_in_force_and_the_parent_is_kept() {
        let provinces = Provinces::builtin().unwrap();
        let list = "host,organisation,category,province,contact_email,parent\n\
                    a.gov.vn,Sở Y tế,government,Bình Dương,,UBND Thành phố Hồ Chí Minh\n\
                    b.gov.vn,Sở Tư pháp,government,tp. hcm,\n\
                    c.gov.vn,Cục X,government,Gotham,,Bộ Y tế\n\
                    d.gov.vn,Cục Y,government,,,Bộ Y tế\n";
        let parsed = parse_list_filed("t.csv", list.as_bytes(), Some(&provinces));
        let filed: Vec<_> = parsed
            .targets
            .iter()
            .map(|t| (t.host.as_str(), t.province.as_str(), t.parent.as_str()))
            .collect();
        assert_eq!(
            filed,
            [
                ("a.gov.vn", "Hồ Chí Minh", "UBND Thành phố Hồ Chí Minh"),
                ("b.gov.vn", "Hồ Chí Minh", ""),
                ("d.gov.vn", "", "Bộ Y tế"),
            ]
        );
        assert_eq!(parsed.errors.len(), 1);
        let error = parsed.errors[0].to_string();
        assert!(error.starts_with("t.csv:4: province `Gotham`"), "{error}");
    }

    #[test]
    fn a_list_keeps_good_lines_and_names_bad_ones() {
        let list = "host,organisation,category,province,contact_email\n\
                    # a comment\n\
                    example.gov.vn,Bộ A,government,Hà Nội,it@example.gov.vn\n\
                    bad host.vn,Org,government,,\n\
                    https://shop.example.vn/,Shop,ecommerce,HCM,\n\
                    shop2.example.vn,Shop,ecommerce,HCM,not-an-email\n\
                    a.vn,b,c,d,e@f.vn,parent,extra\n";
        let parsed = parse_list("t.csv", list.as_bytes());
        let hosts: Vec<_> = parsed.targets.iter().map(|t| t.host.as_str()).collect();
        assert_eq!(hosts, ["example.gov.vn", "shop.example.vn"]);
        let lines: Vec<_> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 6, 7]);
        assert!(parsed.errors[0].to_string().starts_with("t.csv:4: "));
        assert_eq!(parsed.targets[0].organisation, "Bộ A");
    }

    #[test]
    fn a_later_duplicate_replaces_the_earlier_line() {
        let parsed = parse_list("t.csv", b"a.vn,Old\nA.VN,New\n");
        assert_eq!(parsed.targets.len(), 1);
        assert_eq!(parsed.targets[0].organisation, "New");
    }

    #[test]
    fn invalid_utf8_is_a_line_error() {
        let parsed = parse_list("t.csv", b"a.vn,ok\nb.vn,\xff\xfe\n");
        assert_eq!(parsed.targets.len(), 1);
        assert_eq!(parsed.errors[0].line, 2);
    }
}

#[cfg(test)]
mod crlf_tests {
    use super::*;

    #[test]
    fn crlf_lists_name_the_same_lines() {
        let parsed = parse_list(
            "t.csv",
            b"host,organisation\r\nok.gov.vn,A\r\nbad host,x\r\n",
        );
        assert_eq!(parsed.errors[0].line, 3, "{:?}", parsed.errors);
    }
}
