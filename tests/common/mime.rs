//! Reading a received message as its recipient would, for the SMTP sink (`smtp.rs`):
//! the header block (RFC 5322, unfolded), encoded words in `Subject` (RFC 2047, B and Q),
//! and a single-part `text/plain` body with its transfer encoding undone (RFC 2045: 7bit,
//! 8bit, binary, quoted-printable, base64). Written from the RFCs, independent of the
//! client under test; UTF-8 and US-ASCII are the only charsets accepted, since the
//! notification texts are Vietnamese and anything else is a bug worth failing on.

/// The `Subject` header, decoded.
pub fn subject(raw: &[u8]) -> Result<String, String> {
    let (headers, _) = split(raw)?;
    let value = header(&headers, "subject").ok_or("the message has no Subject header")?;
    decode_words(&value)
}

/// The body as text, with LF line ends.
pub fn text_body(raw: &[u8]) -> Result<String, String> {
    let (headers, body) = split(raw)?;
    let content_type = header(&headers, "content-type").unwrap_or_else(|| "text/plain".into());
    let mut parts = content_type.split(';').map(str::trim);
    let media = parts.next().unwrap_or("").to_ascii_lowercase();
    if media != "text/plain" {
        return Err(format!(
            "expected a text/plain message, got `{content_type}`"
        ));
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            if name.trim().eq_ignore_ascii_case("charset") {
                check_charset(value.trim().trim_matches('"'))?;
            }
        }
    }
    let encoding = header(&headers, "content-transfer-encoding")
        .unwrap_or_else(|| "7bit".into())
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "7bit" | "8bit" | "binary" => body.to_vec(),
        "quoted-printable" => quoted_printable(body)?,
        "base64" => base64(body)?,
        other => return Err(format!("unknown Content-Transfer-Encoding `{other}`")),
    };
    let text = String::from_utf8(bytes).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    Ok(text.replace("\r\n", "\n"))
}

/// Header fields: name lower-cased, value unfolded.
type Fields = Vec<(String, String)>;

/// Header fields and the body after the blank line.
fn split(raw: &[u8]) -> Result<(Fields, &[u8]), String> {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(at) => (&raw[..at], &raw[at + 4..]),
        None => (raw, &[][..]),
    };
    let head = std::str::from_utf8(head).map_err(|e| format!("the header is not UTF-8: {e}"))?;
    let mut fields: Fields = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            // Unfolding (RFC 5322 2.2.3): the line break goes, the whitespace stays.
            let (_, value) = fields
                .last_mut()
                .ok_or("the header starts with a continuation line")?;
            value.push_str(line);
        } else {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("`{line}` is not a header field"))?;
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Ok((fields, body))
}

fn header(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn check_charset(charset: &str) -> Result<(), String> {
    // RFC 2231 allows a language after `*`.
    let name = charset.split('*').next().unwrap_or("");
    if name.eq_ignore_ascii_case("utf-8") || name.eq_ignore_ascii_case("us-ascii") {
        Ok(())
    } else {
        Err(format!("unexpected charset `{charset}`"))
    }
}

/// Decodes RFC 2047 encoded words in an unstructured header value. Whitespace between
/// two adjacent encoded words is not part of the text (6.2).
fn decode_words(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate)? {
            Some((text, used)) => {
                if !(after_word && before.chars().all(|c| c == ' ' || c == '\t')) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &candidate[used..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `=?charset?B|Q?text?=` at the start of `s`: the decoded text and the bytes it took;
/// `None` when `s` does not start with a well-formed encoded word.
fn encoded_word(s: &str) -> Result<Option<(String, usize)>, String> {
    let Some(inner) = s.strip_prefix("=?") else {
        return Ok(None);
    };
    let mut fields = inner.splitn(3, '?');
    let (Some(charset), Some(encoding), Some(tail)) = (fields.next(), fields.next(), fields.next())
    else {
        return Ok(None);
    };
    let Some(end) = tail.find("?=") else {
        return Ok(None);
    };
    let text = &tail[..end];
    if text.contains([' ', '\t']) {
        return Ok(None);
    }
    check_charset(charset)?;
    let bytes = match encoding {
        "B" | "b" => base64(text.as_bytes())?,
        "Q" | "q" => q_decode(text)?,
        _ => return Ok(None),
    };
    let used = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    let text =
        String::from_utf8(bytes).map_err(|e| format!("an encoded word is not UTF-8: {e}"))?;
    Ok(Some((text, used)))
}

/// RFC 2047 4.2: quoted-printable with `_` for space.
fn q_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => out.push(hex_pair(bytes.next(), bytes.next())?),
            other => out.push(other),
        }
    }
    Ok(out)
}

fn hex_pair(high: Option<u8>, low: Option<u8>) -> Result<u8, String> {
    let digit = |d: Option<u8>| {
        d.and_then(|d| (d as char).to_digit(16))
            .ok_or("`=` not followed by two hex digits")
    };
    Ok((digit(high)? * 16 + digit(low)?) as u8)
}

/// RFC 2045 6.7: `=XX` octets, `=` at a line end is a soft line break, trailing
/// whitespace on a line is not part of the text.
fn quoted_printable(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |p| p + 1);
        let (line, soft) = match line[..end].strip_suffix(b"=") {
            Some(rest) => (rest, true),
            None => (&line[..end], false),
        };
        let mut bytes = line.iter().copied();
        while let Some(b) = bytes.next() {
            if b == b'=' {
                out.push(hex_pair(bytes.next(), bytes.next())?);
            } else {
                out.push(b);
            }
        }
        // Every line but the last (empty after the final CRLF) ends in a hard break.
        if !soft && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    Ok(out)
}

/// RFC 4648 base64 (the standard alphabet), line breaks and other whitespace ignored.
fn base64(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (mut acc, mut bits, mut padding) = (0u32, 0u32, 0usize);
    for &c in text {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            other => return Err(format!("`{}` in base64 text", other as char)),
        };
        if padding > 0 {
            return Err("base64 text after its padding".into());
        }
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_and_the_space_between_them_goes() {
        assert_eq!(
            decode_words("=?utf-8?b?xJDDoyBn4bqvbg==?= =?UTF-8?Q?_nh=C3=A3n?= ok").unwrap(),
            "Đã gắn nhãn ok"
        );
        assert_eq!(decode_words("plain =? text").unwrap(), "plain =? text");
        assert!(decode_words("=?iso-8859-1?q?caf=E9?=").is_err());
    }

    #[test]
    fn transfer_encodings_are_undone() {
        let qp = b"Ch=C3=A0o b=\r\n=E1=BA=A1n\r\n.\r\nend   \r\n";
        assert_eq!(
            quoted_printable(qp).unwrap(),
            "Chào bạn\r\n.\r\nend\r\n".as_bytes()
        );
        assert_eq!(
            base64(b"Q2jDoG8g\r\nYuG6oW4=\r\n").unwrap(),
            "Chào bạn".as_bytes()
        );
        assert!(base64(b"ab=c").is_err());
        let raw = b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\
                    Content-Transfer-Encoding: base64\r\n\r\nQ2jDoG8=\r\n";
        assert_eq!(text_body(raw).unwrap(), "Chào");
    }
}
