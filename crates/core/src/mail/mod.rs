//! Mail authentication and transport security records, parsed and judged without I/O:
//! SPF (who may send as the domain), DMARC (what receivers do with mail that fails),
//! MTA-STS and TLS-RPT (TLS between mail servers). DKIM is not here: its keys sit under
//! selectors nobody can list, and trustlabel does not guess them.

pub mod dmarc;
pub mod mta_sts;
pub mod spf;
pub mod tlsrpt;

/// The TXT strings of one record joined into its text (RFC 7208 §3.3, RFC 7489 §6.6.3:
/// the character-strings of one record are concatenated without spaces).
pub fn txt_text(strings: &[Vec<u8>]) -> String {
    let joined: Vec<u8> = strings.concat();
    String::from_utf8_lossy(&joined).into_owned()
}
