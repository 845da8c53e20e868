//! Software versions and the ranges advisories name.
//!
//! Versions are compared as dotted numbers ("1.12.4" < "1.12.10"); anything after the
//! numbers ("-wp", "-1ubuntu4", "rc1") is ignored, so a distribution's suffixed version
//! compares as its upstream version. Missing parts count as zero ("7" = "7.0.0").

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone)]
pub struct Version(Vec<u64>);

/// Equal when they compare equal: "7" and "7.0.0" are the same version.
impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl Version {
    /// The leading dotted number of `text`; `None` when it does not start with a digit.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = Vec::new();
        for part in text.trim().split('.') {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != part.len() {
                break;
            }
        }
        (!parts.is_empty()).then_some(Version(parts))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// Comparators that must all hold: `">=1.2.0, <3.5.0"`.
#[derive(Debug, Clone)]
pub struct VersionRange(Vec<(Op, Version)>);

#[derive(Debug, Clone, Copy)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl VersionRange {
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let mut comparators = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (op, rest) = [
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
                ("=", Op::Eq),
            ]
            .into_iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (op, r)))
            .ok_or_else(|| format!("`{part}` must start with <, <=, >, >= or ="))?;
            let version = Version::parse(rest)
                .filter(|_| rest.trim().chars().all(|c| c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("`{}` is not a dotted version", rest.trim()))?;
            comparators.push((op, version));
        }
        Ok(VersionRange(comparators))
    }

    /// The versions from `from` (inclusive) up to `below` (exclusive) or `through`
    /// (inclusive), as advisory feeds state them; no bound means unbounded.
    pub fn between(
        from: Option<Version>,
        below: Option<Version>,
        through: Option<Version>,
    ) -> VersionRange {
        let mut comparators = Vec::new();
        comparators.extend(from.map(|v| (Op::Ge, v)));
        comparators.extend(below.map(|v| (Op::Lt, v)));
        comparators.extend(through.map(|v| (Op::Le, v)));
        VersionRange(comparators)
    }

    /// Exactly one version.
    pub fn exactly(version: Version) -> VersionRange {
        VersionRange(vec![(Op::Eq, version)])
    }

    pub fn contains(&self, v: &Version) -> bool {
        self.0.iter().all(|(op, bound)| match op {
            Op::Lt => v < bound,
            Op::Le => v <= bound,
            Op::Gt => v > bound,
            Op::Ge => v >= bound,
            Op::Eq => v == bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_numerically_and_ignore_suffixes() {
        assert!(v("1.12.10") > v("1.12.4"));
        assert_eq!(v("7"), v("7.0.0"));
        assert_eq!(v("3.7.1-wp"), v("3.7.1"));
        assert_eq!(v("2.4.41-4ubuntu3"), v("2.4.41"));
        assert_eq!(Version::parse("abc"), None);
    }

    #[test]
    fn ranges_hold_every_comparator() {
        let r = VersionRange::parse(">=1.2.0, <3.5.0").unwrap();
        assert!(r.contains(&v("1.8.3")));
        assert!(!r.contains(&v("3.5.0")));
        assert!(!r.contains(&v("1.1.9")));
        assert!(VersionRange::parse("3.5").is_err());
        assert!(VersionRange::parse("<3.x").is_err());
        let fed = VersionRange::between(Some(v("4.7")), Some(v("4.7.3")), None);
        assert!(fed.contains(&v("4.7.2")) && !fed.contains(&v("4.7.3")));
        assert!(!fed.contains(&v("4.6.9")));
        let open = VersionRange::between(None, None, Some(v("2.0")));
        assert!(
            open.contains(&v("0.1")) && open.contains(&v("2.0")) && !open.contains(&v("2.0.1"))
        );
    }
}
