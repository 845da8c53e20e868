use super::*;
use crate::tlsprobe::forge;

const TLS12: u16 = 0x0303;

fn flight(messages: &[Vec<u8>]) -> Vec<u8> {
    forge::record(22, TLS12, &messages.concat())
}

fn feed_all(bytes: &[u8]) -> Option<Flight> {
    ServerFlight::new().feed(bytes)
}

fn hello_of(f: Option<Flight>) -> ServerAnswer {
    match f {
        Some(Flight::Hello(a)) => *a,
        other => panic!("expected a hello, got {other:?}"),
    }
}

#[test]
fn a_tls12_flight_gives_suite_certificates_and_dh_size() {
    let bytes = flight(&[
        forge::server_hello(TLS12, 0x009e, None, None),
        forge::certificate(&[b"leaf", b"ca"]),
        forge::dh_key_exchange(1024),
        forge::server_hello_done(),
    ]);
    let a = hello_of(feed_all(&bytes));
    assert_eq!((a.hello.version, a.hello.suite), (TLS12, 0x009e));
    assert!(a.hello.secure_renegotiation);
    assert_eq!(a.certificates, vec![b"leaf".to_vec(), b"ca".to_vec()]);
    let ske = a.server_key_exchange.expect("SKE");
    assert_eq!(
        parse_server_key_exchange(KxLayout::Dh, &ske),
        Some(KeyExchangeParams::Dh { bits: 1024 })
    );
    assert_eq!(a.note, None);
}

#[test]
fn messages_split_across_records_and_reads_are_reassembled() {
    let hs = [
        forge::server_hello(TLS12, 0xc02f, None, None),
        forge::ecdh_key_exchange(23),
    ]
    .concat();
    let mut bytes = forge::record(22, TLS12, &hs[..10]);
    bytes.extend(forge::record(22, TLS12, &hs[10..]));
    let mut f = ServerFlight::new();
    let mut out = None;
    for b in &bytes {
        assert!(out.is_none(), "decided before the last byte");
        out = f.feed(std::slice::from_ref(b));
    }
    let a = hello_of(out);
    assert_eq!(
        parse_server_key_exchange(KxLayout::Ec, &a.server_key_exchange.expect("SKE")),
        Some(KeyExchangeParams::Ecdh {
            group: "secp256r1".into()
        })
    );
}

#[test]
fn tls13_answers_end_at_the_server_hello() {
    let bytes = flight(&[forge::server_hello(TLS12, 0x1301, Some(0x0304), Some(29))]);
    let a = hello_of(feed_all(&bytes));
    assert_eq!(
        (a.hello.version, a.hello.key_share_group),
        (0x0304, Some(29))
    );
}

#[test]
fn sslv3_hellos_without_extensions_parse() {
    let bytes = forge::record(22, 0x0300, &forge::server_hello(0x0300, 0x000a, None, None));
    let mut f = ServerFlight::new();
    assert_eq!(f.feed(&bytes), None, "waits for the rest of the flight");
    let a = hello_of(Some(f.end_of_stream()));
    assert_eq!((a.hello.version, a.hello.suite), (0x0300, 0x000a));
    assert!(a.note.is_some_and(|n| n.contains("closed")));
}

#[test]
fn alerts_garbage_and_oversized_records_are_named() {
    assert_eq!(
        feed_all(&forge::alert(TLS12, 70)),
        Some(Flight::Alert(Alert {
            level: 2,
            description: 70
        }))
    );
    assert_eq!(
        Alert {
            level: 2,
            description: 40
        }
        .name(),
        "handshake_failure"
    );
    match feed_all(b"HTTP/1.1 400 Bad Request\r\n\r\n") {
        Some(Flight::Malformed(m)) => assert!(m.contains("not a TLS record"), "{m}"),
        other => panic!("{other:?}"),
    }
    match feed_all(&[22, 3, 3, 0xff, 0xff]) {
        Some(Flight::Malformed(m)) => assert!(m.contains("oversized record of 65535"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut f = ServerFlight::new();
    assert_eq!(f.feed(&[22, 3, 3, 0, 40, 2, 0]), None);
    match f.end_of_stream() {
        Flight::Malformed(m) => assert!(m.contains("closed mid-record"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(ServerFlight::new().end_of_stream(), Flight::Closed);
    assert_eq!(ServerFlight::new().timed_out(), Flight::Timeout);
}

#[test]
fn a_stream_that_never_ends_is_cut_off() {
    let mut f = ServerFlight::new();
    let hello = flight(&[forge::server_hello(TLS12, 0x002f, None, None)]);
    assert_eq!(f.feed(&hello), None);
    let cert = forge::record(22, TLS12, &[11, 0x01, 0xff, 0xff]);
    assert_eq!(f.feed(&cert), None);
    let filler = vec![0u8; 16 * 1024];
    let mut end = None;
    for _ in 0..64 {
        end = f.feed(&filler);
        if end.is_some() {
            break;
        }
    }
    let a = hello_of(end);
    assert_eq!(a.hello.suite, 0x002f, "the hello still counts");
    assert!(a.note.is_some());
}

#[test]
fn any_prefix_or_corruption_of_a_flight_never_panics() {
    let bytes = flight(&[
        forge::server_hello(TLS12, 0x009e, None, None),
        forge::certificate(&[b"leaf"]),
        forge::dh_key_exchange(2048),
        forge::server_hello_done(),
    ]);
    for cut in 0..bytes.len() {
        let mut f = ServerFlight::new();
        let _ = f.feed(&bytes[..cut]);
        let _ = f.end_of_stream();
        for flip in [0x00u8, 0xff, 0x80] {
            let mut corrupt = bytes.clone();
            corrupt[cut] = flip;
            let _ = ServerFlight::new().feed(&corrupt);
        }
    }
    for layout in [KxLayout::Dh, KxLayout::Ec, KxLayout::Rsa] {
        for n in 0..8 {
            let _ = parse_server_key_exchange(layout, &vec![0xff; n]);
        }
    }
}

#[test]
fn prime_sizes_ignore_leading_zeros() {
    assert_eq!(significant_bits(&[0, 0x80, 0]), 16);
    assert_eq!(significant_bits(&[0x01]), 1);
    assert_eq!(significant_bits(&[0, 0]), 0);
    assert_eq!(significant_bits(&[]), 0);
}

#[test]
fn the_fuzz_seed_corpus_parses_as_named() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/server_flight");
    let seed = |name: &str| -> Flight {
        let bytes = std::fs::read(dir.join(name)).expect("seed file");
        // The fuzz target reads the first byte as the read size.
        let mut f = ServerFlight::new();
        f.feed(&bytes[1..]).unwrap_or_else(|| f.end_of_stream())
    };
    let suite = |flight: Flight| match flight {
        Flight::Hello(a) => (a.hello.version, a.hello.suite),
        other => panic!("{other:?}"),
    };
    assert_eq!(suite(seed("tls12_dhe_1024.bin")), (0x0303, 0x009f));
    assert_eq!(suite(seed("tls12_ecdhe_split.bin")), (0x0303, 0xc02f));
    assert_eq!(suite(seed("tls13_server_hello.bin")), (0x0304, 0x1301));
    assert_eq!(suite(seed("tls13_hello_retry.bin")), (0x0304, 0x1302));
    assert_eq!(suite(seed("sslv3_static_rsa.bin")), (0x0300, 0x000a));
    assert!(matches!(seed("alert_protocol_version.bin"), Flight::Alert(a) if a.description == 70));
    assert!(
        matches!(seed("oversized_record.bin"), Flight::Malformed(m) if m.contains("oversized"))
    );
    assert!(matches!(seed("garbage.bin"), Flight::Malformed(m) if m.contains("not a TLS record")));
}
