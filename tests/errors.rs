//! Malformed input of every kind gives the right location, offset and kind; errors never
//! carry field values.

mod common;

use common::{unhex, vectors};
use iso8583_wire::{
    DecodeErrorKind as K, EncodeErrorKind as E, Location, MessageBuilder, MessageView, Spec,
};

fn spec(name: &str) -> Spec {
    Spec::builtin(name).unwrap()
}

fn purchase(spec: &Spec) -> Vec<u8> {
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap();
    for (n, v) in [
        (2, "4761739001010119"),
        (3, "000000"),
        (4, "000000001000"),
        (11, "000001"),
        (35, "4761739001010119=25122011143804489"),
        (41, "TERM0001"),
    ] {
        b.set(n, v).unwrap();
    }
    b.encode_to_vec().unwrap()
}

#[test]
fn length_over_max_reads_as_the_documented_sentence() {
    let s = spec("iso87-ascii-bin");
    let mut wire = purchase(&s);
    // MTI 4 + bitmap 8 + DE2 (2+16) + DE3 6 + DE4 12 + DE11 6 = 54: DE 35's prefix.
    assert_eq!(&wire[54..56], b"34");
    wire[54..56].copy_from_slice(b"41");
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(err.location, Location::Field(35));
    assert_eq!(err.offset, 54);
    assert_eq!(err.kind, K::LengthOverMax { len: 41, max: 37 });
    assert_eq!(
        err.to_string(),
        "field 35: length 41 exceeds max 37 (at byte 54)"
    );
}

#[test]
fn bad_length_prefix_names_the_field_and_prefix_offset() {
    let s = spec("iso87-ascii-bin");
    let mut wire = purchase(&s);
    wire[12] = b'X'; // DE 2's LL prefix
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Field(2), 12, K::BadLengthPrefix)
    );
}

#[test]
fn bad_character_points_at_the_byte() {
    let s = spec("iso87-ascii-bin");
    let mut wire = purchase(&s);
    wire[14 + 16 + 2] = b'A'; // third digit of DE 3
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(err.location, Location::Field(3));
    assert_eq!(err.offset, 32);
    assert!(matches!(err.kind, K::BadCharacter { .. }));
}

#[test]
fn every_truncation_point_names_the_item_being_read() {
    for (file, name) in [
        ("iso87-ascii.jsonl", "iso87-ascii"),
        ("iso87-ascii-bin.jsonl", "iso87-ascii-bin"),
        ("iso87-bcd.jsonl", "iso87-bcd"),
    ] {
        let s = spec(name);
        for v in vectors(file).iter().take(40) {
            let wire = unhex(&v.hex);
            let full = MessageView::decode(&s, &wire).unwrap();
            let mti_end = s.mti_encoding().wire_len();
            let bm_end = mti_end + s.bitmap_encoding().wire_len();
            for cut in 0..wire.len() {
                let err = MessageView::decode(&s, &wire[..cut]).unwrap_err();
                let expected = if cut < mti_end {
                    Location::Mti
                } else if cut < bm_end
                    || (full.bitmap().is_set(1) && cut < bm_end + s.bitmap_encoding().wire_len())
                {
                    Location::Bitmap
                } else {
                    let f = full
                        .fields()
                        .find(|f| f.offset() + f.raw().len() > cut)
                        .unwrap();
                    Location::Field(f.number())
                };
                assert_eq!(
                    err.location, expected,
                    "{name} #{} cut {cut}: {err}",
                    v.index
                );
                assert!(
                    matches!(err.kind, K::Truncated { .. } | K::MissingSecondaryBitmap),
                    "{name} #{} cut {cut}: {err}",
                    v.index
                );
                assert!(err.offset <= cut, "{name} cut {cut}: {err}");
                if let K::Truncated { needed, available } = err.kind {
                    assert_eq!(available, cut - err.offset);
                    assert!(needed > available);
                }
            }
        }
    }
}

#[test]
fn missing_secondary_bitmap_is_its_own_kind() {
    let s = spec("iso87-ascii-bin");
    let mut wire = b"0200".to_vec();
    wire.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0]);
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Bitmap, 12, K::MissingSecondaryBitmap)
    );
    assert_eq!(err.field(), None);
}

#[test]
fn bad_hex_in_a_text_bitmap_points_at_the_digit() {
    let s = spec("iso87-ascii");
    let err = MessageView::decode(&s, b"08008220000000000G00").unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Bitmap, 17, K::BadHexDigit)
    );
}

#[test]
fn bad_mti_is_located_at_the_mti() {
    let s = spec("iso87-ascii-bin");
    let mut wire = purchase(&s);
    wire[2] = b'x';
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Mti, 0, K::BadMti)
    );
    let b = spec("iso87-bcd");
    let err = MessageView::decode(&b, &[0x02, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(err.kind, K::BadMti);
}

#[test]
fn bad_bcd_nibble_and_bad_pad_nibble() {
    let s = spec("iso87-bcd");
    let wire = purchase(&s);
    // MTI 2 + bitmap 8, DE 2: prefix 0x16 then 8 bytes, DE 3 three bytes at 19.
    assert_eq!(wire[10], 0x16);
    let mut bad = wire.clone();
    bad[20] = 0x0A;
    let err = MessageView::decode(&s, &bad).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Field(3), 20, K::BadBcdNibble)
    );

    // DE 35 is 34 digits: even, so shorten the PAN to make an odd track and check its pad.
    let mut b = MessageBuilder::new(&s);
    b.mti("0200")
        .unwrap()
        .set(35, "476173900101011=2512201")
        .unwrap();
    let mut wire = b.encode_to_vec().unwrap();
    let last = wire.len() - 1;
    assert_eq!(wire[last] & 0x0F, 0x0F, "track 2 pads with F");
    wire[last] &= 0xF0;
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Field(35), last, K::BadPadNibble)
    );
}

#[test]
fn field_absent_from_spec_and_trailing_bytes() {
    let text = r#"
name = "tiny"
[message]
mti = "ascii"
bitmap = "binary"
[fields]
3 = { name = "Processing code", class = "n", length = 6 }
"#;
    let s = Spec::from_toml_str(text, "tiny.toml").unwrap();
    let mut wire = b"0200".to_vec();
    wire.extend_from_slice(&[0x28, 0, 0, 0, 0, 0, 0, 0]); // bits 3 and 5
    wire.extend_from_slice(b"000000");
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::Field(5), 18, K::FieldNotInSpec)
    );

    let mut wire = b"0200".to_vec();
    wire.extend_from_slice(&[0x20, 0, 0, 0, 0, 0, 0, 0]);
    wire.extend_from_slice(b"000000XY");
    let err = MessageView::decode(&s, &wire).unwrap_err();
    assert_eq!(
        (err.location, err.offset, err.kind),
        (Location::End, 18, K::TrailingBytes { count: 2 })
    );
    let (view, used) = {
        let v = MessageView::decode_prefix(&s, &wire).unwrap();
        let n = v.encoded_len();
        (v, n)
    };
    assert_eq!(used, 18);
    assert_eq!(view.str(3), Some("000000"));
}

#[test]
fn errors_and_debug_never_show_values() {
    let s = spec("iso87-ascii-bin");
    let wire = purchase(&s);
    for cut in 0..wire.len() {
        let err = MessageView::decode(&s, &wire[..cut]).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("4761739001010119"), "{shown}");
            assert!(!shown.contains("2512201"), "{shown}");
        }
    }
    let view = MessageView::decode(&s, &wire).unwrap();
    let dbg = format!("{view:?} {view}");
    assert!(!dbg.contains("739001010"), "{dbg}");
    assert!(dbg.contains("476173******0119"), "{dbg}");
    let bad = MessageBuilder::new(&s)
        .set(2, "4761739001010119XX")
        .map(|_| ())
        .unwrap_err();
    assert!(!bad.to_string().contains("4761"), "{bad}");
}

#[test]
fn encode_errors_name_the_field_and_problem() {
    let s = spec("iso87-ascii-bin");
    let mut b = MessageBuilder::new(&s);
    let cases: Vec<(u16, &str, E)> = vec![
        (2, "12345678901234567890", E::TooLong { len: 20, max: 19 }),
        (
            3,
            "1234567",
            E::WrongLength {
                len: 7,
                expected: 6,
            },
        ),
        (
            3,
            "12A456",
            E::BadCharacter {
                class: iso8583_wire::spec::Class::N,
            },
        ),
        (52, "0A1B2C3D4E5F607", E::BadHex),
        (
            52,
            "0A1B2C3D4E5F60",
            E::WrongLength {
                len: 7,
                expected: 8,
            },
        ),
        (1, "00", E::ComputedField),
        (65, "00", E::ComputedField),
        (
            41,
            "TERM00012",
            E::WrongLength {
                len: 9,
                expected: 8,
            },
        ),
    ];
    for (n, v, kind) in cases {
        let err = b.set(n, v).map(|_| ()).unwrap_err();
        assert_eq!(
            (err.location, err.kind),
            (Location::Field(n), kind),
            "field {n}"
        );
    }
    assert_eq!(b.encode_to_vec().unwrap_err().location, Location::Mti);
    b.mti("0800").unwrap().set(11, "1").unwrap();
    let mut small = [0u8; 10];
    let err = b.encode_into(&mut small).unwrap_err();
    assert!(matches!(err.kind, E::BufferTooSmall { available: 10, .. }));
    let t = Spec::from_toml_str(
        "name='t'\n[message]\nmti='ascii'\nbitmap='binary'\n[fields]\n3={name='p',class='n',length=6}\n",
        "t",
    )
    .unwrap();
    let err = MessageBuilder::new(&t).set(4, "1").map(|_| ()).unwrap_err();
    assert_eq!(err.kind, E::FieldNotInSpec);
}

/// Found by fuzzing: bit 1 set with an all-zero secondary bitmap must re-encode as received.
#[test]
fn an_empty_secondary_bitmap_survives_a_round_trip() {
    let s = spec("iso87-ascii-bin");
    let mut wire = b"0800".to_vec();
    wire.extend_from_slice(&[0x80, 0x20, 0, 0, 0, 0, 0, 0]); // bits 1 and 11
    wire.extend_from_slice(&[0; 8]); // empty secondary bitmap
    wire.extend_from_slice(b"000001");
    let view = MessageView::decode(&s, &wire).unwrap();
    assert!(view.bitmap().is_set(1));
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );
    // A fresh builder leaves it out unless asked.
    let mut b = MessageBuilder::new(&s);
    b.mti("0800").unwrap().set(11, "000001").unwrap();
    assert_eq!(b.encode_to_vec().unwrap().len(), wire.len() - 8);
    b.always_secondary_bitmap(true);
    assert_eq!(b.encode_to_vec().unwrap(), wire);
}
