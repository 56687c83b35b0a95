//! Bytes after a whole message are reported where they start, with their count, and blamed on
//! no field: the last field decoded whole.

mod common;

use common::{hex, run, vectors};
use iso8583_wire::{DecodeErrorKind, Location, MessageBuilder, MessageView, Spec};

#[test]
fn trailing_bytes_name_the_end_of_the_message_not_the_last_field() {
    for name in ["iso87-ascii-bin", "iso87-bcd", "iso87-ebcdic", "cup-pos"] {
        let spec = Spec::builtin(name).unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.mti("0800")
            .unwrap()
            .set(11, "000001")
            .unwrap()
            .set(41, "TERM0001")
            .unwrap();
        let mut wire = b.encode_to_vec().unwrap();
        if spec.header_len() > 0 {
            let header = vec![0x60; spec.header_len()];
            b.header(&header).unwrap();
            wire = b.encode_to_vec().unwrap();
        }
        let end = wire.len();
        wire.push(0x20);
        let e = MessageView::decode(&spec, &wire).unwrap_err();
        assert_eq!(
            (e.location, e.offset, e.kind, e.field()),
            (
                Location::End,
                end,
                DecodeErrorKind::TrailingBytes { count: 1 },
                None
            ),
            "{name}"
        );
        assert_eq!(
            e.to_string(),
            format!("end of message: 1 unexpected byte left over (at byte {end})")
        );
        wire.extend_from_slice(b"xy");
        let e = MessageView::decode(&spec, &wire).unwrap_err();
        assert_eq!(
            (e.offset, e.kind),
            (end, DecodeErrorKind::TrailingBytes { count: 3 })
        );
        // Lenient decoding stops at the same place with the same location.
        let l = MessageView::decode_lenient(&spec, &wire).unwrap();
        assert_eq!(l.stopped(), Some(&e), "{name}");
    }
}

#[test]
fn cli_jsonl_error_for_trailing_bytes_has_a_null_field_and_the_offset_they_start_at() {
    let v = &vectors("iso87-ascii-bin.jsonl")[0];
    let len = v.hex.len() / 2;
    let input = format!("{}{}\n", v.hex, hex(b"Z"));
    let args: Vec<&str> = "decode --spec iso87-ascii-bin --format jsonl -"
        .split(' ')
        .collect();
    let out = run(&args, &input);
    assert_eq!(out.status.code(), Some(1));
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    let err = &line["error"];
    assert!(err["field"].is_null(), "{line}");
    assert_eq!(err["offset"].as_u64(), Some(len as u64), "{line}");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains("1 unexpected byte left over"), "{msg}");
    assert!(!msg.contains("field"), "{msg}");
}
