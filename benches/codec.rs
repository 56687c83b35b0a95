//! Decode and encode of a realistic 0200 purchase in every bundled spec.
//!
//! Groups (each with `Throughput::Bytes` of the encoded message):
//! - `decode/<spec>[/de55]`: `MessageView::decode` of the wire bytes.
//! - `encode/<spec>[/de55]`: a prepared `MessageBuilder` encoding into a reused buffer.
//! - `encode_build/<spec>`: clear + MTI + every field set from `&str` + `encode_into`,
//!   reusing the builder (values checked at `set`, as an application would build them).
//! - `decode_read_all/<spec>`: decode, then every field's clear text copied into a reused
//!   byte buffer and the amount (DE 4) as `u64`.
//! - `decode_checksum_chars/<spec>`: decode, then every character of every field through a
//!   serial checksum, and the amount.
//!
//! - `answer/<spec>/{build,encode_decode}`: a host's answer to the decoded purchase as an
//!   owned `Message` (response MTI, DE 3, 4, 7, 11, 12, 13, 41, 42 copied, DE 39 `00`), made
//!   with `MessageBuilder::build` or by encoding and decoding the bytes again.
//!
//! Run: `cargo bench --bench codec` (filter e.g. `cargo bench --bench codec -- decode/iso87-ascii-bin`).

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::spec::BUILTIN_NAMES;
use iso8583_wire::{Message, MessageBuilder, MessageView, Spec};

#[path = "common/purchase.rs"]
mod purchase;
use purchase::{DE43, DE55, TRACK2, fill, hex, purchase, read_all};
#[path = "common/group.rs"]
mod group;
use group::group;

/// Every character of every field folded into a checksum one character at a time, plus the
/// amount as `u64`: a serial chain of two operations per character, so this measures the
/// character iterator more than the codec.
#[inline]
fn checksum_chars(msg: &MessageView<'_>) -> u64 {
    let mut sum = 0u64;
    for f in msg.fields() {
        sum = f
            .chars()
            .fold(sum, |acc, c| acc.rotate_left(5) ^ u64::from(c));
    }
    if let Some(amount) = msg.field(4).and_then(|f| f.to_u64()) {
        sum = sum.wrapping_add(amount);
    }
    sum
}

struct Case {
    spec: Spec,
    name: &'static str,
    mti: &'static str,
    plain: Vec<(u16, String)>,
    with_de55: Vec<(u16, String)>,
}

fn cases() -> Vec<Case> {
    assert_eq!(DE55.len(), 100);
    assert_eq!(TRACK2.len(), 37);
    assert_eq!(DE43.len(), 40);
    let de55 = hex(&DE55);
    BUILTIN_NAMES
        .iter()
        .filter(|n| n.starts_with("iso87") || n.starts_with("iso93"))
        .map(|&name| {
            let spec = Spec::builtin(name).expect("bundled spec");
            let (mti, plain) = purchase(name, None);
            let (_, with_de55) = purchase(name, Some(&de55));
            Case {
                spec,
                name,
                mti,
                plain,
                with_de55,
            }
        })
        .collect()
}

fn encoded(case: &Case, fields: &[(u16, String)]) -> Vec<u8> {
    let mut b = MessageBuilder::new(&case.spec);
    fill(&mut b, case.mti, fields);
    let wire = b.encode_to_vec().expect("encodes");
    // The bytes decode back to the same message.
    let view = MessageView::decode(&case.spec, &wire).expect("decodes");
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );
    assert_eq!(view.field(4).and_then(|f| f.to_u64()), Some(2500));
    wire
}

fn bench_decode(c: &mut Criterion) {
    let cases = cases();
    let mut g = group(c, "decode");
    for case in &cases {
        for (suffix, fields) in [("", &case.plain), ("/de55", &case.with_de55)] {
            let wire = encoded(case, fields);
            g.throughput(Throughput::Bytes(wire.len() as u64));
            g.bench_function(format!("{}{suffix}", case.name), |b| {
                b.iter(|| {
                    MessageView::decode(&case.spec, black_box(&wire)).map(|m| m.encoded_len())
                })
            });
        }
    }
    g.finish();
}

fn bench_encode(c: &mut Criterion) {
    let cases = cases();
    let mut g = group(c, "encode");
    let mut out = vec![0u8; 4096];
    for case in &cases {
        for (suffix, fields) in [("", &case.plain), ("/de55", &case.with_de55)] {
            let mut builder = MessageBuilder::new(&case.spec);
            fill(&mut builder, case.mti, fields);
            let len = builder.encoded_len().expect("MTI set");
            g.throughput(Throughput::Bytes(len as u64));
            g.bench_function(format!("{}{suffix}", case.name), |b| {
                b.iter(|| black_box(&builder).encode_into(black_box(&mut out[..])))
            });
        }
    }
    g.finish();
}

fn bench_encode_build(c: &mut Criterion) {
    let cases = cases();
    let mut g = group(c, "encode_build");
    let mut out = vec![0u8; 4096];
    for case in &cases {
        let fields: Vec<(u16, &str)> = case.plain.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let len = encoded(case, &case.plain).len();
        let mut builder = MessageBuilder::new(&case.spec);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(case.name, |b| {
            b.iter(|| {
                builder.clear();
                builder.mti(black_box(case.mti))?;
                for &(n, v) in &fields {
                    builder.set(n, black_box(v))?;
                }
                builder.encode_into(&mut out[..])
            })
        });
    }
    g.finish();
}

fn bench_decode_read_all(c: &mut Criterion) {
    let cases = cases();
    for (name, read) in [
        ("decode_read_all", read_all as fn(&MessageView<'_>) -> u64),
        ("decode_checksum_chars", checksum_chars),
    ] {
        let mut g = group(c, name);
        for case in &cases {
            let wire = encoded(case, &case.plain);
            g.throughput(Throughput::Bytes(wire.len() as u64));
            g.bench_function(case.name, |b| {
                b.iter(|| MessageView::decode(&case.spec, black_box(&wire)).map(|m| read(&m)))
            });
        }
        g.finish();
    }
}

/// The approving answer to `request`, as a fresh builder.
fn answer_builder(request: &Message) -> MessageBuilder<'_> {
    let mut b = MessageBuilder::new(request.spec());
    b.set_mti(request.mti().response().expect("a request"));
    for n in [3, 4, 7, 11, 12, 13, 41, 42] {
        if let Some(f) = request.field(n) {
            b.set(n, f).expect("a field of the same spec");
        }
    }
    b.set(39, "00").expect("DE 39");
    b
}

fn bench_answer(c: &mut Criterion) {
    let cases = cases();
    let mut g = group(c, "answer");
    for case in &cases {
        let request =
            Message::decode(&case.spec, Bytes::from(encoded(case, &case.plain))).expect("decodes");
        let built = answer_builder(&request).build().expect("builds");
        let wire = answer_builder(&request).encode_to_vec().expect("encodes");
        assert_eq!(built.bytes().as_ref(), wire.as_slice());
        assert_eq!(
            built.field(11).map(|f| f.raw()),
            request.field(11).map(|f| f.raw())
        );
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(format!("{}/build", case.name), |b| {
            b.iter(|| answer_builder(black_box(&request)).build().ok())
        });
        g.bench_function(format!("{}/encode_decode", case.name), |b| {
            b.iter(|| {
                let mut out = BytesMut::with_capacity(wire.len());
                answer_builder(black_box(&request))
                    .encode_bytes(&mut out)
                    .ok()?;
                Message::decode(&case.spec, out.freeze()).ok()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_answer,
    bench_decode,
    bench_encode,
    bench_encode_build,
    bench_decode_read_all
);
criterion_main!(benches);
