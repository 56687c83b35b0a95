//! Property tests: random valid messages generated from each bundled spec round-trip
//! encode -> decode -> equal values, and decode -> encode -> same bytes.

use iso8583_wire::spec::{BUILTIN_NAMES, Class, Encoding, FieldSpec, Length};
use iso8583_wire::{MessageBuilder, MessageView, Spec};
use proptest::prelude::*;

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";
const SPECIAL: &[u8] = b" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const HEX: &[u8] = b"0123456789ABCDEF";

fn alphabet(fs: &FieldSpec) -> Vec<u8> {
    let cat = |parts: &[&[u8]]| parts.concat();
    match fs.class() {
        Class::N | Class::XN => DIGITS.to_vec(),
        Class::A => ALPHA.to_vec(),
        Class::An => cat(&[ALPHA, DIGITS]),
        Class::Ans => cat(&[ALPHA, DIGITS, SPECIAL]),
        Class::As => cat(&[ALPHA, SPECIAL]),
        Class::Ns => cat(&[DIGITS, SPECIAL]),
        Class::Anp => cat(&[ALPHA, DIGITS, b" "]),
        Class::Z if fs.encoding() == Encoding::Bcd => cat(&[DIGITS, b"D"]),
        Class::Z => cat(&[DIGITS, b"="]),
        _ => HEX.to_vec(),
    }
}

/// A valid value string for `fs` (capped at 80 characters so cases stay quick).
fn value(fs: &FieldSpec) -> BoxedStrategy<String> {
    let chars = alphabet(fs);
    let binary = fs.class() == Class::B;
    let per_unit = if binary && fs.encoding() == Encoding::Binary {
        2
    } else {
        1
    };
    let (lo, hi) = match fs.length() {
        Length::Fixed(n) => (n as usize, n as usize),
        Length::Variable { max, .. } => (0, (max as usize).min(80)),
        _ => unreachable!("new length kinds need a generator"),
    };
    // Hex text counts characters and comes in pairs.
    let even = binary && fs.encoding() == Encoding::Hex;
    let xn = fs.class() == Class::XN;
    (lo..=hi)
        .prop_flat_map(move |len| {
            let len = if even { len & !1 } else { len };
            proptest::collection::vec(proptest::sample::select(chars.clone()), len * per_unit)
        })
        .prop_map(move |mut v| {
            if let (true, Some(first)) = (xn, v.first_mut()) {
                *first = if *first % 2 == 0 { b'C' } else { b'D' };
            }
            String::from_utf8(v).unwrap()
        })
        .boxed()
}

/// A spec, an MTI and field values.
type Case = (Spec, String, Vec<(u16, String)>);

fn message(spec: Spec) -> BoxedStrategy<Case> {
    let numbers: Vec<u16> = spec.fields().map(|f| f.number()).collect();
    let spec2 = spec.clone();
    (
        proptest::sample::subsequence(numbers.clone(), 0..=20),
        proptest::sample::select(vec!["0100", "0200", "0210", "0400", "0800"]),
    )
        .prop_flat_map(move |(chosen, mti)| {
            let values: Vec<_> = chosen
                .iter()
                .map(|&n| {
                    let fs = spec2.field(n).unwrap().clone();
                    value(&fs).prop_map(move |v| (n, v))
                })
                .collect();
            (Just(spec2.clone()), Just(mti.to_owned()), values)
        })
        .boxed()
}

fn all_specs() -> impl Strategy<Value = Case> {
    let specs: Vec<Spec> = BUILTIN_NAMES
        .iter()
        .map(|n| Spec::builtin(n).unwrap())
        .collect();
    proptest::sample::select(specs).prop_flat_map(message)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn generated_messages_round_trip((spec, mti, fields) in all_specs()) {
        let mut b = MessageBuilder::new(&spec);
        b.mti(&mti).unwrap();
        for (n, v) in &fields {
            b.set(*n, v.as_str()).unwrap();
        }
        let wire = b.encode_to_vec().unwrap();
        prop_assert_eq!(wire.len(), b.encoded_len().unwrap());
        let view = MessageView::decode(&spec, &wire).unwrap();
        prop_assert_eq!(view.mti().to_string(), mti.clone());
        let got: Vec<(u16, String)> =
            view.fields().map(|f| (f.number(), f.clear().to_string())).collect();
        prop_assert_eq!(&got, &fields);
        let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_re_encode(
        idx in 0..BUILTIN_NAMES.len(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let spec = Spec::builtin(BUILTIN_NAMES[idx]).unwrap();
        if let Ok(view) = MessageView::decode(&spec, &bytes) {
            let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
            prop_assert_eq!(again, bytes);
        }
    }
}

/// Every length 0..=max of a variable field in every prefix encoding of the bundled specs.
#[test]
fn every_prefix_length_round_trips() {
    for name in BUILTIN_NAMES {
        let spec = Spec::builtin(name).unwrap();
        for fs in spec.fields() {
            let Length::Variable { max, .. } = fs.length() else {
                continue;
            };
            if fs.number() != 2 && fs.number() != 35 && fs.number() != 48 && fs.number() != 55 {
                continue;
            }
            let chars = alphabet(fs);
            for len in 0..=max as usize {
                let unit = if fs.class() == Class::B && fs.encoding() == Encoding::Binary {
                    2
                } else {
                    1
                };
                if fs.class() == Class::B && fs.encoding() == Encoding::Hex && len % 2 == 1 {
                    continue;
                }
                let v: String = (0..len * unit)
                    .map(|i| chars[i % chars.len()] as char)
                    .collect();
                let mut b = MessageBuilder::new(&spec);
                b.mti("0200").unwrap().set(fs.number(), v.as_str()).unwrap();
                let wire = b.encode_to_vec().unwrap();
                let view = MessageView::decode(&spec, &wire).unwrap();
                assert_eq!(
                    view.field(fs.number()).unwrap().clear().to_string(),
                    v,
                    "{name} {} len {len}",
                    fs.number()
                );
            }
        }
    }
}
