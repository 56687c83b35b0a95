#![no_main]
//! Fuzz target `spec_values`: a thin call into the crate's hidden `fuzzing` harness.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iso8583_wire::fuzzing::spec_values(data);
});
