//! Reading and validating the subfield part of a field's TOML definition.

#[allow(unused_imports)]
use crate::prelude::*;

use super::BitmapEncoding;
use super::field::{Class, Encoding, Mask};
use super::load::{Ctx, Defaults, RawField, field};
use super::subfields::{Part, PartLength, Subfields};
use crate::codec::tagged::TaggedFormat;
use crate::error::SpecError;

/// The longest length the standard's prefixes can state (LLLLLL).
const MAX_LENGTH: u32 = 999_999;

/// What a layout needs to know of the field that holds it.
pub(super) struct FieldShape {
    pub(super) class: Class,
    pub(super) encoding: Encoding,
    /// The longest value text the field holds, in characters.
    pub(super) value_max: u32,
}

/// `parts[i] ("name").setting`, the way errors name a part's setting.
fn part_setting(i: usize, name: &str, setting: &str) -> String {
    if setting.is_empty() {
        format!("parts[{i}] ({name:?})")
    } else {
        format!("parts[{i}] ({name:?}).{setting}")
    }
}

pub(super) fn layout(
    source: &str,
    n: u16,
    kind: &str,
    rf: &RawField,
    shape: FieldShape,
    d: &Defaults,
    mask: Mask,
) -> Result<Subfields, SpecError> {
    let FieldShape {
        class,
        encoding,
        value_max,
    } = shape;
    let ctx = Ctx { source };
    let f = Some(n);
    let parts = rf.parts.as_deref().unwrap_or_default();
    match kind {
        "positional" => {
            if parts.is_empty() {
                return Err(ctx.err(f, "parts", "a positional layout needs parts"));
            }
            let mut out = Vec::with_capacity(parts.len());
            let mut seen_optional = false;
            // Characters every part takes at least (fixed lengths, variable prefixes).
            let mut least: u64 = 0;
            for (i, p) in parts.iter().enumerate() {
                let at = |setting: &str| part_setting(i, &p.name, setting);
                let pclass = Class::parse(&p.class).ok_or_else(|| {
                    ctx.err(f, &at("class"), format!("unknown class {:?}", p.class))
                })?;
                let length = match (p.length, p.prefix.as_deref(), p.max, p.rest) {
                    (Some(len), None, None, false) => {
                        if len == 0 || len > value_max.min(MAX_LENGTH) {
                            return Err(ctx.err(
                                f,
                                &at("length"),
                                format!(
                                    "{len} is not 1..={} (the field holds at most {value_max} \
                                     characters)",
                                    value_max.min(MAX_LENGTH)
                                ),
                            ));
                        }
                        least += u64::from(len);
                        PartLength::Fixed(len)
                    }
                    (None, Some(pre), Some(max), false)
                        if (1..=6).contains(&pre.len()) && pre.bytes().all(|c| c == b'L') =>
                    {
                        let digits = pre.len() as u32;
                        let capacity = 10u32.pow(digits) - 1;
                        if max == 0 || max > capacity {
                            return Err(ctx.err(
                                f,
                                &at("max"),
                                format!(
                                    "{max} does not fit a {digits}-digit prefix (1..={capacity})"
                                ),
                            ));
                        }
                        if max.saturating_add(digits) > value_max {
                            return Err(ctx.err(
                                f,
                                &at("max"),
                                format!(
                                    "{max} characters and a {digits}-digit prefix do not fit \
                                     the field's {value_max}"
                                ),
                            ));
                        }
                        least += u64::from(digits);
                        PartLength::Variable {
                            digits: digits as u8,
                            max,
                        }
                    }
                    (None, None, None, true) => {
                        if i + 1 != parts.len() {
                            return Err(ctx.err(f, &at(""), "rest = true only on the last part"));
                        }
                        PartLength::Rest
                    }
                    _ => {
                        return Err(ctx.err(
                            f,
                            &at(""),
                            "give length = N, or prefix = \"LL..\" with max, or rest = true",
                        ));
                    }
                };
                if least > u64::from(value_max) {
                    return Err(ctx.err(
                        f,
                        &at("length"),
                        format!(
                            "the parts up to this one take at least {least} characters, past \
                             the field's {value_max}"
                        ),
                    ));
                }
                if seen_optional && !p.optional {
                    return Err(ctx.err(f, &at("optional"), "only trailing parts may be optional"));
                }
                seen_optional |= p.optional;
                let mask = ctx
                    .mask(f, &at("mask"), p.mask.as_deref())?
                    .unwrap_or_else(|| {
                        super::sensitivity::default_subfield_mask(mask, &p.name, pclass)
                    });
                if p.number.is_some() {
                    return Err(ctx.err(
                        f,
                        &at("number"),
                        "only bitmapped parts have a number (a positional part's number is its \
                         place)",
                    ));
                }
                if p.sign_encoding.is_some() {
                    return Err(ctx.err(
                        f,
                        &at("sign_encoding"),
                        "only an x+n field with encoding bcd has a separate sign byte",
                    ));
                }
                let signs = match p.signs.as_deref() {
                    None => super::Signs::CD,
                    Some(_) if pclass != Class::XN => {
                        return Err(ctx.err(
                            f,
                            &at("signs"),
                            "only x+n parts have a sign character",
                        ));
                    }
                    Some(s) => {
                        super::Signs::parse(s).map_err(|why| ctx.err(f, &at("signs"), why))?
                    }
                };
                out.push(Part {
                    signs,
                    number: (i + 1) as u16,
                    name: p.name.clone(),
                    class: pclass,
                    length,
                    optional: p.optional,
                    mask,
                });
            }
            Ok(Subfields::Positional(out))
        }
        "bitmapped" => {
            let bitmap = match rf.subfield_bitmap.as_deref() {
                None if class == Class::B && encoding == Encoding::Binary => BitmapEncoding::Binary,
                None | Some("hex") => BitmapEncoding::Hex,
                Some("binary") if class == Class::B && encoding == Encoding::Binary => {
                    BitmapEncoding::Binary
                }
                Some("binary") => {
                    return Err(ctx.err(
                        f,
                        "subfield_bitmap",
                        "a binary subfield bitmap needs a raw binary field (class b)",
                    ));
                }
                Some(o) => {
                    return Err(ctx.err(
                        f,
                        "subfield_bitmap",
                        format!("{o:?} is not binary or hex"),
                    ));
                }
            };
            if matches!(encoding, Encoding::Bcd | Encoding::Ebcdic | Encoding::Hex) {
                return Err(ctx.err(
                    f,
                    "subfields",
                    "bitmapped subfields need an ascii or binary field",
                ));
            }
            if parts.is_empty() {
                return Err(ctx.err(f, "parts", "a bitmapped layout needs parts"));
            }
            let mut fields: Vec<Option<super::field::FieldSpec>> = vec![None; 65];
            for (i, p) in parts.iter().enumerate() {
                let setting = part_setting(i, &p.name, "");
                let num = p
                    .number
                    .filter(|k| *k == 0 || (2..=64).contains(k))
                    .ok_or_else(|| {
                        ctx.err(
                            f,
                            &part_setting(i, &p.name, "number"),
                            "bitmapped parts need number = 2..=64 (or 0, a header ahead of \
                             the bitmap)",
                        )
                    })?;
                if num == 0 && (p.length.is_none() || p.prefix.is_some()) {
                    return Err(ctx.err(
                        f,
                        &part_setting(i, &p.name, "length"),
                        "the header ahead of the bitmap (number = 0) has a fixed length",
                    ));
                }
                if fields.get(usize::from(num)).is_some_and(Option::is_some) {
                    return Err(ctx.err(
                        f,
                        &part_setting(i, &p.name, "number"),
                        format!("part number {num} is given twice"),
                    ));
                }
                let mut plain = p.clone();
                plain.number = None;
                let spec = field(&ctx, num, &plain, d, Some(mask)).map_err(|mut e| {
                    e.setting = format!("{setting}.{}", e.setting);
                    e.field = f;
                    e
                })?;
                if spec.length().max() > value_max {
                    return Err(ctx.err(
                        f,
                        &part_setting(i, &p.name, "length"),
                        format!(
                            "{} is longer than the field's {value_max} characters",
                            spec.length().max()
                        ),
                    ));
                }
                if let Some(slot) = fields.get_mut(usize::from(num)) {
                    *slot = Some(spec);
                }
            }
            check_bitmap_fits(&ctx, n, parts, &fields, bitmap, encoding, value_max)?;
            Ok(Subfields::Bitmapped { bitmap, fields })
        }
        "tagged" | "tlv" if rf.parts.is_some() => Err(ctx.err(
            f,
            "parts",
            "parts need subfields = \"positional\" or \"bitmapped\"",
        )),
        "tagged" => {
            if encoding != Encoding::Ascii {
                return Err(ctx.err(f, "subfields", "tagged subfields need an ascii field"));
            }
            let (Some(t), Some(l)) = (rf.tag_width, rf.len_width) else {
                return Err(ctx.err(
                    f,
                    "tag_width/len_width",
                    "a tagged layout needs both widths",
                ));
            };
            let format = TaggedFormat::new(t, l)
                .ok_or_else(|| ctx.err(f, "tag_width/len_width", "widths are 1..=8 and 1..=9"))?;
            Ok(Subfields::Tagged(format))
        }
        "tlv" => {
            if class != Class::B {
                return Err(ctx.err(
                    f,
                    "subfields",
                    "tlv subfields need a binary field (class b)",
                ));
            }
            Ok(Subfields::Tlv)
        }
        other => Err(ctx.err(
            f,
            "subfields",
            format!("{other:?} is not positional, bitmapped, tagged or tlv"),
        )),
    }
}

/// The header ahead of a subfield bitmap (if any) and the bitmap are in every value of the
/// field: refuses a layout where they alone take more than the field's `value_max` characters
/// (two a byte in a binary field), as no message could carry the field.
fn check_bitmap_fits(
    ctx: &Ctx<'_>,
    n: u16,
    parts: &[RawField],
    fields: &[Option<super::field::FieldSpec>],
    bitmap: BitmapEncoding,
    encoding: Encoding,
    value_max: u32,
) -> Result<(), SpecError> {
    let per_byte = if encoding == Encoding::Binary { 2 } else { 1 };
    let chars = |bytes: usize| {
        u64::try_from(bytes)
            .unwrap_or(u64::MAX)
            .saturating_mul(per_byte)
    };
    let bitmap_chars = chars(bitmap.wire_len());
    let header = fields.first().and_then(Option::as_ref);
    // The header's length is fixed (checked above): its wire bytes are the table entry's.
    let header_chars = header
        .map(|h| chars(super::hot::FieldHot::of(h).fixed_bytes as usize))
        .unwrap_or(0);
    let total = header_chars.saturating_add(bitmap_chars);
    if total <= u64::from(value_max) {
        return Ok(());
    }
    let f = Some(n);
    match parts.iter().position(|p| p.number == Some(0)) {
        Some(i) if header.is_some() => {
            let name = parts.get(i).map(|p| p.name.as_str()).unwrap_or_default();
            Err(ctx.err(
                f,
                &part_setting(i, name, "length"),
                format!(
                    "the header ({header_chars} characters) and the subfield bitmap \
                     ({bitmap_chars}) take {total} characters, past the field's {value_max}"
                ),
            ))
        }
        _ => Err(ctx.err(
            f,
            "subfield_bitmap",
            format!(
                "the subfield bitmap takes {bitmap_chars} characters, past the field's \
                 {value_max}"
            ),
        )),
    }
}
