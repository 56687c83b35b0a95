//! The JSON form of a long message (the ~800-byte chip purchase the CLI comparison with
//! pyiso8583 uses: track 2, DE 43, private data in DE 48/60/62/63 and ICC data in DE 55) in
//! `iso87-ascii`, and of the same purchase in `cup-pos` (with its TPDU and header).
//!
//! Groups (each with `Throughput::Bytes` of the encoded message):
//! - `json_render/<spec>`: `MessageView::decode` + `json::push_message` (clear) into a reused
//!   `String`: what `iso8583 decode --format jsonl --unmask` does per line.
//! - `json_parse_encode/<spec>`: `serde_json::from_str` + `json::builder_from_json` +
//!   `encode_to_vec`: what `iso8583 encode` does per line.
//!
//! Run: `cargo bench --bench json`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::json::{self, JsonOptions};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[path = "common/purchase.rs"]
mod purchase;
use purchase::{DE55, hex, purchase};

/// Private-data text of `n` characters.
fn text(n: usize) -> String {
    "ACME COFFEE ROASTERS 0123456789 "
        .chars()
        .cycle()
        .take(n)
        .collect()
}

/// The long purchase's wire bytes in `spec`.
fn long_message(spec: &Spec) -> Vec<u8> {
    let (mti, mut fields) = purchase(spec.name(), Some(&hex(&DE55)));
    let header = vec![0x60; spec.header_len()];
    if spec.name() == "iso87-ascii" {
        fields.extend([
            (48, text(140)),
            (60, text(50)),
            (62, text(75)),
            (63, text(60)),
        ]);
    }
    let mut b = MessageBuilder::new(spec);
    b.mti(mti).expect("MTI");
    b.header(&header).expect("header");
    for (n, v) in &fields {
        if spec.field(*n).is_some() {
            b.set(*n, v.as_str()).expect("value");
        }
    }
    b.encode_to_vec().expect("encode")
}

fn bench(c: &mut Criterion) {
    let clear = JsonOptions {
        unmask: true,
        expand: false,
    };
    for name in ["iso87-ascii", "cup-pos"] {
        let spec = Spec::builtin(name).expect("bundled spec");
        let wire = long_message(&spec);
        let mut text = String::new();
        json::push_message(
            &mut text,
            &MessageView::decode(&spec, &wire).expect("decode"),
            clear,
        );
        let mut g = c.benchmark_group("json_render");
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .throughput(Throughput::Bytes(wire.len() as u64));
        let mut out = String::with_capacity(4096);
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let view = MessageView::decode(&spec, black_box(&wire)).expect("decode");
                json::push_message(&mut out, &view, clear);
                black_box(out.len())
            })
        });
        g.finish();
        let mut g = c.benchmark_group("json_parse_encode");
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let v: serde_json::Value = serde_json::from_str(black_box(&text)).expect("JSON");
                let b = json::builder_from_json(&spec, &v).expect("fields");
                black_box(b.encode_to_vec().expect("encode"))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
