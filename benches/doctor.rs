//! The spec doctor: building the variants of a spec, and examining one message the spec
//! fails on (a message written with binary length prefixes, read with `iso87-bcd`; and 200
//! bytes of garbage, where no candidate is clean and every round of field changes runs).
//!
//! `cargo bench --bench doctor`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iso8583_wire::doctor::Doctor;
use iso8583_wire::{MessageBuilder, Spec};

fn flipped_message(spec: &Spec) -> Vec<u8> {
    let text = spec
        .to_toml()
        .unwrap()
        .replace("prefix_encoding = \"bcd\"", "prefix_encoding = \"binary\"");
    let other = Spec::from_toml_str(&text, "binary prefixes").unwrap();
    let mut b = MessageBuilder::new(&other);
    b.mti("0200").unwrap();
    for (n, v) in [
        (2, "4761739001010119"),
        (3, "000000"),
        (4, "000000001500"),
        (11, "000042"),
        (32, "12345678901"),
        (41, "TERM0001"),
        (49, "840"),
    ] {
        b.set(n, v).unwrap();
    }
    b.encode_to_vec().unwrap()
}

fn doctor(c: &mut Criterion) {
    let spec = Spec::builtin("iso87-bcd").unwrap();
    let mut g = c.benchmark_group("doctor");
    g.sample_size(10);
    g.bench_function("build_variants_iso87_bcd", |b| {
        b.iter(|| Doctor::new(black_box(&spec)).unwrap())
    });
    let doc = Doctor::new(&spec).unwrap();
    let msg = flipped_message(&spec);
    g.bench_function("examine_binary_prefixes", |b| {
        b.iter(|| doc.examine(black_box(&msg)))
    });
    let garbage = vec![0xA5u8; 200];
    g.bench_function("examine_garbage_200_bytes", |b| {
        b.iter(|| doc.examine(black_box(&garbage)))
    });
    g.finish();
}

criterion_group!(benches, doctor);
criterion_main!(benches);
