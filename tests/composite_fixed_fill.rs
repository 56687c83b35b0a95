//! Positional parts must fill a fixed-length field: padding would be read back as the optional
//! parts left out (found by the `spec_values` fuzz target's first seed).

use iso8583_wire::message::SubValue;
use iso8583_wire::{EncodeErrorKind, Location, MessageBuilder, MessageView, Spec};

const SPEC: &str = r#"
name = "de43"
[message]
mti = "ascii"
bitmap = "binary"
[fields]
43 = { name = "loc", class = "ans", length = 40, subfields = "positional", parts = [
  { name = "name", class = "ans", length = 23 },
  { name = "city", class = "ans", length = 13 },
  { name = "country", class = "a", length = 2, optional = true },
  { name = "region", class = "an", length = 2, optional = true },
] }
"#;

fn parts(values: &[&str]) -> Vec<(String, SubValue)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), SubValue::from(*v)))
        .collect()
}

#[test]
fn parts_that_leave_a_fixed_field_short_are_refused_at_the_field() {
    let spec = Spec::from_toml_str(SPEC, "de43.toml").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap();
    let name = "ACME STORE 42          ";
    let city = "SPRINGFIELD  ";
    for short in [parts(&[name, city]), parts(&[name, city, "US"])] {
        let e = b.set_subfields(43, &short).unwrap_err();
        let filled = 36 + 2 * (short.len() - 2);
        assert_eq!(
            (e.location, e.kind),
            (
                Location::Field(43),
                EncodeErrorKind::WrongLength {
                    len: filled,
                    expected: 40
                }
            )
        );
        assert!(!b.has(43));
    }
    // All four parts fill it, and come back as given.
    b.set_subfields(43, &parts(&[name, city, "US", "IL"]))
        .unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let back: Vec<String> = view
        .subfields(43)
        .unwrap()
        .unwrap()
        .map(|s| s.unwrap().clear_string())
        .collect();
    assert_eq!(back, [name, city, "US", "IL"]);
}
