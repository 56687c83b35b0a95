//! Writing composite fields: subfield values in, the field's value out.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::bitmap::Bitmap;
use crate::codec::charset::{HEX_UPPER, first_bad_ascii, hex_value};
use crate::codec::field::{self as wire, Form};
use crate::codec::tagged::TaggedWriter;
use crate::codec::tlv::{Tag, TlvWriter};
use crate::error::{EncodeError, EncodeErrorKind, Location};
use crate::spec::{BitmapEncoding, Class, FieldSpec, Length, PartLength, Subfields};

/// A subfield value given to [`MessageBuilder::set_subfields`](super::MessageBuilder::set_subfields).
///
/// `Debug` shows lengths and keys only: values may be card data.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubValue {
    /// The subfield's text (hex digits for binary and EMV values).
    Text(String),
    /// Children of a constructed EMV tag.
    Nested(Vec<(String, SubValue)>),
}

impl core::fmt::Debug for SubValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SubValue::Text(t) => write!(f, "Text({} chars)", t.len()),
            SubValue::Nested(children) => f
                .debug_map()
                .entries(children.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

impl From<&str> for SubValue {
    fn from(s: &str) -> Self {
        SubValue::Text(s.to_owned())
    }
}

impl From<String> for SubValue {
    fn from(s: String) -> Self {
        SubValue::Text(s)
    }
}

fn bad(n: u16, sub: u16) -> EncodeError {
    EncodeError::new(
        Location::Subfield { field: n, sub },
        EncodeErrorKind::BadSubfield,
    )
}

fn bad_field(n: u16) -> EncodeError {
    EncodeError::field(n, EncodeErrorKind::BadSubfield)
}

fn text_of(n: u16, sub: u16, v: &SubValue) -> Result<&str, EncodeError> {
    match v {
        SubValue::Text(s) => Ok(s),
        SubValue::Nested(_) => Err(bad(n, sub)),
    }
}

/// Builds field `fs`'s value from its subfields; returns the bytes and how to read them.
pub(crate) fn compose(
    fs: &FieldSpec,
    parts: &[(String, SubValue)],
) -> Result<(Vec<u8>, Form), EncodeError> {
    let n = fs.number();
    let layout = fs.subfields().ok_or(bad_field(n))?;
    let binary = fs.class() == Class::B;
    let by_number = |k: u16| {
        parts
            .iter()
            .find(|(key, _)| key.parse::<u16>().ok() == Some(k))
            .map(|(_, v)| v)
    };
    for (key, _) in parts {
        let known = match layout {
            Subfields::Positional(ps) => {
                key.parse::<usize>().is_ok_and(|k| k >= 1 && k <= ps.len())
            }
            Subfields::Bitmapped { fields, .. } => key
                .parse::<usize>()
                .is_ok_and(|k| fields.get(k).is_some_and(Option::is_some)),
            _ => true,
        };
        if !known {
            return Err(bad_field(n));
        }
    }
    match layout {
        Subfields::Positional(ps) => {
            let mut out = Vec::new();
            let mut ended = false;
            for p in ps {
                let k = p.number();
                let Some(v) = by_number(k) else {
                    if p.is_optional() {
                        ended = true;
                        continue;
                    }
                    return Err(bad(n, k));
                };
                if ended {
                    return Err(bad(n, k));
                }
                let s = text_of(n, k, v)?.as_bytes();
                let class = p.class();
                let class_ok = match class {
                    Class::B => s.iter().all(|&c| hex_value(c).is_some()),
                    _ => first_bad_ascii(class, s).is_none(),
                };
                if !class_ok {
                    return Err(EncodeError::new(
                        Location::Subfield { field: n, sub: k },
                        EncodeErrorKind::BadCharacter { class },
                    ));
                }
                match p.length() {
                    PartLength::Fixed(len) => {
                        let len = len as usize;
                        if s.len() > len {
                            return Err(EncodeError::new(
                                Location::Subfield { field: n, sub: k },
                                EncodeErrorKind::WrongLength {
                                    len: s.len(),
                                    expected: len,
                                },
                            ));
                        }
                        let pad = len - s.len();
                        if pad > 0 && class == Class::N {
                            out.extend(core::iter::repeat_n(b'0', pad));
                            out.extend_from_slice(s);
                        } else if pad > 0 && class.allows(b' ') {
                            out.extend_from_slice(s);
                            out.extend(core::iter::repeat_n(b' ', pad));
                        } else if pad > 0 {
                            return Err(EncodeError::new(
                                Location::Subfield { field: n, sub: k },
                                EncodeErrorKind::WrongLength {
                                    len: s.len(),
                                    expected: len,
                                },
                            ));
                        } else {
                            out.extend_from_slice(s);
                        }
                    }
                    PartLength::Variable { digits, max } => {
                        if s.len() > max as usize {
                            return Err(EncodeError::new(
                                Location::Subfield { field: n, sub: k },
                                EncodeErrorKind::TooLong {
                                    len: s.len(),
                                    max: max as usize,
                                },
                            ));
                        }
                        let mut prefix = [b'0'; 6];
                        let d = usize::from(digits);
                        let mut v = s.len();
                        for slot in prefix.iter_mut().take(d).rev() {
                            *slot = HEX_UPPER[v % 10];
                            v /= 10;
                        }
                        out.extend_from_slice(prefix.get(..d).unwrap_or_default());
                        out.extend_from_slice(s);
                    }
                    PartLength::Rest => out.extend_from_slice(s),
                }
            }
            // Parts that leave a fixed field short would be padded, and the padding read
            // back as the optional parts left out: the parts must fill the field.
            if let Length::Fixed(len) = fs.length()
                && let Ok(prep) = wire::prepare(fs, &out, Form::Text)
                && prep.pad() > 0
            {
                return Err(EncodeError::field(
                    n,
                    EncodeErrorKind::WrongLength {
                        len: len as usize - prep.pad(),
                        expected: len as usize,
                    },
                ));
            }
            Ok((out, Form::Text))
        }
        Subfields::Bitmapped { bitmap, fields } => {
            let mut bm = Bitmap::new();
            let mut present = Vec::new();
            // The header ahead of the bitmap is always written (so always given).
            let header = match layout.bitmap_header() {
                Some(h) => Some((h, text_of(n, 0, by_number(0).ok_or(bad(n, 0))?)?)),
                None => None,
            };
            for (k, slot) in fields.iter().enumerate().skip(1) {
                let (Some(sub_spec), Some(v)) = (slot, by_number(k as u16)) else {
                    continue;
                };
                bm.set(k as u16);
                present.push((sub_spec, text_of(n, k as u16, v)?));
            }
            let mut out = Vec::new();
            if let Some(h) = header {
                write_part(n, h.0, h.1, &mut out)?;
            }
            let at = out.len();
            out.resize(at + bitmap.wire_len(), 0);
            if let Some(dst) = out.get_mut(at..) {
                bm.write_word(0, *bitmap, dst);
            }
            for (sub_spec, text) in present {
                write_part(n, sub_spec, text, &mut out)?;
            }
            let form = if *bitmap == BitmapEncoding::Binary || binary {
                Form::Raw
            } else {
                Form::Text
            };
            Ok((out, form))
        }
        Subfields::Tagged(format) => {
            let mut w = TaggedWriter::new(*format, Vec::new());
            for (i, (key, v)) in parts.iter().enumerate() {
                let s = text_of(n, i as u16 + 1, v)?;
                w.write(key, s.as_bytes())
                    .map_err(|_| bad(n, i as u16 + 1))?;
            }
            Ok((w.into_inner(), Form::Text))
        }
        Subfields::Tlv => {
            let mut out = Vec::new();
            write_tlv(n, parts, &mut out)?;
            Ok((out, Form::Raw))
        }
    }
}

/// Appends subfield `sub_spec` of field `n`, set to `text`, to `out`.
fn write_part(
    n: u16,
    sub_spec: &FieldSpec,
    text: &str,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let k = sub_spec.number();
    let prep = wire::prepare(sub_spec, text.as_bytes(), Form::Text)
        .map_err(|e| EncodeError::new(Location::Subfield { field: n, sub: k }, e.kind))?;
    let start = out.len();
    out.resize(start + prep.wire_len(sub_spec), 0);
    if let Some(dst) = out.get_mut(start..) {
        wire::write(sub_spec, text.as_bytes(), Form::Text, &prep, dst);
    }
    Ok(())
}

fn write_tlv(n: u16, parts: &[(String, SubValue)], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for (i, (key, v)) in parts.iter().enumerate() {
        let sub = i as u16 + 1;
        let tag: Tag = key.parse().map_err(|_| bad(n, sub))?;
        let value = match v {
            SubValue::Text(hex) => {
                if hex.len() % 2 == 1 {
                    return Err(bad(n, sub));
                }
                hex.as_bytes()
                    .chunks_exact(2)
                    .map(|p| {
                        let d = |k: usize| p.get(k).copied().and_then(hex_value);
                        Some((d(0)? << 4) | d(1)?)
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or(bad(n, sub))?
            }
            SubValue::Nested(children) => {
                if !tag.is_constructed() {
                    return Err(bad(n, sub));
                }
                let mut inner = Vec::new();
                write_tlv(n, children, &mut inner)?;
                inner
            }
        };
        let mut w = TlvWriter::new(core::mem::take(out));
        w.write(tag, &value).map_err(|_| bad(n, sub))?;
        *out = w.into_inner();
    }
    Ok(())
}
