//! Spec files: bundled specs load, user specs load from a path or a string, and bad specs
//! are refused at load with the file, field and setting named.

mod common;

use common::{unhex, vectors};
use iso8583_wire::spec::{BUILTIN_NAMES, Class, Encoding, Length, Mask};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[test]
fn every_bundled_spec_loads_and_is_found_by_name() {
    for name in BUILTIN_NAMES {
        let spec = Spec::builtin(name).unwrap();
        assert_eq!(spec.name(), *name);
        let min = if spec.name() == "cup-pos" { 30 } else { 120 };
        assert!(spec.fields().count() >= min, "{name}");
        assert!(spec.field(2).unwrap().is_sensitive());
        assert_eq!(spec.field(35).unwrap().mask(), Mask::Track);
        assert!(
            spec.field(65).is_none(),
            "{name}: 65 flags the tertiary bitmap"
        );
    }
    assert!(
        Spec::builtin("nope")
            .unwrap_err()
            .to_string()
            .contains("iso87-ascii")
    );
}

#[test]
fn bundled_layouts_follow_the_reference_table() {
    let bcd = Spec::builtin("iso87-bcd").unwrap();
    let pan = bcd.field(2).unwrap();
    assert_eq!(
        (pan.class(), pan.encoding(), pan.prefix_encoding()),
        (Class::N, Encoding::Bcd, Encoding::Bcd)
    );
    assert_eq!(pan.length(), Length::Variable { digits: 2, max: 19 });
    assert_eq!(
        bcd.field(55).unwrap().length(),
        Length::Variable {
            digits: 3,
            max: 255
        }
    );
    let ascii = Spec::builtin("iso87-ascii").unwrap();
    assert_eq!(
        ascii.field(55).unwrap().length(),
        Length::Variable {
            digits: 3,
            max: 510
        }
    );
    assert_eq!(ascii.field(52).unwrap().encoding(), Encoding::Hex);
    let e = Spec::builtin("iso87-ebcdic").unwrap();
    assert_eq!(e.field(41).unwrap().encoding(), Encoding::Ebcdic);
    assert_eq!(e.field(52).unwrap().encoding(), Encoding::Binary);
    let i93 = Spec::builtin("iso93-ascii").unwrap();
    assert_eq!(i93.field(12).unwrap().length(), Length::Fixed(12));
    assert_eq!(i93.field(39).unwrap().length(), Length::Fixed(3));
}

/// The EBCDIC spec is the ascii-bin layout with every text byte translated: check it against a
/// translation done here, byte by byte, independent of the encoder.
#[test]
fn ebcdic_spec_is_ascii_bin_translated_to_code_page_037() {
    let ascii = Spec::builtin("iso87-ascii-bin").unwrap();
    let ebcdic = Spec::builtin("iso87-ebcdic").unwrap();
    // ASCII -> cp037 for the printable range.
    let cp037 = |c: u8| -> u8 {
        const T: &[(u8, u8)] = &[
            (b' ', 0x40),
            (b'.', 0x4B),
            (b'<', 0x4C),
            (b'(', 0x4D),
            (b'+', 0x4E),
            (b'|', 0x4F),
            (b'&', 0x50),
            (b'!', 0x5A),
            (b'$', 0x5B),
            (b'*', 0x5C),
            (b')', 0x5D),
            (b';', 0x5E),
            (b'-', 0x60),
            (b'/', 0x61),
            (b',', 0x6B),
            (b'%', 0x6C),
            (b'_', 0x6D),
            (b'>', 0x6E),
            (b'?', 0x6F),
            (b'`', 0x79),
            (b':', 0x7A),
            (b'#', 0x7B),
            (b'@', 0x7C),
            (b'\'', 0x7D),
            (b'=', 0x7E),
            (b'"', 0x7F),
            (b'~', 0xA1),
            (b'^', 0xB0),
            (b'[', 0xBA),
            (b']', 0xBB),
            (b'{', 0xC0),
            (b'}', 0xD0),
            (b'\\', 0xE0),
        ];
        match c {
            b'0'..=b'9' => 0xF0 + (c - b'0'),
            b'a'..=b'i' => 0x81 + (c - b'a'),
            b'j'..=b'r' => 0x91 + (c - b'j'),
            b's'..=b'z' => 0xA2 + (c - b's'),
            b'A'..=b'I' => 0xC1 + (c - b'A'),
            b'J'..=b'R' => 0xD1 + (c - b'J'),
            b'S'..=b'Z' => 0xE2 + (c - b'S'),
            _ => T.iter().find(|(a, _)| *a == c).map(|(_, e)| *e).unwrap(),
        }
    };
    for v in vectors("iso87-ascii-bin.jsonl") {
        let wire = unhex(&v.hex);
        let view = MessageView::decode(&ascii, &wire).unwrap();
        // Translate everything except bitmaps and binary field data.
        let mut expected = wire.clone();
        let mut keep = vec![false; wire.len()];
        let bitmaps = if view.bitmap().is_set(1) { 16 } else { 8 };
        keep[4..4 + bitmaps].iter_mut().for_each(|k| *k = true);
        for f in view.fields().filter(|f| f.spec().is_binary()) {
            keep[f.offset()..f.offset() + f.raw().len()]
                .iter_mut()
                .for_each(|k| *k = true);
        }
        for (b, k) in expected.iter_mut().zip(&keep) {
            if !k {
                *b = cp037(*b);
            }
        }
        let mut builder = MessageBuilder::new(&ebcdic);
        builder.mti(&v.mti).unwrap();
        for (n, value) in &v.fields {
            builder.set(*n, value.as_str()).unwrap();
        }
        assert_eq!(builder.encode_to_vec().unwrap(), expected, "#{}", v.index);
        let back = MessageView::decode(&ebcdic, &expected).unwrap();
        let got: Vec<(u16, String)> = back
            .fields()
            .map(|f| (f.number(), f.clear().to_string()))
            .collect();
        let want: Vec<(u16, String)> = v.fields.into_iter().collect();
        assert_eq!(got, want, "#{}", v.index);
    }
}

#[test]
fn user_specs_load_from_a_string_and_a_path() {
    let text = r#"
name = "my-host"
description = "a host with a 5-byte header"
[message]
mti = "bcd"
bitmap = "binary"
header_length = 5
[defaults]
prefix_encoding = "binary"
numeric_encoding = "bcd"
[fields]
2 = { name = "PAN", class = "n", prefix = "LL", max = 19, mask = "pan" }
4 = { name = "Amount", class = "n", length = 12 }
41 = { name = "Terminal", class = "ans", length = 8 }
"#;
    let spec = Spec::from_toml_str(text, "inline").unwrap();
    let dir = std::env::temp_dir().join(format!("iso8583-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("my-host.toml");
    std::fs::write(&path, text).unwrap();
    let from_path = Spec::load(path.to_str().unwrap()).unwrap();
    assert_eq!(from_path.name(), "my-host");

    let mut b = MessageBuilder::new(&spec);
    b.header(&[0x60, 0, 3, 0, 0]).unwrap().mti("0200").unwrap();
    b.set(2, "4761739001010119")
        .unwrap()
        .set(4, "1000")
        .unwrap()
        .set(41, "T1")
        .unwrap();
    let wire = b.encode_to_vec().unwrap();
    assert_eq!(&wire[..7], &[0x60, 0, 3, 0, 0, 0x02, 0x00]);
    // Binary LL prefix counts digits: 16 -> 0x10, then 8 packed bytes.
    assert_eq!(
        &wire[15..24],
        &[0x10, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19]
    );
    let view = MessageView::decode(&from_path, &wire).unwrap();
    assert_eq!(view.header(), &[0x60, 0, 3, 0, 0]);
    assert_eq!(view.field(4).unwrap().to_u64(), Some(1000)); // left-padded with zeros
    assert_eq!(view.field(41).unwrap().as_str(), Some("T1      ")); // right-padded with spaces
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_specs_name_the_file_field_and_setting() {
    let base = "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n";
    let cases = [
        (
            "2 = { name = 'p', class = 'q', length = 2 }",
            "x.toml: field 2: class: unknown class \"q\"",
        ),
        (
            "2 = { name = 'p', class = 'n', prefix = 'LL', max = 100 }",
            "x.toml: field 2: max: 100 does not fit a 2-digit prefix",
        ),
        (
            "2 = { name = 'p', class = 'n', prefix = 'LX', max = 10 }",
            "x.toml: field 2: prefix:",
        ),
        (
            "2 = { name = 'p', class = 'n', length = 2, max = 3 }",
            "x.toml: field 2: length:",
        ),
        (
            "2 = { name = 'p', class = 'an', encoding = 'bcd', length = 2 }",
            "x.toml: field 2: encoding: bcd packs only",
        ),
        (
            "2 = { name = 'p', class = 'b', encoding = 'ascii', length = 2 }",
            "x.toml: field 2: encoding: class b needs",
        ),
        (
            "2 = { name = 'p', class = 'n', unit = 'digits', length = 2 }",
            "x.toml: field 2: unit:",
        ),
        (
            "2 = { name = 'p', class = 'n', mask = 'some', length = 2 }",
            "x.toml: field 2: mask:",
        ),
        (
            "2 = { name = 'p', class = 'an', padding = 'right-space', length = 2 }",
            "x.toml: field 2: padding: pad character",
        ),
        (
            "2 = { name = 'p', class = 'n', bcd_pad = 'middle-0', length = 2 }",
            "x.toml: field 2: bcd_pad:",
        ),
        (
            "200 = { name = 'p', class = 'n', length = 2 }",
            "x.toml: fields: \"200\" is not a field number",
        ),
        (
            "130 = { name = 'p', class = 'n', length = 2 }",
            "x.toml: field 130: fields: fields above 128",
        ),
        (
            "2 = { name = 'p', class = 'n', length = 2, colour = 'red' }",
            "x.toml: toml: unknown field `colour`",
        ),
    ];
    for (field, want) in cases {
        let err = Spec::from_toml_str(&format!("{base}{field}\n"), "x.toml").unwrap_err();
        assert!(
            err.to_string().starts_with(want),
            "{field}\n got: {err}\nwant: {want}"
        );
    }
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'morse'\nbitmap = 'binary'\n[fields]\n",
        "y.toml",
    )
    .unwrap_err();
    assert_eq!(err.setting, "message.mti");
    assert_eq!(err.field, None);
    let err = Spec::from_path("/nonexistent/spec.toml").unwrap_err();
    assert_eq!(err.source_name, "/nonexistent/spec.toml");
}

#[test]
fn inconsistent_part_definitions_are_refused_naming_file_field_part_and_setting() {
    let base = "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n";
    let cases = [
        // A two-digit prefix cannot state 150: composing such a value would write "50".
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 999, subfields = 'positional', \
             parts = [{ name = 'tag', class = 'an', prefix = 'LL', max = 500 }] }",
            "x.toml: field 48: parts[0] (\"tag\").max: 500 does not fit a 2-digit prefix (1..=99)",
        ),
        // A part length that would allocate 4 GiB.
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 999, subfields = 'positional', \
             parts = [{ name = 'huge', class = 'an', length = 4294967295 }] }",
            "x.toml: field 48: parts[0] (\"huge\").length: 4294967295 is not 1..=999",
        ),
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 999, subfields = 'positional', \
             parts = [{ name = 'none', class = 'an', length = 0 }] }",
            "x.toml: field 48: parts[0] (\"none\").length: 0 is not 1..=999",
        ),
        // Fixed parts adding up past the field's maximum.
        (
            "60 = { name = 'f', class = 'n', prefix = 'LLL', max = 10, subfields = 'positional', \
             parts = [{ name = 'a', class = 'n', length = 6 }, { name = 'b', class = 'n', length = 6 }] }",
            "x.toml: field 60: parts[1] (\"b\").length: the parts up to this one take at least 12 \
             characters, past the field's 10",
        ),
        (
            "60 = { name = 'f', class = 'n', prefix = 'LLL', max = 10, subfields = 'positional', \
             parts = [{ name = 'v', class = 'n', prefix = 'LL', max = 20 }] }",
            "x.toml: field 60: parts[0] (\"v\").max: 20 characters and a 2-digit prefix do not fit \
             the field's 10",
        ),
        // Two bitmapped parts with one number (the later used to win silently).
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 999, subfields = 'bitmapped', \
             parts = [{ name = 'one', number = 2, class = 'n', length = 2 }, \
             { name = 'two', number = 2, class = 'n', length = 3 }] }",
            "x.toml: field 48: parts[1] (\"two\").number: part number 2 is given twice",
        ),
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 20, subfields = 'bitmapped', \
             parts = [{ name = 'big', number = 2, class = 'n', length = 30 }] }",
            "x.toml: field 48: parts[0] (\"big\").length: 30 is longer than the field's 20",
        ),
        (
            "48 = { name = 'f', class = 'ans', prefix = 'LLL', max = 999, subfields = 'bitmapped', \
             parts = [{ name = 'wide', number = 2, class = 'n', prefix = 'LL', max = 150 }] }",
            "x.toml: field 48: parts[0] (\"wide\").max: 150 does not fit a 2-digit prefix",
        ),
        // Field lengths past the standard's LLLLLL limit.
        (
            "2 = { name = 'p', class = 'an', length = 4294967295 }",
            "x.toml: field 2: length: at most 999999",
        ),
    ];
    for (field, want) in cases {
        let err = Spec::from_toml_str(&format!("{base}{field}\n"), "x.toml").unwrap_err();
        assert!(
            err.to_string().starts_with(want),
            "{field}\n got: {err}\nwant: {want}"
        );
    }
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\nheader_length = 5000\n[fields]\n",
        "h.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.toml: message.header_length: at most 1024 bytes"
    );
}

#[test]
fn loading_a_missing_spec_names_the_bundled_ones() {
    let err = Spec::load("nope").unwrap_err();
    let text = err.to_string();
    assert_eq!(err.setting, "file");
    assert!(
        text.starts_with("nope: file: not a bundled spec ("),
        "{text}"
    );
    for name in iso8583_wire::spec::BUILTIN_NAMES {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    // An existing path still loads as a file (and its own errors are file errors).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "name = 1").unwrap();
    let err = Spec::load(path.to_str().unwrap()).unwrap_err();
    assert!(!err.to_string().contains("not a bundled spec"), "{err}");
}
