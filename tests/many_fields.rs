//! Messages with many fields. A decoded view records where the first 32 data elements start
//! (in two bytes each); later ones, and any starting past 65,535 bytes, are found by walking
//! on with the lengths already checked. Every field must read the same whichever way it is
//! reached: by iteration, by number in any order, through an owned `Message`, or after a
//! prefix decode.

mod common;

use bytes::Bytes;
use iso8583_wire::{Message, MessageBuilder, MessageView, Spec};
use proptest::prelude::*;

/// Fields 2..=192 (65 is the tertiary bitmap) with a mix of fixed, LL, LLL and LLLLL lengths.
fn spec() -> Spec {
    let mut toml = String::from(
        "name = \"many\"\n[message]\nmti = \"ascii\"\nbitmap = \"hex\"\ntertiary_bitmap = true\n[fields]\n",
    );
    for n in (2..=192u16).filter(|&n| n != 65) {
        let def = match kind(n) {
            Kind::Fixed(len) => format!("class = \"n\", length = {len}"),
            Kind::Ll => "class = \"ans\", prefix = \"LL\", max = 40".to_string(),
            Kind::Lll => "class = \"an\", prefix = \"LLL\", max = 300".to_string(),
            Kind::Big => "class = \"ans\", prefix = \"LLLLL\", max = 40000".to_string(),
        };
        toml.push_str(&format!("{n} = {{ name = \"F{n}\", {def} }}\n"));
    }
    Spec::from_toml_str(&toml, "many.toml").expect("valid spec")
}

enum Kind {
    Fixed(usize),
    Ll,
    Lll,
    Big,
}

fn kind(n: u16) -> Kind {
    match n {
        7 | 100 => Kind::Big,
        _ if n.is_multiple_of(5) => Kind::Ll,
        _ if n.is_multiple_of(7) => Kind::Lll,
        _ => Kind::Fixed(usize::from(n % 6) + 1),
    }
}

/// A value for field `n`; `big` makes the LLLLL fields 33,000 bytes (so later fields start
/// past 65,535).
fn value(n: u16, big: bool) -> String {
    match kind(n) {
        Kind::Fixed(len) => (0..len)
            .map(|i| char::from(b'0' + ((usize::from(n) + i) % 10) as u8))
            .collect(),
        Kind::Ll => format!("v{n}").repeat(usize::from(n % 4) + 1),
        Kind::Lll => format!("A{n}B").repeat(usize::from(n % 9) + 3),
        Kind::Big if big => "Z".repeat(33_000),
        Kind::Big => format!("big {n}"),
    }
}

/// Encodes the fields in `numbers`; returns the wire bytes and the expected values.
fn build(spec: &Spec, numbers: &[u16], big: bool) -> (Vec<u8>, Vec<(u16, String)>) {
    let expected: Vec<(u16, String)> = numbers.iter().map(|&n| (n, value(n, big))).collect();
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap();
    for (n, v) in &expected {
        b.set(*n, v.as_str()).unwrap();
    }
    let wire = b.encode_to_vec().unwrap();
    common::assert_built_as_decoded(spec, &b.build().unwrap(), &wire, "build");
    (wire, expected)
}

/// Checks every way of reaching the fields of `wire` against `expected`.
fn check(spec: &Spec, wire: &[u8], expected: &[(u16, String)]) {
    let view = MessageView::decode(spec, wire).unwrap();
    let iterated: Vec<(u16, String, usize)> = view
        .fields()
        .map(|f| (f.number(), f.clear().to_string(), f.offset()))
        .collect();
    let numbers: Vec<u16> = iterated.iter().map(|t| t.0).collect();
    let values: Vec<(u16, String)> = iterated.iter().map(|t| (t.0, t.1.clone())).collect();
    assert_eq!(values, expected);
    // Offsets increase, and each value is the wire bytes at its offset.
    for w in iterated.windows(2) {
        assert!(
            w[0].2 < w[1].2 || w[0].1.is_empty(),
            "{:?}",
            (w[0].0, w[1].0)
        );
    }
    for (n, v, offset) in &iterated {
        assert_eq!(&wire[*offset..*offset + v.len()], v.as_bytes(), "field {n}");
    }
    // By number, forwards and backwards: same value, same offset.
    for order in [numbers.clone(), numbers.iter().rev().copied().collect()] {
        for n in order {
            let (_, v, offset) = iterated.iter().find(|t| t.0 == n).unwrap();
            let f = view.field(n).unwrap();
            assert_eq!(
                (f.clear().to_string(), f.offset()),
                (v.clone(), *offset),
                "{n}"
            );
        }
    }
    // Absent fields stay absent.
    for n in (2..=192u16).filter(|n| !numbers.contains(n)) {
        assert!(view.field(n).is_none(), "field {n}");
    }
    // The owned message and a prefix decode (with bytes after it) agree.
    let owned = Message::decode(spec, Bytes::copy_from_slice(wire)).unwrap();
    let mut longer = wire.to_vec();
    longer.extend_from_slice(b"trailing");
    let prefix = MessageView::decode_prefix(spec, &longer).unwrap();
    assert_eq!(prefix.encoded_len(), wire.len());
    for (n, v) in expected {
        assert_eq!(owned.field(*n).unwrap().clear().to_string(), *v);
        assert_eq!(prefix.field(*n).unwrap().clear().to_string(), *v);
    }
    // Re-encoding gives the same bytes.
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );
}

#[test]
fn every_field_of_a_full_message_reads_the_same_every_way() {
    let spec = spec();
    let all: Vec<u16> = (2..=192u16).filter(|&n| n != 65).collect();
    for big in [false, true] {
        let (wire, expected) = build(&spec, &all, big);
        assert_eq!(wire.len() > 65_535, big);
        check(&spec, &wire, &expected);
    }
}

#[test]
fn counts_around_the_recorded_limit_read_the_same() {
    let spec = spec();
    let all: Vec<u16> = (2..=192u16).filter(|&n| n != 65).collect();
    for count in [0, 1, 31, 32, 33, 34, 64, 65, 100] {
        // Every other field, so the secondary and tertiary bitmaps come in as count grows.
        let numbers: Vec<u16> = all.iter().step_by(2).take(count).copied().collect();
        let (wire, expected) = build(&spec, &numbers, false);
        check(&spec, &wire, &expected);
    }
}

#[test]
fn a_big_first_field_leaves_later_fields_past_65535_to_the_walk() {
    // Field 7 is 33,000 bytes and field 100 too: fields after 100 start past 65,535.
    let spec = spec();
    let numbers = [2, 3, 7, 8, 66, 100, 101, 130, 131, 192];
    let (wire, expected) = build(&spec, &numbers, true);
    assert!(wire.len() > 66_000);
    check(&spec, &wire, &expected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_set_of_fields_reads_the_same_every_way(
        numbers in proptest::sample::subsequence(
            (2..=192u16).filter(|&n| n != 65).collect::<Vec<_>>(), 0..=190),
        big in proptest::bool::weighted(0.2),
    ) {
        let spec = spec();
        let (wire, expected) = build(&spec, &numbers, big);
        check(&spec, &wire, &expected);
    }
}
