//! pyiso8583 spec dicts, written as JSON.
//!
//! Keys `h` (header: `max_len` bytes, 0 for none), `t` (MTI), `p` (primary bitmap), `1`
//! (secondary bitmap, same encoding as `p`) and `2`..`128`, each with `data_enc`, `len_enc`,
//! `len_type`, `max_len`, `desc`, and optionally `len_count` (`bytes` or `nibbles`),
//! `left_pad` and `right_pad`.
//!
//! `data_enc` `ascii` (or `latin-1`) is ASCII text and `cp500` EBCDIC text, both class ans:
//! pyiso8583 checks no classes. `b` is raw bytes (class b) counted in bytes, or, counted in
//! `nibbles`, packed digits (class n, or z for the tracks 35 and 36; BCD, length in digits) padded by `left_pad` or
//! `right_pad` when odd. `len_type` is the prefix width in bytes: for `ascii`/`cp500` lengths
//! that many digits, for `bcd` and `b` lengths two digits a byte.

#[allow(unused_imports)]
use crate::prelude::*;

use serde_json::Value;

use super::super::emit::{FieldDoc, FieldMap, MessageDoc, SpecDoc};
use crate::error::SpecError;

const KEYS: &[&str] = &[
    "data_enc",
    "len_enc",
    "len_type",
    "max_len",
    "desc",
    "len_count",
    "left_pad",
    "right_pad",
];

pub(super) fn import(json: &str, source: &str) -> Result<SpecDoc, SpecError> {
    let err = |field: Option<u16>, setting: &str, msg: String| {
        SpecError::new(source, field, setting, msg)
    };
    let root: Value = serde_json::from_str(json).map_err(|e| err(None, "json", e.to_string()))?;
    let root = root
        .as_object()
        .ok_or_else(|| err(None, "json", "not an object".into()))?;
    let mut message = MessageDoc {
        mti: "ascii",
        bitmap: "binary",
        ..MessageDoc::default()
    };
    let mut fields = FieldMap::default();
    for (key, v) in root {
        let obj = v
            .as_object()
            .ok_or_else(|| err(None, key, "not an object".into()))?;
        let n = match key.as_str() {
            "h" | "t" | "p" => None,
            k => Some(
                k.parse::<u16>()
                    .ok()
                    .filter(|n| (1..=128).contains(n))
                    .ok_or_else(|| err(None, k, "not h, t, p or a field number 1..=128".into()))?,
            ),
        };
        for k in obj.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(err(
                    n,
                    &format!("{key}.{k}"),
                    "unsupported attribute".into(),
                ));
            }
        }
        let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("");
        let num = |k: &str| {
            obj.get(k)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| err(n, &format!("{key}.{k}"), "missing or not a number".into()))
        };
        let data_enc = s("data_enc");
        match key.as_str() {
            "h" => {
                if num("len_type")? != 0 {
                    return Err(err(
                        None,
                        "h.len_type",
                        "a header of variable length".into(),
                    ));
                }
                message.header_length = num("max_len")? as usize;
            }
            "t" => {
                message.mti = match (data_enc, num("max_len")?) {
                    ("ascii" | "latin-1", 4) => "ascii",
                    ("cp500", 4) => "ebcdic",
                    ("b", 2) => "bcd",
                    (e, l) => {
                        return Err(err(
                            None,
                            "t.data_enc",
                            format!("an MTI of {l} bytes in {e:?}"),
                        ));
                    }
                };
            }
            "p" | "1" => {
                let enc = match data_enc {
                    "b" => "binary",
                    "ascii" | "latin-1" => "hex",
                    "cp500" => "ebcdic-hex",
                    e => {
                        return Err(err(
                            n,
                            &format!("{key}.data_enc"),
                            format!("unsupported bitmap encoding {e:?}"),
                        ));
                    }
                };
                if key == "p" {
                    message.bitmap = enc;
                } else if enc != message.bitmap {
                    return Err(err(
                        n,
                        "1.data_enc",
                        "the secondary bitmap is encoded unlike the primary".into(),
                    ));
                }
            }
            _ => {
                let n16 = n.unwrap_or(0);
                let at = |k: &str| format!("{key}.{k}");
                let max = num("max_len")?;
                let len_type = num("len_type")?;
                let nibbles = match obj.get("len_count").and_then(Value::as_str) {
                    None | Some("bytes") => false,
                    Some("nibbles") => true,
                    Some(o) => {
                        return Err(err(
                            n,
                            &at("len_count"),
                            format!("{o:?} is not bytes or nibbles"),
                        ));
                    }
                };
                let mut d = FieldDoc {
                    name: s("desc").to_owned(),
                    padding: Some("none".into()),
                    ..FieldDoc::default()
                };
                match (data_enc, nibbles) {
                    ("ascii" | "latin-1", false) => {
                        d.class = "ans";
                        d.encoding = Some("ascii");
                    }
                    ("cp500", false) => {
                        d.class = "ans";
                        d.encoding = Some("ebcdic");
                    }
                    ("b", false) => {
                        d.class = "b";
                        d.encoding = Some("binary");
                        d.padding = None;
                    }
                    ("b", true) => {
                        // Track 2 and 3 carry a D separator nibble that no digit class allows.
                        d.class = if matches!(n16, 35 | 36) { "z" } else { "n" };
                        d.encoding = Some("bcd");
                        d.unit = Some("digits");
                        let pad = |k: &str| {
                            obj.get(k)
                                .and_then(Value::as_str)
                                .and_then(|p| p.chars().next())
                        };
                        d.bcd_pad = Some(match (pad("left_pad"), pad("right_pad")) {
                            (Some(c), _) => format!("left-{c}"),
                            (None, Some(c)) => format!("right-{c}"),
                            (None, None) => "left-0".into(),
                        });
                    }
                    (e, _) => {
                        return Err(err(
                            n,
                            &at("data_enc"),
                            format!(
                                "unsupported data encoding {e:?} (ascii, latin-1, cp500, b; nibbles only with b)"
                            ),
                        ));
                    }
                }
                if len_type == 0 {
                    d = d.fixed(max);
                } else {
                    let (digits, enc) = match s("len_enc") {
                        "ascii" | "latin-1" => (len_type, "ascii"),
                        "cp500" => (len_type, "ebcdic"),
                        "bcd" => (len_type.saturating_mul(2), "bcd"),
                        "b" => (len_type.saturating_mul(2), "binary"),
                        e => {
                            return Err(err(
                                n,
                                &at("len_enc"),
                                format!("unsupported length encoding {e:?}"),
                            ));
                        }
                    };
                    if digits > 6 {
                        return Err(err(
                            n,
                            &at("len_type"),
                            format!("{len_type} bytes of length"),
                        ));
                    }
                    d.prefix_encoding = Some(enc);
                    d = d.variable(digits as u8, max);
                }
                fields.0.insert(n16, d);
            }
        }
    }
    // Field 1 is the secondary bitmap, not a data element.
    fields.0.remove(&1);
    Ok(SpecDoc {
        name: super::stem(source),
        description: format!("imported from pyiso8583 spec {}", super::stem(source)),
        message,
        fields,
    })
}
