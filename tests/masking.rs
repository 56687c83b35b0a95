//! Card data never shows in clear in a default rendering, for every bundled spec and for
//! variants of them with every `mask` setting stripped (the library defaults then decide).
//! The check itself is `fuzzing::mask_check`, shared with the `mask_check` fuzz target.

use iso8583_wire::fuzzing::{mask_check, mask_specs, strip_masks};
use iso8583_wire::spec::Mask;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn no_default_rendering_shows_planted_card_data(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        mask_check(&data);
    }
}

#[test]
fn every_spec_variant_is_checked() {
    // Each spec and its stripped twin, exhaustively over the first byte.
    for i in 0..=255u8 {
        mask_check(&[i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    }
    assert_eq!(mask_specs().len(), 14);
}

#[test]
fn stripped_specs_keep_the_defaults() {
    for spec in mask_specs() {
        for (n, want) in [
            (2, Mask::Pan),
            (35, Mask::Track),
            (52, Mask::Full),
            (55, Mask::Full),
        ] {
            if let Some(f) = spec.field(n) {
                assert_eq!(f.mask(), want, "{} field {n}", spec.name());
            }
        }
    }
    // As written, DE 127 is `full`: its subfields inherit it, the PAN-named one masks as a PAN.
    let written = mask_specs()
        .iter()
        .find(|s| s.name() == "mask-composites")
        .unwrap();
    let Some(iso8583_wire::spec::Subfields::Bitmapped { fields, .. }) =
        written.field(127).unwrap().subfields()
    else {
        panic!("127 is bitmapped");
    };
    let masks: Vec<Mask> = fields.iter().flatten().map(|f| f.mask()).collect();
    assert_eq!(masks, [Mask::Pan, Mask::Full]);
    let s = strip_masks(
        "2 = { name = \"PAN\", class = \"n\", mask = \"pan\" }\nmask = \"full\"\nx = 1\n",
    );
    assert_eq!(s, "2 = { name = \"PAN\", class = \"n\" }\nx = 1\n");
}

#[test]
fn composites_and_emv_tags_mask_by_the_rule() {
    use iso8583_wire::codec::tlv::{Tag, TlvWriter};
    use iso8583_wire::{FieldValue, MessageBuilder, MessageView};
    // The composite spec with its mask settings stripped: only the library rules decide.
    let spec = mask_specs()
        .iter()
        .rev()
        .find(|s| s.name() == "mask-composites")
        .unwrap();
    assert_eq!(spec.field(48).unwrap().mask(), Mask::None); // stripped: private data is clear
    assert_eq!(spec.field(127).unwrap().mask(), Mask::Full); // has a PAN subfield
    let mut icc = Vec::new();
    let mut w = TlvWriter::new(&mut icc);
    let t = |raw| Tag::new(raw).unwrap();
    w.write(t(0x9F02), &[0, 0, 0, 0, 0x25, 0]).unwrap();
    w.write(t(0x99), &[0x12, 0x34]).unwrap();
    w.write(t(0x80), &[0x56, 0x78]).unwrap();
    w.write(t(0xDF01), b"4761").unwrap();
    w.write(t(0x70), &[0x5A, 0x02, 0x47, 0x61]).unwrap();
    let mut b = MessageBuilder::new(spec);
    b.mti("0200")
        .unwrap()
        .set(35, "4761739001010119=25122011143804489")
        .unwrap()
        .set(55, FieldValue::binary(&icc))
        .unwrap()
        .set(127, "6000000000000000164761739001010119000001")
        .unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(spec, &wire).unwrap();
    let shown = |path: &str| view.subfield(path).unwrap().unwrap().to_string();
    assert_eq!(shown("35.1"), "476173******0119");
    assert_eq!(shown("35.2"), "=");
    assert_eq!(shown("35.3"), "****");
    assert_eq!(shown("35.4"), "*************");
    assert_eq!(shown("127.2"), "476173******0119");
    assert_eq!(shown("127.3"), "000001"); // the parent has no mask of its own here
    assert_eq!(shown("55.9F02"), "000000002500");
    assert_eq!(shown("55.99"), "****");
    assert_eq!(shown("55.80"), "****");
    assert_eq!(shown("55.DF01"), "********");
    assert_eq!(shown("55.70"), "********");
    assert_eq!(shown("55.5A"), "****"); // a PAN of fewer than 13 digits is all hidden
    assert_eq!(
        view.subfield("55.DF01").unwrap().unwrap().clear_string(),
        "34373631"
    );
    assert_eq!(view.field(127).unwrap().to_string().trim_matches('*'), "");
}
