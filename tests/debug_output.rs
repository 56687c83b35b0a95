//! `{:?}` of a `Spec` and a `MessageBuilder` is short and useful: the spec's name and settings,
//! the builder's MTI, field numbers and sizes, and never a card-data value.

use iso8583_wire::{MessageBuilder, Spec};

#[test]
fn spec_debug_is_short_and_names_its_settings() {
    for name in iso8583_wire::spec::BUILTIN_NAMES {
        let spec = Spec::builtin(name).unwrap();
        let d = format!("{spec:?}");
        assert!(d.len() < 400, "{name}: {} bytes: {d}", d.len());
        assert!(d.contains(&format!("name: {name:?}")), "{d}");
        let count = spec.fields().count();
        assert!(d.contains(&format!("fields: {count}")), "{d}");
        assert!(
            d.contains(&format!("mti: {:?}", spec.mti_encoding())),
            "{d}"
        );
        assert!(
            d.contains(&format!("bitmap: {:?}", spec.bitmap_encoding())),
            "{d}"
        );
        assert!(
            d.contains(&format!("header_len: {}", spec.header_len())),
            "{d}"
        );
        assert!(
            d.contains(&format!("tertiary_bitmap: {}", spec.has_tertiary_bitmap())),
            "{d}"
        );
        // The alternate form is as short.
        assert!(format!("{spec:#?}").len() < 500);
    }
}

#[test]
fn builder_debug_shows_mti_field_numbers_and_sizes_never_card_data() {
    let pan = "4761739001010119";
    let track = "4761739001010119D22122011758928889";
    for name in ["iso87-ascii-bin", "iso87-bcd", "iso87-ebcdic", "cup-pos"] {
        let spec = Spec::builtin(name).unwrap();
        let mut b = MessageBuilder::new(&spec);
        let d = format!("{b:?}");
        assert!(d.contains("mti: None"), "{d}");
        b.mti("0200").unwrap();
        b.set(2, pan).unwrap();
        b.set(4, "000000002500").unwrap();
        b.set(11, "000042").unwrap();
        b.set(35, track).unwrap();
        b.set(41, "TERM0001").unwrap();
        let d = format!("{b:?}");
        let alt = format!("{b:#?}");
        for d in [&d, &alt] {
            assert!(d.len() < 600, "{name}: {} bytes: {d}", d.len());
            assert!(!d.contains(pan) && !d.contains("9001010"), "{d}");
            assert!(!d.contains("22122011758928889"), "{d}");
            assert!(d.contains(&format!("spec: {name:?}")), "{d}");
            assert!(d.contains("0200"), "{d}");
        }
        let len = b.encoded_len().unwrap();
        assert!(d.contains(&format!("encoded_len: Some({len})")), "{d}");
        for n in [2, 4, 11, 35, 41] {
            assert!(
                d.contains(&format!("DE {n} (")),
                "{name}: DE {n} missing: {d}"
            );
        }
        assert!(!d.contains("DE 3 ("), "{d}");
    }
}
