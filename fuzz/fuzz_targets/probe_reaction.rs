//! Any bytes a server may send after a vulnerability probe's records (heartbeat answers,
//! alerts, records after an early ChangeCipherSpec), fed in random-sized reads to the
//! reaction reader and to the flight parser that reads through ServerHelloDone; and any
//! bytes as a server's RSA key for the ROBOT records. A panic or a hang here is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustlabel_core::tlsprobe::probe_records::{RobotVariant, robot_block, robot_records};
use trustlabel_core::tlsprobe::{ReactionReader, ServerFlight};

fuzz_target!(|data: &[u8]| {
    let (step, stream) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 16) + 1, rest),
        None => (1, data),
    };
    let mut reader = ReactionReader::new();
    let mut decided = false;
    for read in stream.chunks(step) {
        if reader.feed(read).is_some() {
            decided = true;
            break;
        }
    }
    if !decided {
        let _ = reader.end_of_stream();
    }
    let mut flight = ServerFlight::through_hello_done();
    for read in stream.chunks(step) {
        if flight.feed(read).is_some() {
            break;
        }
    }
    // The key as a server could send it: modulus and exponent split anywhere (bounded
    // so one input stays fast).
    let key = &stream[..stream.len().min(600)];
    let (modulus, exponent) = key.split_at(key.len() / 2);
    let exponent = &exponent[..exponent.len().min(4)];
    for variant in RobotVariant::ALL {
        let block = robot_block(variant, modulus.len(), 0x0303, key);
        let _ = robot_records(0x0303, modulus, exponent, &block);
    }
});
