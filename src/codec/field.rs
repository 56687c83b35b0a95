//! One data element on the wire: length prefix, then data in the field's encoding.
//!
//! `decode` and the encode pair (`prepare`, `write`) sit side by side so each encoding's two
//! directions can be read together.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Location};
use crate::spec::{Class, Encoding, FieldSpec, Length, LengthUnit, Side};

use super::bcd::{self, BcdFault};
use super::charset::{
    EBCDIC_TO_LATIN1, HEX_UPPER, LATIN1_TO_EBCDIC, first_bad_ascii, first_bad_ebcdic, hex_value,
};
use super::prefix::{self, PrefixFault};

/// Where a decoded field's data lies: start offset and length in value units
/// (digits for packed BCD, bytes otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) units: u32,
}

/// Bytes of wire data that `units` value units take in `fs`.
#[inline]
pub(crate) fn data_bytes(fs: &FieldSpec, units: usize) -> usize {
    if fs.encoding == Encoding::Bcd {
        units.div_ceil(2)
    } else {
        units
    }
}

/// Decodes field `fs` at `pos`; returns its span and the position after it.
#[inline]
pub(crate) fn decode(fs: &FieldSpec, buf: &[u8], pos: usize) -> Result<(Span, usize), DecodeError> {
    let loc = Location::Field(fs.number);
    let err = |offset: usize, kind| DecodeError::new(loc, offset, kind);
    let rest = buf.get(pos..).unwrap_or_default();
    // Length in the spec's unit.
    let len = match fs.length {
        Length::Fixed(n) => n as usize,
        Length::Variable { max, .. } => {
            let len = prefix::decode(rest, fs.prefix_len, fs.prefix).map_err(|f| match f {
                PrefixFault::Truncated => err(
                    pos,
                    DecodeErrorKind::Truncated {
                        needed: fs.prefix_len,
                        available: rest.len(),
                    },
                ),
                PrefixFault::NotDecimal => err(pos, DecodeErrorKind::BadLengthPrefix),
            })?;
            if len > max as usize {
                return Err(err(
                    pos,
                    DecodeErrorKind::LengthOverMax {
                        len,
                        max: max as usize,
                    },
                ));
            }
            len
        }
    };
    let start = pos + fs.prefix_len;
    let nbytes = match (fs.encoding, fs.unit) {
        (Encoding::Bcd, LengthUnit::Digits) => len.div_ceil(2),
        _ => len,
    };
    let data = buf
        .get(start..)
        .and_then(|d| d.get(..nbytes))
        .ok_or_else(|| {
            err(
                start,
                DecodeErrorKind::Truncated {
                    needed: nbytes,
                    available: buf.len().saturating_sub(start),
                },
            )
        })?;
    let bad_char = |i: usize| err(start + i, DecodeErrorKind::BadCharacter { class: fs.class });
    let units = match fs.encoding {
        Encoding::Ascii => {
            if let Some(i) = first_bad_ascii(fs.class, data) {
                return Err(bad_char(i));
            }
            nbytes
        }
        Encoding::Ebcdic => {
            if let Some(i) = first_bad_ebcdic(fs.class, data) {
                return Err(bad_char(i));
            }
            nbytes
        }
        Encoding::Binary => nbytes,
        Encoding::Hex => {
            if let Some(i) = data.iter().position(|&c| hex_value(c).is_none()) {
                return Err(err(start + i, DecodeErrorKind::BadHexDigit));
            }
            if nbytes % 2 == 1 {
                return Err(err(start + nbytes, DecodeErrorKind::BadHexDigit));
            }
            nbytes
        }
        Encoding::Bcd => {
            let digits = match fs.unit {
                LengthUnit::Digits => len,
                LengthUnit::Bytes => bcd_digits_in_bytes(fs, data),
            };
            bcd::validate(data, digits, fs.class, fs.bcd_pad).map_err(|f| match f {
                BcdFault::Nibble(i) => err(start + i, DecodeErrorKind::BadBcdNibble),
                BcdFault::Pad(i) => err(start + i, DecodeErrorKind::BadPadNibble),
            })?;
            digits
        }
    };
    Ok((
        Span {
            start: start as u32,
            units: units as u32,
        },
        start + nbytes,
    ))
}

/// Digits in a packed value whose prefix counts bytes: a non-digit pad nibble on the pad side
/// marks an odd count.
fn bcd_digits_in_bytes(fs: &FieldSpec, data: &[u8]) -> usize {
    let pad_nibble = match fs.bcd_pad.side {
        Side::Left => data.first().map(|b| b >> 4),
        Side::Right => data.last().map(|b| b & 0x0F),
    };
    let odd = fs.bcd_pad.nibble > 9 && pad_nibble == Some(fs.bcd_pad.nibble);
    data.len() * 2 - usize::from(odd)
}

/// How a value given to the encoder is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// The value as text: characters for text and numeric classes, hex digits for class `b`.
    Text,
    /// Raw bytes of a class `b` field.
    Raw,
    /// Wire bytes of a field decoded with the same field spec (`units` value units).
    Wire { units: u32 },
}

/// A checked value's wire layout, computed once when it is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// Value for the length prefix (ignored for fixed fields).
    prefix_value: u32,
    /// Pad characters the encoder adds (fixed fields only).
    pad: u32,
    /// Bytes of data after the prefix.
    data_len: u32,
}

impl Prepared {
    /// Total bytes on the wire, prefix included.
    #[inline]
    pub(crate) fn wire_len(&self, fs: &FieldSpec) -> usize {
        fs.prefix_len + self.data_len as usize
    }
}

/// Checks `value` against `fs` and computes its wire layout.
pub(crate) fn prepare(fs: &FieldSpec, value: &[u8], form: Form) -> Result<Prepared, EncodeError> {
    let fail = |kind| EncodeError::field(fs.number, kind);
    if let Form::Wire { units } = form {
        let data_len = data_bytes(fs, units as usize);
        if data_len != value.len() {
            return Err(fail(EncodeErrorKind::BadSubfield));
        }
        let prefix_value = match (fs.encoding, fs.unit) {
            (Encoding::Bcd, LengthUnit::Bytes) => data_len,
            _ => units as usize,
        };
        return Ok(Prepared {
            prefix_value: prefix_value as u32,
            pad: 0,
            data_len: data_len as u32,
        });
    }
    // Value length in spec units, before padding.
    let (units, is_chars) = if fs.class == Class::B {
        let bytes = match form {
            Form::Raw => value.len(),
            _ => {
                if value.len() % 2 == 1 || value.iter().any(|&c| hex_value(c).is_none()) {
                    return Err(fail(EncodeErrorKind::BadHex));
                }
                value.len() / 2
            }
        };
        let units = if fs.encoding == Encoding::Hex {
            bytes * 2
        } else {
            bytes
        };
        (units, false)
    } else {
        let bad = match fs.encoding {
            Encoding::Bcd => value.iter().position(|&c| {
                !(c.is_ascii_digit() || (fs.class == Class::Z && matches!(c, b'=' | b'D')))
            }),
            _ => first_bad_ascii(fs.class, value),
        };
        if bad.is_some() {
            return Err(fail(EncodeErrorKind::BadCharacter { class: fs.class }));
        }
        let units = match (fs.encoding, fs.unit) {
            (Encoding::Bcd, LengthUnit::Bytes) => value.len().div_ceil(2),
            _ => value.len(),
        };
        (units, true)
    };
    let mut pad = 0usize;
    match fs.length {
        Length::Fixed(n) => {
            let n = n as usize;
            if units != n {
                let can_pad = is_chars
                    && units < n
                    && fs.padding.is_some()
                    && !(fs.encoding == Encoding::Bcd && fs.unit == LengthUnit::Bytes);
                if !can_pad {
                    return Err(fail(EncodeErrorKind::WrongLength {
                        len: units,
                        expected: n,
                    }));
                }
                pad = n - units;
            }
        }
        Length::Variable { max, .. } => {
            if units > max as usize {
                return Err(fail(EncodeErrorKind::TooLong {
                    len: units,
                    max: max as usize,
                }));
            }
        }
    }
    let total = units + pad;
    let data_len = match (fs.encoding, fs.unit) {
        (Encoding::Bcd, LengthUnit::Digits) => total.div_ceil(2),
        _ => total,
    };
    Ok(Prepared {
        prefix_value: total as u32,
        pad: pad as u32,
        data_len: data_len as u32,
    })
}

/// Writes a prepared value into `out`, which is exactly `prep.wire_len(fs)` bytes.
pub(crate) fn write(fs: &FieldSpec, value: &[u8], form: Form, prep: &Prepared, out: &mut [u8]) {
    let (head, data) = out.split_at_mut(fs.prefix_len.min(out.len()));
    if !head.is_empty() {
        prefix::encode(prep.prefix_value as usize, fs.prefix, head);
    }
    if let Form::Wire { .. } = form {
        for (slot, &b) in data.iter_mut().zip(value) {
            *slot = b;
        }
        return;
    }
    // The value's characters with any fixed-field padding applied.
    let pad_byte = fs.padding.map_or(b' ', |p| p.byte);
    let pad_left = fs.padding.is_some_and(|p| p.side == Side::Left);
    let pads = core::iter::repeat_n(pad_byte, prep.pad as usize);
    let (lead, trail) = if pad_left {
        (prep.pad as usize, 0)
    } else {
        (0, prep.pad as usize)
    };
    let chars = core::iter::repeat_n(pad_byte, lead)
        .chain(value.iter().copied())
        .chain(core::iter::repeat_n(pad_byte, trail));
    let _ = pads;
    match (fs.encoding, form) {
        (Encoding::Ascii, _) => fill(data, chars),
        (Encoding::Ebcdic, _) => fill(data, chars.map(|c| LATIN1_TO_EBCDIC[usize::from(c)])),
        (Encoding::Bcd, _) => {
            let count = value.len() + prep.pad as usize;
            bcd::pack(chars, count, fs.bcd_pad, data);
        }
        (Encoding::Binary, Form::Raw) => fill(data, value.iter().copied()),
        (Encoding::Binary, _) => fill(
            data,
            value.chunks_exact(2).map(|p| {
                let hi = p.first().copied().and_then(hex_value).unwrap_or(0);
                let lo = p.get(1).copied().and_then(hex_value).unwrap_or(0);
                (hi << 4) | lo
            }),
        ),
        (Encoding::Hex, Form::Raw) => fill(
            data,
            value.iter().flat_map(|&b| {
                [
                    HEX_UPPER[usize::from(b >> 4)],
                    HEX_UPPER[usize::from(b & 0xF)],
                ]
            }),
        ),
        (Encoding::Hex, _) => fill(data, value.iter().copied()),
    }
}

#[inline]
fn fill(out: &mut [u8], src: impl Iterator<Item = u8>) {
    for (slot, b) in out.iter_mut().zip(src) {
        *slot = b;
    }
}

/// The characters of a field's value: text, unpacked digits, or uppercase hex of raw bytes.
///
/// Clear text: `Debug` shows only the remaining length.
#[derive(Clone)]
pub struct ValueChars<'a> {
    data: &'a [u8],
    kind: CharsKind,
    /// Next nibble (BCD, hex) or byte index.
    pos: usize,
    /// One past the last nibble (BCD, hex) or byte.
    end: usize,
}

#[derive(Clone, Copy, Debug)]
enum CharsKind {
    Plain,
    Ebcdic,
    Nibbles,
}

impl core::fmt::Debug for ValueChars<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ValueChars({} left)", self.end.saturating_sub(self.pos))
    }
}

impl Iterator for ValueChars<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.pos >= self.end {
            return None;
        }
        let i = self.pos;
        self.pos += 1;
        match self.kind {
            CharsKind::Plain => self.data.get(i).copied(),
            CharsKind::Ebcdic => self.data.get(i).map(|&c| EBCDIC_TO_LATIN1[usize::from(c)]),
            CharsKind::Nibbles => {
                let b = self.data.get(i / 2)?;
                let nib = if i.is_multiple_of(2) {
                    b >> 4
                } else {
                    b & 0x0F
                };
                Some(HEX_UPPER[usize::from(nib)])
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.pos);
        (n, Some(n))
    }
}

/// The value characters of a decoded field (`units` as recorded at decode).
pub(crate) fn value_chars<'a>(fs: &FieldSpec, data: &'a [u8], units: usize) -> ValueChars<'a> {
    let (kind, pos, end) = match fs.encoding {
        Encoding::Bcd => {
            let skip = usize::from(units % 2 == 1 && fs.bcd_pad.side == Side::Left);
            (CharsKind::Nibbles, skip, skip + units)
        }
        Encoding::Binary => (CharsKind::Nibbles, 0, data.len() * 2),
        Encoding::Ebcdic => (CharsKind::Ebcdic, 0, data.len()),
        Encoding::Ascii | Encoding::Hex => (CharsKind::Plain, 0, data.len()),
    };
    ValueChars {
        data,
        kind,
        pos,
        end,
    }
}
