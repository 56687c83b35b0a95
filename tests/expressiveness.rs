//! Spec shapes for real-world dialects: a pad nibble that may be either 0 or F on decode; a
//! sign character set per `x+n` field; a sign character before packed digits (jPOS
//! `IFB_AMOUNT`).

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

    // Amounts as numbers take the field's own signs.
    b.set_amount(28, -10).unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), fee_wire(b"-00000010"));
    b.set_amount(28, 25).unwrap();
    let w = b.encode_to_vec().unwrap();
    assert_eq!(w, fee_wire(b"+00000025"));
    let view = MessageView::decode(&plus_minus, &w).unwrap();
    assert_eq!(view.field(28).unwrap().to_amount(), Some(25));

    // Lenient decoding reports a sign outside the set as a warning, value as it is.
    let w = fee_wire(b"C00001234");
    assert_eq!(lenient_de28(&plus_minus, &w, 12), "C00001234");
}

/// Decodes `w` leniently and checks the one warning it gives is DE 28's at `offset`, that
/// decoding went to the end and that the message re-encodes byte for byte; DE 28's text.
fn lenient_de28(spec: &Spec, w: &[u8], offset: usize) -> String {
    let lenient = MessageView::decode_lenient(spec, w).unwrap();
    let warnings = lenient.warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0].field(), warnings[0].offset),
        (Some(28), offset)
    );
    assert!(lenient.stopped().is_none());
    let again = MessageBuilder::from_view(lenient.view())
        .encode_to_vec()
        .unwrap();
    assert_eq!(again, w);
    lenient.view().field(28).unwrap().clear_string()
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

/// A spec whose DE 28 is a sign then packed digits, `length` characters, with `extra` settings.
fn signed_bcd_spec(length: u32, extra: &str) -> Spec {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
             28 = {{ name = 'Fee', class = 'x+n', encoding = 'bcd', length = {length}{extra} }}\n"
        ),
        "amt.toml",
    )
    .unwrap()
}

fn signed_bcd_refused(settings: &str) -> String {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
             28 = {{ name = 'Fee', class = 'x+n', encoding = 'bcd'{settings} }}\n"
        ),
        "amt.toml",
    )
    .unwrap_err()
    .to_string()
}

#[test]
fn a_sign_before_packed_digits_decodes_encodes_and_renders() {
    // length 9: an ASCII sign and 8 digits in 1 + 4 bytes.
    let spec = signed_bcd_spec(9, "");
    let fs = spec.field(28).unwrap();
    assert!(fs.is_signed_bcd());
    assert_eq!(fs.sign_encoding(), iso8583_wire::spec::Encoding::Ascii);
    let w = fee_wire(&[b'D', 0x00, 0x00, 0x12, 0x34]);
    let view = MessageView::decode(&spec, &w).unwrap();
    let f = view.field(28).unwrap();
    assert_eq!(f.clear_string(), "D00001234");
    assert_eq!(f.len(), 9);
    assert_eq!(f.to_amount(), Some(-1234));
    assert_eq!(view.encoded_len(), w.len());
    assert_eq!(MessageBuilder::from_view(&view).encode_to_vec().unwrap(), w);
    // JSON and Display show the sign and the digits.
    let mut json = String::new();
    iso8583_wire::json::push_message(&mut json, &view, Default::default());
    assert_eq!(json, r#"{"mti":"0200","fields":{"28":"D00001234"}}"#);
    assert!(view.to_string().contains("D00001234"), "{view}");

    // Encode by hand: the same bytes; set_amount writes the C/D sign.
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap();
    b.set(28, "D00001234").unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), w);
    b.set_amount(28, 150).unwrap();
    assert_eq!(
        b.encode_to_vec().unwrap(),
        fee_wire(&[b'C', 0x00, 0x00, 0x01, 0x50])
    );
    // Encoding refuses a sign outside the set, a non-digit and a wrong length.
    for (value, kind) in [
        (
            "X00001234",
            EncodeErrorKind::BadCharacter { class: Class::XN },
        ),
        (
            "D0000123A",
            EncodeErrorKind::BadCharacter { class: Class::XN },
        ),
        (
            "D1234",
            EncodeErrorKind::WrongLength {
                len: 5,
                expected: 9,
            },
        ),
    ] {
        let err = b.set(28, value).unwrap_err();
        assert_eq!(err.kind, kind, "{value}");
        assert_eq!(err.location, Location::Field(28));
    }

    // Strict decoding: the sign at offset 12, a bad nibble at its byte, a short field.
    let err = MessageView::decode(&spec, &fee_wire(&[b'X', 0x00, 0x00, 0x12, 0x34])).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadCharacter { class: Class::XN });
    assert_eq!((err.location, err.offset), (Location::Field(28), 12));
    let err = MessageView::decode(&spec, &fee_wire(&[b'C', 0x00, 0x0A, 0x12, 0x34])).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadBcdNibble);
    assert_eq!(err.offset, 14);
    let err = MessageView::decode(&spec, &fee_wire(&[b'C', 0x00, 0x00, 0x12])).unwrap_err();
    assert!(
        matches!(
            err.kind,
            DecodeErrorKind::Truncated {
                needed: 5,
                available: 4
            }
        ),
        "{err:?}"
    );

    // Lenient decoding keeps the value as it is, warns at the offending byte, re-encodes it.
    for (data, offset, shown) in [
        (&[b'+', 0x00, 0x00, 0x12, 0x34][..], 12, "+00001234"),
        (&[b'C', 0x00, 0x0A, 0x12, 0x34][..], 14, "C000A1234"),
    ] {
        assert_eq!(lenient_de28(&spec, &fee_wire(data), offset), shown);
    }
}

/// Checks that DE 28 with wire `data` decodes to `text`, and that `text` set by hand, or the
/// decoded message, encodes to the same bytes.
fn de28_both_ways(spec: &Spec, data: &[u8], text: &str) {
    let w = fee_wire(data);
    let view = MessageView::decode(spec, &w).unwrap();
    assert_eq!(view.field(28).unwrap().clear_string(), text);
    assert_eq!(MessageBuilder::from_view(&view).encode_to_vec().unwrap(), w);
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap().set(28, text).unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), w, "{text}");
}

#[test]
fn a_sign_before_an_odd_digit_count_pads_and_takes_an_ebcdic_sign_and_a_sign_set() {
    // length 10: a sign and 9 digits in 1 + 5 bytes, the pad nibble on the left (jPOS pad=true).
    let left = signed_bcd_spec(10, ", bcd_pad = 'left-0'");
    de28_both_ways(&left, &[b'C', 0x01, 0x23, 0x45, 0x67, 0x89], "C123456789");
    // A pad nibble other than the spec's is refused at its byte.
    let err =
        MessageView::decode(&left, &fee_wire(&[b'C', 0xF1, 0x23, 0x45, 0x67, 0x89])).unwrap_err();
    assert_eq!((err.kind, err.offset), (DecodeErrorKind::BadPadNibble, 13));

    // Right pad nibble F.
    let right = signed_bcd_spec(10, ", bcd_pad = 'right-F'");
    de28_both_ways(&right, &[b'D', 0x12, 0x34, 0x56, 0x78, 0x9F], "D123456789");

    // An EBCDIC sign byte with its own sign set.
    let ebc = signed_bcd_spec(7, ", sign_encoding = 'ebcdic', signs = '+-'");
    assert_eq!(
        ebc.field(28).unwrap().sign_encoding(),
        iso8583_wire::spec::Encoding::Ebcdic
    );
    de28_both_ways(&ebc, &[0x60, 0x00, 0x12, 0x34], "-001234");
    assert!(MessageBuilder::new(&ebc).set(28, "C001234").is_err());
    // The ASCII '-' is not the EBCDIC one; nor is the EBCDIC 'C' in the set.
    for sign in [b'-', 0xC3] {
        let err = MessageView::decode(&ebc, &fee_wire(&[sign, 0x00, 0x12, 0x34])).unwrap_err();
        assert_eq!(
            (err.kind, err.offset),
            (DecodeErrorKind::BadCharacter { class: Class::XN }, 12)
        );
    }

    // Every setting survives Spec::to_toml.
    for spec in [&left, &right, &ebc] {
        let text = spec.to_toml().unwrap();
        let again = Spec::from_toml_str(&text, "again.toml").unwrap();
        let (a, b) = (spec.field(28).unwrap(), again.field(28).unwrap());
        assert!(b.is_signed_bcd(), "{text}");
        assert_eq!(
            (a.length(), a.bcd_pad(), a.sign_encoding(), a.signs()),
            (b.length(), b.bcd_pad(), b.sign_encoding(), b.signs()),
            "{text}"
        );
    }
    let text = ebc.to_toml().unwrap();
    assert!(text.contains("sign_encoding = \"ebcdic\""), "{text}");
    assert!(!text.contains("unit"), "{text}");
}

#[test]
fn a_sign_before_packed_digits_is_checked_at_load() {
    let cases = [
        (
            ", prefix = 'LL', max = 9",
            "amt.toml: field 28: prefix: a sign before packed digits has a fixed length (as jPOS IFB_AMOUNT)",
        ),
        (
            ", length = 1",
            "amt.toml: field 28: length: a sign and at least one digit",
        ),
        (
            ", length = 9, unit = 'bytes'",
            "amt.toml: field 28: unit: the length of a sign before packed digits counts the sign and each digit",
        ),
        (
            ", length = 9, padding = 'left-0'",
            "amt.toml: field 28: padding: a sign before packed digits is given every digit",
        ),
        (
            ", length = 9, bcd_pad_either = true",
            "amt.toml: field 28: bcd_pad_either: not available for a sign before packed digits",
        ),
        (
            ", length = 9, sign_encoding = 'bcd'",
            "amt.toml: field 28: sign_encoding: \"bcd\" is not ascii or ebcdic",
        ),
        (
            ", length = 9, bcd_pad = 'left-A'",
            "amt.toml: field 28: bcd_pad: pad nibble of a numeric field is 0..9 or F",
        ),
    ];
    for (settings, want) in cases {
        assert_eq!(signed_bcd_refused(settings), want, "{settings}");
    }
    // sign_encoding belongs to the packed shape only.
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
         28 = { name = 'Fee', class = 'x+n', length = 9, sign_encoding = 'ebcdic' }\n",
        "amt.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "amt.toml: field 28: sign_encoding: only an x+n field with encoding bcd has a separate sign byte"
    );
}

#[test]
fn jpos_ifb_amount_imports_as_a_sign_before_packed_digits() {
    let xml = "<isopackager>\
        <isofield id='0' length='4' name='MTI' class='org.jpos.iso.IFA_NUMERIC'/>\
        <isofield id='1' length='16' name='Bitmap' class='org.jpos.iso.IFB_BITMAP'/>\
        <isofield id='28' length='9' name='Fee' class='org.jpos.iso.IFB_AMOUNT'/>\
        <isofield id='29' length='10' name='Fee 2' class='org.jpos.iso.IFB_AMOUNT' pad='true'/>\
        </isopackager>";
    let spec = Spec::import(iso8583_wire::spec::import::Format::Jpos, xml, "j.xml").unwrap();
    let (f28, f29) = (spec.field(28).unwrap(), spec.field(29).unwrap());
    assert!(f28.is_signed_bcd() && f29.is_signed_bcd());
    // jPOS packs IFB_AMOUNT length N into 1 + N / 2 bytes: 'D' 00001234 and 'C' 0123456789.
    let mut w = b"0200".to_vec();
    w.extend([0, 0, 0, 0x18, 0, 0, 0, 0]);
    w.extend([b'D', 0x00, 0x00, 0x12, 0x34]);
    w.extend([b'C', 0x01, 0x23, 0x45, 0x67, 0x89]);
    let view = MessageView::decode(&spec, &w).unwrap();
    assert_eq!(view.field(28).unwrap().clear_string(), "D00001234");
    assert_eq!(view.field(29).unwrap().clear_string(), "C123456789");
    assert_eq!(MessageBuilder::from_view(&view).encode_to_vec().unwrap(), w);
}

/// A spec whose DE 48 is a bitmapped composite with a 4-character header ahead of its hex
/// bitmap; `mask` is the field's mask setting (or empty).
fn header_spec(mask: &str) -> Spec {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
             [fields.48]\nname = 'Private'\nclass = 'ans'\nprefix = 'LLL'\nmax = 999\n{mask}\
             subfields = 'bitmapped'\nparts = [\n\
               {{ number = 0, name = 'Version', class = 'an', length = 4 }},\n\
               {{ number = 2, name = 'Terminal', class = 'ans', length = 8 }},\n\
               {{ number = 3, name = 'Batch', class = 'n', prefix = 'LL', max = 6 }},\n]\n"
        ),
        "hdr.toml",
    )
    .unwrap()
}

/// MTI 0200, hex bitmap with DE 48, then DE 48's `value` with its LLL prefix.
fn header_wire(value: &str) -> Vec<u8> {
    format!("02000000000000010000{:03}{value}", value.len()).into_bytes()
}

#[test]
fn a_header_ahead_of_a_subfield_bitmap_decodes_encodes_and_renders() {
    use iso8583_wire::message::SubValue;
    let spec = header_spec("");
    let header = de48_header(&spec);
    assert_eq!((header.number(), header.name()), (0, "Version"));
    // Header V002, bitmap 6000000000000000 (subfields 2 and 3), TERM0001, 04 1234.
    let value = "V0026000000000000000TERM0001041234";
    let w = header_wire(value);
    let view = MessageView::decode(&spec, &w).unwrap();
    let subs: Vec<(String, String)> = view
        .subfields(48)
        .unwrap()
        .unwrap()
        .map(|s| {
            let s = s.unwrap();
            (s.key().to_string(), s.clear_string())
        })
        .collect();
    assert_eq!(
        subs,
        [
            ("0".to_string(), "V002".to_string()),
            ("2".to_string(), "TERM0001".to_string()),
            ("3".to_string(), "1234".to_string()),
        ]
    );
    let header = view.subfield("48.0").unwrap().unwrap();
    assert_eq!(header.clear_string(), "V002");
    assert_eq!(header.offset(), 23);
    assert_eq!(
        view.subfield("48.2").unwrap().unwrap().offset(),
        23 + 4 + 16
    );

    // JSON with --expand shows the header as subfield 0.
    let json = expanded_json(&view, false);
    assert_eq!(
        json,
        r#"{"mti":"0200","fields":{"48":{"0":"V002","2":"TERM0001","3":"1234"}}}"#
    );

    // Built from subfields (header first, then bitmap and subfields), and from JSON.
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap();
    b.set_subfields(
        48,
        &[
            ("3".into(), SubValue::from("1234")),
            ("0".into(), SubValue::from("V002")),
            ("2".into(), SubValue::from("TERM0001")),
        ],
    )
    .unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), w);
    b.set_path("48.0", "V003").unwrap();
    assert_eq!(
        b.encode_to_vec().unwrap(),
        header_wire("V0036000000000000000TERM0001041234")
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let again = iso8583_wire::json::builder_from_json(&spec, &parsed).unwrap();
    assert_eq!(again.encode_to_vec().unwrap(), w);
    assert_eq!(MessageBuilder::from_view(&view).encode_to_vec().unwrap(), w);

    // The header is always written: leaving it out, or a wrong length, is refused naming it.
    let err = MessageBuilder::new(&spec)
        .set_subfields(48, &[("2".into(), SubValue::from("TERM0001"))])
        .unwrap_err();
    assert_eq!(err.location, Location::Subfield { field: 48, sub: 0 });
    let err = MessageBuilder::new(&spec)
        .set_subfields(
            48,
            &[
                ("0".into(), SubValue::from("V2")),
                ("2".into(), SubValue::from("TERM0001")),
            ],
        )
        .unwrap_err();
    assert_eq!(err.location, Location::Subfield { field: 48, sub: 0 });
    let wrong = EncodeErrorKind::WrongLength {
        len: 2,
        expected: 4,
    };
    assert_eq!(err.kind, wrong);

    // Faults: a header outside its class, a bad bitmap after it, a value too short for it.
    let err = view_err(&spec, "V0!26000000000000000TERM0001041234");
    assert_eq!(err.location, Location::Subfield { field: 48, sub: 0 });
    assert_eq!(
        (err.kind, err.offset),
        (DecodeErrorKind::BadCharacter { class: Class::An }, 25)
    );
    let err = view_err(&spec, "V002X000000000000000TERM0001041234");
    assert_eq!(
        (err.location, err.kind, err.offset),
        (Location::Field(48), DecodeErrorKind::BadHexDigit, 27)
    );
    let err = view_err(&spec, "V0");
    assert_eq!(err.location, Location::Subfield { field: 48, sub: 0 });
    let short = DecodeErrorKind::Truncated {
        needed: 4,
        available: 2,
    };
    assert_eq!(err.kind, short);
}

/// The definition of DE 48's header ahead of its subfield bitmap.
fn de48_header(spec: &Spec) -> &iso8583_wire::spec::FieldSpec {
    let layout = spec.field(48).unwrap().subfields().unwrap();
    layout.bitmap_header().unwrap()
}

/// The JSON of `view` with composite fields expanded (as `--expand`), in clear if `unmask`.
fn expanded_json(view: &MessageView<'_>, unmask: bool) -> String {
    let mut json = String::new();
    let opts = iso8583_wire::json::JsonOptions {
        expand: true,
        unmask,
    };
    iso8583_wire::json::push_message(&mut json, view, opts);
    json
}

/// The first subfield error of DE 48 set to `value`.
fn view_err(spec: &Spec, value: &str) -> iso8583_wire::DecodeError {
    let w = header_wire(value);
    let view = MessageView::decode(spec, &w).unwrap();
    view.subfields(48)
        .unwrap()
        .unwrap()
        .find_map(Result::err)
        .expect("a subfield error")
}

#[test]
fn a_header_ahead_of_a_subfield_bitmap_is_masked_like_its_siblings_and_survives_to_toml() {
    let spec = header_spec("mask = 'full'\n");
    assert_eq!(de48_header(&spec).mask(), iso8583_wire::spec::Mask::Full);
    let w = header_wire("V0024000000000000000TERM0001");
    let view = MessageView::decode(&spec, &w).unwrap();
    let json = expanded_json(&view, false);
    assert!(
        !json.contains("V002") && !json.contains("TERM0001"),
        "{json}"
    );
    assert_eq!(
        expanded_json(&view, true),
        r#"{"mti":"0200","fields":{"48":{"0":"V002","2":"TERM0001"}}}"#
    );
    assert!(!view.to_string().contains("V002"), "{view}");

    // Spec::to_toml writes the header part back; it loads to the same layout.
    let text = spec.to_toml().unwrap();
    let again = Spec::from_toml_str(&text, "again.toml").unwrap();
    let h = de48_header(&again);
    assert_eq!(
        (h.name(), h.length(), h.class()),
        ("Version", iso8583_wire::spec::Length::Fixed(4), Class::An)
    );
    assert!(MessageView::decode(&again, &w).is_ok());

    // Load checks: the header has a fixed length.
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
         [fields.48]\nname = 'P'\nclass = 'ans'\nprefix = 'LLL'\nmax = 999\n\
         subfields = 'bitmapped'\nparts = [\n\
           { number = 0, name = 'Version', class = 'an', prefix = 'LL', max = 4 },\n\
           { number = 2, name = 'T', class = 'ans', length = 8 },\n]\n",
        "hdr.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "hdr.toml: field 48: parts[0] (\"Version\").length: the header ahead of the bitmap (number = 0) has a fixed length"
    );
}

#[test]
fn both_shapes_hold_under_the_spec_values_harness() {
    // The harness builds random valid (and one time in eight wild) values for every field,
    // encodes, decodes and re-encodes them, and panics on any broken promise.
    let spec = "name = 'bent'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
        28 = { name = 'Fee', class = 'x+n', encoding = 'bcd', length = 9 }\n\
        29 = { name = 'Fee 2', class = 'x+n', encoding = 'bcd', length = 10, bcd_pad = 'left-0', \
               sign_encoding = 'ebcdic', signs = '+-' }\n\
        [fields.48]\nname = 'Private'\nclass = 'ans'\nprefix = 'LLL'\nmax = 999\n\
        subfields = 'bitmapped'\nparts = [\n\
          { number = 0, name = 'Version', class = 'an', length = 4 },\n\
          { number = 2, name = 'Terminal', class = 'ans', length = 8 },\n\
          { number = 3, name = 'Batch', class = 'n', prefix = 'LL', max = 6 },\n]\n";
    assert!(Spec::from_toml_str(spec, "bent.toml").is_ok());
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..500 {
        let mut input = spec.as_bytes().to_vec();
        input.push(0);
        for _ in 0..64 {
            // xorshift64: a fixed, reproducible stream of choices.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            input.push(state as u8);
        }
        iso8583_wire::fuzzing::spec_values(&input);
    }
}

/// The load error of a spec whose DE 48 is `field` (the TOML of its table's settings).
fn de48_refused(field: &str) -> String {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
             [fields.48]\nname = 'P'\n{field}"
        ),
        "p.toml",
    )
    .map(|_| ())
    .unwrap_err()
    .to_string()
}

#[test]
fn a_part_number_or_sign_encoding_outside_a_bitmapped_layout_is_refused_at_load() {
    let positional = |part: &str| {
        de48_refused(&format!(
            "class = 'ans'\nprefix = 'LLL'\nmax = 999\nsubfields = 'positional'\n\
             parts = [\n  {{ {part}name = 'A', class = 'x+n', length = 4 }},\n]\n"
        ))
    };
    // A positional part's number is its place; number = 0 (a header ahead of a bitmap) and
    // sign_encoding (a sign before packed digits) mean nothing there and were ignored.
    assert_eq!(
        positional("number = 0, "),
        "p.toml: field 48: parts[0] (\"A\").number: only bitmapped parts have a number \
         (a positional part's number is its place)"
    );
    assert_eq!(
        positional("sign_encoding = 'ebcdic', "),
        "p.toml: field 48: parts[0] (\"A\").sign_encoding: only an x+n field with encoding \
         bcd has a separate sign byte"
    );
    // Tagged and TLV layouts take no parts at all (they were ignored).
    assert_eq!(
        de48_refused(
            "class = 'ans'\nprefix = 'LLL'\nmax = 999\nsubfields = 'tagged'\ntag_width = 2\n\
             len_width = 3\nparts = [\n  { number = 0, name = 'V', class = 'an', length = 8 },\n]\n"
        ),
        "p.toml: field 48: parts: parts need subfields = \"positional\" or \"bitmapped\""
    );
}

#[test]
fn a_bitmap_header_and_bitmap_longer_than_their_field_are_refused_at_load() {
    // 8 header characters and a 16-character hex bitmap can never fit in 20: every message
    // with DE 48 would fail to encode.
    let bitmapped = |max: u32, header: &str| {
        de48_refused(&format!(
            "class = 'ans'\nprefix = 'LLL'\nmax = {max}\nsubfields = 'bitmapped'\nparts = [\n\
             {header}  {{ number = 2, name = 'T', class = 'an', length = 4 }},\n]\n"
        ))
    };
    assert_eq!(
        bitmapped(
            20,
            "  { number = 0, name = 'V', class = 'an', length = 8 },\n"
        ),
        "p.toml: field 48: parts[0] (\"V\").length: the header (8 characters) and the \
         subfield bitmap (16) take 24 characters, past the field's 20"
    );
    assert_eq!(
        bitmapped(10, ""),
        "p.toml: field 48: subfield_bitmap: the subfield bitmap takes 16 characters, past the \
         field's 10"
    );
    // A binary field counts two characters a byte: 4 header bytes and an 8-byte bitmap in 11.
    assert_eq!(
        de48_refused(
            "class = 'b'\nencoding = 'binary'\nprefix = 'LLL'\nmax = 11\n\
             subfields = 'bitmapped'\nparts = [\n\
               { number = 0, name = 'V', class = 'b', encoding = 'binary', length = 4 },\n\
               { number = 2, name = 'T', class = 'b', encoding = 'binary', length = 1 },\n]\n"
        ),
        "p.toml: field 48: parts[0] (\"V\").length: the header (8 characters) and the \
         subfield bitmap (16) take 24 characters, past the field's 22"
    );
    // What fits still loads: 8 + 16 in 24, and 4 + 8 bytes in 12.
    assert!(
        Spec::from_toml_str(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
             [fields.48]\nname = 'P'\nclass = 'ans'\nprefix = 'LLL'\nmax = 24\n\
             subfields = 'bitmapped'\nparts = [\n\
               { number = 0, name = 'V', class = 'an', length = 8 },\n\
               { number = 2, name = 'T', class = 'an', length = 4 },\n]\n",
            "p.toml",
        )
        .is_ok()
    );
}
