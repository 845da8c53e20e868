//! Any bytes a server may send, fed to the legacy prober's parsers in random-sized reads:
//! record reassembly, ServerHello/HelloRetryRequest/Alert/Certificate/ServerKeyExchange.
//! A panic, an overflow or a hang here is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustlabel_core::tlsprobe::server::{
    KxLayout, parse_certificates, parse_server_hello, parse_server_key_exchange,
};
use trustlabel_core::tlsprobe::ServerFlight;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the read size, so reassembly across reads is exercised too.
    let (step, stream) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 16) + 1, rest),
        None => (1, data),
    };
    let mut flight = ServerFlight::new();
    let mut decided = false;
    for read in stream.chunks(step) {
        if flight.feed(read).is_some() {
            decided = true;
            break;
        }
    }
    if !decided {
        let _ = flight.end_of_stream();
    }
    let _ = parse_server_hello(stream);
    let _ = parse_certificates(stream);
    for layout in [KxLayout::Dh, KxLayout::Ec, KxLayout::Rsa] {
        let _ = parse_server_key_exchange(layout, stream);
    }
});
