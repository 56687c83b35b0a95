#![no_main]
//! Fuzz target `pcap`: a thin call into the crate's hidden `fuzzing` harness.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iso8583_wire::fuzzing::pcap_capture(data);
});
