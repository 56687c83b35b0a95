//! Spec import from jPOS GenericPackager XML, moov-io JSON and pyiso8583 dicts: each test spec
//! (written for these tests under tests/import/, not copied from those projects) is imported,
//! and a message built by hand byte by byte for its layout, the way the other library lays it
//! out, decodes to the expected values and re-encodes identically. Unsupported classes and
//! attributes are refused naming them and the field.

use iso8583_wire::spec::import::Format;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

fn import(format: Format, file: &str) -> Spec {
    let path = format!("{}/tests/import/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = Spec::import(format, &text, &path).unwrap();
    // The TOML written for it loads back to the same TOML.
    let toml = spec.to_toml().unwrap();
    let again = Spec::from_toml_str(&toml, "again").unwrap();
    assert_eq!(again.to_toml().unwrap(), toml);
    spec
}

/// The primary (and secondary) bitmap bytes for `fields`.
fn bitmap(fields: &[u16]) -> Vec<u8> {
    let secondary = fields.iter().any(|&n| n > 64);
    let mut b = vec![0u8; if secondary { 16 } else { 8 }];
    if secondary {
        b[0] |= 0x80;
    }
    for &n in fields {
        let i = usize::from(n - 1);
        b[i / 8] |= 0x80 >> (i % 8);
    }
    b
}

fn ebcdic(s: &str) -> Vec<u8> {
    s.bytes()
        .map(|c| match c {
            b'0'..=b'9' => 0xF0 + (c - b'0'),
            b'A'..=b'I' => 0xC1 + (c - b'A'),
            b'J'..=b'R' => 0xD1 + (c - b'J'),
            b'S'..=b'Z' => 0xE2 + (c - b'S'),
            b' ' => 0x40,
            _ => panic!("no EBCDIC for {c}"),
        })
        .collect()
}

/// Decodes `wire`, checks each `(field, value)` and the byte-for-byte re-encoding.
fn check(spec: &Spec, wire: &[u8], expect: &[(&str, &str)]) {
    let view = MessageView::decode(spec, wire).unwrap_or_else(|e| panic!("{e}"));
    for &(path, value) in expect {
        let got = match path.split_once('.') {
            None => view.field(path.parse().unwrap()).unwrap().clear_string(),
            Some(_) => view.subfield(path).unwrap().unwrap().clear_string(),
        };
        assert_eq!(got, value, "field {path}");
    }
    let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
    assert_eq!(again, wire, "re-encoding");
}

#[test]
fn jpos_classes_decode_a_message_laid_out_the_way_jpos_packs_it() {
    let spec = import(Format::Jpos, "jpos-classes.xml");
    assert_eq!(spec.header_len(), 2);
    let mut fields: Vec<u16> = (2..=30).collect();
    fields.extend([48, 55, 60]);
    let mut w = b"HH0200".to_vec();
    w.extend(bitmap(&fields));
    let parts: Vec<Vec<u8>> = vec![
        b"164111111111111111".to_vec(),            // 2 IFA_LLNUM
        b"000000".to_vec(),                        // 3 IFA_NUMERIC
        vec![0x00, 0x00, 0x00, 0x01, 0x00, 0x00],  // 4 IFB_NUMERIC pad=true
        vec![0x12, 0x34, 0x50],                    // 5 IFB_NUMERIC, odd: pad nibble right
        vec![0x01, 0x23, 0x45, 0x67],              // 6 IFB_NUMERIC pad=true, odd: left
        ebcdic("1204103015"),                      // 7 IFE_NUMERIC
        b"0512345".to_vec(),                       // 8 IFA_LLNUM
        vec![0x05, 0x12, 0x34, 0x50],              // 9 IFB_LLNUM: 5 digits, right pad
        vec![0x03, 0x01, 0x23],                    // 10 IFB_LLHNUM pad=true
        b"C00001000".to_vec(),                     // 11 IFA_AMOUNT
        ebcdic("D00000500"),                       // 12 IFE_AMOUNT
        b"TERM01  ".to_vec(),                      // 13 IF_CHAR
        ebcdic("ABC123"),                          // 14 IFE_CHAR
        b"05HELLO".to_vec(),                       // 15 IFA_LLCHAR
        b"003abc".to_vec(),                        // 16 IFA_LLLCHAR
        [&[0x04][..], b"ABCD"].concat(),           // 17 IFB_LLCHAR
        [&[0x00, 0x05][..], b"HELLO"].concat(),    // 18 IFB_LLLCHAR
        [ebcdic("003"), ebcdic("XYZ")].concat(),   // 19 IFE_LLLCHAR
        b"0720VALUE".to_vec(),                     // 20 IFEP_LLCHAR: len, number, value
        vec![1, 2, 3, 4, 5, 6, 7, 8],              // 21 IFB_BINARY
        b"DEADBEEF".to_vec(),                      // 22 IFA_BINARY (4 bytes as hex)
        vec![0x00, 0x03, 0xAA, 0xBB, 0xCC],        // 23 IFB_LLLLBINARY
        vec![0x02, 0xFF, 0xEE],                    // 24 IFB_LLHBINARY
        [&b"002"[..], &[0x00, 0x01]].concat(),     // 25 IFA_LLLBINARY
        [ebcdic("02"), vec![0x12, 0x34]].concat(), // 26 IFE_LLBINARY
        vec![0x00, 0x03, 0x12, 0x30],              // 27 IFB_LLLNUM, odd: right pad
        b"0004ABCD".to_vec(),                      // 28 IFA_LLLLCHAR
        [&[0x00, 0x03][..], b"XYZ"].concat(),      // 29 IFB_LLLHCHAR
        [ebcdic("03"), ebcdic("789")].concat(),    // 30 IFE_LLNUM
        // 48 IFB_LLLBINARY + GenericSubFieldPackager: BCD length 13, subfield bitmap (2, 3),
        // 2 IFB_NUMERIC 4, 3 IFB_LLCHAR "OK".
        [
            &[0x00, 0x13, 0x60, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x02][..],
            b"OK",
        ]
        .concat(),
        // 55 IFB_LLHBINARY + BERTLVBinaryPackager: 9F02 amount.
        vec![0x09, 0x9F, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00],
        b"1401ABCD06REMARK".to_vec(), // 60 positional, emitBitmap=false
    ];
    w.extend(parts.concat());
    check(
        &spec,
        &w,
        &[
            ("2", "4111111111111111"),
            ("3", "000000"),
            ("4", "000000010000"),
            ("5", "12345"),
            ("6", "1234567"),
            ("7", "1204103015"),
            ("8", "12345"),
            ("9", "12345"),
            ("10", "123"),
            ("11", "C00001000"),
            ("12", "D00000500"),
            ("13", "TERM01  "),
            ("14", "ABC123"),
            ("15", "HELLO"),
            ("16", "abc"),
            ("17", "ABCD"),
            ("18", "HELLO"),
            ("19", "XYZ"),
            ("20", "20VALUE"),
            ("20.1", "20"),
            ("20.2", "VALUE"),
            ("21", "0102030405060708"),
            ("22", "DEADBEEF"),
            ("23", "AABBCC"),
            ("24", "FFEE"),
            ("25", "0001"),
            ("26", "1234"),
            ("27", "123"),
            ("28", "ABCD"),
            ("29", "XYZ"),
            ("30", "789"),
            ("48.2", "1234"),
            ("48.3", "OK"),
            ("55.9F02", "000000000100"),
            ("60.1", "01"),
            ("60.2", "ABCD"),
            ("60.3", "REMARK"),
        ],
    );
}

#[test]
fn moov_spec_decodes_a_message_laid_out_the_way_moov_packs_it() {
    let spec = import(Format::Moov, "moov-spec.json");
    assert_eq!(spec.name(), "moov test spec");
    let fields = [2, 3, 4, 5, 6, 35, 41, 42, 43, 48, 52, 53, 55, 62, 63];
    let mut w = vec![0x02, 0x00];
    w.extend(bitmap(&fields));
    let parts: Vec<Vec<u8>> = vec![
        vec![0x16, 0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11], // 2 BCD.LL, 16 digits
        vec![0x00, 0x00, 0x00],                                     // 3 BCD
        b"000000001000".to_vec(),                                   // 4 ASCII
        vec![0x01, 0x23],                                           // 5 BCD, odd: pad left
        vec![0x12, 0x30],                                           // 6 LBCD, odd: pad right
        vec![
            0x20, 0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0xD2, 0x51,
        ], // 35
        b"TERM01  ".to_vec(),                                       // 41
        ebcdic("MERCHANT0000001"),                                  // 42 EBCDIC
        b"ACME STORE               SPRINGFIELD  US".to_vec(),       // 43 positional
        b"0130103ABC0202XY".to_vec(),                               // 48 tagged, ASCII.LLL
        vec![0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18],       // 52
        b"CAFEBABE".to_vec(),                                       // 53 HexToASCII, 4 bytes
        vec![0x09, 0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x01, 0x00],       // 55 Binary.L + BER-TLV
        vec![0x00, 0x03, 0xAA, 0xBB, 0xCC],                         // 62 Binary.LL: two bytes
        b"276000000000000000004205HELLO".to_vec(),                  // 63 bitmapped, hex bitmap
    ];
    w.extend(parts.concat());
    check(
        &spec,
        &w,
        &[
            ("2", "4111111111111111"),
            ("3", "000000"),
            ("4", "000000001000"),
            ("5", "123"),
            ("6", "123"),
            ("35", "4111111111111111D251"),
            ("41", "TERM01  "),
            ("42", "MERCHANT0000001"),
            ("43.1", "ACME STORE               "),
            ("43.2", "SPRINGFIELD  "),
            ("43.3", "US"),
            ("48.01", "ABC"),
            ("48.02", "XY"),
            ("52", "A1B2C3D4E5F60718"),
            ("53", "CAFEBABE"),
            ("55.9F02", "000000000100"),
            ("62", "AABBCC"),
            ("63.2", "0042"),
            ("63.3", "HELLO"),
        ],
    );
}

#[test]
fn pyiso8583_spec_decodes_a_message_laid_out_the_way_pyiso8583_packs_it() {
    let spec = import(Format::Pyiso8583, "pyiso-spec.json");
    assert_eq!(spec.header_len(), 5);
    let fields = [2, 3, 4, 11, 32, 35, 52, 55, 70];
    let mut w = b"HDR010200".to_vec();
    let hex: String = bitmap(&fields).iter().map(|b| format!("{b:02X}")).collect();
    w.extend(hex.bytes());
    let parts: Vec<Vec<u8>> = vec![
        vec![0x15, 0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F], // 2: 15 nibbles, right_pad F
        b"000000".to_vec(),                                         // 3
        vec![0x00, 0x00, 0x00, 0x00, 0x10, 0x00],                   // 4: 12 nibbles
        ebcdic("123456"),                                           // 11 cp500
        [ebcdic("06"), b"123456".to_vec()].concat(),                // 32: cp500 length
        vec![
            0x13, 0x04, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1D, 0x25,
        ], // 35: left_pad 0
        vec![1, 2, 3, 4, 5, 6, 7, 8],                               // 52
        vec![0x00, 0x03, 0xAA, 0xBB, 0xCC],                         // 55: 2-byte binary length
        b"003301".to_vec(),                                         // 70
    ];
    w.extend(parts.concat());
    check(
        &spec,
        &w,
        &[
            ("2", "411111111111111"),
            ("3", "000000"),
            ("4", "000000001000"),
            ("11", "123456"),
            ("32", "123456"),
            ("35", "4111111111111111D25"),
            ("52", "0102030405060708"),
            ("55", "AABBCC"),
            ("70", "301"),
        ],
    );
}

/// Imports `text` and returns the error text.
fn refused(format: Format, text: &str) -> String {
    Spec::import(format, text, "t").unwrap_err().to_string()
}

#[test]
fn unsupported_classes_attributes_and_encodings_are_refused_naming_field_and_value() {
    let jpos = |field: &str| {
        format!(
            "<isopackager><isofield id='0' length='4' name='m' class='org.jpos.iso.IFA_NUMERIC'/>\
             <isofield id='1' length='16' name='b' class='org.jpos.iso.IFB_BITMAP'/>{field}</isopackager>"
        )
    };
    let cases = [
        (
            jpos("<isofield id='7' length='9' name='x' class='org.jpos.iso.IFX_WEIRD'/>"),
            "t: field 7: class: unsupported jPOS class org.jpos.iso.IFX_WEIRD",
        ),
        (
            jpos(
                "<isofield id='3' length='6' name='x' class='org.jpos.iso.IFA_NUMERIC' token='x'/>",
            ),
            "t: field 3: token: unsupported attribute token=\"x\"",
        ),
        (
            jpos(
                "<isofield id='3' length='6' name='x' class='org.jpos.iso.IFA_NUMERIC' trim='true'/>",
            ),
            "t: field 3: trim: unsupported attribute",
        ),
        (
            jpos("<isofield id='22' length='4' name='x' class='org.jpos.iso.IFE_BINARY'/>"),
            "t: field 22: class: org.jpos.iso.IFE_BINARY: EBCDIC hex",
        ),
        (
            jpos(
                "<isofieldpackager id='48' length='99' name='x' class='org.jpos.iso.IFA_LLCHAR' \
                 packager='org.example.MyPackager'/>",
            ),
            "t: field 48: packager: unsupported subfield packager MyPackager",
        ),
        (
            jpos(
                "<isofieldpackager id='48' length='99' name='x' class='org.jpos.iso.IFB_LLBINARY' \
                 packager='org.jpos.iso.packager.GenericSubFieldPackager' emitBitmap='false'>\
                 <isopackager><isofield id='1' length='4' name='c' class='org.jpos.iso.IF_CHAR'/>\
                 </isopackager></isofieldpackager>",
            ),
            "t: field 48: subfield 1: class: org.jpos.iso.IF_CHAR inside a binary field",
        ),
        (
            jpos("<isofield id='2' length='200' name='x' class='org.jpos.iso.IFA_LLNUM'/>"),
            "t: field 2: max: 200 does not fit a 2-digit prefix",
        ),
    ];
    for (text, want) in &cases {
        let got = refused(Format::Jpos, text);
        assert!(got.starts_with(want), "{got}\n wanted {want}");
    }
    let moov = |field: &str| {
        format!(
            r#"{{"fields": {{"0": {{"type": "String", "length": 4, "enc": "ASCII", "prefix": "ASCII.Fixed"}},
            "1": {{"type": "Bitmap", "length": 8, "enc": "Binary", "prefix": "Binary.Fixed"}}, {field}}}}}"#
        )
    };
    let cases = [
        (
            moov(
                r#""2": {"type": "Binary", "length": 9, "enc": "HexToASCII", "prefix": "ASCII.LL"}"#,
            ),
            "t: field 2: enc: HexToASCII with a length prefix",
        ),
        (
            moov(r#""2": {"type": "String", "length": 9, "enc": "ASCII", "prefix": "Hex.LL"}"#),
            "t: field 2: prefix: unsupported prefix \"Hex.LL\"",
        ),
        (
            moov(
                r#""2": {"type": "String", "length": 9, "enc": "EBCDIC1047", "prefix": "ASCII.LL"}"#,
            ),
            "t: field 2: enc: unsupported encoding \"EBCDIC1047\"",
        ),
        (
            moov(
                r#""2": {"type": "String", "length": 9, "enc": "ASCII", "prefix": "ASCII.LL", "colour": 1}"#,
            ),
            "t: field 2: colour: unsupported attribute",
        ),
    ];
    for (text, want) in &cases {
        let got = refused(Format::Moov, text);
        assert!(got.starts_with(want), "{got}\n wanted {want}");
    }
    let got = refused(
        Format::Pyiso8583,
        r#"{"t": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 4},
            "p": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8},
            "2": {"data_enc": "utf-16", "len_enc": "ascii", "len_type": 2, "max_len": 19}}"#,
    );
    assert!(
        got.starts_with("t: field 2: 2.data_enc: unsupported data encoding \"utf-16\""),
        "{got}"
    );
    let got = refused(Format::Jpos, "<isopackager><isofield");
    assert!(got.starts_with("t: xml: "), "{got}");
}

#[test]
fn every_bundled_spec_written_as_toml_loads_back_to_the_same_definitions() {
    for name in iso8583_wire::spec::BUILTIN_NAMES {
        let spec = Spec::builtin(name).unwrap();
        let toml = spec.to_toml().unwrap();
        let again = Spec::from_toml_str(&toml, name).unwrap();
        assert_eq!(again.to_toml().unwrap(), toml, "{name}");
        assert_eq!(
            (
                again.mti_encoding(),
                again.bitmap_encoding(),
                again.header_len()
            ),
            (
                spec.mti_encoding(),
                spec.bitmap_encoding(),
                spec.header_len()
            )
        );
        assert_eq!(again.fields().count(), spec.fields().count(), "{name}");
        for (a, b) in spec.fields().zip(again.fields()) {
            // FieldSpec has no PartialEq: its Debug form shows every setting. A fixed field's
            // prefix encoding is never used, and not written.
            let shown = |f: &iso8583_wire::spec::FieldSpec| {
                let d = format!("{f:?}");
                match f.length() {
                    iso8583_wire::spec::Length::Fixed(_) => {
                        let start = d.find(" prefix: ").unwrap();
                        let end = start + d[start..].find(',').unwrap();
                        format!("{}{}", &d[..start], &d[end + 1..])
                    }
                    _ => d,
                }
            };
            assert_eq!(shown(a), shown(b), "{name} field {}", a.number());
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Damaged spec files are refused with an error or imported, never a panic: each test
    /// spec with bytes overwritten, and numbers replaced by extreme values.
    #[test]
    fn damaged_spec_files_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8),
        big in proptest::prop_oneof![proptest::strategy::Just("0"), proptest::strategy::Just("4294967295"), proptest::strategy::Just("99999999999999999999"), proptest::strategy::Just("-1")],
    ) {
        let (format, file) = [
            (Format::Jpos, "jpos-classes.xml"),
            (Format::Moov, "moov-spec.json"),
            (Format::Pyiso8583, "pyiso-spec.json"),
        ][which];
        let path = format!("{}/tests/import/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut bytes = text.into_bytes();
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        let text = String::from_utf8_lossy(&bytes).replace("19", big);
        if let Ok(spec) = Spec::import(format, &text, "damaged") {
            let toml = spec.to_toml().unwrap();
            Spec::from_toml_str(&toml, "again").unwrap();
        }
    }
}
