//! Trust anchors: where DNSSEC validation starts. The built-in ones are the root zone's
//! key-signing keys as IANA publishes them; an operator (or a test with its own signed
//! zones) configures others in zone-file form, DS or DNSKEY lines.

use crate::dns::name::Name;
use crate::dns::wire::{Dnskey, Ds};
use base64::Engine;

/// The DS records of the root KSKs (KSK-2017, tag 20326, and KSK-2024, tag 38696), from
/// <https://data.iana.org/root-anchors/root-anchors.xml>.
pub const ROOT_ANCHORS: &str = "\
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
";

/// The keys one zone is trusted by: a DNSKEY set is accepted when a key in it matches one
/// of these DS digests or is one of these keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrustAnchor {
    pub zone: Name,
    #[serde(default)]
    pub ds: Vec<Ds>,
    #[serde(default)]
    pub keys: Vec<Dnskey>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("no DS or DNSKEY line")]
    Empty,
}

/// Parses zone-file DS and DNSKEY lines (`name [TTL] [IN] DS tag alg digest-type hex`,
/// `name [TTL] [IN] DNSKEY flags protocol alg base64`), `;` comments, one record per
/// line; anchors of one zone are merged.
pub fn parse_anchors(text: &str) -> Result<Vec<TrustAnchor>, AnchorError> {
    let mut anchors: Vec<TrustAnchor> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |reason: &str| AnchorError::Line {
            line: line_no,
            reason: reason.to_string(),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let zone = Name::parse(fields[0]).map_err(|e| err(&e.to_string()))?;
        let mut rest = &fields[1..];
        if rest.first().is_some_and(|f| f.parse::<u32>().is_ok()) {
            rest = &rest[1..];
        }
        if rest.first().is_some_and(|f| f.eq_ignore_ascii_case("IN")) {
            rest = &rest[1..];
        }
        let (kind, data) = rest
            .split_first()
            .ok_or_else(|| err("expected DS or DNSKEY"))?;
        let number = |s: &str, what: &str| -> Result<u64, AnchorError> {
            s.parse::<u64>()
                .map_err(|_| err(&format!("`{s}` is not a {what}")))
        };
        let anchor = match anchors.iter_mut().position(|a| a.zone == zone) {
            Some(i) => &mut anchors[i],
            None => {
                anchors.push(TrustAnchor {
                    zone: zone.clone(),
                    ds: vec![],
                    keys: vec![],
                });
                anchors.last_mut().ok_or_else(|| err("internal"))?
            }
        };
        if kind.eq_ignore_ascii_case("DS") {
            if data.len() < 4 {
                return Err(err("a DS needs key tag, algorithm, digest type and digest"));
            }
            let digest = hex::decode(data[3..].concat())
                .map_err(|_| err("the DS digest is not hexadecimal"))?;
            anchor.ds.push(Ds {
                key_tag: u16::try_from(number(data[0], "key tag")?)
                    .map_err(|_| err("key tag out of range"))?,
                algorithm: u8::try_from(number(data[1], "algorithm")?)
                    .map_err(|_| err("algorithm out of range"))?,
                digest_type: u8::try_from(number(data[2], "digest type")?)
                    .map_err(|_| err("digest type out of range"))?,
                digest,
            });
        } else if kind.eq_ignore_ascii_case("DNSKEY") {
            if data.len() < 4 {
                return Err(err("a DNSKEY needs flags, protocol, algorithm and key"));
            }
            let public_key = base64::engine::general_purpose::STANDARD
                .decode(data[3..].concat())
                .map_err(|_| err("the DNSKEY key is not base64"))?;
            anchor.keys.push(Dnskey {
                flags: u16::try_from(number(data[0], "flags value")?)
                    .map_err(|_| err("flags out of range"))?,
                protocol: u8::try_from(number(data[1], "protocol")?)
                    .map_err(|_| err("protocol out of range"))?,
                algorithm: u8::try_from(number(data[2], "algorithm")?)
                    .map_err(|_| err("algorithm out of range"))?,
                public_key,
            });
        } else {
            return Err(err(&format!("`{kind}`: expected DS or DNSKEY")));
        }
    }
    if anchors.is_empty() {
        return Err(AnchorError::Empty);
    }
    Ok(anchors)
}

/// The built-in root anchors.
pub fn root_anchors() -> Vec<TrustAnchor> {
    // The constant is fixed text covered by the test below.
    parse_anchors(ROOT_ANCHORS).unwrap_or_default()
}

/// The anchor closest to `name` (deepest zone that is `name` or an ancestor).
pub fn covering<'a>(anchors: &'a [TrustAnchor], name: &Name) -> Option<&'a TrustAnchor> {
    anchors
        .iter()
        .filter(|a| name.is_subdomain_of(&a.zone))
        .max_by_key(|a| a.zone.label_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_anchors_parse() {
        let anchors = root_anchors();
        assert_eq!(anchors.len(), 1);
        let tags: Vec<u16> = anchors[0].ds.iter().map(|d| d.key_tag).collect();
        assert_eq!(tags, [20326, 38696]);
        assert!(covering(&anchors, &Name::parse("gov.vn").unwrap()).is_some());
    }

    #[test]
    fn ds_and_dnskey_lines_with_comments_and_errors() {
        let text = "; test anchors\nexample. 3600 IN DS 1 13 2 AB CD\nexample. DNSKEY 257 3 13 AAEC ; key\nsub.example. IN DS 2 8 2 00\n";
        let anchors = parse_anchors(text).unwrap();
        assert_eq!(anchors.len(), 2);
        assert_eq!(anchors[0].ds[0].digest, vec![0xab, 0xcd]);
        assert_eq!(anchors[0].keys[0].public_key, vec![0, 1, 2]);
        let deep = Name::parse("a.sub.example").unwrap();
        assert_eq!(covering(&anchors, &deep).unwrap().zone, anchors[1].zone);
        assert!(covering(&anchors, &Name::parse("other").unwrap()).is_none());
        let err = parse_anchors("ok. DS 1 2 2 00\nbad. TXT x\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: `TXT`: expected DS or DNSKEY");
        assert_eq!(parse_anchors("; nothing\n"), Err(AnchorError::Empty));
        assert!(parse_anchors("x. DS 1 2 2 zz\n").is_err());
    }
}
