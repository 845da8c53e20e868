//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record naming where sending
//! servers report TLS failures, so an owner hears about a broken STARTTLS or MTA-STS
//! set-up before mail is lost.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsRptError {
    #[error("the record does not start with `v=TLSRPTv1`")]
    NotTlsRpt,
    #[error("the `rua` field is missing or names no mailto: or https: address")]
    BadRua,
}

pub fn is_tlsrpt(text: &str) -> bool {
    text.split(';')
        .next()
        .is_some_and(|f| f.trim() == "v=TLSRPTv1")
}

/// Parses the record; returns its report destinations.
pub fn parse(text: &str) -> Result<Vec<String>, TlsRptError> {
    let mut fields = text.split(';').map(str::trim).filter(|f| !f.is_empty());
    if fields.next() != Some("v=TLSRPTv1") {
        return Err(TlsRptError::NotTlsRpt);
    }
    for field in fields {
        if let Some(value) = field.strip_prefix("rua=") {
            let uris: Vec<String> = value.split(',').map(|u| u.trim().to_string()).collect();
            let ok = !uris.is_empty()
                && uris.iter().all(|u| {
                    (u.starts_with("mailto:") && u.len() > 7 && u.contains('@'))
                        || u.starts_with("https://")
                });
            return if ok {
                Ok(uris)
            } else {
                Err(TlsRptError::BadRua)
            };
        }
    }
    Err(TlsRptError::BadRua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse() {
        assert_eq!(
            parse("v=TLSRPTv1; rua=mailto:tls@example.vn,https://r.example.vn/tls")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(parse("v=TLSRPTv1;"), Err(TlsRptError::BadRua));
        assert_eq!(
            parse("v=TLSRPTv1; rua=tls@example.vn"),
            Err(TlsRptError::BadRua)
        );
        assert_eq!(
            parse("v=STSv1; rua=mailto:a@b"),
            Err(TlsRptError::NotTlsRpt)
        );
        assert!(is_tlsrpt("v=TLSRPTv1; rua=mailto:a@b.vn"));
    }
}
