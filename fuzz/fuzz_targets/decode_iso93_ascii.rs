#![no_main]
//! Fuzz target `decode_iso93_ascii`: a thin call into the crate's hidden `fuzzing` harness.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iso8583_wire::fuzzing::decode_round_trip("iso93-ascii", data);
});
