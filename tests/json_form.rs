//! The JSON form is lossless: every shared vector and random messages under every bundled spec
//! (with random headers, cup-pos's TPDU and terminal header included) go decode -> JSON ->
//! `builder_from_json` -> encode and come back byte for byte.

mod common;

use common::{hex, unhex, vectors};
use iso8583_wire::json::{self, JsonOptions};
use iso8583_wire::spec::BUILTIN_NAMES;
use iso8583_wire::{MessageBuilder, MessageView, Spec, fuzzing};
use proptest::prelude::*;

const CLEAR: JsonOptions = JsonOptions {
    unmask: true,
    expand: false,
};

fn to_json(view: &MessageView<'_>) -> String {
    let mut out = String::new();
    json::push_message(&mut out, view, CLEAR);
    out
}

fn from_json(spec: &Spec, text: &str) -> Result<Vec<u8>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let b = json::builder_from_json(spec, &v).map_err(|e| e.to_string())?;
    b.encode_to_vec().map_err(|e| e.to_string())
}

#[test]
fn every_vector_round_trips_through_the_json_form() {
    for (file, name) in [
        ("iso87-ascii.jsonl", "iso87-ascii"),
        ("iso87-ascii-bin.jsonl", "iso87-ascii-bin"),
        ("iso87-bcd.jsonl", "iso87-bcd"),
    ] {
        let spec = Spec::builtin(name).unwrap();
        let all = vectors(file);
        assert!(all.len() >= 300, "{file}: {} vectors", all.len());
        for v in &all {
            let wire = unhex(&v.hex);
            let view = MessageView::decode(&spec, &wire).unwrap();
            let text = to_json(&view);
            assert!(!text.contains("\"header\""), "{name} has no header: {text}");
            let again =
                from_json(&spec, &text).unwrap_or_else(|e| panic!("{file} #{}: {e}", v.index));
            assert_eq!(hex(&again), v.hex, "{file} #{}", v.index);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The structured generator picks the spec from its first two bytes: `[0, i]` is spec i.
    /// It builds a valid message with a random header, encodes and decodes it, and checks
    /// the JSON round trip (`fuzzing::json_round_trip`) as well as the values.
    #[test]
    fn random_messages_of_every_bundled_spec_round_trip_through_json(
        tail in prop::collection::vec(any::<u8>(), 0..800)
    ) {
        for i in 0..BUILTIN_NAMES.len() {
            let mut data = vec![0, u8::try_from(i).unwrap()];
            data.extend_from_slice(&tail);
            fuzzing::structured_round_trip(&data);
        }
    }

    #[test]
    fn any_text_is_escaped_to_json_that_reads_back_the_same(s in any::<String>()) {
        let mut out = String::new();
        json::push_json_str(&mut out, &s);
        let back: String = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(back, s);
    }
}

#[test]
fn cup_pos_header_is_carried_as_hex_and_rebuilt() {
    let spec = Spec::builtin("cup-pos").unwrap();
    for header in ["6000030000603100311111", "6000000003613100310102"] {
        let bytes = unhex(header);
        let mut b = MessageBuilder::new(&spec);
        b.mti("0200")
            .unwrap()
            .header(&bytes)
            .unwrap()
            .set(3, "000000")
            .unwrap()
            .set(11, "000123")
            .unwrap();
        let wire = b.encode_to_vec().unwrap();
        let view = MessageView::decode(&spec, &wire).unwrap();
        let text = to_json(&view);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["header"], header, "{text}");
        assert_eq!(from_json(&spec, &text).unwrap(), wire);
    }
    // Without "header" the builder writes zeros; a bad header is refused, naming it.
    let zeros = from_json(&spec, r#"{"mti":"0800","fields":{"11":"000001"}}"#).unwrap();
    assert_eq!(zeros[..11], [0; 11]);
    let short = from_json(&spec, r#"{"mti":"0800","header":"6000","fields":{}}"#).unwrap_err();
    assert!(
        short.contains("\"header\"")
            && short.contains("11-byte header")
            && short.contains("got 4 digits"),
        "{short}"
    );
    let odd = from_json(
        &spec,
        r#"{"mti":"0800","header":"60000300006031003111ZZ","fields":{}}"#,
    )
    .unwrap_err();
    assert!(odd.contains("character 20 is not a hex digit"), "{odd}");
}

#[test]
fn an_empty_secondary_bitmap_survives_the_round_trip() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0800").unwrap().set(11, "000001").unwrap();
    b.always_secondary_bitmap(true);
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert!(view.bitmap().is_set(1));
    let text = to_json(&view);
    assert!(text.contains(r#""secondary_bitmap":true"#), "{text}");
    assert_eq!(from_json(&spec, &text).unwrap(), wire);
    // With a secondary field present the flag is not needed and not written.
    let mut b = MessageBuilder::new(&spec);
    b.mti("0800").unwrap().set(70, "301").unwrap();
    let wire = b.encode_to_vec().unwrap();
    let text = to_json(&MessageView::decode(&spec, &wire).unwrap());
    assert!(!text.contains("secondary_bitmap"), "{text}");
}

#[test]
fn a_field_key_that_is_no_field_says_which_and_why() {
    let spec = Spec::builtin("iso87-ascii").unwrap();
    let err = |key: &str| {
        from_json(
            &spec,
            &format!(r#"{{"mti":"0200","fields":{{"{key}":"1"}}}}"#),
        )
        .unwrap_err()
    };
    assert_eq!(
        err("99999"),
        r#"bad JSON message: field key "99999" is out of range 1..=192"#
    );
    assert_eq!(
        err("0"),
        r#"bad JSON message: field key "0" is out of range 1..=192"#
    );
    assert_eq!(
        err("2a"),
        r#"bad JSON message: field key "2a" is not a field number (1..=192)"#
    );
    // In range but not in this spec (iso87 stops at 128).
    let e = err("150");
    assert!(
        e.contains("150") && e.contains("not defined in the spec"),
        "{e}"
    );
}
