#![no_main]
//! Fuzz target `journal_ops`: a thin call into the crate's hidden `fuzzing` harness.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iso8583_wire::fuzzing::journal_ops(data);
});
