//! Decode of a UnionPay-style purchase with a 150-byte DE 55, and walks over its EMV tags.
//!
//! `cargo bench --bench subfields`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::codec::tlv;
use iso8583_wire::message::SubValue;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

/// 150 bytes of realistic ICC data: the usual ARQC tag set plus issuer data and a DF tag.
fn de55() -> Vec<(String, SubValue)> {
    let tags: &[(&str, &str)] = &[
        ("9F26", "A1B2C3D4E5F60708"),
        ("9F27", "80"),
        ("9F10", "07010103A0A000010A010000000000C1D2E3F4"),
        ("9F37", "0A0B0C0D"),
        ("9F36", "0030"),
        ("95", "0000000000"),
        ("9A", "261122"),
        ("9C", "00"),
        ("9F02", "000000002500"),
        ("5F2A", "0156"),
        ("82", "5400"),
        ("9F1A", "0156"),
        ("9F03", "000000000000"),
        ("9F33", "E0F1C8"),
        ("9F34", "420300"),
        ("9F35", "22"),
        ("9F1E", "3132333435363738"),
        ("84", "A0000003330101"),
        ("9F09", "0030"),
        ("9F41", "00000123"),
        ("DF31", "0102030405060708090A0B0C"),
    ];
    tags.iter()
        .map(|(t, v)| (t.to_string(), SubValue::from(*v)))
        .collect()
}

fn purchase(spec: &Spec) -> Vec<u8> {
    let header = [
        0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0x00, 0x00, 0x00, 0x00,
    ];
    let mut b = MessageBuilder::new(spec);
    b.header(&header).unwrap().mti("0200").unwrap();
    for (n, v) in [
        (2, "6222021234567890123"),
        (3, "000000"),
        (4, "000000002500"),
        (11, "000123"),
        (14, "2912"),
        (22, "051"),
        (23, "001"),
        (25, "00"),
        (41, "TERM0001"),
        (42, "123456789012345"),
        (49, "156"),
    ] {
        b.set(n, v).unwrap();
    }
    b.set_subfields(55, &de55()).unwrap();
    let de60: Vec<(String, SubValue)> = [("1", "22"), ("2", "000001"), ("3", "000")]
        .iter()
        .map(|(k, v)| (k.to_string(), SubValue::from(*v)))
        .collect();
    b.set_subfields(60, &de60).unwrap();
    b.set_binary(64, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    b.encode_to_vec().unwrap()
}

fn benches(c: &mut Criterion) {
    let spec = Spec::builtin("cup-pos").unwrap();
    let wire = purchase(&spec);
    let view = MessageView::decode(&spec, &wire).unwrap();
    let icc = view.field(55).unwrap().raw();
    assert!(icc.len() >= 150, "DE 55 is {} bytes", icc.len());

    let mut g = c.benchmark_group("cup-pos");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("decode/purchase-de55-150", |b| {
        b.iter(|| MessageView::decode(&spec, black_box(&wire)).unwrap().mti())
    });
    g.throughput(Throughput::Bytes(icc.len() as u64));
    g.bench_function("tlv/walk-raw", |b| {
        b.iter(|| {
            tlv::walk(black_box(icc))
                .map(|t| t.map_or(0, |(_, t)| t.value.len()))
                .sum::<usize>()
        })
    });
    g.bench_function("tlv/subfields-iter", |b| {
        b.iter(|| {
            view.subfields(55)
                .unwrap()
                .unwrap()
                .map(|s| s.map_or(0, |s| s.len()))
                .sum::<usize>()
        })
    });
    g.bench_function("tlv/path-9F02", |b| {
        b.iter(|| {
            view.subfield(black_box("55.9F02"))
                .unwrap()
                .unwrap()
                .to_u64()
        })
    });
    g.finish();
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = benches
}
criterion_main!(group);
