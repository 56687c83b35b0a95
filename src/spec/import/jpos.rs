//! jPOS GenericPackager XML.
//!
//! A jPOS field class name says three things: the family (`IFA_` ASCII, `IFB_` packed BCD
//! numerics and BCD length prefixes, `IFE_` EBCDIC, `IF_` literal), the length prefix (`L`..
//! `LLLLLL` decimal digits; an `H` after them makes it a binary count of one byte for `LLH`,
//! two for `LLLH`) and the kind of data:
//!
//! | kind | IFA_ | IFB_ | IFE_ |
//! |---|---|---|---|
//! | `NUMERIC` (fixed), `NUM` (variable) | class n, ASCII | class n, packed BCD, length in digits; `pad="true"` pads an odd length on the left, else on the right, with 0 | class n, EBCDIC |
//! | `CHAR` | class ans, ASCII | class ans, ASCII after a BCD prefix | class ans, EBCDIC |
//! | `BINARY` | fixed: hex text (two characters a byte); variable: raw bytes | raw bytes | variable: raw bytes |
//! | `AMOUNT` | class x+n, ASCII | not read | class x+n, EBCDIC |
//! | `BITMAP` | hex bitmap | binary bitmap | EBCDIC hex bitmap |
//!
//! `IF_CHAR` is fixed ASCII text padded on the right with spaces; `IFE_CHAR` its EBCDIC twin.
//! `IFEP_LLCHAR` (an ASCII length counting a two-digit field number and the value) becomes a
//! positional field of those two parts. `IF_NOP` fields are left out. Field 0 gives the MTI
//! encoding, field 1 the bitmap encoding (24 bytes: a tertiary bitmap) and the packager's
//! `headerLength` the header length. Composites: `GenericSubFieldPackager` with a bitmap
//! (`emitBitmap`, the default) becomes a bitmapped layout, without one a positional layout
//! (every part after the first optional, as jPOS stops reading when the value ends);
//! `BERTLVBinaryPackager` becomes an EMV BER-TLV layout.
//!
//! jPOS checks no character classes: its numeric fields hold whatever the bytes are. Decode
//! such traffic with lenient decoding, which keeps the value and reports the bent rule.

#[allow(unused_imports)]
use crate::prelude::*;

use roxmltree::{Document, Node, ParsingOptions};

use super::super::emit::{FieldDoc, FieldMap, MessageDoc, SpecDoc};
use crate::error::SpecError;

/// Family of a jPOS field class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    /// `IF_`: literal characters.
    Literal,
    /// `IFA_`: ASCII.
    Ascii,
    /// `IFB_`: packed BCD numerics, BCD (or binary, `H`) length prefixes.
    Bcd,
    /// `IFE_`: EBCDIC.
    Ebcdic,
    /// `IFEP_`: length, two-digit field number, value.
    NumberedAscii,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Numeric,
    Num,
    Char,
    Binary,
    Bitmap,
    Amount,
    Nop,
}

/// A parsed class name: `IFB_LLHNUM` is (Bcd, 2 digits, binary prefix, Num).
#[derive(Clone, Copy, Debug)]
struct JClass {
    family: Family,
    digits: u8,
    binary_prefix: bool,
    kind: Kind,
}

fn parse_class(full: &str) -> Option<JClass> {
    let simple = full.rsplit('.').next().unwrap_or(full);
    match simple {
        "IF_NOP" => {
            return Some(JClass {
                family: Family::Literal,
                digits: 0,
                binary_prefix: false,
                kind: Kind::Nop,
            });
        }
        "IF_CHAR" => {
            return Some(JClass {
                family: Family::Literal,
                digits: 0,
                binary_prefix: false,
                kind: Kind::Char,
            });
        }
        _ => {}
    }
    let (family, rest) = [
        ("IFA_", Family::Ascii),
        ("IFB_", Family::Bcd),
        ("IFE_", Family::Ebcdic),
        ("IFEP_", Family::NumberedAscii),
    ]
    .into_iter()
    .find_map(|(p, f)| simple.strip_prefix(p).map(|r| (f, r)))?;
    let digits = rest.bytes().take_while(|&c| c == b'L').count();
    let rest = &rest[digits..];
    let (binary_prefix, rest) = match rest.strip_prefix('H') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let kind = match rest {
        "NUMERIC" => Kind::Numeric,
        "NUM" => Kind::Num,
        "CHAR" => Kind::Char,
        "BINARY" => Kind::Binary,
        "BITMAP" => Kind::Bitmap,
        "AMOUNT" => Kind::Amount,
        _ => return None,
    };
    let fixed = digits == 0;
    let ok = match (family, kind) {
        (_, Kind::Numeric | Kind::Bitmap | Kind::Amount) => fixed && !binary_prefix,
        (Family::NumberedAscii, Kind::Char) => digits == 2 && !binary_prefix,
        (Family::NumberedAscii, _) => false,
        (Family::Ebcdic, Kind::Char) => !binary_prefix,
        (_, Kind::Num | Kind::Char) => !fixed,
        (_, Kind::Binary) => true,
        _ => false,
    };
    let ok =
        ok && digits <= 6 && (!binary_prefix || (family == Family::Bcd && matches!(digits, 2 | 3)));
    ok.then_some(JClass {
        family,
        digits: digits as u8,
        binary_prefix,
        kind,
    })
}

/// Reading context: the source name for errors.
struct Ctx<'s> {
    source: &'s str,
}

impl Ctx<'_> {
    fn err(&self, field: Option<u16>, setting: &str, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.source, field, setting, msg)
    }
}

/// Where an element sits: a data element, or a subfield of one.
#[derive(Clone, Copy)]
struct At {
    field: u16,
    sub: Option<u16>,
}

impl At {
    fn setting(self, attr: &str) -> String {
        match self.sub {
            None => attr.to_owned(),
            Some(s) => format!("subfield {s}: {attr}"),
        }
    }
}

const FIELD_ATTRS: &[&str] = &["id", "length", "name", "class", "pad", "trim"];
const PACKAGER_ATTRS: &[&str] = &[
    "id",
    "length",
    "name",
    "class",
    "pad",
    "packager",
    "emitBitmap",
    "bitmapField",
    "firstField",
    "maxValidField",
];

pub(super) fn import(xml: &str, source: &str) -> Result<SpecDoc, SpecError> {
    let ctx = Ctx { source };
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc =
        Document::parse_with_options(xml, opts).map_err(|e| ctx.err(None, "xml", e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "isopackager" {
        return Err(ctx.err(
            None,
            "xml",
            format!(
                "root element <{}> is not <isopackager>",
                root.tag_name().name()
            ),
        ));
    }
    let mut header_length = 0usize;
    for a in root.attributes() {
        match (a.name(), a.value()) {
            ("maxValidField", _) | ("emitBitmap", "true") | ("bitmapField", "1") => {}
            ("thirdBitmapField", "65") => {}
            ("headerLength", v) => {
                header_length = v.trim().parse().map_err(|_| {
                    ctx.err(
                        None,
                        "isopackager.headerLength",
                        format!("{v:?} is not a number"),
                    )
                })?;
            }
            (name, v) => {
                return Err(ctx.err(
                    None,
                    &format!("isopackager.{name}"),
                    format!("unsupported attribute value {v:?}"),
                ));
            }
        }
    }
    let mut message = MessageDoc {
        mti: "ascii",
        bitmap: "binary",
        ..MessageDoc::default()
    };
    let (mut saw_mti, mut saw_bitmap) = (false, false);
    let mut fields = FieldMap::default();
    let mut field_65_bitmap = false;
    for el in root.children().filter(Node::is_element) {
        let n = id(&ctx, el, None)?;
        let at = At {
            field: n,
            sub: None,
        };
        let class_name = attr(&ctx, el, at, "class")?;
        let class = parse_class(class_name).ok_or_else(|| {
            ctx.err(
                Some(n),
                "class",
                format!("unsupported jPOS class {class_name}"),
            )
        })?;
        let len = length(&ctx, el, at)?;
        match n {
            0 => {
                check_attrs(&ctx, el, at, FIELD_ATTRS)?;
                message.mti = mti(class, len).ok_or_else(|| {
                    ctx.err(
                        Some(0),
                        "class",
                        format!("{class_name} with length {len} is not a 4-digit MTI"),
                    )
                })?;
                saw_mti = true;
            }
            1 => {
                check_attrs(&ctx, el, at, FIELD_ATTRS)?;
                message.bitmap = bitmap(class).ok_or_else(|| {
                    ctx.err(
                        Some(1),
                        "class",
                        format!("{class_name} is not a bitmap class"),
                    )
                })?;
                match len {
                    8 | 16 => {}
                    24 => message.tertiary_bitmap = true,
                    _ => {
                        return Err(ctx.err(
                            Some(1),
                            "length",
                            format!("a bitmap of {len} bytes (8, 16 or 24)"),
                        ));
                    }
                }
                saw_bitmap = true;
            }
            _ if class.kind == Kind::Nop => {}
            65 if class.kind == Kind::Bitmap => field_65_bitmap = true,
            _ => {
                let doc = if el.tag_name().name() == "isofieldpackager" {
                    composite(&ctx, el, at, class, len)?
                } else {
                    check_attrs(&ctx, el, at, FIELD_ATTRS)?;
                    field(&ctx, el, at, class, len)?
                };
                fields.0.insert(n, doc);
            }
        }
    }
    if !saw_mti || !saw_bitmap {
        return Err(ctx.err(
            None,
            "isofield",
            "fields 0 (MTI) and 1 (bitmap) must both be defined",
        ));
    }
    if field_65_bitmap {
        message.tertiary_bitmap = true;
    }
    message.header_length = header_length;
    Ok(SpecDoc {
        name: super::stem(source),
        description: format!("imported from jPOS GenericPackager {}", super::stem(source)),
        message,
        fields,
    })
}

fn attr<'a>(ctx: &Ctx<'_>, el: Node<'a, '_>, at: At, name: &str) -> Result<&'a str, SpecError> {
    el.attribute(name)
        .ok_or_else(|| ctx.err(Some(at.field), &at.setting(name), "missing"))
}

fn id(ctx: &Ctx<'_>, el: Node<'_, '_>, parent: Option<u16>) -> Result<u16, SpecError> {
    let tag = el.tag_name().name();
    if tag != "isofield" && tag != "isofieldpackager" {
        return Err(ctx.err(
            parent,
            "xml",
            format!("unexpected element <{tag}> (isofield or isofieldpackager)"),
        ));
    }
    let raw = el.attribute("id").unwrap_or("");
    raw.trim().parse().map_err(|_| {
        ctx.err(
            parent,
            &format!("{tag}.id"),
            format!("{raw:?} is not a number"),
        )
    })
}

fn length(ctx: &Ctx<'_>, el: Node<'_, '_>, at: At) -> Result<u32, SpecError> {
    let raw = attr(ctx, el, at, "length")?;
    raw.trim().parse().map_err(|_| {
        ctx.err(
            Some(at.field),
            &at.setting("length"),
            format!("{raw:?} is not a number"),
        )
    })
}

fn check_attrs(ctx: &Ctx<'_>, el: Node<'_, '_>, at: At, allowed: &[&str]) -> Result<(), SpecError> {
    for a in el.attributes() {
        let ok = allowed.contains(&a.name())
            && match a.name() {
                "trim" => a.value() == "false",
                "pad" => matches!(a.value(), "true" | "false"),
                "emitBitmap" => matches!(a.value(), "true" | "false"),
                "bitmapField" => a.value() == "1",
                _ => true,
            };
        if !ok {
            return Err(ctx.err(
                Some(at.field),
                &at.setting(a.name()),
                format!("unsupported attribute {}={:?}", a.name(), a.value()),
            ));
        }
    }
    Ok(())
}

fn mti(c: JClass, len: u32) -> Option<&'static str> {
    if len != 4 || c.digits != 0 {
        return None;
    }
    match (c.family, c.kind) {
        (Family::Ascii, Kind::Numeric) | (Family::Literal, Kind::Char) => Some("ascii"),
        (Family::Bcd, Kind::Numeric) => Some("bcd"),
        (Family::Ebcdic, Kind::Numeric | Kind::Char) => Some("ebcdic"),
        _ => None,
    }
}

fn bitmap(c: JClass) -> Option<&'static str> {
    match (c.family, c.kind) {
        (Family::Ascii, Kind::Bitmap) => Some("hex"),
        (Family::Bcd, Kind::Bitmap) => Some("binary"),
        (Family::Ebcdic, Kind::Bitmap) => Some("ebcdic-hex"),
        _ => None,
    }
}

/// A plain field (or bitmapped subfield) definition.
fn field(
    ctx: &Ctx<'_>,
    el: Node<'_, '_>,
    at: At,
    c: JClass,
    len: u32,
) -> Result<FieldDoc, SpecError> {
    let class_name = el.attribute("class").unwrap_or("");
    let unsupported = |why: &str| {
        ctx.err(
            Some(at.field),
            &at.setting("class"),
            format!("{class_name}: {why}"),
        )
    };
    let pad_left = el.attribute("pad") == Some("true");
    let mut d = FieldDoc {
        name: el.attribute("name").unwrap_or("").to_owned(),
        padding: Some("none".into()),
        ..FieldDoc::default()
    };
    let text = match c.family {
        Family::Ebcdic => "ebcdic",
        _ => "ascii",
    };
    match (c.family, c.kind) {
        (_, Kind::Nop) => return Err(unsupported("IF_NOP is not allowed here")),
        (_, Kind::Bitmap) => return Err(unsupported("a bitmap only stands at field 1 or 65")),
        (Family::NumberedAscii, _) => {
            d.class = "ans";
            d.encoding = Some("ascii");
            d.prefix_encoding = Some("ascii");
            d.subfields = Some("positional");
            let value = FieldDoc {
                name: d.name.clone(),
                class: "ans",
                rest: true,
                ..FieldDoc::default()
            };
            d.parts = vec![
                FieldDoc {
                    name: "field number".into(),
                    class: "n",
                    ..FieldDoc::default()
                }
                .fixed(2),
                value,
            ];
            return Ok(d.variable(2, len.saturating_add(2)));
        }
        (Family::Bcd, Kind::Numeric | Kind::Num) => {
            d.class = "n";
            d.encoding = Some("bcd");
            d.unit = Some("digits");
            d.bcd_pad = Some(if pad_left { "left-0" } else { "right-0" }.into());
            if c.kind == Kind::Numeric {
                d.padding = Some("left-0".into());
            }
        }
        (_, Kind::Numeric) => {
            d.class = "n";
            d.encoding = Some(text);
            d.padding = Some("left-0".into());
        }
        (_, Kind::Num) => {
            d.class = "n";
            d.encoding = Some(text);
        }
        (_, Kind::Char) => {
            d.class = "ans";
            d.encoding = Some(text);
            if c.digits == 0 {
                d.padding = Some("right-space".into());
            }
        }
        (Family::Ascii, Kind::Binary) if c.digits == 0 => {
            d.class = "b";
            d.encoding = Some("hex");
            d.padding = None;
            return Ok(d.fixed(len.saturating_mul(2)));
        }
        (Family::Ebcdic, Kind::Binary) if c.digits == 0 => {
            return Err(unsupported("EBCDIC hex text has no equivalent encoding"));
        }
        (_, Kind::Binary) => {
            d.class = "b";
            d.encoding = Some("binary");
            d.padding = None;
        }
        (Family::Bcd, Kind::Amount) => {
            // An ASCII sign byte, then the other len - 1 characters as packed digits.
            d.class = "x+n";
            d.encoding = Some("bcd");
            d.bcd_pad = Some(if pad_left { "left-0" } else { "right-0" }.into());
        }
        (_, Kind::Amount) => {
            d.class = "x+n";
            d.encoding = Some(text);
        }
    }
    if c.digits == 0 {
        return Ok(d.fixed(len));
    }
    let (digits, prefix) = match (c.family, c.binary_prefix) {
        // One prefix byte (LLH) is written as two digits, two bytes (LLLH) as four.
        (_, true) => (2 * (c.digits - 1), "binary"),
        (Family::Bcd, false) => (c.digits, "bcd"),
        (Family::Ebcdic, false) => (c.digits, "ebcdic"),
        _ => (c.digits, "ascii"),
    };
    d.prefix_encoding = Some(prefix);
    Ok(d.variable(digits, len))
}

/// An `isofieldpackager`: a field with a subfield packager.
fn composite(
    ctx: &Ctx<'_>,
    el: Node<'_, '_>,
    at: At,
    c: JClass,
    len: u32,
) -> Result<FieldDoc, SpecError> {
    check_attrs(ctx, el, at, PACKAGER_ATTRS)?;
    let packager = attr(ctx, el, at, "packager")?;
    let mut d = field(ctx, el, at, c, len)?;
    match packager.rsplit('.').next().unwrap_or(packager) {
        "BERTLVBinaryPackager" => {
            d.subfields = Some("tlv");
            Ok(d)
        }
        "GenericSubFieldPackager" => {
            // The subfields sit in a nested <isopackager> (or, in older files, directly).
            let mut children: Vec<Node<'_, '_>> = el.children().filter(Node::is_element).collect();
            if let [inner] = children[..]
                && inner.tag_name().name() == "isopackager"
            {
                if let Some(a) = inner.attributes().next() {
                    return Err(ctx.err(
                        Some(at.field),
                        &format!("isopackager.{}", a.name()),
                        "unsupported attribute on a nested isopackager (jPOS reads it from isofieldpackager)",
                    ));
                }
                children = inner.children().filter(Node::is_element).collect();
            }
            if el.attribute("emitBitmap") == Some("false") {
                let first: u16 = match el.attribute("firstField") {
                    None => 1,
                    Some(v) => v.trim().parse().map_err(|_| {
                        ctx.err(
                            Some(at.field),
                            "firstField",
                            format!("{v:?} is not a number"),
                        )
                    })?,
                };
                positional(ctx, &children, at, first, &mut d)?;
            } else {
                if el.attribute("firstField").is_some() {
                    return Err(ctx.err(
                        Some(at.field),
                        "firstField",
                        "unsupported attribute with a subfield bitmap",
                    ));
                }
                bitmapped(ctx, &children, at, &mut d)?;
            }
            Ok(d)
        }
        other => Err(ctx.err(
            Some(at.field),
            "packager",
            format!("unsupported subfield packager {other}"),
        )),
    }
}

/// A subfield's class name, parsed class and length, after checking it is a plain
/// `isofield` with supported attributes.
fn subfield<'a>(
    ctx: &Ctx<'_>,
    el: Node<'a, '_>,
    sub: At,
) -> Result<(&'a str, JClass, u32), SpecError> {
    if el.tag_name().name() == "isofieldpackager" {
        return Err(ctx.err(
            Some(sub.field),
            &sub.setting("isofieldpackager"),
            "nested subfield packagers are not supported",
        ));
    }
    check_attrs(ctx, el, sub, FIELD_ATTRS)?;
    let class_name = attr(ctx, el, sub, "class")?;
    let c = parse_class(class_name).ok_or_else(|| {
        ctx.err(
            Some(sub.field),
            &sub.setting("class"),
            format!("unsupported jPOS class {class_name}"),
        )
    })?;
    Ok((class_name, c, length(ctx, el, sub)?))
}

fn bitmapped(
    ctx: &Ctx<'_>,
    children: &[Node<'_, '_>],
    at: At,
    d: &mut FieldDoc,
) -> Result<(), SpecError> {
    d.subfields = Some("bitmapped");
    for &el in children {
        let k = id(ctx, el, Some(at.field))?;
        let sub = At {
            field: at.field,
            sub: Some(k),
        };
        let (class_name, c, len) = subfield(ctx, el, sub)?;
        if k == 1 {
            let enc = bitmap(c).filter(|b| *b != "ebcdic-hex").ok_or_else(|| {
                ctx.err(
                    Some(at.field),
                    &sub.setting("class"),
                    format!("{class_name} is not a binary or ASCII hex bitmap"),
                )
            })?;
            if len != 8 {
                return Err(ctx.err(
                    Some(at.field),
                    &sub.setting("length"),
                    format!("a subfield bitmap of {len} bytes (only 8)"),
                ));
            }
            d.subfield_bitmap = Some(enc);
            continue;
        }
        if c.kind == Kind::Nop {
            continue;
        }
        let mut part = field(ctx, el, sub, c, len)?;
        part.number = Some(k);
        d.parts.push(part);
    }
    if d.subfield_bitmap.is_none() {
        return Err(ctx.err(
            Some(at.field),
            "subfield 1",
            "a subfield packager with emitBitmap needs a bitmap at subfield 1",
        ));
    }
    Ok(())
}

fn positional(
    ctx: &Ctx<'_>,
    children: &[Node<'_, '_>],
    at: At,
    first: u16,
    d: &mut FieldDoc,
) -> Result<(), SpecError> {
    d.subfields = Some("positional");
    let outer = d.encoding.unwrap_or("ascii");
    let mut defs = Vec::new();
    for &el in children {
        let k = id(ctx, el, Some(at.field))?;
        if k >= first {
            defs.push((k, el));
        }
    }
    defs.sort_by_key(|(k, _)| *k);
    for (i, (k, el)) in defs.into_iter().enumerate() {
        let sub = At {
            field: at.field,
            sub: Some(k),
        };
        let (class_name, c, len) = subfield(ctx, el, sub)?;
        if c.kind == Kind::Nop {
            continue;
        }
        let unsupported = |why: &str| {
            ctx.err(
                Some(at.field),
                &sub.setting("class"),
                format!("{class_name} inside a {outer} field: {why}"),
            )
        };
        // Positional parts are read over the field's value characters: the text of a text
        // field, the hex digits of a binary one.
        let (class, length) =
            match (outer, c.family, c.kind) {
                ("ascii", Family::Ascii, Kind::Numeric)
                | ("ebcdic", Family::Ebcdic, Kind::Numeric) => ("n", Some(len)),
                ("ascii", Family::Literal, Kind::Char) | ("ebcdic", Family::Ebcdic, Kind::Char)
                    if c.digits == 0 =>
                {
                    ("ans", Some(len))
                }
                ("ascii", Family::Ascii, Kind::Amount)
                | ("ebcdic", Family::Ebcdic, Kind::Amount) => ("x+n", Some(len)),
                ("ascii", Family::Ascii, Kind::Num | Kind::Char)
                | ("ebcdic", Family::Ebcdic, Kind::Num | Kind::Char) => {
                    (if c.kind == Kind::Num { "n" } else { "ans" }, None)
                }
                ("binary", Family::Bcd, Kind::Numeric) if len % 2 == 0 => ("n", Some(len)),
                ("binary", Family::Bcd, Kind::Binary) if c.digits == 0 => {
                    ("b", Some(len.saturating_mul(2)))
                }
                _ => return Err(unsupported("no positional equivalent")),
            };
        let mut part = FieldDoc {
            name: el.attribute("name").unwrap_or("").to_owned(),
            class,
            optional: i > 0,
            ..FieldDoc::default()
        };
        part = match length {
            Some(n) => part.fixed(n),
            None => part.variable(c.digits, len),
        };
        d.parts.push(part);
    }
    if d.parts.is_empty() {
        return Err(ctx.err(
            Some(at.field),
            "isofield",
            "a subfield packager without subfields",
        ));
    }
    Ok(())
}
