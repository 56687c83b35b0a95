//! Best-batch timing: each operation runs in batches of 200 for a fixed time, and the fastest
//! batch gives the time per operation. On a shared machine (our 2-vCPU CI box) another tenant
//! steals cycles from every criterion sample, so criterion's median carries that interference;
//! the fastest short batch is the cost of the code alone. Criterion's medians stay the headline
//! figures in the README, this is their noise-free companion, and the way to compare two
//! commits here: run both binaries alternately and compare the best batches.
//!
//! Operations and message are those of `benches/codec.rs` (`benches/common/purchase.rs`):
//! `decode`, `encode` (a prepared builder into a reused buffer), `read_all` (decode, then every
//! field's text copied out and the amount parsed).
//!
//! ```sh
//! cargo bench --bench best_batch                       # every ISO 8583 spec, 2 s per cell
//! cargo bench --bench best_batch -- 5 iso87-ascii-bin  # 5 s per cell, one spec
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[path = "common/purchase.rs"]
mod purchase;

const BATCH: u32 = 200;
const OPS: [&str; 3] = ["decode", "encode", "read_all"];

/// The fastest batch of `op` on `spec_name`'s purchase over `time`, in ns per operation.
fn best(op: &str, spec_name: &str, time: Duration) -> f64 {
    let spec = Spec::builtin(spec_name).expect("bundled spec");
    let (mti, fields) = purchase::purchase(spec_name, None);
    let mut builder = MessageBuilder::new(&spec);
    purchase::fill(&mut builder, mti, &fields);
    let wire = builder.encode_to_vec().expect("purchase encodes");
    let mut out = vec![0u8; 4096];
    let mut best = f64::MAX;
    let mut acc = 0u64;
    let started = Instant::now();
    while started.elapsed() < time {
        let t = Instant::now();
        for _ in 0..BATCH {
            let step = match op {
                "decode" => MessageView::decode(&spec, black_box(&wire))
                    .map(|m| m.encoded_len() as u64)
                    .unwrap_or(0),
                "encode" => black_box(&builder)
                    .encode_into(black_box(&mut out[..]))
                    .map(|n| n as u64)
                    .unwrap_or(0),
                _ => MessageView::decode(&spec, black_box(&wire))
                    .map(|m| purchase::read_all(&m))
                    .unwrap_or(0),
            };
            acc = acc.wrapping_add(step);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(BATCH));
    }
    black_box(acc);
    best
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is: [SECONDS] [SPEC...].
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (seconds, specs) = match args.split_first() {
        Some((s, rest)) if s.parse::<f64>().is_ok() => (s.parse().unwrap_or(2.0), rest.to_vec()),
        _ => (2.0, args.clone()),
    };
    let specs = if specs.is_empty() {
        [
            "iso87-ascii-bin",
            "iso87-ascii",
            "iso87-bcd",
            "iso87-ebcdic",
            "iso93-ascii",
        ]
        .map(String::from)
        .to_vec()
    } else {
        specs
    };
    let time = Duration::from_secs_f64(seconds);
    println!("best of {BATCH}-operation batches over {seconds} s, ns per operation");
    println!("{:<16} {:>8} {:>8} {:>9}", "spec", OPS[0], OPS[1], OPS[2]);
    for spec in &specs {
        let cells = OPS.map(|op| best(op, spec, time));
        println!(
            "{spec:<16} {:>8.1} {:>8.1} {:>9.1}",
            cells[0], cells[1], cells[2]
        );
    }
}
