//! SSL Labs-style TLS sub-scores from the legacy probe's evidence: protocol support, key
//! exchange and cipher strength (0–100 each), weighted 30/30/40 into one score whose letter
//! caps the overall grade (below A; a rating of A leaves A+ reachable), as in the SSL Labs
//! Server Rating Guide.
//!
//! The grade caps for specific faults (TLS 1.0 → B, NULL → F...) stay per finding in the
//! policy file; this rating adds what no single finding says: how strong the weakest
//! accepted key exchange and cipher are.

use super::Grade;
use crate::evidence::{KeyExchangeParams, LegacyTls, TlsVersion, VersionOutcome};
use crate::tlsprobe::{Mode, SuiteTable};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRating {
    pub protocol: u32,
    pub key_exchange: u32,
    pub cipher_strength: u32,
    /// 0.3 × protocol + 0.3 × key exchange + 0.4 × cipher strength, rounded down.
    pub score: u32,
    /// A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, D- ≥ 20 (SSL Labs' E), else F.
    pub grade: Grade,
}

/// Rates what the server accepted; `None` when no version was seen supported (nothing to
/// rate: the reachability and transport findings speak for such a site).
pub fn rate(legacy: &LegacyTls, table: &SuiteTable) -> Option<TlsRating> {
    let supported: Vec<_> = legacy
        .versions
        .iter()
        .filter(|v| v.outcome == VersionOutcome::Supported)
        .collect();
    let protocol_scores: Vec<u32> = supported
        .iter()
        .map(|v| protocol_score(v.version))
        .collect();
    let protocol = (protocol_scores.iter().max()? + protocol_scores.iter().min()?) / 2;
    let server_key_bits = legacy
        .server_key
        .as_ref()
        .filter(|k| k.algorithm == "rsa" || k.algorithm == "dsa")
        .map(|k| k.bits);
    let mut kx_strengths = Vec::new();
    let mut cipher_scores = Vec::new();
    for probe in &supported {
        for accepted in &probe.suites {
            let Some(suite) = table.get(accepted.code) else {
                continue;
            };
            cipher_scores.push(cipher_score(
                suite.mode,
                effective_bits(&suite.enc, suite.bits),
            ));
            let strength = if suite.auth == "NULL" && suite.kx != "TLS13" {
                Some(0) // anonymous: an active attacker chooses the key
            } else {
                match (&accepted.key_exchange, suite.kx.as_str()) {
                    (Some(params), _) => Some(rsa_equivalent(params)),
                    (None, "RSA") => server_key_bits,
                    _ => None,
                }
            };
            kx_strengths.extend(strength);
        }
    }
    let key_exchange = kx_strengths.iter().min().map_or(0, |b| kx_score(*b));
    let cipher_strength = match (cipher_scores.iter().max(), cipher_scores.iter().min()) {
        (Some(best), Some(worst)) => (best + worst) / 2,
        _ => 0,
    };
    let score = (3 * protocol + 3 * key_exchange + 4 * cipher_strength) / 10;
    Some(TlsRating {
        protocol,
        key_exchange,
        cipher_strength,
        score,
        grade: letter(score),
    })
}

fn protocol_score(version: TlsVersion) -> u32 {
    match version {
        TlsVersion::Ssl3 => 80,
        TlsVersion::Tls10 => 90,
        TlsVersion::Tls11 => 95,
        TlsVersion::Tls12 | TlsVersion::Tls13 => 100,
    }
}

/// 3DES has 168 key bits but 112 bits of strength; SSL Labs rates the strength.
fn effective_bits(enc: &str, bits: u32) -> u32 {
    if enc == "3DES" { 112 } else { bits }
}

fn cipher_score(mode: Mode, bits: u32) -> u32 {
    match (mode, bits) {
        (Mode::None, _) | (_, 0) => 0,
        (_, b) if b < 128 => 20,
        (_, b) if b < 256 => 80,
        _ => 100,
    }
}

/// Key-exchange strength in RSA-equivalent bits (NIST SP 800-57 comparable strengths).
fn rsa_equivalent(params: &KeyExchangeParams) -> u32 {
    match params {
        KeyExchangeParams::Dh { bits } | KeyExchangeParams::Rsa { bits } => *bits,
        KeyExchangeParams::Ecdh { group } => match group.as_str() {
            "secp384r1" | "brainpoolP384r1" | "x448" => 7680,
            "secp521r1" | "brainpoolP512r1" => 15360,
            "secp160k1" | "secp160r1" | "secp160r2" => 1024,
            "secp192k1" | "secp192r1" => 1536,
            "secp224k1" | "secp224r1" => 2048,
            _ => 3072, // x25519, P-256 and friends, hybrid post-quantum groups
        },
    }
}

fn kx_score(bits: u32) -> u32 {
    match bits {
        0 => 0,
        b if b < 512 => 20,
        b if b < 1024 => 40,
        b if b < 2048 => 80,
        b if b < 4096 => 90,
        _ => 100,
    }
}

fn letter(score: u32) -> Grade {
    match score {
        80.. => Grade::A,
        65.. => Grade::B,
        50.. => Grade::C,
        35.. => Grade::D,
        20.. => Grade::DMinus,
        _ => Grade::F,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{AcceptedSuite, PublicKeyInfo, VersionProbe};

    /// Accepted suites of one version: (code point, key-exchange parameters seen).
    type Accepted<'a> = &'a [(u16, Option<KeyExchangeParams>)];

    fn legacy(versions: &[(TlsVersion, Accepted<'_>)]) -> LegacyTls {
        let table = SuiteTable::builtin();
        LegacyTls {
            versions: versions
                .iter()
                .map(|(v, suites)| VersionProbe {
                    version: *v,
                    outcome: VersionOutcome::Supported,
                    suites: suites
                        .iter()
                        .map(|(code, kx)| AcceptedSuite {
                            code: *code,
                            name: table.name(*code),
                            key_exchange: kx.clone(),
                        })
                        .collect(),
                    server_order: None,
                    complete: true,
                    handshakes: 1,
                })
                .collect(),
            handshakes: 0,
            elapsed_ms: 0,
            server_key: Some(PublicKeyInfo {
                algorithm: "rsa".into(),
                bits: 2048,
                curve: None,
            }),
            cut_short: false,
            vulnerabilities: None,
        }
    }

    fn x25519() -> Option<KeyExchangeParams> {
        Some(KeyExchangeParams::Ecdh {
            group: "x25519".into(),
        })
    }

    #[test]
    fn a_modern_server_rates_a() {
        let l = legacy(&[
            (TlsVersion::Tls12, &[(0xc030, x25519()), (0xc02f, x25519())]),
            (TlsVersion::Tls13, &[(0x1302, x25519()), (0x1301, x25519())]),
        ]);
        let r = rate(&l, &SuiteTable::builtin()).expect("rated");
        assert_eq!(
            (r.protocol, r.key_exchange, r.cipher_strength),
            (100, 90, 90)
        );
        assert_eq!((r.score, r.grade), (93, Grade::A));
    }

    #[test]
    fn null_anonymous_and_export_pull_the_rating_down() {
        let dh1024 = Some(KeyExchangeParams::Dh { bits: 1024 });
        let l = legacy(&[(
            TlsVersion::Tls12,
            &[(0xc02f, x25519()), (0x0034, dh1024), (0x0002, None)],
        )]);
        let r = rate(&l, &SuiteTable::builtin()).expect("rated");
        assert_eq!(
            (r.protocol, r.key_exchange, r.cipher_strength),
            (100, 0, 40)
        );
        assert_eq!((r.score, r.grade), (46, Grade::D));
        let export = Some(KeyExchangeParams::Rsa { bits: 512 });
        let l = legacy(&[(TlsVersion::Tls10, &[(0x0003, export)])]);
        let r = rate(&l, &SuiteTable::builtin()).expect("rated");
        assert_eq!(
            (r.protocol, r.key_exchange, r.cipher_strength),
            (90, 40, 20)
        );
        assert_eq!(r.grade, Grade::D);
    }

    #[test]
    fn static_rsa_rates_by_the_certificate_key_and_old_protocols_by_the_worst() {
        let l = legacy(&[
            (TlsVersion::Ssl3, &[(0x000a, None)]),
            (TlsVersion::Tls12, &[(0x002f, None)]),
        ]);
        let r = rate(&l, &SuiteTable::builtin()).expect("rated");
        assert_eq!(
            (r.protocol, r.key_exchange, r.cipher_strength),
            (90, 90, 50)
        );
        assert_eq!((r.score, r.grade), (74, Grade::B));
        assert_eq!(rate(&legacy(&[]), &SuiteTable::builtin()), None);
    }
}
