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
//! Run: `cargo bench --bench codec` (filter e.g. `cargo bench --bench codec -- decode/iso87-ascii-bin`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::spec::BUILTIN_NAMES;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

/// DE 55, 100 bytes of EMV BER-TLV as a terminal sends them in a chip purchase request.
const DE55: [u8; 100] = [
    0x9F, 0x26, 0x08, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81, // ARQC
    0x9F, 0x27, 0x01, 0x80, // cryptogram information data
    0x9F, 0x10, 0x07, 0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00, // issuer application data
    0x9F, 0x37, 0x04, 0x9B, 0xAD, 0xBC, 0xAB, // unpredictable number
    0x9F, 0x36, 0x02, 0x00, 0x2A, // ATC
    0x95, 0x05, 0x00, 0x00, 0x00, 0x80, 0x00, // TVR
    0x9A, 0x03, 0x26, 0x11, 0x22, // transaction date
    0x9C, 0x01, 0x00, // transaction type
    0x9F, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00, // amount authorised
    0x5F, 0x2A, 0x02, 0x08, 0x40, // transaction currency code
    0x82, 0x02, 0x19, 0x80, // AIP
    0x9F, 0x1A, 0x02, 0x08, 0x40, // terminal country code
    0x9F, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // amount other
    0x9F, 0x34, 0x03, 0x42, 0x03, 0x00, // CVM results
    0x9F, 0x33, 0x03, 0xE0, 0xF8, 0xC8, // terminal capabilities
    0x9F, 0x35, 0x01, 0x22, // terminal type
];

/// DE 52, an 8-byte ISO format 0 PIN block (as hex text for `set`).
const PIN_BLOCK_HEX: &str = "A1B2C3D4E5F60718";

/// Track 2 equivalent: PAN, `=`, YYMM expiry, service code, discretionary data (37 chars).
const TRACK2: &str = "4761739001010119=29122011143804400000";

/// DE 43: name (25) + city (13) + country (2) = 40 characters.
const DE43: &str = "ACME COFFEE ROASTERS LTD SAN FRANCISCOUS";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The purchase's MTI and fields as text for `spec`.
///
/// The ISO 1987 specs (`iso87-*`) share one field table. `iso93-ascii` differs: the MTI is
/// `1200` (1993 version digit), DE 12 is n12 date and time (YYMMDDhhmmss), DE 13 is the
/// effective date (n4), DE 22 is the an12 point-of-service data code, DE 25 the n4 message
/// reason code, DE 43 is LL ans..99 (same 40 characters). Every field of the 1987 list exists
/// in the 1993 table, so none is skipped.
fn purchase(spec: &str, de55_hex: Option<&str>) -> (&'static str, Vec<(u16, String)>) {
    let iso93 = spec.starts_with("iso93");
    let mut f: Vec<(u16, String)> = vec![
        (2, "4761739001010119".into()),
        (3, "000000".into()),
        (4, "000000002500".into()),
        (7, "1122093000".into()),
        (11, "000042".into()),
        (12, if iso93 { "261122093000" } else { "093000" }.into()),
        (13, if iso93 { "2401" } else { "1122" }.into()),
        (14, "2912".into()),
        (18, "5411".into()),
        (22, if iso93 { "510101511344" } else { "051" }.into()),
        (25, if iso93 { "1508" } else { "00" }.into()),
        (35, TRACK2.into()),
        (37, "332609000042".into()),
        (41, "TERM0001".into()),
        (42, "MERCHANT0000001".into()),
        (43, DE43.into()),
        (49, "840".into()),
        (52, PIN_BLOCK_HEX.into()),
    ];
    if let Some(h) = de55_hex {
        f.push((55, h.to_owned()));
    }
    (if iso93 { "1200" } else { "0200" }, f)
}

fn fill<'a>(b: &mut MessageBuilder<'a>, mti: &str, fields: &'a [(u16, String)]) {
    let name = b.spec().name().to_owned();
    b.clear();
    b.mti(mti).expect("valid MTI");
    for (n, v) in fields {
        if let Err(e) = b.set(*n, v.as_str()) {
            panic!("{name}: {e}");
        }
    }
}

/// Reads every field as an application filling its own record does: the clear text of each
/// copied into a reused byte buffer with `ValueChars::write_into` (a copy for ASCII text,
/// unpacked digits for BCD, hex digits for binary), keeping its length and last character,
/// and the amount (DE 4) as `u64`. (`Field::text_into` does the same and then checks the bytes
/// are UTF-8 to hand out a `&str`, which costs about as much again.)
#[inline]
fn read_all(msg: &MessageView<'_>) -> u64 {
    let mut text = [0u8; 128];
    let mut sum = 0u64;
    for f in msg.fields() {
        if let Some(n) = f.chars().write_into(&mut text) {
            let last = n.checked_sub(1).map_or(0, |i| text[i]);
            sum = sum.wrapping_add(n as u64 ^ u64::from(last));
        }
    }
    if let Some(amount) = msg.field(4).and_then(|f| f.to_u64()) {
        sum = sum.wrapping_add(amount);
    }
    sum
}

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

fn configure<'c>(
    c: &'c mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(50);
    g
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
    let mut g = configure(c, "decode");
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
    let mut g = configure(c, "encode");
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
    let mut g = configure(c, "encode_build");
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
    for (group, read) in [
        ("decode_read_all", read_all as fn(&MessageView<'_>) -> u64),
        ("decode_checksum_chars", checksum_chars),
    ] {
        let mut g = configure(c, group);
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

criterion_group!(
    benches,
    bench_decode,
    bench_encode,
    bench_encode_build,
    bench_decode_read_all
);
criterion_main!(benches);
