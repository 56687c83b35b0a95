//! TOML spec files: the serde shape, defaults, and validation at load.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use serde::Deserialize;

use super::field::{BcdPad, Class, Encoding, FieldSpec, Length, LengthUnit, Mask, Padding, Side};
use super::{BitmapEncoding, MAX_FIELD, MtiEncoding, Spec, SpecInner};
use crate::error::SpecError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: String,
    #[serde(default)]
    description: String,
    message: RawMessage,
    #[serde(default)]
    defaults: RawDefaults,
    fields: BTreeMap<String, RawField>,
    #[serde(default)]
    mac: Option<super::mac::RawMac>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    mti: String,
    bitmap: String,
    #[serde(default)]
    tertiary_bitmap: bool,
    #[serde(default)]
    header_length: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default = "ascii")]
    prefix_encoding: String,
    #[serde(default = "ascii")]
    text_encoding: String,
    #[serde(default = "ascii")]
    numeric_encoding: String,
    #[serde(default = "ascii")]
    track_encoding: String,
    #[serde(default = "binary")]
    binary_encoding: String,
    #[serde(default = "left_0")]
    bcd_pad: String,
    #[serde(default = "right_f")]
    track_bcd_pad: String,
    #[serde(default = "left_0")]
    numeric_padding: String,
    #[serde(default = "right_space")]
    text_padding: String,
}

fn ascii() -> String {
    "ascii".into()
}
fn binary() -> String {
    "binary".into()
}
fn left_0() -> String {
    "left-0".into()
}
fn right_f() -> String {
    "right-F".into()
}
fn right_space() -> String {
    "right-space".into()
}

impl Default for RawDefaults {
    fn default() -> Self {
        Self {
            prefix_encoding: ascii(),
            text_encoding: ascii(),
            numeric_encoding: ascii(),
            track_encoding: ascii(),
            binary_encoding: binary(),
            bcd_pad: left_0(),
            track_bcd_pad: right_f(),
            numeric_padding: left_0(),
            text_padding: right_space(),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub(super) name: String,
    pub(super) class: String,
    pub(super) length: Option<u32>,
    pub(super) prefix: Option<String>,
    pub(super) max: Option<u32>,
    pub(super) prefix_encoding: Option<String>,
    pub(super) encoding: Option<String>,
    pub(super) unit: Option<String>,
    pub(super) bcd_pad: Option<String>,
    /// Decoding accepts a pad nibble of 0 or F besides `bcd_pad`'s.
    #[serde(default)]
    pub(super) bcd_pad_either: bool,
    /// Sign characters of an `x+n` field (default `CD`).
    pub(super) signs: Option<String>,
    /// Encoding of the sign byte of a packed `x+n` field: `ascii` (default) or `ebcdic`.
    pub(super) sign_encoding: Option<String>,
    pub(super) padding: Option<String>,
    pub(super) mask: Option<String>,
    /// Subfield layout: positional, bitmapped, tagged or tlv.
    pub(super) subfields: Option<String>,
    /// Parts of a positional or bitmapped layout.
    pub(super) parts: Option<Vec<RawField>>,
    /// Part number (bitmapped parts).
    pub(super) number: Option<u16>,
    /// Trailing positional part that may be absent.
    #[serde(default)]
    pub(super) optional: bool,
    /// Positional part taking the rest of the value.
    #[serde(default)]
    pub(super) rest: bool,
    /// Encoding of a bitmapped layout's bitmap.
    pub(super) subfield_bitmap: Option<String>,
    /// Tag width of a tagged layout.
    pub(super) tag_width: Option<usize>,
    /// Length width of a tagged layout.
    pub(super) len_width: Option<usize>,
}

/// Context for error messages while validating one spec.
pub(super) struct Ctx<'s> {
    pub(super) source: &'s str,
}

impl Ctx<'_> {
    pub(super) fn err(
        &self,
        field: Option<u16>,
        setting: &str,
        msg: impl Into<String>,
    ) -> SpecError {
        SpecError::new(self.source, field, setting, msg)
    }

    fn encoding(&self, field: Option<u16>, setting: &str, s: &str) -> Result<Encoding, SpecError> {
        Encoding::parse(s).ok_or_else(|| {
            self.err(
                field,
                setting,
                format!("unknown encoding {s:?} (ascii, ebcdic, bcd, binary, hex)"),
            )
        })
    }

    pub(super) fn mask(
        &self,
        field: Option<u16>,
        setting: &str,
        m: Option<&str>,
    ) -> Result<Option<Mask>, SpecError> {
        Ok(Some(match m {
            None => return Ok(None),
            Some("none") => Mask::None,
            Some("pan") => Mask::Pan,
            Some("track") => Mask::Track,
            Some("full") => Mask::Full,
            Some(o) => {
                return Err(self.err(
                    field,
                    setting,
                    format!("{o:?} is not none, pan, track or full"),
                ));
            }
        }))
    }

    fn bcd_pad(&self, field: Option<u16>, setting: &str, s: &str) -> Result<BcdPad, SpecError> {
        let bad = || {
            self.err(
                field,
                setting,
                format!("{s:?} is not side-nibble such as \"left-0\" or \"right-F\""),
            )
        };
        let (side, nib) = s.split_once('-').ok_or_else(bad)?;
        let side = parse_side(side).ok_or_else(bad)?;
        let mut chars = nib.chars();
        let nibble = match (chars.next(), chars.next()) {
            (Some(c), None) => c.to_digit(16).ok_or_else(bad)? as u8,
            _ => return Err(bad()),
        };
        Ok(BcdPad { side, nibble })
    }

    fn padding(
        &self,
        field: Option<u16>,
        setting: &str,
        s: &str,
    ) -> Result<Option<Padding>, SpecError> {
        if s == "none" {
            return Ok(None);
        }
        let bad = || {
            self.err(
                field,
                setting,
                format!("{s:?} is not \"none\" or side-char such as \"left-0\" or \"right-space\""),
            )
        };
        let (side, ch) = s.split_once('-').ok_or_else(bad)?;
        let side = parse_side(side).ok_or_else(bad)?;
        let byte = match ch {
            "space" => b' ',
            c if c.len() == 1 && c.as_bytes()[0].is_ascii_graphic() => c.as_bytes()[0],
            _ => return Err(bad()),
        };
        Ok(Some(Padding { side, byte }))
    }
}

fn parse_side(s: &str) -> Option<Side> {
    match s {
        "left" => Some(Side::Left),
        "right" => Some(Side::Right),
        _ => None,
    }
}

pub(super) fn from_toml_str(text: &str, source: &str) -> Result<Spec, SpecError> {
    let ctx = Ctx { source };
    let raw: RawSpec = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_owned();
        let at = e
            .span()
            .map(|s| {
                let line = text.get(..s.start).map_or(0, |t| t.lines().count().max(1));
                format!(" (line {line})")
            })
            .unwrap_or_default();
        ctx.err(None, "toml", format!("{msg}{at}"))
    })?;

    let mti = match raw.message.mti.as_str() {
        "ascii" => MtiEncoding::Ascii,
        "bcd" => MtiEncoding::Bcd,
        "ebcdic" => MtiEncoding::Ebcdic,
        other => {
            return Err(ctx.err(
                None,
                "message.mti",
                format!("unknown MTI encoding {other:?} (ascii, bcd, ebcdic)"),
            ));
        }
    };
    let bitmap = match raw.message.bitmap.as_str() {
        "binary" => BitmapEncoding::Binary,
        "hex" => BitmapEncoding::Hex,
        "ebcdic-hex" => BitmapEncoding::EbcdicHex,
        other => {
            return Err(ctx.err(
                None,
                "message.bitmap",
                format!("unknown bitmap encoding {other:?} (binary, hex, ebcdic-hex)"),
            ));
        }
    };
    if raw.message.header_length > 1024 {
        return Err(ctx.err(None, "message.header_length", "at most 1024 bytes"));
    }

    let d = &raw.defaults;
    let defaults = Defaults {
        prefix: ctx.encoding(None, "defaults.prefix_encoding", &d.prefix_encoding)?,
        text: ctx.encoding(None, "defaults.text_encoding", &d.text_encoding)?,
        numeric: ctx.encoding(None, "defaults.numeric_encoding", &d.numeric_encoding)?,
        track: ctx.encoding(None, "defaults.track_encoding", &d.track_encoding)?,
        binary: ctx.encoding(None, "defaults.binary_encoding", &d.binary_encoding)?,
        bcd_pad: ctx.bcd_pad(None, "defaults.bcd_pad", &d.bcd_pad)?,
        track_bcd_pad: ctx.bcd_pad(None, "defaults.track_bcd_pad", &d.track_bcd_pad)?,
        numeric_padding: ctx.padding(None, "defaults.numeric_padding", &d.numeric_padding)?,
        text_padding: ctx.padding(None, "defaults.text_padding", &d.text_padding)?,
    };

    let mut fields: Vec<Option<FieldSpec>> = vec![None; usize::from(MAX_FIELD) + 1];
    for (key, rf) in &raw.fields {
        let n: u16 = key
            .parse()
            .ok()
            .filter(|n| (2..=MAX_FIELD).contains(n))
            .ok_or_else(|| {
                ctx.err(
                    None,
                    "fields",
                    format!("{key:?} is not a field number 2..=192"),
                )
            })?;
        if n == 65 && raw.message.tertiary_bitmap {
            return Err(ctx.err(
                Some(n),
                "fields",
                "field 65 is the tertiary-bitmap indicator in this spec (message.tertiary_bitmap)",
            ));
        }
        if n > 128 && !raw.message.tertiary_bitmap {
            return Err(ctx.err(
                Some(n),
                "fields",
                "fields above 128 need message.tertiary_bitmap = true",
            ));
        }
        let fs = field(&ctx, n, rf, &defaults, None)?;
        if let Some(slot) = fields.get_mut(usize::from(n)) {
            *slot = Some(fs);
        }
    }

    let mac = match &raw.mac {
        Some(m) => Some(super::mac::validate(&ctx, m, &fields)?),
        None => None,
    };

    Ok(Spec(Arc::new(SpecInner {
        mac,
        name: raw.name,
        description: raw.description,
        mti,
        bitmap,
        tertiary: raw.message.tertiary_bitmap,
        header_len: raw.message.header_length,
        hot: super::hot::table(&fields),
        fields,
    })))
}

pub(super) struct Defaults {
    prefix: Encoding,
    text: Encoding,
    numeric: Encoding,
    track: Encoding,
    binary: Encoding,
    bcd_pad: BcdPad,
    track_bcd_pad: BcdPad,
    numeric_padding: Option<Padding>,
    text_padding: Option<Padding>,
}

/// Validates one field definition. `parent` is the resolved mask of the field holding it when
/// this is a bitmapped subfield (`None` for a data element): it decides the default mask.
pub(super) fn field(
    ctx: &Ctx<'_>,
    n: u16,
    rf: &RawField,
    d: &Defaults,
    parent: Option<Mask>,
) -> Result<FieldSpec, SpecError> {
    let f = Some(n);
    let class = Class::parse(&rf.class).ok_or_else(|| {
        ctx.err(
            f,
            "class",
            format!(
                "unknown class {:?} (n, a, an, ans, as, ns, anp, b, z, x+n)",
                rf.class
            ),
        )
    })?;
    let encoding = match &rf.encoding {
        Some(s) => ctx.encoding(f, "encoding", s)?,
        None => match class {
            Class::N => d.numeric,
            Class::Z => d.track,
            Class::B => d.binary,
            _ => d.text,
        },
    };
    match (class, encoding) {
        (Class::B, Encoding::Binary | Encoding::Hex) => {}
        (Class::B, _) => {
            return Err(ctx.err(f, "encoding", "class b needs encoding binary or hex"));
        }
        (_, Encoding::Binary | Encoding::Hex) => {
            return Err(ctx.err(f, "encoding", "binary and hex encodings are for class b"));
        }
        (Class::N | Class::Z | Class::XN, Encoding::Bcd) => {}
        (_, Encoding::Bcd) => {
            return Err(ctx.err(f, "encoding", "bcd packs only classes n, z and x+n"));
        }
        _ => {}
    }
    let prefix = match &rf.prefix_encoding {
        Some(s) => ctx.encoding(f, "prefix_encoding", s)?,
        None => d.prefix,
    };
    if prefix == Encoding::Hex {
        return Err(ctx.err(
            f,
            "prefix_encoding",
            "a length prefix is ascii, ebcdic, bcd or binary",
        ));
    }
    let unit = match rf.unit.as_deref() {
        None if encoding == Encoding::Bcd => LengthUnit::Digits,
        None | Some("bytes") => LengthUnit::Bytes,
        Some("digits") if encoding == Encoding::Bcd => LengthUnit::Digits,
        Some("digits") => {
            return Err(ctx.err(f, "unit", "digits counts nibbles of bcd data only"));
        }
        Some(o) => return Err(ctx.err(f, "unit", format!("{o:?} is not bytes or digits"))),
    };
    let length = match (rf.length, &rf.prefix, rf.max) {
        (Some(0), None, None) => return Err(ctx.err(f, "length", "must be at least 1")),
        (Some(len), None, None) => Length::Fixed(len),
        (None, Some(p), Some(max)) => {
            let digits = p.len();
            if !(1..=6).contains(&digits) || p.bytes().any(|c| c != b'L') {
                return Err(ctx.err(f, "prefix", format!("{p:?} is not L, LL, ... LLLLLL")));
            }
            let limit = 10u32.pow(digits as u32) - 1;
            if prefix == Encoding::Binary {
                // A binary prefix of ceil(digits / 2) bytes states up to 256^bytes - 1
                // (jPOS's LLH prefixes: one byte, lengths up to 255).
                let bytes = digits.div_ceil(2) as u32;
                let bin_limit = (1u64 << (8 * bytes)) - 1;
                if max == 0 || u64::from(max) > bin_limit {
                    return Err(ctx.err(
                        f,
                        "max",
                        format!(
                            "{max} does not fit a {bytes}-byte binary prefix (1..={bin_limit})"
                        ),
                    ));
                }
            } else if max == 0 || max > limit {
                return Err(ctx.err(
                    f,
                    "max",
                    format!("{max} does not fit a {digits}-digit prefix (1..={limit})"),
                ));
            }
            Length::Variable {
                digits: digits as u8,
                max,
            }
        }
        _ => {
            return Err(ctx.err(
                f,
                "length",
                "give either length = N (fixed) or prefix = \"LL..\" with max = N (variable)",
            ));
        }
    };
    if length.max() > 999_999 {
        return Err(ctx.err(f, "length", "at most 999999"));
    }
    if class == Class::B
        && encoding == Encoding::Hex
        && matches!(length, Length::Fixed(n) if n % 2 == 1)
    {
        return Err(ctx.err(f, "length", "a hex-text field has an even length"));
    }
    let bcd_pad = match &rf.bcd_pad {
        Some(s) => ctx.bcd_pad(f, "bcd_pad", s)?,
        None if class == Class::Z => d.track_bcd_pad,
        None => d.bcd_pad,
    };
    if encoding == Encoding::Bcd
        && matches!(class, Class::N | Class::XN)
        && bcd_pad.nibble > 9
        && bcd_pad.nibble != 0xF
    {
        return Err(ctx.err(f, "bcd_pad", "pad nibble of a numeric field is 0..9 or F"));
    }
    if rf.bcd_pad_either && encoding != Encoding::Bcd {
        return Err(ctx.err(
            f,
            "bcd_pad_either",
            "only packed (bcd) fields have a pad nibble",
        ));
    }
    let signs = match &rf.signs {
        None => super::Signs::CD,
        Some(_) if class != Class::XN => {
            return Err(ctx.err(f, "signs", "only x+n fields have a sign character"));
        }
        Some(s) => super::Signs::parse(s).map_err(|why| ctx.err(f, "signs", why))?,
    };
    let signed_bcd = class == Class::XN && encoding == Encoding::Bcd;
    let sign_encoding = match rf.sign_encoding.as_deref() {
        None if signed_bcd => Encoding::Ascii,
        None => encoding,
        Some(_) if !signed_bcd => {
            return Err(ctx.err(
                f,
                "sign_encoding",
                "only an x+n field with encoding bcd has a separate sign byte",
            ));
        }
        Some("ascii") => Encoding::Ascii,
        Some("ebcdic") => Encoding::Ebcdic,
        Some(o) => {
            return Err(ctx.err(f, "sign_encoding", format!("{o:?} is not ascii or ebcdic")));
        }
    };
    if signed_bcd {
        super::signed_bcd::check(rf, length, unit)
            .map_err(|(setting, why)| ctx.err(f, setting, why))?;
    }
    // A default pad character outside the class is simply not used; an explicit one is an error.
    let padding = match &rf.padding {
        Some(s) => ctx.padding(f, "padding", s)?,
        None => match class {
            Class::N => d.numeric_padding,
            Class::B | Class::Z | Class::XN => None,
            _ => d.text_padding,
        }
        .filter(|p| class.allows(p.byte)),
    };
    if padding.is_some_and(|p| !class.allows(p.byte)) {
        return Err(ctx.err(
            f,
            "padding",
            format!("pad character is not allowed in class {class}"),
        ));
    }
    let explicit = ctx.mask(f, "mask", rf.mask.as_deref())?;
    let mut mask = match explicit {
        Some(explicit) => explicit,
        None => match parent {
            None => super::sensitivity::default_field_mask(
                n,
                class,
                rf.subfields.as_deref() == Some("tlv"),
            ),
            Some(p) => super::sensitivity::default_subfield_mask(p, &rf.name, class),
        },
    };
    let prefix_len = match length {
        Length::Fixed(_) => 0,
        Length::Variable { digits, .. } => match prefix {
            Encoding::Bcd | Encoding::Binary => usize::from(digits).div_ceil(2),
            _ => usize::from(digits),
        },
    };
    let subfields = match rf.subfields.as_deref() {
        None => {
            if rf.parts.is_some() {
                return Err(ctx.err(
                    f,
                    "parts",
                    "parts need subfields = \"positional\" or \"bitmapped\"",
                ));
            }
            None
        }
        Some(kind) => {
            // The longest value text the field holds: binary bytes and BCD bytes counted
            // in bytes are two characters each.
            let value_max = match (encoding, unit) {
                (Encoding::Binary, _) | (Encoding::Bcd, LengthUnit::Bytes) => {
                    length.max().saturating_mul(2)
                }
                _ => length.max(),
            };
            let field = super::subfields_load::FieldShape {
                class,
                encoding,
                value_max,
            };
            Some(Box::new(super::subfields_load::layout(
                ctx.source, n, kind, rf, field, d, mask,
            )?))
        }
    };
    // A composite field's flat form hides at least what its subfields hide.
    if explicit.is_none()
        && mask == Mask::None
        && subfields
            .as_deref()
            .is_some_and(super::sensitivity::has_masked_parts)
    {
        mask = Mask::Full;
    }
    if rf.number.is_some() || rf.optional || rf.rest {
        return Err(ctx.err(f, "number/optional/rest", "only allowed on parts"));
    }
    Ok(FieldSpec {
        packed_digits: encoding == Encoding::Bcd && unit == LengthUnit::Digits && !signed_bcd,
        bcd_pad_either: rf.bcd_pad_either,
        signs,
        sign_encoding,
        subfields,
        number: n,
        name: rf.name.clone(),
        class,
        length,
        prefix,
        unit,
        encoding,
        bcd_pad,
        padding,
        mask,
        prefix_len,
    })
}
