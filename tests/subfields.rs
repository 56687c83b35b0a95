//! Property round-trips for each subfield kind: values composed by the builder decode back to
//! the same subfields, and the bytes re-encode unchanged.

use iso8583_wire::message::SubValue;
use iso8583_wire::{DecodeErrorKind, Location, MessageBuilder, MessageView, Spec};
use proptest::prelude::*;

const SPEC: &str = r#"
name = "subfield-test"
[message]
mti = "ascii"
bitmap = "binary"
tertiary_bitmap = true
[fields]
3 = { name = "Processing code", class = "n", length = 6 }

[fields.48]
name = "Private data, tagged"
class = "ans"
prefix = "LLL"
max = 999
subfields = "tagged"
tag_width = 2
len_width = 3

[fields.62]
name = "Positional with a variable and a rest part"
class = "ans"
prefix = "LLL"
max = 999
subfields = "positional"
parts = [
  { name = "Code", class = "n", length = 4 },
  { name = "Label", class = "ans", prefix = "LL", max = 20 },
  { name = "Remark", class = "ans", rest = true, optional = true },
]

[fields.127]
name = "Private bitmapped"
class = "ans"
prefix = "LLL"
max = 999
subfields = "bitmapped"
subfield_bitmap = "hex"
parts = [
  { number = 2, name = "Switch key", class = "ans", prefix = "LL", max = 32 },
  { number = 3, name = "Routing", class = "an", length = 8 },
  { number = 12, name = "Terminal owner", class = "ans", prefix = "LL", max = 25 },
  { number = 33, name = "Extended type", class = "n", length = 4 },
]
"#;

fn spec() -> Spec {
    Spec::from_toml_str(SPEC, "subfield-test.toml").unwrap()
}

fn decoded(view: &MessageView<'_>, n: u16) -> Vec<(String, String)> {
    view.subfields(n)
        .unwrap()
        .unwrap()
        .map(|s| {
            let s = s.unwrap();
            (s.key().to_string(), s.clear_string())
        })
        .collect()
}

fn round_trip(spec: &Spec, n: u16, parts: &[(String, String)]) -> Vec<(String, String)> {
    let subs: Vec<(String, SubValue)> = parts
        .iter()
        .map(|(k, v)| (k.clone(), SubValue::from(v.as_str())))
        .collect();
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap().set_subfields(n, &subs).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(spec, &wire).unwrap();
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );
    decoded(&view, n)
}

fn ans(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~]{{0,{max}}}")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn tagged_round_trips(items in proptest::collection::vec(("[A-Z0-9]{2}", ans(40)), 0..8)) {
        let spec = spec();
        let parts: Vec<(String, String)> = items;
        prop_assert_eq!(round_trip(&spec, 48, &parts), parts);
    }

    #[test]
    fn positional_round_trips(code in "[0-9]{4}", label in ans(20), remark in proptest::option::of(ans(40))) {
        let spec = spec();
        let mut parts = vec![("1".to_string(), code), ("2".to_string(), label)];
        if let Some(r) = remark.filter(|r| !r.is_empty()) {
            parts.push(("3".to_string(), r));
        }
        prop_assert_eq!(round_trip(&spec, 62, &parts), parts);
    }

    #[test]
    fn bitmapped_round_trips(
        key in proptest::option::of(ans(32)),
        routing in proptest::option::of("[A-Za-z0-9]{8}"),
        owner in proptest::option::of(ans(25)),
        ext in proptest::option::of("[0-9]{4}"),
    ) {
        let spec = spec();
        let parts: Vec<(String, String)> = [("2", key), ("3", routing), ("12", owner), ("33", ext)]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect();
        prop_assert_eq!(round_trip(&spec, 127, &parts), parts);
    }

    #[test]
    fn tlv_round_trips(items in proptest::collection::vec(
        (proptest::sample::select(vec!["9F26", "9F27", "82", "95", "9A", "5F2A", "DF8101", "9F10"]),
         proptest::collection::vec(any::<u8>(), 0..40)),
        0..8,
    )) {
        let spec = Spec::builtin("iso87-ascii-bin").unwrap();
        let parts: Vec<(String, String)> = items
            .into_iter()
            .map(|(t, v)| (t.to_string(), v.iter().map(|b| format!("{b:02X}")).collect()))
            .filter(|(_, v): &(String, String)| v.len() <= 2 * 30)
            .collect();
        let total: usize = parts.iter().map(|(t, v)| t.len() / 2 + 1 + v.len() / 2).sum();
        prop_assume!(total <= 255);
        prop_assert_eq!(round_trip(&spec, 55, &parts), parts.clone());
        // The hex-text flavour decodes the same tags.
        let ascii = Spec::builtin("iso87-ascii").unwrap();
        prop_assert_eq!(round_trip(&ascii, 55, &parts), parts);
    }

    #[test]
    fn composite_parsing_never_panics(n in proptest::sample::select(vec![48u16, 62, 127]), junk in ans(120)) {
        let spec = spec();
        let mut b = MessageBuilder::new(&spec);
        b.mti("0200").unwrap().set(n, junk.as_str()).unwrap();
        let wire = b.encode_to_vec().unwrap();
        let view = MessageView::decode(&spec, &wire).unwrap();
        for item in view.subfields(n).unwrap().unwrap() {
            if let Err(e) = item {
                prop_assert_eq!(e.field(), Some(n));
                prop_assert!(e.offset >= view.field(n).unwrap().offset());
                prop_assert!(e.offset <= wire.len());
            }
        }
    }
}

#[test]
fn bitmapped_errors_name_the_subfield() {
    let spec = spec();
    let mut b = MessageBuilder::new(&spec);
    // Bitmap says subfield 4 (undefined) is present.
    b.mti("0200").unwrap().set(127, "1000000000000000").unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let err = view
        .subfields(127)
        .unwrap()
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert_eq!(err.location, Location::Subfield { field: 127, sub: 4 });
    assert_eq!(err.kind, DecodeErrorKind::FieldNotInSpec);
    assert_eq!(err.offset, view.field(127).unwrap().offset() + 16);
    assert!(err.to_string().starts_with("field 127.4: "), "{err}");
}

#[test]
fn positional_errors_point_into_the_field() {
    let spec = spec();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap().set(62, "12A4").unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let err = view.subfield("62.1").unwrap_err();
    assert_eq!(err.location, Location::Field(62));
    assert_eq!(err.offset, view.field(62).unwrap().offset() + 2);
    assert!(matches!(err.kind, DecodeErrorKind::BadCharacter { .. }));
    b.set(62, "1234").unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let err = view.subfield("62.2").unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::Truncated { .. }),
        "{err}"
    );
}

#[test]
fn emv_tags_are_masked_by_sensitivity() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let mut b = MessageBuilder::new(&spec);
    let parts = vec![
        ("5A".to_string(), SubValue::from("4761739001010119")),
        (
            "57".to_string(),
            SubValue::from("4761739001010119D25122011143804489"),
        ),
        ("9F02".to_string(), SubValue::from("000000001000")),
    ];
    b.mti("0200").unwrap().set_subfields(55, &parts).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let shown = |p: &str| view.subfield(p).unwrap().unwrap().to_string();
    assert_eq!(shown("55.5A"), "476173******0119");
    assert_eq!(shown("55.57"), "476173******0119D*****************");
    assert_eq!(shown("55.9F02"), "000000001000");
    assert_eq!(
        view.field(55).unwrap().to_string().trim_matches('*'),
        "",
        "flat DE 55 fully masked"
    );
}
