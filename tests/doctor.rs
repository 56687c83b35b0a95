//! The spec doctor, one test per axis: take a bundled spec, flip one axis, encode a message
//! with the flipped spec, and check that the doctor's best fix for the original spec is that
//! flip, decodes cleanly, and that its TOML diff applied to the spec gives a spec that decodes
//! the message.

use iso8583_wire::doctor::{Doctor, Fix};
use iso8583_wire::error::Location;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

/// `spec`'s TOML with every `from` replaced by `to` (inside `[fields.N]` only when `field`
/// is given).
fn flip(spec: &Spec, from: &str, to: &str, field: Option<u16>) -> Spec {
    let text = spec.to_toml().unwrap();
    let text = match field {
        None => text.replace(from, to),
        Some(n) => {
            let head = format!("[fields.{n}]\n");
            let start = text.find(&head).unwrap();
            let end = start + head.len() + text[start + head.len()..].find("\n[").unwrap();
            let section = text[start..end].replace(from, to);
            assert_ne!(section, text[start..end], "nothing to flip");
            format!("{}{section}{}", &text[..start], &text[end..])
        }
    };
    Spec::from_toml_str(&text, "flipped").unwrap()
}

fn message(spec: &Spec, header: Option<&[u8]>, fields: &[(u16, &str)]) -> Vec<u8> {
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap();
    if let Some(h) = header {
        b.header(h).unwrap();
    }
    for &(n, v) in fields {
        b.set(n, v).unwrap();
    }
    b.encode_to_vec().unwrap()
}

/// Applies a doctor diff (`[table]`, `-line`, `+line`) to `spec`'s TOML.
fn apply(spec: &Spec, diff: &str) -> Spec {
    let text = spec.to_toml().unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // A group's tables: `[fields.2] [fields.32]`, or none for the top of the file.
    let mut tables: Vec<String> = vec![String::new()];
    for d in diff.lines() {
        if d.starts_with('[') {
            tables = d
                .split("] [")
                .map(|t| t.trim_matches(['[', ']']).to_owned())
                .collect();
            continue;
        }
        for table in &tables {
            // The table's line range.
            let start = if table.is_empty() {
                0
            } else {
                let head = format!("[{table}]");
                lines.iter().position(|l| *l == head).unwrap() + 1
            };
            let end = (start..lines.len())
                .find(|&i| lines[i].starts_with('['))
                .unwrap_or(lines.len());
            if let Some(old) = d.strip_prefix('-') {
                let i = (start..end).find(|&i| lines[i] == old).unwrap();
                lines.remove(i);
            } else if let Some(new) = d.strip_prefix('+') {
                lines.insert(end, new.to_owned());
            }
        }
    }
    Spec::from_toml_str(&lines.join("\n"), "applied").unwrap()
}

/// The doctor's best fix for `wire` under `spec` is exactly `changes`, decodes cleanly, and
/// its diff applied to the spec decodes the message.
fn finds(spec: &Spec, wire: &[u8], changes: &[&str]) -> Fix {
    assert!(
        MessageView::decode(spec, wire).is_err(),
        "the original spec must fail"
    );
    let doctor = Doctor::new(spec).unwrap();
    let report = doctor.examine(wire);
    assert!(report.original_error.is_some());
    let best = &report.fixes[0];
    assert!(best.clean, "{report:#?}");
    assert_eq!(best.changes, changes, "{report:#?}");
    let fixed = apply(spec, &best.toml_diff);
    MessageView::decode(&fixed, wire).unwrap();
    best.clone()
}

const PAN: (u16, &str) = (2, "4761739001010119");

#[test]
fn bitmap_encoding_flip_is_found() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let other = flip(&spec, "bitmap = \"binary\"", "bitmap = \"hex\"", None);
    let wire = message(&other, None, &[PAN, (3, "000000"), (41, "TERM0001")]);
    finds(&spec, &wire, &["bitmap encoding: hex"]);
}

#[test]
fn mti_encoding_flip_is_found() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let other = flip(&spec, "mti = \"ascii\"", "mti = \"bcd\"", None);
    let wire = message(&other, None, &[PAN, (3, "000000"), (41, "TERM0001")]);
    let fix = finds(&spec, &wire, &["MTI encoding: bcd"]);
    assert_eq!(fix.first_wrong, Some(Location::Mti));
}

#[test]
fn prefix_encoding_flip_is_found() {
    let spec = Spec::builtin("iso87-bcd").unwrap();
    let other = flip(
        &spec,
        "prefix_encoding = \"bcd\"",
        "prefix_encoding = \"binary\"",
        None,
    );
    let wire = message(&other, None, &[PAN, (3, "000000"), (32, "12345678901")]);
    let fix = finds(&spec, &wire, &["prefix encoding: binary"]);
    assert_eq!(fix.first_wrong, Some(Location::Field(2)));
}

#[test]
fn length_unit_flip_is_found() {
    let spec = Spec::builtin("iso87-bcd").unwrap();
    let other = flip(&spec, "unit = \"digits\"", "unit = \"bytes\"", None);
    // Variable fields only: a fixed field's length means another size in bytes.
    let wire = message(&other, None, &[PAN, (32, "1234567890")]);
    finds(&spec, &wire, &["packed length unit: bytes"]);
}

#[test]
fn pad_nibble_flip_is_found() {
    let spec = Spec::builtin("iso87-bcd").unwrap();
    let other = flip(&spec, "bcd_pad = \"left-0\"", "bcd_pad = \"right-F\"", None);
    let wire = message(&other, None, &[(2, "476173900101011"), (32, "12345")]);
    finds(&spec, &wire, &["pad nibble: right-F"]);
}

#[test]
fn header_length_is_found() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let text = spec
        .to_toml()
        .unwrap()
        .replace("[message]\n", "[message]\nheader_length = 12\n");
    let other = Spec::from_toml_str(&text, "with header").unwrap();
    let wire = message(
        &other,
        Some(b"ISO026000070"),
        &[PAN, (3, "000000"), (41, "TERM0001")],
    );
    let fix = finds(&spec, &wire, &["header length: 12"]);
    assert_eq!(fix.first_wrong, Some(Location::Header));
}

#[test]
fn one_fields_prefix_encoding_is_found() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let other = flip(
        &spec,
        "prefix_encoding = \"ascii\"",
        "prefix_encoding = \"ebcdic\"",
        Some(32),
    );
    let wire = message(&other, None, &[PAN, (3, "000000"), (32, "123456")]);
    let fix = finds(&spec, &wire, &["field 32: prefix_encoding: ebcdic"]);
    assert_eq!(fix.first_wrong, Some(Location::Field(32)));
}

#[test]
fn a_message_the_spec_decodes_needs_no_fix_and_garbage_gets_ranked_partial_candidates() {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let doctor = Doctor::new(&spec).unwrap();
    let wire = message(&spec, None, &[PAN, (3, "000000")]);
    let report = doctor.examine(&wire);
    assert!(report.original_error.is_none() && report.fixes.is_empty());

    let garbage = vec![0xA5u8; 200];
    let report = doctor.examine(&garbage);
    assert!(report.original_error.is_some());
    assert!(!report.fixes.is_empty() && report.fixes.len() <= 3);
    assert!(report.fixes.iter().all(|f| !f.clean && f.error.is_some()));
    let progress: Vec<usize> = report.fixes.iter().map(|f| f.decoded_bytes).collect();
    assert!(progress.iter().all(|&p| p <= garbage.len()), "{progress:?}");
}
