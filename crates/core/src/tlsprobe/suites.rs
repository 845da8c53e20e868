//! The IANA cipher-suite data (`checks/tls_cipher_suites.csv`, compiled in) and what makes
//! a suite weak.
//!
//! The data decides both what the prober offers for each protocol version and how the
//! checks judge what the server accepted, so the two can never disagree about a suite.

use crate::evidence::TlsVersion;
use std::collections::HashMap;

pub const BUILTIN_SUITES: &str = include_str!("../../../../checks/tls_cipher_suites.csv");

/// One IANA cipher suite and the properties the checks judge it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherSuite {
    pub code: u16,
    pub name: String,
    /// RSA, DH, DHE, ECDH, ECDHE, PSK, KRB5, SRP, ECCPWD, NULL or TLS13.
    pub kx: String,
    /// NULL for anonymous suites.
    pub auth: String,
    pub enc: String,
    pub bits: u32,
    pub mode: Mode,
    /// Cipher block size in bits, 0 for stream and AEAD-only constructions.
    pub block_bits: u32,
    pub mac: String,
    pub export: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Cbc,
    Aead,
    Stream,
    /// No encryption at all (NULL suites).
    None,
}

/// Why a suite is weak; the checks name these next to the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weakness {
    NullCipher,
    Anonymous,
    Export,
    Rc4,
    /// 3DES, DES, IDEA, RC2: SWEET32-class birthday attacks on 64-bit blocks.
    Block64,
    /// Fewer than 128 key bits.
    ShortKey,
}

impl Weakness {
    pub fn as_str(self) -> &'static str {
        match self {
            Weakness::NullCipher => "no encryption (NULL)",
            Weakness::Anonymous => "anonymous, no server authentication",
            Weakness::Export => "EXPORT-grade",
            Weakness::Rc4 => "RC4",
            Weakness::Block64 => "64-bit block cipher",
            Weakness::ShortKey => "key shorter than 128 bits",
        }
    }

    /// NULL and anonymous suites give no protection at all against an active attacker.
    pub fn is_critical(self) -> bool {
        matches!(self, Weakness::NullCipher | Weakness::Anonymous)
    }
}

impl CipherSuite {
    pub fn weaknesses(&self) -> Vec<Weakness> {
        let mut out = Vec::new();
        if self.mode == Mode::None {
            out.push(Weakness::NullCipher);
        }
        if self.auth == "NULL" && self.kx != "NULL" {
            out.push(Weakness::Anonymous);
        }
        if self.export {
            out.push(Weakness::Export);
        }
        if self.enc == "RC4" {
            out.push(Weakness::Rc4);
        }
        if self.block_bits == 64 {
            out.push(Weakness::Block64);
        }
        if self.mode != Mode::None && self.bits < 128 {
            out.push(Weakness::ShortKey);
        }
        out
    }

    /// Ephemeral key exchange: a stolen server key does not decrypt past sessions.
    pub fn forward_secret(&self) -> bool {
        matches!(self.kx.as_str(), "DHE" | "ECDHE" | "TLS13")
    }

    pub fn is_aead(&self) -> bool {
        self.mode == Mode::Aead
    }

    pub fn is_tls13(&self) -> bool {
        self.kx == "TLS13"
    }

    /// Needs TLS 1.2's record layer (AEAD or SHA-2 MAC/PRF): useless to offer earlier.
    pub fn tls12_only(&self) -> bool {
        self.is_aead() || self.mac.starts_with("HMAC-SHA256") || self.mac.starts_with("HMAC-SHA384")
    }

    /// Whether a hello for `version` should offer this suite.
    pub fn usable_with(&self, version: TlsVersion) -> bool {
        if self.code == 0x0000 {
            return false; // TLS_NULL_WITH_NULL_NULL is the "no suite yet" state, not a suite
        }
        match version {
            TlsVersion::Tls13 => self.is_tls13(),
            TlsVersion::Tls12 => !self.is_tls13(),
            _ => !self.is_tls13() && !self.tls12_only(),
        }
    }

    /// Offer order: what a modern client prefers first, so the first suite a server
    /// with client-order preference picks is the one real browsers get.
    fn offer_rank(&self) -> (u8, u8, u8, u32) {
        let weak = u8::from(!self.weaknesses().is_empty());
        let fs = u8::from(!self.forward_secret());
        let aead = u8::from(!self.is_aead());
        (weak, fs, aead, u32::MAX - self.bits)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct SuiteDataError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// The parsed data file, looked up by code point.
#[derive(Debug, Clone)]
pub struct SuiteTable {
    suites: Vec<CipherSuite>,
    by_code: HashMap<u16, usize>,
}

impl SuiteTable {
    /// The compiled-in table. A unit test proves every line of it parses, so a line that
    /// failed here would be skipped rather than break a scan.
    pub fn builtin() -> SuiteTable {
        SuiteTable::parse("checks/tls_cipher_suites.csv", BUILTIN_SUITES)
            .unwrap_or_else(|(partial, _)| partial)
    }

    /// Parses the CSV; on error returns what did parse and every bad line.
    #[allow(clippy::result_large_err)]
    pub fn parse(file: &str, text: &str) -> Result<SuiteTable, (SuiteTable, Vec<SuiteDataError>)> {
        let mut suites = Vec::new();
        let mut errors = Vec::new();
        let mut header_seen = false;
        // Counted as we go: `line_of` per line would rescan the text, quadratic per site.
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                header_seen = true;
                if line.starts_with("code,") {
                    continue;
                }
            }
            match parse_line(line) {
                Ok(suite) => suites.push(suite),
                Err(reason) => errors.push(SuiteDataError {
                    file: file.to_string(),
                    line: line_no,
                    reason,
                }),
            }
        }
        let mut by_code = HashMap::new();
        for (i, s) in suites.iter().enumerate() {
            by_code.entry(s.code).or_insert(i);
        }
        let table = SuiteTable { suites, by_code };
        if errors.is_empty() {
            Ok(table)
        } else {
            Err((table, errors))
        }
    }

    pub fn get(&self, code: u16) -> Option<&CipherSuite> {
        self.by_code.get(&code).map(|&i| &self.suites[i])
    }

    pub fn len(&self) -> usize {
        self.suites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.suites.is_empty()
    }

    /// The IANA name, or the code point in hex for a suite IANA does not list.
    pub fn name(&self, code: u16) -> String {
        self.get(code)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("0x{code:04x}"))
    }

    /// Every suite worth offering in a hello for `version`, strongest first.
    pub fn offer_list(&self, version: TlsVersion) -> Vec<u16> {
        let mut usable: Vec<&CipherSuite> = self
            .suites
            .iter()
            .filter(|s| s.usable_with(version))
            .collect();
        usable.sort_by_cached_key(|s| (s.offer_rank(), s.code));
        usable.iter().map(|s| s.code).collect()
    }
}

fn parse_line(line: &str) -> Result<CipherSuite, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [code, name, kx, auth, enc, bits, mode, block, mac, export] = fields[..] else {
        return Err(format!("expected 10 columns, found {}", fields.len()));
    };
    let code = code
        .strip_prefix("0x")
        .and_then(|h| u16::from_str_radix(h, 16).ok())
        .ok_or_else(|| format!("code `{code}` is not 0xXXXX"))?;
    let number = |what: &str, v: &str| {
        v.parse::<u32>()
            .map_err(|_| format!("{what} `{v}` is not a number"))
    };
    let mode = match mode {
        "CBC" => Mode::Cbc,
        "AEAD" => Mode::Aead,
        "stream" => Mode::Stream,
        "none" => Mode::None,
        other => return Err(format!("mode `{other}` is not CBC, AEAD, stream or none")),
    };
    let export = match export {
        "yes" => true,
        "no" => false,
        other => return Err(format!("export `{other}` is not yes or no")),
    };
    if name.is_empty() {
        return Err("empty name".into());
    }
    Ok(CipherSuite {
        code,
        name: name.to_string(),
        kx: kx.to_string(),
        auth: auth.to_string(),
        enc: enc.to_string(),
        bits: number("bits", bits)?,
        mode,
        block_bits: number("block", block)?,
        mac: mac.to_string(),
        export,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_data_parses_completely() {
        let table = SuiteTable::parse("builtin", BUILTIN_SUITES).expect("every line parses");
        assert_eq!(table.len(), 350);
    }

    #[test]
    fn classification_follows_the_iana_columns() {
        let t = SuiteTable::builtin();
        let weak = |code: u16| t.get(code).expect("known").weaknesses();
        assert_eq!(weak(0x0002), vec![Weakness::NullCipher]); // RSA_WITH_NULL_SHA
        assert_eq!(weak(0x0034), vec![Weakness::Anonymous]); // DH_anon_WITH_AES_128_CBC_SHA
        assert_eq!(
            weak(0x0003),
            vec![Weakness::Export, Weakness::Rc4, Weakness::ShortKey]
        );
        assert_eq!(weak(0x0005), vec![Weakness::Rc4]);
        assert_eq!(weak(0x000a), vec![Weakness::Block64]);
        assert_eq!(weak(0x0007), vec![Weakness::Block64]); // IDEA
        assert_eq!(weak(0x0009), vec![Weakness::Block64, Weakness::ShortKey]); // DES
        assert!(weak(0xc02f).is_empty());
        let rsa_cbc = t.get(0x002f).expect("RSA_WITH_AES_128_CBC_SHA");
        assert!(!rsa_cbc.forward_secret() && !rsa_cbc.is_aead());
        assert!(
            t.get(0xc02f)
                .is_some_and(|s| s.forward_secret() && s.is_aead())
        );
        assert!(
            t.get(0x1301)
                .is_some_and(|s| s.forward_secret() && s.is_tls13())
        );
        assert_eq!(t.name(0xfefe), "0xfefe");
    }

    #[test]
    fn each_version_is_offered_only_what_it_can_negotiate() {
        let t = SuiteTable::builtin();
        let tls13 = t.offer_list(TlsVersion::Tls13);
        assert_eq!(
            tls13.len(),
            11,
            "RFC 8446, SM4, AEGIS and integrity-only suites"
        );
        let tls10 = t.offer_list(TlsVersion::Tls10);
        assert!(!tls10.contains(&0xc02f), "GCM needs TLS 1.2");
        assert!(tls10.contains(&0xc013) && tls10.contains(&0x0005));
        let tls12 = t.offer_list(TlsVersion::Tls12);
        assert!(!tls12.contains(&0x0000) && !tls12.contains(&0x1301));
        assert!(tls12.len() > 300);
        let first = t.get(tls12[0]).expect("known");
        assert!(first.forward_secret() && first.is_aead() && first.weaknesses().is_empty());
        let last = t.get(tls12[tls12.len() - 1]).expect("known");
        assert!(
            !last.weaknesses().is_empty(),
            "weak suites are offered last"
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let text = "code,name,kx,auth,enc,bits,mode,block,mac,export\n\
                    0x002f,TLS_RSA_WITH_AES_128_CBC_SHA,RSA,RSA,AES,128,CBC,128,HMAC-SHA1,no\n\
                    0xzz,BAD,RSA,RSA,AES,128,CBC,128,HMAC-SHA1,no\n";
        let (partial, errors) = SuiteTable::parse("x.csv", text).expect_err("bad line");
        assert_eq!(partial.len(), 1);
        assert_eq!(errors[0].to_string(), "x.csv:3: code `0xzz` is not 0xXXXX");
    }
}
