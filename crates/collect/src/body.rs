//! Body decoding: Content-Encoding removal with an output cap, so a compression bomb
//! costs at most the cap in memory.

use std::io::Read;

/// Result of decoding a (possibly truncated) raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub bytes: Vec<u8>,
    /// The decoded output reached the cap.
    pub truncated: bool,
    pub encoding: Option<String>,
    pub error: Option<String>,
}

/// Removes the encodings named in `content_encoding` (applied in order, so decoded in
/// reverse). Unknown encodings leave the bytes as they are, with an error noted.
pub fn decode(raw: Vec<u8>, content_encoding: Option<&str>, cap: usize) -> Decoded {
    let encodings: Vec<String> = content_encoding
        .map(|v| {
            v.split(',')
                .map(|e| e.trim().to_ascii_lowercase())
                .filter(|e| !e.is_empty() && e != "identity")
                .collect()
        })
        .unwrap_or_default();
    if encodings.is_empty() {
        let truncated = raw.len() > cap;
        let mut bytes = raw;
        bytes.truncate(cap);
        return Decoded {
            bytes,
            truncated,
            encoding: None,
            error: None,
        };
    }
    let mut data = raw;
    let mut truncated = false;
    let mut error = None;
    for encoding in encodings.iter().rev() {
        let result = match encoding.as_str() {
            "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(&data[..]), cap),
            "deflate" => {
                // Servers send both zlib-wrapped and raw deflate under this name.
                let zlib = read_capped(flate2::read::ZlibDecoder::new(&data[..]), cap);
                if zlib.1.is_some() {
                    read_capped(flate2::read::DeflateDecoder::new(&data[..]), cap)
                } else {
                    zlib
                }
            }
            "br" => read_capped(brotli::Decompressor::new(&data[..], 4096), cap),
            other => {
                error = Some(format!("unsupported content-encoding `{other}`"));
                break;
            }
        };
        let (bytes, err, hit_cap) = result;
        truncated |= hit_cap;
        data = bytes;
        if let Some(e) = err {
            error = Some(format!("{encoding}: {e}"));
            break;
        }
    }
    Decoded {
        bytes: data,
        truncated,
        encoding: Some(encodings.join(", ")),
        error,
    }
}

/// Reads at most `cap` bytes; returns (bytes, error, reached_cap).
fn read_capped(reader: impl Read, cap: usize) -> (Vec<u8>, Option<String>, bool) {
    let mut out = Vec::new();
    let mut limited = reader.take(cap as u64 + 1);
    let error = limited.read_to_end(&mut out).err().map(|e| e.to_string());
    let hit_cap = out.len() > cap;
    out.truncate(cap);
    // A stream cut by the transfer cap ends early; that is truncation, not corruption.
    (out, error, hit_cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_and_brotli_are_decoded() {
        let text = b"xin chao".repeat(100);
        let d = decode(gzip(&text), Some("gzip"), 1 << 20);
        assert_eq!(d.bytes, text);
        assert!(!d.truncated && d.error.is_none());

        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            w.write_all(&text).unwrap();
        }
        assert_eq!(decode(br, Some("br"), 1 << 20).bytes, text);
    }

    #[test]
    fn a_compression_bomb_stops_at_the_cap() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100_000);
        let d = decode(bomb, Some("gzip"), 1 << 20);
        assert_eq!(d.bytes.len(), 1 << 20);
        assert!(d.truncated);
    }

    #[test]
    fn identity_and_unknown_encodings() {
        let d = decode(b"abcdef".to_vec(), None, 4);
        assert_eq!(d.bytes, b"abcd");
        assert!(d.truncated);
        let d = decode(b"abc".to_vec(), Some("zstd"), 10);
        assert_eq!(d.bytes, b"abc");
        assert!(d.error.unwrap().contains("zstd"));
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let d = decode(b"\x1f\x8b\x08garbage".to_vec(), Some("gzip"), 100);
        assert!(d.error.is_some());
    }
}
