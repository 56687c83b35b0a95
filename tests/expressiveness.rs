//! Spec shapes for real-world dialects: a pad nibble that may be either 0 or F on decode; a
//! sign character set per `x+n` field.

use iso8583_wire::{
    DecodeErrorKind, EncodeErrorKind, Location, MessageBuilder, MessageView, Spec, spec::Class,
};

fn spec(extra: &str) -> Spec {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
             2 = {{ name = 'PAN', class = 'n', prefix = 'LL', max = 19, encoding = 'bcd', \
             prefix_encoding = 'bcd', bcd_pad = 'right-F'{extra} }}\n"
        ),
        "x.toml",
    )
    .unwrap()
}

/// MTI 0200, bitmap with DE 2, DE 2 = 15 digits padded on the right with `pad`.
fn wire(pad: u8) -> Vec<u8> {
    let mut w = b"0200".to_vec();
    w.extend([0x40, 0, 0, 0, 0, 0, 0, 0]);
    w.extend([0x15, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x10 | pad]);
    w
}

#[test]
fn either_pad_nibble_is_accepted_on_decode_and_kept_on_re_encode() {
    let strict = spec("");
    let err = MessageView::decode(&strict, &wire(0x0)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadPadNibble);
    assert_eq!(err.offset, 12 + 8);

    let either = spec(", bcd_pad_either = true");
    assert!(either.field(2).unwrap().accepts_either_pad());
    for pad in [0x0, 0xF] {
        let w = wire(pad);
        let view = MessageView::decode(&either, &w).unwrap();
        assert_eq!(view.field(2).unwrap().clear_string(), "476173900101011");
        let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
        assert_eq!(again, w, "pad {pad:X}");
    }
    // Any other nibble is still refused.
    let err = MessageView::decode(&either, &wire(0x5)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadPadNibble);
    // A value set by hand is written with the spec's nibble.
    let mut b = MessageBuilder::new(&either);
    b.mti("0200").unwrap();
    b.set(2, "476173900101011").unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), wire(0xF));
    // The setting survives the TOML round trip and is refused where there is no pad nibble.
    let text = either.to_toml().unwrap();
    assert!(text.contains("bcd_pad_either = true"), "{text}");
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
         3 = { name = 'p', class = 'n', length = 6, bcd_pad_either = true }\n",
        "y.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "y.toml: field 3: bcd_pad_either: only packed (bcd) fields have a pad nibble"
    );
}

/// A spec whose DE 28 is an `x+n` fee of 9 characters in `encoding`, with `extra` settings.
fn fee_spec(encoding: &str, extra: &str) -> Spec {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
             28 = {{ name = 'Fee', class = 'x+n', length = 9, encoding = '{encoding}'{extra} }}\n"
        ),
        "fee.toml",
    )
    .unwrap()
}

/// MTI 0200, bitmap with DE 28 only, then `data`.
fn fee_wire(data: &[u8]) -> Vec<u8> {
    let mut w = b"0200".to_vec();
    w.extend([0, 0, 0, 0x10, 0, 0, 0, 0]);
    w.extend(data);
    w
}

fn ebcdic(text: &str) -> Vec<u8> {
    text.bytes()
        .map(|c| match c {
            b'0'..=b'9' => 0xF0 + (c - b'0'),
            b'C' => 0xC3,
            b'D' => 0xC4,
            b'+' => 0x4E,
            b'-' => 0x60,
            _ => panic!("no EBCDIC for {c}"),
        })
        .collect()
}

#[test]
fn a_sign_set_per_x_plus_n_field_decodes_and_encodes() {
    let plus_minus = fee_spec("ascii", ", signs = '+-'");
    assert_eq!(plus_minus.field(28).unwrap().signs().as_bytes(), b"+-");
    for value in ["+00001234", "-00001234"] {
        let w = fee_wire(value.as_bytes());
        let view = MessageView::decode(&plus_minus, &w).unwrap();
        assert_eq!(view.field(28).unwrap().clear_string(), value);
        let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
        assert_eq!(again, w);
    }
    // C/D is not in this field's set; a sign inside the digits is not a digit.
    let err = MessageView::decode(&plus_minus, &fee_wire(b"C00001234")).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadCharacter { class: Class::XN });
    assert_eq!((err.location, err.offset), (Location::Field(28), 12));
    let err = MessageView::decode(&plus_minus, &fee_wire(b"+0000-234")).unwrap_err();
    assert_eq!(err.offset, 12 + 5);
    // The default set is still C/D only.
    let cd = fee_spec("ascii", "");
    assert!(cd.field(28).unwrap().signs().is_default());
    assert!(MessageView::decode(&cd, &fee_wire(b"D00001234")).is_ok());
    let err = MessageView::decode(&cd, &fee_wire(b"+00001234")).unwrap_err();
    assert_eq!(err.offset, 12);

    // Encoding checks the sign against the set.
    let mut b = MessageBuilder::new(&plus_minus);
    b.mti("0200").unwrap();
    b.set(28, "-00000010").unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), fee_wire(b"-00000010"));
    let err = b.set(28, "D00000010").unwrap_err();
    assert_eq!(err.kind, EncodeErrorKind::BadCharacter { class: Class::XN });

    // Lenient decoding reports a sign outside the set as a warning, value as it is.
    let w = fee_wire(b"C00001234");
    let lenient = MessageView::decode_lenient(&plus_minus, &w).unwrap();
    assert_eq!(
        lenient.view().field(28).unwrap().clear_string(),
        "C00001234"
    );
    let warnings = lenient.warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].field(), Some(28));
    assert_eq!(warnings[0].offset, 12);
    assert!(lenient.stopped().is_none());
    let again = MessageBuilder::from_view(lenient.view())
        .encode_to_vec()
        .unwrap();
    assert_eq!(again, w);
}

#[test]
fn a_sign_set_holds_in_ebcdic_and_with_a_digit_sign() {
    let spec = fee_spec("ebcdic", ", signs = 'CD0'");
    for text in ["000001234", "C00001234", "D00001234"] {
        let w = fee_wire(&ebcdic(text));
        let view = MessageView::decode(&spec, &w).unwrap();
        assert_eq!(view.field(28).unwrap().clear_string(), text);
        let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
        assert_eq!(again, w, "{text}");
    }
    let err = MessageView::decode(&spec, &fee_wire(&ebcdic("+00001234"))).unwrap_err();
    assert_eq!(err.offset, 12);
    // Without the setting an EBCDIC `0` sign is refused.
    let cd = fee_spec("ebcdic", "");
    let err = MessageView::decode(&cd, &fee_wire(&ebcdic("000001234"))).unwrap_err();
    assert_eq!(err.offset, 12);
}

#[test]
fn a_sign_set_survives_to_toml_and_is_checked_at_load() {
    let spec = fee_spec("ascii", ", signs = '+-'");
    let text = spec.to_toml().unwrap();
    assert!(text.contains("signs = \"+-\""), "{text}");
    let back = Spec::from_toml_str(&text, "back.toml").unwrap();
    assert_eq!(back.field(28).unwrap().signs().as_bytes(), b"+-");
    assert!(!fee_spec("ascii", "").to_toml().unwrap().contains("signs"));

    let load = |field: &str| {
        Spec::from_toml_str(
            &format!(
                "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n{field}\n"
            ),
            "y.toml",
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        load("3 = { name = 'p', class = 'n', length = 6, signs = '+-' }"),
        "y.toml: field 3: signs: only x+n fields have a sign character"
    );
    assert_eq!(
        load("28 = { name = 'f', class = 'x+n', length = 9, signs = 'CD+-' }"),
        "y.toml: field 28: signs: at most 3 sign characters"
    );
    assert_eq!(
        load("28 = { name = 'f', class = 'x+n', length = 9, signs = '' }"),
        "y.toml: field 28: signs: give at least one sign character"
    );
    assert_eq!(
        load("28 = { name = 'f', class = 'x+n', length = 9, signs = 'C+C' }"),
        "y.toml: field 28: signs: a sign character is given twice"
    );
}

#[test]
fn a_sign_set_on_a_positional_part() {
    let spec = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
         28 = { name = 'Fees', class = 'ans', length = 12, subfields = 'positional', parts = [\n\
           { name = 'Code', class = 'n', length = 3 },\n\
           { name = 'Fee', class = 'x+n', length = 9, signs = '+-' },\n\
         ] }\n",
        "p.toml",
    )
    .unwrap();
    let w = fee_wire(b"840-00001234");
    let view = MessageView::decode(&spec, &w).unwrap();
    let fee = view.subfield("28.2").unwrap().unwrap();
    assert_eq!(fee.clear_string(), "-00001234");
    let w = fee_wire(b"840C00001234");
    let view = MessageView::decode(&spec, &w).unwrap();
    let err = view.subfield("28.2").unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadCharacter { class: Class::XN });
}
