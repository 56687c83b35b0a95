//! The link's per-request matching cost: key a request, register it as pending, key its
//! response, find the waiter and hand the response over (the one-shot channel included).
//! Keys are read through typed getters, so the BCD spec costs the digit conversion too.
//!
//! `cargo bench --bench link --features tokio`

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use iso8583_wire::link::{KeyRules, MatchBench};
use iso8583_wire::{Message, MessageBuilder, Spec};
use std::hint::black_box;

fn message(spec: &Spec, mti: &str, stan: u32) -> Message {
    let mut b = MessageBuilder::new(spec);
    let stan = format!("{stan:06}");
    b.mti(mti).unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000001000").unwrap();
    b.set(11, stan.as_str()).unwrap();
    b.set(41, "TERM0001").unwrap();
    if mti.ends_with("10") {
        b.set(39, "00").unwrap();
    }
    Message::decode(spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
}

fn matching(c: &mut Criterion) {
    let rules = KeyRules::default();
    for name in ["iso87-ascii-bin", "iso87-bcd"] {
        let spec = Spec::builtin(name).unwrap();
        let pairs: Vec<(Message, Message)> = (0..1024)
            .map(|i| (message(&spec, "0200", i), message(&spec, "0210", i)))
            .collect();
        let mut bench = MatchBench::default();
        let mut i = 0usize;
        c.bench_function(&format!("link/match_round/{name}"), |b| {
            b.iter(|| {
                let (req, rsp) = &pairs[i % pairs.len()];
                i += 1;
                assert!(bench.round(&rules, black_box(req), black_box(rsp)));
            })
        });
        let (req, rsp) = &pairs[0];
        c.bench_function(&format!("link/keys_only/{name}"), |b| {
            b.iter(|| {
                let a = rules.request_key(black_box(req));
                let b2 = rules.response_key(black_box(rsp));
                black_box((a, b2))
            })
        });
    }
}

criterion_group!(benches, matching);
criterion_main!(benches);
