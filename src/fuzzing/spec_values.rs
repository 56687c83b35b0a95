//! The `spec_values` harness: an arbitrary spec, then random values encoded and decoded under
//! it, composite values built part by part.
//!
//! Input: spec TOML text, a NUL byte, then the choices that drive the values (all zeros when
//! there is no NUL). A spec that loads gets a message with a random header and MTI and up to
//! 24 of its fields. A composite field (positional, bitmapped, tagged, TLV) is mostly built
//! from generated subfields with [`MessageBuilder::set_subfields`]; other fields get a valid
//! value, or one time in eight a wild one (any printable text, any length up to past the
//! maximum). Then:
//!
//! - a value the builder refuses is refused with an error located at that field;
//! - a message whose values were all accepted encodes, and decodes with the same header, MTI
//!   and field numbers;
//! - every valid value comes back unchanged, and every composite comes back with the same
//!   subfields (keys and text, TLV children under their template);
//! - the decoded message re-encodes byte for byte, from its wire bytes and from its values
//!   (fields set again as text, composites set again from their decoded subfields).

use crate::codec::tagged::TaggedFormat;
use crate::error::{EncodeError, Location};
use crate::message::SubValue;
use crate::spec::{Class, FieldSpec, Length, Part, PartLength, Subfields};
use crate::{MessageBuilder, MessageView, Spec};

use super::{Choices, alphabet, valid_value};

/// Longest value generated for a variable part, a tagged element or a TLV value.
const SHORT: usize = 48;
/// Fields and parts fixed longer than this are left out (they would only slow the run).
const LONGEST_FIXED: u32 = 1024;

/// What was given for one field, to compare with what comes back.
enum Given {
    /// A valid text value: comes back unchanged.
    Text(String),
    /// A wild value the builder accepted (it may pad it): comes back, maybe padded.
    Wild,
    /// Subfields: come back with the same keys and text.
    Parts(Vec<(String, SubValue)>),
}

/// The harness (see the module docs).
pub fn spec_values(data: &[u8]) {
    let (text, choices) = match data.iter().position(|&b| b == 0) {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    let Ok(text) = core::str::from_utf8(text) else {
        return;
    };
    let Ok(spec) = Spec::from_toml_str(text, "fuzz.toml") else {
        return;
    };
    let mut c = Choices(choices);
    let name = spec.name().to_owned();
    let header: Vec<u8> = (0..spec.header_len()).map(|_| c.byte()).collect();
    let mti = [
        "0200", "0100", "0110", "0400", "0420", "0800", "0810", "1200",
    ][c.below(8)];
    let mut b = MessageBuilder::new(&spec);
    if let Err(e) = b.mti(mti).and_then(|b| b.header(&header)) {
        panic!("{name}: MTI or header of the spec's length refused: {e}"); // ok: fuzz harness
    }

    let numbers: Vec<u16> = spec
        .fields()
        .map(FieldSpec::number)
        .filter(|&n| !spec.is_bitmap_field(n))
        .collect();
    let composites: Vec<u16> = spec
        .fields()
        .filter(|f| f.subfields().is_some() && !spec.is_bitmap_field(f.number()))
        .map(FieldSpec::number)
        .collect();
    let count = c.below(25);
    let mut chosen: Vec<u16> = (0..count)
        .filter_map(|_| {
            // Half the picks go to composite fields, which are what this target is for.
            let pool = if c.byte().is_multiple_of(2) && !composites.is_empty() {
                &composites
            } else {
                &numbers
            };
            pool.get(c.below(pool.len())).copied()
        })
        .collect();
    chosen.sort_unstable();
    chosen.dedup();

    let mut given: Vec<(u16, Given)> = Vec::new();
    for n in chosen {
        let Some(fs) = spec.field(n) else { continue };
        if matches!(fs.length(), Length::Fixed(l) if l > LONGEST_FIXED) {
            continue;
        }
        let pick = c.byte();
        let parts = if pick % 4 != 0 {
            fs.subfields()
                .and_then(|layout| gen_parts(fs, layout, &mut c))
        } else {
            None
        };
        if let Some(parts) = parts {
            match b.set_subfields(n, &parts) {
                Ok(_) => given.push((n, Given::Parts(parts))),
                Err(e) => refused_at(&name, n, &e),
            }
        } else if pick % 8 == 1 {
            let wild = wild_value(fs, &mut c);
            match b.set_copied(n, &wild) {
                Ok(_) => given.push((n, Given::Wild)),
                Err(e) => refused_at(&name, n, &e),
            }
        } else {
            let v = valid_value(fs, &mut c);
            if let Err(e) = b.set_copied(n, &v) {
                panic!("{name}: valid value for field {n} refused: {e}"); // ok: fuzz harness
            }
            given.push((n, Given::Text(v)));
        }
    }

    let wire = match b.encode_to_vec() {
        Ok(wire) => wire,
        Err(e) => panic!("{name}: accepted values failed to encode: {e}"), // ok: fuzz harness
    };
    let view = match MessageView::decode(&spec, &wire) {
        Ok(view) => view,
        Err(e) => panic!("{name}: encoded message failed to decode: {e}"), // ok: fuzz harness
    };
    assert_eq!(view.header(), &header[..], "{name}: header changed");
    assert_eq!(view.mti().to_string(), mti, "{name}: MTI changed");
    let present: Vec<u16> = view.fields().map(|f| f.number()).collect();
    let expected: Vec<u16> = given.iter().map(|(n, _)| *n).collect();
    assert_eq!(present, expected, "{name}: fields changed");

    for (n, g) in &given {
        let Some(f) = view.field(*n) else {
            panic!("{name}: field {n} lost"); // ok: fuzz harness
        };
        match g {
            Given::Text(v) => assert_eq!(&f.clear_string(), v, "{name}: field {n} changed"),
            Given::Wild => {}
            Given::Parts(parts) => {
                let back = decoded_parts(&view, *n)
                    .unwrap_or_else(|e| panic!("{name}: field {n} subfields unreadable: {e}"));
                assert_eq!(
                    normalized(&back),
                    normalized(parts),
                    "{name}: field {n} subfields changed"
                );
            }
        }
    }

    let again = MessageBuilder::from_view(&view).encode_to_vec();
    assert_eq!(
        again.as_deref().ok(),
        Some(&wire[..]),
        "{name}: re-encode differs"
    );
    // From the values: text, and composites from their decoded subfields.
    let mut rebuilt = MessageBuilder::new(&spec);
    rebuilt.set_mti(view.mti());
    rebuilt.always_secondary_bitmap(view.bitmap().is_set(1));
    if rebuilt.header(view.header()).is_err() {
        panic!("{name}: decoded header refused"); // ok: fuzz harness
    }
    for (n, g) in &given {
        let result = match g {
            Given::Parts(_) => match decoded_parts(&view, *n) {
                Ok(parts) => rebuilt.set_subfields(*n, &parts).map(|_| ()),
                Err(e) => panic!("{name}: field {n}: {e}"), // ok: fuzz harness
            },
            _ => {
                let text = view.field(*n).map(|f| f.clear_string()).unwrap_or_default();
                rebuilt.set_copied(*n, &text).map(|_| ())
            }
        };
        if let Err(e) = result {
            panic!("{name}: decoded value of field {n} refused: {e}"); // ok: fuzz harness
        }
    }
    assert_eq!(
        rebuilt.encode_to_vec().ok().as_deref(),
        Some(&wire[..]),
        "{name}: re-encode from the values differs"
    );
}

/// A refused value must be refused at field `n` (or one of its subfields).
fn refused_at(name: &str, n: u16, e: &EncodeError) {
    let at = match e.location {
        Location::Field(m) | Location::Subfield { field: m, .. } => Some(m),
        _ => None,
    };
    assert_eq!(
        at,
        Some(n),
        "{name}: field {n} refused at {}: {e}",
        e.location
    );
}

/// Subfields for `layout`, or `None` when the layout has parts too long to generate.
fn gen_parts(
    fs: &FieldSpec,
    layout: &Subfields,
    c: &mut Choices<'_>,
) -> Option<Vec<(String, SubValue)>> {
    match layout {
        Subfields::Positional(parts) => positional(fs, parts, c),
        Subfields::Bitmapped { fields, .. } => {
            let mut out = Vec::new();
            for sub in fields.iter().flatten() {
                let k = sub.number();
                // The header ahead of the bitmap (0) is always there.
                if k != 0 && (k < 2 || c.byte().is_multiple_of(2)) {
                    continue;
                }
                if matches!(sub.length(), Length::Fixed(l) if l > LONGEST_FIXED) {
                    return None;
                }
                out.push((k.to_string(), SubValue::Text(valid_value(sub, c))));
            }
            Some(out)
        }
        Subfields::Tagged(format) => Some(tagged(*format, c)),
        Subfields::Tlv => Some(tlv_list(c, 0)),
    }
}

/// Every mandatory part and a random run of the optional ones, each filling its length.
fn positional(
    fs: &FieldSpec,
    parts: &[Part],
    c: &mut Choices<'_>,
) -> Option<Vec<(String, SubValue)>> {
    let first_optional = parts
        .iter()
        .position(Part::is_optional)
        .unwrap_or(parts.len());
    let keep = first_optional + c.below(parts.len() - first_optional + 1);
    let mut out = Vec::new();
    for p in parts.iter().take(keep) {
        let len = match p.length() {
            PartLength::Fixed(l) if l > LONGEST_FIXED => return None,
            PartLength::Fixed(l) => l as usize,
            PartLength::Variable { max, .. } => c.below((max as usize).min(SHORT) + 1),
            PartLength::Rest => c.below(SHORT + 1),
        };
        // An optional rest left empty writes nothing, the same as leaving it out: decoding
        // shows it absent, so generate it absent.
        if len == 0 && p.is_optional() && p.length() == PartLength::Rest {
            break;
        }
        let chars = alphabet(p.class(), fs.encoding());
        let mut v: String = (0..len)
            .map(|_| char::from(chars.get(c.below(chars.len())).copied().unwrap_or(b'0')))
            .collect();
        if p.class() == Class::XN && !v.is_empty() {
            v.replace_range(0..1, if c.byte().is_multiple_of(2) { "C" } else { "D" });
        }
        out.push((p.number().to_string(), SubValue::Text(v)));
    }
    Some(out)
}

/// Up to five tagged elements: alphanumeric tags of the format's width, printable values.
fn tagged(format: TaggedFormat, c: &mut Choices<'_>) -> Vec<(String, SubValue)> {
    const TAG: &[u8] = b"AZ09az";
    const VALUE: &[u8] = b" !~Az09";
    (0..c.below(6))
        .map(|_| {
            let tag: String = (0..format.tag_width())
                .map(|_| char::from(TAG.get(c.below(TAG.len())).copied().unwrap_or(b'A')))
                .collect();
            let len = c.below(format.max_value_len().min(SHORT) + 1);
            let value: String = (0..len)
                .map(|_| char::from(VALUE.get(c.below(VALUE.len())).copied().unwrap_or(b'A')))
                .collect();
            (tag, SubValue::Text(value))
        })
        .collect()
}

/// Up to four EMV objects; templates (70, 77, BF0C) hold a nested list. Values are hex, now
/// and then past 127 bytes so their length takes two bytes.
fn tlv_list(c: &mut Choices<'_>, depth: usize) -> Vec<(String, SubValue)> {
    const PRIMITIVE: [&str; 7] = ["9F26", "82", "5F2A", "95", "9F02", "DF01", "5A"];
    const TEMPLATE: [&str; 3] = ["70", "77", "BF0C"];
    (0..c.below(5))
        .map(|_| {
            if depth < 2 && c.byte().is_multiple_of(5) {
                let tag = TEMPLATE[c.below(TEMPLATE.len())];
                (tag.to_owned(), SubValue::Nested(tlv_list(c, depth + 1)))
            } else {
                let tag = PRIMITIVE[c.below(PRIMITIVE.len())];
                let len = if c.byte().is_multiple_of(16) {
                    128 + c.below(64)
                } else {
                    c.below(17)
                };
                let value: String = (0..len).map(|_| format!("{:02X}", c.byte())).collect();
                (tag.to_owned(), SubValue::Text(value))
            }
        })
        .collect()
}

/// Any printable text of any length up to a little past the field's maximum.
fn wild_value(fs: &FieldSpec, c: &mut Choices<'_>) -> String {
    const ANY: &[u8] = b" !09AFZafz=D~";
    let max = match fs.length() {
        Length::Fixed(l) => l as usize,
        Length::Variable { max, .. } => (max as usize).min(SHORT),
    };
    let len = c.below(max + 3);
    let v: String = (0..len)
        .map(|_| char::from(ANY.get(c.below(ANY.len())).copied().unwrap_or(b' ')))
        .collect();
    if fs.class() == Class::B {
        v.to_uppercase()
    } else {
        v
    }
}

/// The decoded subfields of field `n` as the builder takes them: top-level keys and text, TLV
/// templates with their children nested.
fn decoded_parts(view: &MessageView<'_>, n: u16) -> Result<Vec<(String, SubValue)>, String> {
    let Some(iter) = view.subfields(n) else {
        return Err("no subfields".into());
    };
    let iter = iter.map_err(|e| e.to_string())?;
    // (depth, key, constructed, text) in walk order, then folded into a tree.
    let mut flat = Vec::new();
    for s in iter {
        let s = s.map_err(|e| e.to_string())?;
        flat.push((
            s.depth(),
            s.key().to_string(),
            s.is_constructed(),
            s.clear_string(),
        ));
    }
    let mut pos = 0;
    Ok(fold(&flat, &mut pos, 0))
}

fn fold(
    flat: &[(usize, String, bool, String)],
    pos: &mut usize,
    depth: usize,
) -> Vec<(String, SubValue)> {
    let mut out = Vec::new();
    while let Some((d, key, constructed, text)) = flat.get(*pos) {
        if *d < depth {
            break;
        }
        *pos += 1;
        if *constructed {
            out.push((key.clone(), SubValue::Nested(fold(flat, pos, depth + 1))));
        } else {
            out.push((key.clone(), SubValue::Text(text.clone())));
        }
    }
    out
}

/// Keys in one spelling (numbers without leading zeros, hex tags in upper case).
fn normalized(parts: &[(String, SubValue)]) -> Vec<(String, SubValue)> {
    parts
        .iter()
        .map(|(k, v)| {
            let key = k
                .parse::<u16>()
                .map_or_else(|_| k.clone(), |n| n.to_string());
            let value = match v {
                SubValue::Nested(children) => SubValue::Nested(normalized(children)),
                other => other.clone(),
            };
            (key, value)
        })
        .collect()
}
