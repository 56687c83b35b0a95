//! The `iso8583` CLI on real-world traffic: `decode --lenient`.

mod common;

use common::{hex, run};
use iso8583_wire::{MessageBuilder, Spec};

/// An iso87-ascii purchase whose DE 28 is signed `0` and whose DE 11 holds a letter.
fn bent_purchase() -> (Vec<u8>, usize, usize) {
    let spec = Spec::builtin("iso87-ascii").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap();
    for (n, v) in [
        (3, "000000"),
        (11, "000042"),
        (28, "C00000150"),
        (41, "TERM0001"),
    ] {
        b.set(n, v).unwrap();
    }
    let mut wire = b.encode_to_vec().unwrap();
    let de11 = wire.windows(6).position(|w| w == b"000042").unwrap();
    let de28 = wire.windows(9).position(|w| w == b"C00000150").unwrap();
    wire[de11 + 4] = b'A';
    wire[de28] = b'0';
    (wire, de11 + 4, de28)
}

#[test]
fn decode_lenient_gives_the_fields_and_a_warnings_array() {
    let (wire, at11, at28) = bent_purchase();
    let line = format!("{}\n", hex(&wire));
    let strict = run(
        &["decode", "--spec", "iso87-ascii", "--format", "jsonl", "-q"],
        &line,
    );
    let v: serde_json::Value = serde_json::from_slice(&strict.stdout).unwrap();
    assert_eq!(v["error"]["field"], 11);
    assert_eq!(strict.status.code(), Some(1));

    let out = run(
        &[
            "decode",
            "--spec",
            "iso87-ascii",
            "--format",
            "jsonl",
            "--lenient",
            "-q",
        ],
        &line,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mti"], "0200");
    assert_eq!(v["fields"]["11"], "0000A2");
    assert_eq!(v["fields"]["28"], "000000150");
    assert_eq!(v["fields"]["41"], "TERM0001");
    assert!(v.get("error").is_none());
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(
        (w[0]["field"].as_u64(), w[0]["offset"].as_u64()),
        (Some(11), Some(at11 as u64))
    );
    assert_eq!(
        (w[1]["field"].as_u64(), w[1]["offset"].as_u64()),
        (Some(28), Some(at28 as u64))
    );
    assert!(
        w[1]["message"].as_str().unwrap().contains("x+n"),
        "{}",
        w[1]
    );
}

#[test]
fn decode_lenient_keeps_the_fields_before_a_structural_fault() {
    let (mut wire, _, _) = bent_purchase();
    wire.truncate(wire.len() - 2);
    let out = run(
        &[
            "decode",
            "--spec",
            "iso87-ascii",
            "--format",
            "jsonl",
            "--lenient",
            "-q",
        ],
        &format!("{}\n", hex(&wire)),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fields"]["3"], "000000");
    assert_eq!(v["fields"]["28"], "000000150");
    assert!(v["fields"].get("41").is_none());
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
    assert_eq!(v["error"]["field"], 41);
}
