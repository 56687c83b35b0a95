//! Lenient decoding: each kind of broken value rule is decoded as it is, reported with its
//! field, subfield and byte offset, and the message re-encodes byte for byte; structural
//! faults stop decoding with the fields before them kept.

use iso8583_wire::{DecodeErrorKind as K, Location, MessageBuilder, MessageView, Spec};

fn spec(name: &str) -> Spec {
    Spec::builtin(name).unwrap()
}

/// A message of `fields` in `spec`, and where each field's data starts.
fn build(spec: &Spec, fields: &[(u16, &str)]) -> (Vec<u8>, Vec<(u16, usize)>) {
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap();
    for &(n, v) in fields {
        b.set(n, v).unwrap();
    }
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(spec, &wire).unwrap();
    let offsets = view.fields().map(|f| (f.number(), f.offset())).collect();
    (wire, offsets)
}

fn offset_of(offsets: &[(u16, usize)], n: u16) -> usize {
    offsets.iter().find(|&&(m, _)| m == n).unwrap().1
}

/// Decodes `wire` leniently and checks: strict refuses it, exactly one warning at
/// `(field, offset)` of `kind`, every field present, and the re-encoding is `wire`.
fn one_warning(spec: &Spec, wire: &[u8], field: u16, offset: usize, kind: K) {
    let strict = MessageView::decode(spec, wire).unwrap_err();
    assert_eq!(
        (strict.location, strict.offset, strict.kind),
        (Location::Field(field), offset, kind)
    );
    let lenient = MessageView::decode_lenient(spec, wire).unwrap();
    assert_eq!(lenient.warnings().len(), 1, "{:?}", lenient.warnings());
    let w = lenient.warnings()[0];
    assert_eq!(
        (w.location, w.offset, w.kind),
        (Location::Field(field), offset, kind)
    );
    assert!(lenient.stopped().is_none());
    assert!(!lenient.is_clean());
    assert_eq!(lenient.view().encoded_len(), wire.len());
    let again = MessageBuilder::from_view(lenient.view())
        .encode_to_vec()
        .unwrap();
    assert_eq!(again, wire, "round trip");
}

#[test]
fn letters_in_an_ns_field_are_kept_and_reported() {
    let s = spec("iso87-ascii-bin");
    let (mut wire, at) = build(&s, &[(3, "000000"), (34, "1234 5678"), (41, "TERM0001")]);
    let de34 = offset_of(&at, 34);
    wire[de34 + 2] = b'Q';
    one_warning(
        &s,
        &wire,
        34,
        de34 + 2,
        K::BadCharacter {
            class: iso8583_wire::spec::Class::Ns,
        },
    );
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().field(34).unwrap().clear_string(), "12Q4 5678");
    assert_eq!(l.view().str(41), Some("TERM0001"));
}

#[test]
fn an_x_n_amount_signed_zero_is_kept_and_reported() {
    let s = spec("iso87-ascii-bin");
    let (mut wire, at) = build(
        &s,
        &[(4, "000000001000"), (28, "C00000150"), (41, "TERM0001")],
    );
    let de28 = offset_of(&at, 28);
    wire[de28] = b'0';
    one_warning(
        &s,
        &wire,
        28,
        de28,
        K::BadCharacter {
            class: iso8583_wire::spec::Class::XN,
        },
    );
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().str(28), Some("000000150"));
}

#[test]
fn text_in_a_class_n_field_is_kept_and_reported() {
    let s = spec("iso87-ascii");
    let (mut wire, at) = build(&s, &[(3, "000000"), (11, "000042")]);
    let de11 = offset_of(&at, 11);
    wire[de11..de11 + 6].copy_from_slice(b"ABC123");
    one_warning(
        &s,
        &wire,
        11,
        de11,
        K::BadCharacter {
            class: iso8583_wire::spec::Class::N,
        },
    );
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().str(11), Some("ABC123"));
    assert_eq!(l.view().field(11).unwrap().to_u64(), None);
}

#[test]
fn a_packed_pan_with_the_other_pad_nibble_is_kept_and_reported() {
    let s = spec("iso87-bcd");
    // 15 digits: the spec pads on the left with 0; this sender used F.
    let (mut wire, at) = build(&s, &[(2, "476173900101011"), (3, "000000")]);
    let de2 = offset_of(&at, 2);
    assert_eq!(wire[de2] >> 4, 0);
    wire[de2] |= 0xF0;
    one_warning(&s, &wire, 2, de2, K::BadPadNibble);
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().field(2).unwrap().clear_string(), "476173900101011");
    assert_eq!(l.view().str(3), None); // BCD: no zero-copy text
    assert_eq!(l.view().field(3).unwrap().clear_string(), "000000");
}

#[test]
fn a_non_digit_bcd_nibble_is_kept_and_reported() {
    let s = spec("iso87-bcd");
    let (mut wire, at) = build(&s, &[(3, "000000"), (4, "000000001000")]);
    let de4 = offset_of(&at, 4);
    wire[de4 + 5] = 0x0C;
    one_warning(&s, &wire, 4, de4 + 5, K::BadBcdNibble);
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().field(4).unwrap().clear_string(), "00000000100C");
}

#[test]
fn a_non_hex_character_in_hex_text_is_kept_and_reported() {
    let s = spec("iso87-ascii");
    let (mut wire, at) = build(&s, &[(3, "000000"), (52, "0123456789ABCDEF")]);
    let de52 = offset_of(&at, 52);
    wire[de52 + 3] = b'G';
    one_warning(&s, &wire, 52, de52 + 3, K::BadHexDigit);
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.view().field(52).unwrap().raw(), b"012G456789ABCDEF");
}

#[test]
fn every_broken_field_is_reported_in_field_order() {
    let s = spec("iso87-ascii");
    let (mut wire, at) = build(&s, &[(3, "000000"), (11, "000042"), (41, "TERM0001")]);
    let (de3, de11) = (offset_of(&at, 3), offset_of(&at, 11));
    wire[de3 + 1] = b'x';
    wire[de11 + 5] = b'y';
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    let got: Vec<(Option<u16>, usize)> =
        l.warnings().iter().map(|w| (w.field(), w.offset)).collect();
    assert_eq!(got, [(Some(3), de3 + 1), (Some(11), de11 + 5)]);
    assert_eq!(
        MessageBuilder::from_view(l.view()).encode_to_vec().unwrap(),
        wire
    );
}

#[test]
fn a_subfield_fault_is_reported_with_its_position() {
    let s = spec("iso87-ascii-bin");
    // DE 55 announces a 9F26 of 8 bytes but holds 2: strict decoding does not walk the TLV,
    // lenient decoding does and reports it.
    let mut b = MessageBuilder::new(&s);
    b.mti("0200").unwrap().set(3, "000000").unwrap();
    b.set_binary(55, &[0x9F, 0x26, 0x08, 0x01, 0x02]).unwrap();
    let wire = b.encode_to_vec().unwrap();
    assert!(MessageView::decode(&s, &wire).is_ok());
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(l.warnings().len(), 1, "{:?}", l.warnings());
    let w = l.warnings()[0];
    assert_eq!(w.field(), Some(55));
    assert!(matches!(w.kind, K::BadTlv { .. }), "{w}");
    let de55 = l.view().field(55).unwrap().offset();
    assert!(w.offset >= de55 && w.offset <= wire.len(), "{w}");
    assert_eq!(
        MessageBuilder::from_view(l.view()).encode_to_vec().unwrap(),
        wire
    );
}

#[test]
fn a_structural_fault_stops_decoding_and_keeps_the_fields_before_it() {
    let s = spec("iso87-ascii");
    let (mut wire, at) = build(&s, &[(11, "000042"), (32, "12345"), (41, "TERM0001")]);
    let de32 = offset_of(&at, 32);
    // The LL prefix of DE 32 (max 11) says 99.
    wire[de32 - 2..de32].copy_from_slice(b"99");
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    let stop = *l.stopped().unwrap();
    assert_eq!(
        (stop.location, stop.offset, stop.kind),
        (
            Location::Field(32),
            de32 - 2,
            K::LengthOverMax { len: 99, max: 11 }
        )
    );
    assert_eq!(l.view().str(11), Some("000042"));
    assert!(l.view().field(32).is_none());
    assert!(l.view().field(41).is_none());
    assert_eq!(l.view().fields().count(), 1);
    assert!(!l.is_clean());
}

#[test]
fn truncation_stops_decoding_with_a_value_warning_before_it_kept() {
    let s = spec("iso87-ascii");
    let (mut wire, at) = build(&s, &[(3, "000000"), (41, "TERM0001")]);
    let de3 = offset_of(&at, 3);
    wire[de3] = b'-';
    wire.truncate(wire.len() - 3);
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    assert_eq!(
        l.warnings().iter().map(|w| w.offset).collect::<Vec<_>>(),
        [de3]
    );
    let stop = l.stopped().unwrap();
    assert_eq!(stop.field(), Some(41));
    assert!(matches!(
        stop.kind,
        K::Truncated {
            needed: 8,
            available: 5
        }
    ));
    assert_eq!(l.view().str(3), Some("-00000"));
}

#[test]
fn trailing_bytes_are_reported_after_a_whole_message() {
    let s = spec("iso87-ascii");
    let (mut wire, _) = build(&s, &[(3, "000000"), (41, "TERM0001")]);
    let len = wire.len();
    wire.extend_from_slice(b"xyz");
    let l = MessageView::decode_lenient(&s, &wire).unwrap();
    let stop = l.stopped().unwrap();
    assert_eq!(
        (stop.offset, stop.kind),
        (len, K::TrailingBytes { count: 3 })
    );
    assert_eq!(l.view().encoded_len(), len);
    assert_eq!(l.view().str(41), Some("TERM0001"));
}

#[test]
fn a_clean_message_decodes_as_strictly() {
    for name in [
        "iso87-ascii",
        "iso87-ascii-bin",
        "iso87-bcd",
        "iso87-ebcdic",
    ] {
        let s = spec(name);
        let (wire, at) = build(
            &s,
            &[
                (2, "4761739001010119"),
                (3, "000000"),
                (4, "000000001000"),
                (11, "000001"),
                (35, "4761739001010119=25122011143804489"),
                (41, "TERM0001"),
                (90, "020012345611221334550000000123400000000000"),
            ],
        );
        let l = MessageView::decode_lenient(&s, &wire).unwrap();
        assert!(l.is_clean(), "{name}: {:?} {:?}", l.warnings(), l.stopped());
        let got: Vec<(u16, usize, String)> = l
            .view()
            .fields()
            .map(|f| (f.number(), f.offset(), f.clear_string()))
            .collect();
        let strict = MessageView::decode(&s, &wire).unwrap();
        let want: Vec<(u16, usize, String)> = strict
            .fields()
            .map(|f| (f.number(), f.offset(), f.clear_string()))
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), at);
    }
}

#[test]
fn an_unreadable_mti_or_bitmap_is_an_error() {
    let s = spec("iso87-ascii");
    let (mut wire, _) = build(&s, &[(3, "000000")]);
    wire[1] = b'Z';
    let e = MessageView::decode_lenient(&s, &wire).unwrap_err();
    assert_eq!(
        (e.location, e.offset, e.kind),
        (Location::Mti, 0, K::BadMti)
    );
    let e = MessageView::decode_lenient(&s, &wire[..10]).unwrap_err();
    assert_eq!(e.location, Location::Mti);
    let (wire, _) = build(&s, &[(3, "000000")]);
    let e = MessageView::decode_lenient(&s, &wire[..12]).unwrap_err();
    assert_eq!(e.location, Location::Bitmap);
}
