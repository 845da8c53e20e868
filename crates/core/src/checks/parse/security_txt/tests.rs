use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-05 00:00 UTC);
const URL: &str = "https://so-y-te.example.vn/.well-known/security.txt";

/// A complete file of our own: two contacts, every optional field, a comment.
const VALID: &str = "# Liên hệ an toàn thông tin\n\
    Contact: mailto:attt@so-y-te.example.vn\n\
    Contact: tel:+84-24-0000-0000\n\
    Expires: 2027-06-01T00:00:00+07:00\n\
    Encryption: https://so-y-te.example.vn/pgp-key.txt\n\
    Acknowledgments: https://so-y-te.example.vn/cam-on\n\
    Preferred-Languages: vi, en\n\
    Canonical: https://so-y-te.example.vn/.well-known/security.txt\n\
    Policy: https://so-y-te.example.vn/chinh-sach-cong-bo\n\
    Hiring: https://so-y-te.example.vn/tuyen-dung\n\
    CSAF: https://so-y-te.example.vn/.well-known/csaf/provider-metadata.json\n\
    X-Extension: anything goes\n";

fn judge(text: &str) -> Judgement {
    parse(text.as_bytes()).judge(NOW, &[URL])
}

#[test]
fn a_complete_file_is_valid() {
    let file = parse(VALID.as_bytes());
    assert!(!file.signed && !file.bom && !file.truncated);
    assert_eq!(file.fields.len(), 11);
    assert_eq!(file.fields[0].line, 2);
    let j = file.judge(NOW, &[URL]);
    assert_eq!(j.problems, []);
    assert_eq!(j.expires, Some(datetime!(2027-06-01 00:00 +07:00)));
    assert!(!j.expired && !j.expires_far);
    assert_eq!(j.canonical_mismatch, None);
    assert_eq!(
        j.contacts,
        ["mailto:attt@so-y-te.example.vn", "tel:+84-24-0000-0000"]
    );
}

#[test]
fn field_names_are_case_insensitive_and_whitespace_is_optional() {
    let j = judge("contact:mailto:a@b.example\nEXPIRES:\t2027-01-01T00:00:00Z  \n");
    assert_eq!(j.problems, []);
    assert_eq!(j.contacts, ["mailto:a@b.example"]);
}

#[test]
fn crlf_line_ends_and_a_byte_order_mark_are_accepted() {
    let text = format!("\u{feff}{}", VALID.replace('\n', "\r\n"));
    let file = parse(text.as_bytes());
    assert!(file.bom);
    assert_eq!(file.fields.len(), 11);
    assert_eq!(file.fields[0].name, "Contact");
    assert_eq!(file.judge(NOW, &[URL]).problems, []);
}

/// The cleartext signature framing of RFC 4880 §7, with a made-up signature block: the
/// file is reported as signed, dash-escaped lines are read, and nothing is verified.
#[test]
fn a_signed_file_is_read_through_its_framing() {
    let signed = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n{}- # dash-escaped comment\n\
         -----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCgAdFiEEdHJ1c3RsYWJlbCB0ZXN0IG9ubHk=\n=abcd\n\
         -----END PGP SIGNATURE-----\n",
        VALID
    );
    let file = parse(signed.as_bytes());
    assert!(file.signed);
    assert_eq!(file.fields.len(), 11);
    assert_eq!(file.judge(NOW, &[URL]).problems, []);
}

#[test]
fn a_broken_signature_frame_is_a_problem() {
    let no_block = format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{VALID}");
    assert_eq!(
        judge(&no_block).problems,
        [Problem::BadSignatureFraming(
            "no -----BEGIN PGP SIGNATURE----- line"
        )]
    );
    let unterminated = format!("{no_block}-----BEGIN PGP SIGNATURE-----\n\nAAAA\n");
    assert_eq!(
        judge(&unterminated).problems,
        [Problem::BadSignatureFraming(
            "no -----END PGP SIGNATURE----- line"
        )]
    );
    let trailing = format!(
        "{no_block}-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\nContact: mailto:x@y.example\n"
    );
    assert_eq!(
        judge(&trailing).problems,
        [Problem::BadSignatureFraming(
            "text after -----END PGP SIGNATURE-----"
        )]
    );
}

#[test]
fn missing_contact_and_expires_are_named() {
    let j = judge("# nothing but a comment\nPolicy: https://a.example/p\n");
    assert_eq!(j.problems, [Problem::NoContact, Problem::NoExpires]);
    assert_eq!(j.expires, None);
    assert!(!j.expired);
}

#[test]
fn a_bare_address_or_a_plain_http_page_is_no_contact_uri() {
    let j = judge(
        "Contact: attt@so-y-te.example.vn\nContact: http://so-y-te.example.vn/lien-he\n\
         Expires: 2027-01-01T00:00:00Z\n",
    );
    assert_eq!(
        j.problems,
        [
            Problem::NotUri {
                field: "Contact".into(),
                value: "attt@so-y-te.example.vn".into()
            },
            Problem::NotHttps {
                field: "Contact".into(),
                value: "http://so-y-te.example.vn/lien-he".into()
            },
        ]
    );
}

#[test]
fn expires_must_be_one_rfc3339_date_time() {
    let twice = judge(
        "Contact: mailto:a@b.example\nExpires: 2027-01-01T00:00:00Z\nExpires: 2027-02-01T00:00:00Z\n",
    );
    assert_eq!(twice.problems, [Problem::DuplicateExpires { count: 2 }]);
    assert_eq!(twice.expires, None);
    for bad in [
        "2027-01-01",
        "01/01/2027",
        "Fri, 01 Jan 2027 00:00:00 GMT",
        "",
    ] {
        let j = judge(&format!("Contact: mailto:a@b.example\nExpires: {bad}\n"));
        assert_eq!(
            j.problems,
            [Problem::BadExpires { value: bad.into() }],
            "{bad:?}"
        );
    }
}

#[test]
fn expiry_is_judged_against_the_scan_time() {
    let at = |when: &str| judge(&format!("Contact: mailto:a@b.example\nExpires: {when}\n"));
    let past = at("2026-12-04T23:59:59Z");
    assert!(past.expired && !past.expires_far);
    assert_eq!(
        past.problems,
        [],
        "expired is reported apart, not as invalid"
    );
    assert!(
        at("2026-12-05T00:00:00Z").expired,
        "the exact scan time is over"
    );
    let soon = at("2027-12-04T00:00:00Z");
    assert!(!soon.expired && !soon.expires_far);
    let far = at("2028-01-01T00:00:00Z");
    assert!(!far.expired && far.expires_far);
}

#[test]
fn canonical_must_list_the_url_it_was_fetched_from() {
    let base = "Contact: mailto:a@b.example\nExpires: 2027-01-01T00:00:00Z\n";
    let elsewhere = format!("{base}Canonical: https://other.example/.well-known/security.txt\n");
    assert_eq!(
        judge(&elsewhere).canonical_mismatch,
        Some(vec![
            "https://other.example/.well-known/security.txt".to_string()
        ])
    );
    // Any one of several matches, compared as URLs (host case, default port).
    let listed = format!(
        "{base}Canonical: https://other.example/.well-known/security.txt\n\
         Canonical: https://SO-Y-TE.example.vn:443/.well-known/security.txt\n"
    );
    assert_eq!(judge(&listed).canonical_mismatch, None);
    assert_eq!(judge(base).canonical_mismatch, None, "optional field");
}

#[test]
fn lines_that_are_no_field_are_named_with_their_number() {
    let j = judge(
        "Contact: mailto:a@b.example\n\nthis is prose\nExpires: 2027-01-01T00:00:00Z\n: no name\n",
    );
    assert_eq!(
        j.problems,
        [
            Problem::BadLine {
                line: 3,
                text: "this is prose".into()
            },
            Problem::BadLine {
                line: 5,
                text: ": no name".into()
            },
        ]
    );
}

#[test]
fn preferred_languages_once_with_tags() {
    let base = "Contact: mailto:a@b.example\nExpires: 2027-01-01T00:00:00Z\n";
    let j = judge(&format!(
        "{base}Preferred-Languages: vi\nPreferred-Languages: en, tiếng Việt\n"
    ));
    assert_eq!(
        j.problems,
        [
            Problem::DuplicatePreferredLanguages { count: 2 },
            Problem::BadLanguageTag {
                value: "en, tiếng Việt".into()
            },
        ]
    );
    assert_eq!(
        judge(&format!(
            "{base}Preferred-Languages: vi-VN, en, zh-Hant-TW\n"
        ))
        .problems,
        []
    );
}

#[test]
fn invalid_utf8_is_a_problem_and_the_rest_is_still_read() {
    let mut bytes = b"Contact: mailto:a@b.example\nExpires: 2027-01-01T00:00:00Z\n# ".to_vec();
    bytes.extend([0xff, 0xfe, b'\n']);
    let file = parse(&bytes);
    assert_eq!(file.fields.len(), 2);
    assert_eq!(
        file.judge(NOW, &[URL]).problems,
        [Problem::NotUtf8 { offset: 60 }]
    );
}

#[test]
fn a_huge_file_is_read_only_up_to_the_caps() {
    let mut big = String::from("Contact: mailto:a@b.example\nExpires: 2027-01-01T00:00:00Z\n");
    while big.len() <= MAX_BYTES * 4 {
        big.push_str("# filler line to make the file far larger than any real one\n");
    }
    big.push_str("Contact: mailto:never-read@b.example\n");
    let file = parse(big.as_bytes());
    assert!(file.truncated);
    assert_eq!(file.values("contact").count(), 1);
    assert_eq!(file.judge(NOW, &[URL]).problems, []);

    // Short lines: the line cap stops first.
    let lines = "Contact: mailto:a@b.example\n".repeat(MAX_LINES + 5);
    assert!(lines.len() < MAX_BYTES);
    let file = parse(lines.as_bytes());
    assert!(file.truncated);
    assert_eq!(file.fields.len(), MAX_LINES);

    // A cut in the middle of a line drops that line.
    let mut cut = "# x\n".repeat(MAX_BYTES / 4 - 1);
    cut.push_str("Contact: mailto:cut-in-the-middle@b.example\n");
    let file = parse(cut.as_bytes());
    assert!(file.truncated);
    assert_eq!(file.fields, []);
    assert_eq!(file.syntax, []);
}

#[test]
fn an_empty_file_has_no_fields() {
    for text in ["", "\n\n", "\u{feff}", "   \r\n"] {
        let j = judge(text);
        assert_eq!(j.problems, [Problem::NoContact, Problem::NoExpires]);
    }
}

/// A deterministic stand-in for fuzzing in `cargo test`: thousands of mutations of valid
/// and signed files (cuts, flipped and inserted bytes, repeated chunks) never panic and
/// always respect the caps. `fuzz/fuzz_targets/security_txt.rs` runs the same property
/// under libFuzzer.
#[test]
fn any_mutation_of_a_file_parses_within_the_caps() {
    let signed = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{VALID}-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
    );
    let seeds = [VALID.as_bytes().to_vec(), signed.into_bytes()];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..4000 {
        let mut bytes = seeds[round % 2].clone();
        for _ in 0..(next() % 8) {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 5 {
                0 => bytes.truncate(at),
                1 if at < bytes.len() => bytes[at] = next() as u8,
                2 => bytes.insert(
                    at,
                    [b'\n', b'\r', b':', b'-', b'#', 0xff][(next() % 6) as usize],
                ),
                3 => {
                    let chunk = bytes[at..].iter().take(64).copied().collect::<Vec<u8>>();
                    for _ in 0..(next() % 2000) {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                _ => bytes.insert(at, next() as u8),
            }
        }
        let file = parse(&bytes);
        assert!(file.fields.len() <= MAX_LINES);
        assert!(file.fields.iter().all(|f| f.line <= MAX_LINES + 1));
        let j = file.judge(NOW, &[URL]);
        assert!(j.problems.iter().all(|p| p.to_string().len() < 400));
    }
}
