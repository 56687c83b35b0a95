//! moov-io/iso8583 JSON specs.
//!
//! `{"name": .., "fields": {"0": {"type", "length", "description", "enc", "prefix",
//! "padding", "tag", "subfields", "bitmap"}}}`. Field 0 gives the MTI encoding, field 1 the
//! bitmap encoding (`HexToASCII` hex, `Binary` binary). Types: `String`, `Track1`, `Track3` →
//! class ans; `Numeric` → class n; `Track2` → class z; `Binary` and `Hex` → class b;
//! `Composite` → a positional layout (no `tag`, no `bitmap`), a bitmapped layout (`bitmap`),
//! tagged (`tag` with ASCII tags and ASCII-prefixed subfields) or EMV BER-TLV (`tag.enc` =
//! `BerTLVTag`). Encodings: `ASCII`, `EBCDIC`, `BCD` (odd lengths padded with 0 on the left),
//! `LBCD` (padded on the right), `Binary`, `HexToASCII` (fixed length only: two hex characters
//! a byte). Prefixes: `ASCII`, `EBCDIC` and `BCD` with `L`..`LLLL` digits; `Binary.L` (one
//! byte), `Binary.LL` (two), `Binary.LLL` (three); `*.Fixed`.

#[allow(unused_imports)]
use crate::prelude::*;

use serde_json::{Map, Value};

use super::super::emit::{FieldDoc, FieldMap, MessageDoc, SpecDoc};
use crate::error::SpecError;

const FIELD_KEYS: &[&str] = &[
    "type",
    "length",
    "description",
    "enc",
    "prefix",
    "padding",
    "tag",
    "subfields",
    "bitmap",
    "disableAutoExpand",
];

struct Ctx<'s> {
    source: &'s str,
}

/// Where a definition sits: `field` and, inside a composite, the subfield key.
#[derive(Clone, Copy)]
struct At<'k> {
    field: u16,
    sub: Option<&'k str>,
}

impl Ctx<'_> {
    fn err(&self, at: At<'_>, setting: &str, msg: impl Into<String>) -> SpecError {
        let setting = match at.sub {
            None => setting.to_owned(),
            Some(k) => format!("subfields.{k}.{setting}"),
        };
        SpecError::new(self.source, Some(at.field), &setting, msg)
    }
}

fn str_of<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

pub(super) fn import(json: &str, source: &str) -> Result<SpecDoc, SpecError> {
    let ctx = Ctx { source };
    let root: Value = serde_json::from_str(json)
        .map_err(|e| SpecError::new(source, None, "json", e.to_string()))?;
    let fields_v = root
        .get("fields")
        .and_then(Value::as_object)
        .ok_or_else(|| SpecError::new(source, None, "fields", "missing or not an object"))?;
    let mut message = MessageDoc {
        mti: "ascii",
        bitmap: "binary",
        ..MessageDoc::default()
    };
    let mut fields = FieldMap::default();
    let mut keys: Vec<(u16, &Map<String, Value>)> = Vec::new();
    for (k, v) in fields_v {
        let n: u16 = k.parse().map_err(|_| {
            SpecError::new(
                source,
                None,
                "fields",
                format!("{k:?} is not a field number"),
            )
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| SpecError::new(source, Some(n), "", "not an object"))?;
        keys.push((n, obj));
    }
    keys.sort_by_key(|(n, _)| *n);
    let tertiary = keys.iter().any(|(n, _)| *n > 128);
    message.tertiary_bitmap = tertiary;
    let (mut saw_mti, mut saw_bitmap) = (false, false);
    for (n, obj) in keys {
        let at = At {
            field: n,
            sub: None,
        };
        check_keys(&ctx, at, obj)?;
        let ty = str_of(obj, "type").unwrap_or("");
        let enc = str_of(obj, "enc").unwrap_or("");
        match n {
            0 => {
                message.mti = match enc {
                    "ASCII" => "ascii",
                    "BCD" => "bcd",
                    "EBCDIC" => "ebcdic",
                    o => return Err(ctx.err(at, "enc", format!("unsupported MTI encoding {o:?}"))),
                };
                saw_mti = true;
            }
            1 => {
                message.bitmap = bitmap_enc(&ctx, at, ty, enc)?;
                saw_bitmap = true;
            }
            65 if tertiary && ty == "Bitmap" => {}
            _ => {
                fields.0.insert(n, field(&ctx, at, obj)?);
            }
        }
    }
    if !saw_mti || !saw_bitmap {
        return Err(SpecError::new(
            source,
            None,
            "fields",
            "fields 0 (MTI) and 1 (bitmap) must both be defined",
        ));
    }
    let name = root
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| super::stem(source));
    Ok(SpecDoc {
        description: format!("imported from moov-io/iso8583 spec {name:?}"),
        name,
        message,
        fields,
    })
}

fn check_keys(ctx: &Ctx<'_>, at: At<'_>, obj: &Map<String, Value>) -> Result<(), SpecError> {
    for k in obj.keys() {
        if !FIELD_KEYS.contains(&k.as_str()) {
            return Err(ctx.err(at, k, "unsupported attribute"));
        }
    }
    Ok(())
}

fn bitmap_enc(ctx: &Ctx<'_>, at: At<'_>, ty: &str, enc: &str) -> Result<&'static str, SpecError> {
    if ty != "Bitmap" {
        return Err(ctx.err(at, "type", format!("{ty:?} is not Bitmap")));
    }
    match enc {
        "HexToASCII" => Ok("hex"),
        "Binary" => Ok("binary"),
        o => Err(ctx.err(at, "enc", format!("unsupported bitmap encoding {o:?}"))),
    }
}

/// `(digits, prefix encoding)` of a variable prefix, `None` for a fixed one.
fn prefix(ctx: &Ctx<'_>, at: At<'_>, p: &str) -> Result<Option<(u8, &'static str)>, SpecError> {
    let bad = || ctx.err(at, "prefix", format!("unsupported prefix {p:?}"));
    let (family, ls) = p.split_once('.').ok_or_else(bad)?;
    if ls == "Fixed" {
        return Ok(None);
    }
    if ls.is_empty() || ls.len() > 6 || ls.bytes().any(|c| c != b'L') {
        return Err(bad());
    }
    let n = ls.len() as u8;
    Ok(Some(match family {
        "ASCII" => (n, "ascii"),
        "EBCDIC" => (n, "ebcdic"),
        "BCD" => (n, "bcd"),
        // moov counts binary prefixes in bytes: L is one byte, written here as two digits.
        "Binary" if n <= 3 => (2 * n, "binary"),
        _ => return Err(bad()),
    }))
}

fn padding(
    ctx: &Ctx<'_>,
    at: At<'_>,
    obj: &Map<String, Value>,
) -> Result<Option<String>, SpecError> {
    let Some(p) = obj.get("padding").and_then(Value::as_object) else {
        return Ok(None);
    };
    let ty = str_of(p, "type").unwrap_or("");
    let pad = str_of(p, "pad").unwrap_or("");
    let side = match ty {
        "None" => return Ok(Some("none".into())),
        "Left" => "left",
        "Right" => "right",
        o => return Err(ctx.err(at, "padding.type", format!("unsupported padding {o:?}"))),
    };
    let mut chars = pad.chars();
    match (chars.next(), chars.next()) {
        (Some(' '), None) => Ok(Some(format!("{side}-space"))),
        (Some(c), None) if c.is_ascii_graphic() => Ok(Some(format!("{side}-{c}"))),
        _ => Err(ctx.err(
            at,
            "padding.pad",
            format!("{pad:?} is not one printable character"),
        )),
    }
}

fn length(ctx: &Ctx<'_>, at: At<'_>, obj: &Map<String, Value>) -> Result<u32, SpecError> {
    obj.get("length")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ctx.err(at, "length", "missing or not a number"))
}

fn field(ctx: &Ctx<'_>, at: At<'_>, obj: &Map<String, Value>) -> Result<FieldDoc, SpecError> {
    let ty = str_of(obj, "type").unwrap_or("");
    let enc = str_of(obj, "enc").unwrap_or("");
    let len = length(ctx, at, obj)?;
    let pre = prefix(ctx, at, str_of(obj, "prefix").unwrap_or(""))?;
    let mut d = FieldDoc {
        name: str_of(obj, "description").unwrap_or("").to_owned(),
        padding: Some("none".into()),
        ..FieldDoc::default()
    };
    if let Some(p) = padding(ctx, at, obj)? {
        d.padding = Some(p);
    }
    let mut len = len;
    let class = match ty {
        "String" | "Track1" | "Track3" => "ans",
        "Numeric" => "n",
        "Track2" => "z",
        "Binary" | "Hex" => "b",
        "Composite" => return composite(ctx, at, obj, d, len, pre),
        o => return Err(ctx.err(at, "type", format!("unsupported field type {o:?}"))),
    };
    d.class = class;
    match (class, enc) {
        ("b", "Binary") => d.padding = None,
        ("b", "HexToASCII") if pre.is_none() => {
            d.padding = None;
            d.encoding = Some("hex");
            len = len.saturating_mul(2);
        }
        ("b", "HexToASCII") => {
            return Err(ctx.err(
                at,
                "enc",
                "HexToASCII with a length prefix (the prefix counts bytes, the wire two characters a byte) has no equivalent",
            ));
        }
        ("n" | "z", "BCD" | "LBCD") => {
            d.encoding = Some("bcd");
            d.unit = Some("digits");
            d.bcd_pad = Some(if enc == "BCD" { "left-0" } else { "right-0" }.into());
            if class == "z" {
                d.padding = None;
            }
        }
        ("ans" | "n" | "z", "ASCII") => d.encoding = Some("ascii"),
        ("ans" | "n" | "z", "EBCDIC") => d.encoding = Some("ebcdic"),
        (_, o) => {
            return Err(ctx.err(
                at,
                "enc",
                format!("unsupported encoding {o:?} for a {ty} field"),
            ));
        }
    }
    if class == "z" {
        d.padding = None;
    }
    Ok(match pre {
        None => d.fixed(len),
        Some((digits, p)) => {
            d.prefix_encoding = Some(p);
            d.variable(digits, len)
        }
    })
}

fn composite(
    ctx: &Ctx<'_>,
    at: At<'_>,
    obj: &Map<String, Value>,
    mut d: FieldDoc,
    len: u32,
    pre: Option<(u8, &'static str)>,
) -> Result<FieldDoc, SpecError> {
    let subs = obj
        .get("subfields")
        .and_then(Value::as_object)
        .ok_or_else(|| ctx.err(at, "subfields", "a Composite needs subfields"))?;
    let tag = obj.get("tag").and_then(Value::as_object);
    let bitmap = obj.get("bitmap").and_then(Value::as_object);
    let mut ordered: Vec<(&str, &Map<String, Value>)> = Vec::new();
    for (k, v) in subfields_in_order(subs) {
        let sub = At {
            field: at.field,
            sub: Some(k),
        };
        let o = v
            .as_object()
            .ok_or_else(|| ctx.err(sub, "", "not an object"))?;
        check_keys(ctx, sub, o)?;
        ordered.push((k, o));
    }
    d.padding = None;
    d.class = "ans";
    d.encoding = Some("ascii");
    if let Some(tag) = tag {
        let tag_enc = str_of(tag, "enc").unwrap_or("");
        if tag_enc == "BerTLVTag" {
            d.class = "b";
            d.encoding = Some("binary");
            d.subfields = Some("tlv");
        } else if tag_enc == "ASCII" {
            let width = tag
                .get("length")
                .and_then(Value::as_u64)
                .ok_or_else(|| ctx.err(at, "tag.length", "missing"))?;
            let mut len_width = None;
            for (k, o) in &ordered {
                let sub = At {
                    field: at.field,
                    sub: Some(k),
                };
                match prefix(ctx, sub, str_of(o, "prefix").unwrap_or(""))? {
                    Some((digits, "ascii")) if len_width.is_none_or(|w| w == digits) => {
                        len_width = Some(digits)
                    }
                    _ => {
                        return Err(ctx.err(
                            sub,
                            "prefix",
                            "tagged subfields need one ASCII length prefix width",
                        ));
                    }
                }
            }
            d.subfields = Some("tagged");
            d.tag_width = Some(width as usize);
            d.len_width = Some(usize::from(len_width.unwrap_or(2)));
        } else {
            return Err(ctx.err(
                at,
                "tag.enc",
                format!("unsupported tag encoding {tag_enc:?}"),
            ));
        }
    } else if let Some(b) = bitmap {
        let bat = At {
            field: at.field,
            sub: Some("bitmap"),
        };
        let enc = bitmap_enc(
            ctx,
            bat,
            str_of(b, "type").unwrap_or(""),
            str_of(b, "enc").unwrap_or(""),
        )?;
        d.subfields = Some("bitmapped");
        d.subfield_bitmap = Some(enc);
        if enc == "binary" {
            d.class = "b";
            d.encoding = Some("binary");
        }
        for (k, o) in &ordered {
            let sub = At {
                field: at.field,
                sub: Some(k),
            };
            let num: u16 = k
                .parse()
                .ok()
                .filter(|n| (2..=64).contains(n))
                .ok_or_else(|| ctx.err(sub, "", "a bitmapped subfield key is 2..=64"))?;
            let mut part = field(ctx, sub, o)?;
            part.number = Some(num);
            d.parts.push(part);
        }
    } else {
        d.subfields = Some("positional");
        for (k, o) in &ordered {
            let sub = At {
                field: at.field,
                sub: Some(k),
            };
            let part_class = match str_of(o, "type").unwrap_or("") {
                "String" => "ans",
                "Numeric" => "n",
                o => {
                    return Err(ctx.err(
                        sub,
                        "type",
                        format!("unsupported positional subfield type {o:?}"),
                    ));
                }
            };
            if str_of(o, "enc") != Some("ASCII") {
                return Err(ctx.err(
                    sub,
                    "enc",
                    "positional subfields of an ASCII composite are ASCII",
                ));
            }
            let plen = length(ctx, sub, o)?;
            let part = FieldDoc {
                name: str_of(o, "description").unwrap_or("").to_owned(),
                class: part_class,
                ..FieldDoc::default()
            };
            d.parts
                .push(match prefix(ctx, sub, str_of(o, "prefix").unwrap_or(""))? {
                    None => part.fixed(plen),
                    Some((digits, "ascii")) => part.variable(digits, plen),
                    Some(_) => {
                        return Err(ctx.err(
                            sub,
                            "prefix",
                            "a positional subfield's prefix is ASCII",
                        ));
                    }
                });
        }
    }
    Ok(match pre {
        None => d.fixed(len),
        Some((digits, p)) => {
            d.prefix_encoding = Some(p);
            d.variable(digits, len)
        }
    })
}

/// Subfields in key order: numeric keys by number, others (tags) as written.
fn subfields_in_order(subs: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut v: Vec<(&str, &Value)> = subs.iter().map(|(k, v)| (k.as_str(), v)).collect();
    v.sort_by(|a, b| match (a.0.parse::<u32>(), b.0.parse::<u32>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.0.cmp(b.0),
    });
    v
}
