//! One codec operation in a loop, for instruction counts under callgrind (deterministic, unlike
//! wall time on a shared machine). `tools/instructions.sh` runs it; by hand:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind target/release/deps/instructions-<hash> decode iso87-ascii-bin 1000
//! ```
//!
//! and subtract a run with 0 iterations (spec loading and setup), then divide by the count.
//! Operations (on the purchase of `benches/common/purchase.rs`, as `benches/codec.rs` runs
//! them): `decode`, `encode` (prepared builder into a reused buffer), `read_all` (decode,
//! then every field's text copied out and the amount parsed). Under `cargo bench` (no
//! operation given) it checks that each operation runs and exits.

use std::hint::black_box;

use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[path = "common/purchase.rs"]
mod purchase;

/// Runs `op` on `spec`'s purchase `iterations` times; the folded result keeps the work alive.
fn run(op: &str, spec_name: &str, iterations: u64) -> Result<u64, String> {
    let spec = Spec::builtin(spec_name).map_err(|e| e.to_string())?;
    let (mti, fields) = purchase::purchase(spec_name, None);
    let mut builder = MessageBuilder::new(&spec);
    purchase::fill(&mut builder, mti, &fields);
    let wire = builder.encode_to_vec().map_err(|e| e.to_string())?;
    let mut out = vec![0u8; 4096];
    let mut acc = 0u64;
    for _ in 0..iterations {
        let step = match op {
            "decode" => MessageView::decode(&spec, black_box(&wire))
                .map(|m| m.encoded_len() as u64)
                .map_err(|e| e.to_string()),
            "encode" => black_box(&builder)
                .encode_into(black_box(&mut out[..]))
                .map(|n| n as u64)
                .map_err(|e| e.to_string()),
            "read_all" => MessageView::decode(&spec, black_box(&wire))
                .map(|m| purchase::read_all(&m))
                .map_err(|e| e.to_string()),
            other => return Err(format!("unknown operation {other:?}")),
        };
        acc = acc.wrapping_add(step?);
    }
    Ok(acc)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [op, spec, n] if !op.starts_with('-') => {
            let n: u64 = n.parse().expect("iteration count");
            match run(op, spec, n) {
                Ok(acc) => println!("{op} {spec} x{n}: {acc}"),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            }
        }
        _ => {
            // `cargo bench` passes `--bench`: check every operation once and leave.
            for op in ["decode", "encode", "read_all"] {
                run(op, "iso87-ascii-bin", 1).expect("operation runs");
            }
            println!(
                "instructions: usage: instructions <decode|encode|read_all> <spec> <iterations>"
            );
        }
    }
}
