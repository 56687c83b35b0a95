//! Reading and validating the subfield part of a field's TOML definition.

#[allow(unused_imports)]
use crate::prelude::*;

use super::BitmapEncoding;
use super::field::{Class, Encoding, Mask};
use super::load::{Ctx, Defaults, RawField, field};
use super::subfields::{Part, PartLength, Subfields};
use crate::codec::tagged::TaggedFormat;
use crate::error::SpecError;

#[allow(clippy::too_many_arguments)]
pub(super) fn layout(
    source: &str,
    n: u16,
    kind: &str,
    rf: &RawField,
    class: Class,
    encoding: Encoding,
    d: &Defaults,
    mask: Mask,
) -> Result<Subfields, SpecError> {
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
            for (i, p) in parts.iter().enumerate() {
                let setting = format!("parts[{i}]");
                let pclass = Class::parse(&p.class)
                    .ok_or_else(|| ctx.err(f, &setting, format!("unknown class {:?}", p.class)))?;
                let length = match (p.length, p.prefix.as_deref(), p.max, p.rest) {
                    (Some(len), None, None, false) if len > 0 => PartLength::Fixed(len),
                    (None, Some(pre), Some(max), false)
                        if (1..=6).contains(&pre.len()) && pre.bytes().all(|c| c == b'L') =>
                    {
                        PartLength::Variable {
                            digits: pre.len() as u8,
                            max,
                        }
                    }
                    (None, None, None, true) => {
                        if i + 1 != parts.len() {
                            return Err(ctx.err(f, &setting, "rest = true only on the last part"));
                        }
                        PartLength::Rest
                    }
                    _ => {
                        return Err(ctx.err(
                            f,
                            &setting,
                            "give length = N, or prefix = \"LL..\" with max, or rest = true",
                        ));
                    }
                };
                if seen_optional && !p.optional {
                    return Err(ctx.err(f, &setting, "only trailing parts may be optional"));
                }
                seen_optional |= p.optional;
                let mask = ctx
                    .mask(f, &setting, p.mask.as_deref())?
                    .unwrap_or_else(|| {
                        super::sensitivity::default_subfield_mask(mask, &p.name, pclass)
                    });
                out.push(Part {
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
            let mut fields = vec![None; 65];
            for (i, p) in parts.iter().enumerate() {
                let setting = format!("parts[{i}]");
                let num = p
                    .number
                    .filter(|k| (2..=64).contains(k))
                    .ok_or_else(|| ctx.err(f, &setting, "bitmapped parts need number = 2..=64"))?;
                let mut plain = p.clone();
                plain.number = None;
                let spec = field(&ctx, num, &plain, d, Some(mask)).map_err(|mut e| {
                    e.setting = format!("{setting}.{}", e.setting);
                    e.field = f;
                    e
                })?;
                if let Some(slot) = fields.get_mut(usize::from(num)) {
                    *slot = Some(spec);
                }
            }
            Ok(Subfields::Bitmapped { bitmap, fields })
        }
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
