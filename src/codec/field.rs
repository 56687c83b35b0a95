//! One data element on the wire: length prefix, then data in the field's encoding.
//!
//! `decode` and the encode pair (`prepare`, `write`) sit side by side so each encoding's two
//! directions can be read together.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Location};
use crate::spec::hot::FieldHot;
use crate::spec::{BcdPad, Class, Encoding, FieldSpec, Length, LengthUnit, Side};

use super::bcd::{self, BcdFault};
use super::charset::{
    Check, EBCDIC_TO_LATIN1, HEX_UPPER, LATIN1_TO_EBCDIC, first_bad_ascii, first_bad_ascii_slow,
    first_bad_ebcdic, first_bad_signed, hex_value, pack_hex, span_alpha, span_alphanum,
    span_digits, span_ebcdic_digits, span_printable, span_track,
};
use super::prefix;

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
        if fs.class == Class::XN {
            return crate::spec::signed_bcd::wire_bytes(units);
        }
        units.div_ceil(2)
    } else {
        units
    }
}

/// A decode failure inside one field, before it is given its location.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fault {
    pub(crate) offset: usize,
    pub(crate) kind: DecodeErrorKind,
}

impl Fault {
    #[cold]
    #[inline(never)]
    fn new(offset: usize, kind: DecodeErrorKind) -> Self {
        Self { offset, kind }
    }

    #[cold]
    #[inline(never)]
    fn truncated(offset: usize, needed: usize, buf: &[u8]) -> Self {
        Self::new(
            offset,
            DecodeErrorKind::Truncated {
                needed,
                available: buf.len().saturating_sub(offset),
            },
        )
    }
}

/// Decodes field `fs` at `pos`; returns its span and the position after it.
#[inline]
pub(crate) fn decode(fs: &FieldSpec, buf: &[u8], pos: usize) -> Result<(Span, usize), DecodeError> {
    decode_fast(&FieldHot::of(fs), buf, pos)
        .map_err(|f| DecodeError::new(Location::Field(fs.number), f.offset, f.kind))
}

/// The hot path of [`decode`], driven by the spec's compact [`FieldHot`] entry; errors are
/// built out of line.
#[inline(always)]
pub(crate) fn decode_fast(fs: &FieldHot, buf: &[u8], pos: usize) -> Result<(Span, usize), Fault> {
    // Length in the spec's unit, and in bytes.
    let packed_digits = fs.packed_digits;
    let (len, nbytes, start) = if fs.is_variable() {
        let width = usize::from(fs.prefix_len);
        let raw = buf
            .get(pos..pos + width)
            .ok_or_else(|| Fault::truncated(pos, width, buf))?;
        let len = prefix::decode_exact(raw, fs.prefix)
            .ok_or_else(|| Fault::new(pos, DecodeErrorKind::BadLengthPrefix))?;
        if len > fs.len as usize {
            return Err(Fault::new(
                pos,
                DecodeErrorKind::LengthOverMax {
                    len,
                    max: fs.len as usize,
                },
            ));
        }
        let nbytes = if packed_digits { len.div_ceil(2) } else { len };
        (len, nbytes, pos + width)
    } else {
        (fs.len as usize, fs.fixed_bytes as usize, pos)
    };
    let end = start + nbytes;
    let data = buf
        .get(start..end)
        .ok_or_else(|| Fault::truncated(start, nbytes, buf))?;
    let units = match fs.check {
        Check::Nothing => nbytes,
        Check::Digits => ascii(span_digits(buf, start, nbytes), fs, data, start)?,
        Check::Printable => ascii(span_printable(buf, start, nbytes), fs, data, start)?,
        Check::AlphaNum => ascii(span_alphanum(buf, start, nbytes), fs, data, start)?,
        Check::Alpha => ascii(span_alpha(buf, start, nbytes), fs, data, start)?,
        Check::Track => ascii(span_track(buf, start, nbytes), fs, data, start)?,
        Check::AsciiTable => ascii(None, fs, data, start)?,
        Check::EbcdicDigits if span_ebcdic_digits(buf, start, nbytes) == Some(true) => nbytes,
        Check::Ebcdic | Check::EbcdicDigits => {
            if let Some(i) = first_bad_ebcdic(fs.class, data) {
                return Err(bad_char(start + i, fs.class));
            }
            nbytes
        }
        Check::Hex => {
            if let Some(i) = data.iter().position(|&c| hex_value(c).is_none()) {
                return Err(Fault::new(start + i, DecodeErrorKind::BadHexDigit));
            }
            if nbytes % 2 == 1 {
                return Err(Fault::new(end, DecodeErrorKind::BadHexDigit));
            }
            nbytes
        }
        Check::Bcd => {
            let digits = if packed_digits {
                len
            } else {
                bcd_digits_in_bytes(fs.bcd_pad, data)
            };
            bcd::validate(data, digits, fs.class, fs.bcd_pad).map_err(|f| match f {
                BcdFault::Nibble(i) => Fault::new(start + i, DecodeErrorKind::BadBcdNibble),
                BcdFault::Pad(i) => Fault::new(start + i, DecodeErrorKind::BadPadNibble),
            })?;
            digits
        }
        Check::BcdEitherPad => bcd_either_pad(fs, data, start, packed_digits.then_some(len))?,
    };
    Ok((
        Span {
            start: start as u32,
            units: units as u32,
        },
        end,
    ))
}

/// The `Check::Bcd` arm for a field that accepts either pad nibble (`bcd_pad_either`): kept
/// out of line so the decode loop's code for every other field stays as it was.
#[inline(never)]
fn bcd_either_pad(
    fs: &FieldHot,
    data: &[u8],
    start: usize,
    packed_len: Option<usize>,
) -> Result<usize, Fault> {
    let digits = packed_len.unwrap_or_else(|| bcd_digits_in_bytes(fs.bcd_pad, data));
    let mut checked = bcd::validate(data, digits, fs.class, fs.bcd_pad);
    if matches!(checked, Err(BcdFault::Pad(_))) {
        // The other of 0 and F (0 when the spec's nibble is neither).
        let nibble = if fs.bcd_pad.nibble == 0 { 0xF } else { 0 };
        let other = BcdPad {
            nibble,
            ..fs.bcd_pad
        };
        checked = bcd::validate(data, digits, fs.class, other);
    }
    checked.map_err(|f| match f {
        BcdFault::Nibble(i) => Fault::new(start + i, DecodeErrorKind::BadBcdNibble),
        BcdFault::Pad(i) => Fault::new(start + i, DecodeErrorKind::BadPadNibble),
    })?;
    Ok(digits)
}

/// Value units and data bytes of a field already decoded (so known to be well formed) whose
/// data starts at `start`: the fixed length, or the length prefix just before `start` read
/// again. `None` only if `buf` is not the buffer the field was decoded from.
#[inline(always)]
pub(crate) fn extent(fs: &FieldHot, buf: &[u8], start: usize) -> Option<(usize, usize)> {
    let len = if fs.is_variable() {
        let raw = buf.get(start.checked_sub(usize::from(fs.prefix_len))?..start)?;
        prefix::decode_exact(raw, fs.prefix)?
    } else {
        fs.len as usize
    };
    if fs.packed_digits {
        Some((len, len.div_ceil(2)))
    } else if fs.encoding == Encoding::Bcd {
        if fs.class == Class::XN {
            // A sign before packed digits: fixed, `len` characters.
            return Some((len, fs.fixed_bytes as usize));
        }
        let data = buf.get(start..)?.get(..len)?;
        Some((bcd_digits_in_bytes(fs.bcd_pad, data), len))
    } else {
        Some((len, len))
    }
}

/// The verdict of a word test on ASCII `data` (at `start` in the message): its length when it
/// passed; when it failed, or could not run (`None`), the byte-by-byte check finds the culprit.
#[inline(always)]
fn ascii(fast: Option<bool>, fs: &FieldHot, data: &[u8], start: usize) -> Result<usize, Fault> {
    if fast == Some(true) {
        return Ok(data.len());
    }
    ascii_slow(fs, data, start)
}

/// The byte-by-byte check of ASCII `data`. An `x+n` field with its own sign set (the spec's
/// `signs`), ASCII or EBCDIC, or with its digits packed after the sign, is checked here, off
/// the hot path: its table entry sends it here ([`FieldHot::of`]).
#[cold]
#[inline(never)]
fn ascii_slow(fs: &FieldHot, data: &[u8], start: usize) -> Result<usize, Fault> {
    let bad = if fs.class == Class::XN {
        if fs.encoding == Encoding::Bcd {
            return signed_bcd(fs, data, start);
        }
        first_bad_signed(fs.signs, data, fs.encoding == Encoding::Ebcdic)
    } else {
        first_bad_ascii_slow(fs.class, data)
    };
    match bad {
        Some(i) => Err(bad_char(start + i, fs.class)),
        None => Ok(data.len()),
    }
}

/// The check of a sign byte followed by packed digits (class `x+n`, encoding `bcd`): the sign
/// is one of the field's (as wire bytes), then `len - 1` packed digits with the field's pad
/// nibble. Returns the value's length in characters.
fn signed_bcd(fs: &FieldHot, data: &[u8], start: usize) -> Result<usize, Fault> {
    let chars = fs.len as usize;
    if let Some((&sign, packed)) = data.split_first() {
        if !fs.signs.contains(sign) {
            return Err(bad_char(start, fs.class));
        }
        bcd::validate(
            packed,
            chars.saturating_sub(1),
            crate::spec::Class::N,
            fs.bcd_pad,
        )
        .map_err(|f| match f {
            BcdFault::Nibble(i) => Fault::new(start + 1 + i, DecodeErrorKind::BadBcdNibble),
            BcdFault::Pad(i) => Fault::new(start + 1 + i, DecodeErrorKind::BadPadNibble),
        })?;
    }
    Ok(chars)
}

#[cold]
#[inline(never)]
fn bad_char(offset: usize, class: crate::spec::Class) -> Fault {
    Fault::new(offset, DecodeErrorKind::BadCharacter { class })
}

/// Digits in a packed value whose prefix counts bytes: a non-digit pad nibble on the pad side
/// marks an odd count.
pub(crate) fn bcd_digits_in_bytes(pad: BcdPad, data: &[u8]) -> usize {
    let pad_nibble = match pad.side {
        Side::Left => data.first().map(|b| b >> 4),
        Side::Right => data.last().map(|b| b & 0x0F),
    };
    let odd = pad.nibble > 9 && pad_nibble == Some(pad.nibble);
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

    /// Pad characters the encoder adds to fill a fixed field.
    #[inline]
    pub(crate) fn pad(&self) -> usize {
        self.pad as usize
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
            Encoding::Bcd if fs.class == Class::XN => first_bad_signed(fs.signs, value, false),
            Encoding::Bcd => value.iter().position(|&c| {
                !(c.is_ascii_digit() || (fs.class == Class::Z && matches!(c, b'=' | b'D')))
            }),
            _ if fs.class == Class::XN && !fs.signs.is_default() => {
                first_bad_signed(fs.signs, value, false)
            }
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
        (Encoding::Bcd, _) if fs.class == Class::XN => crate::spec::signed_bcd::wire_bytes(total),
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
    write_prefix(fs, prep, head);
    let plain_copy = is_plain_copy(fs, form);
    if plain_copy && prep.pad == 0 {
        copy_into(data, value);
        return;
    }
    // Text that needs no padding: convert it in one pass.
    if prep.pad == 0 && form == Form::Text {
        match fs.encoding {
            Encoding::Ebcdic => {
                for (slot, &c) in data.iter_mut().zip(value) {
                    *slot = LATIN1_TO_EBCDIC[usize::from(c)];
                }
                return;
            }
            Encoding::Bcd if fs.class == Class::XN => return pack_signed(fs, value, data),
            Encoding::Bcd => {
                bcd::pack_exact(value, fs.bcd_pad, data);
                return;
            }
            _ => {}
        }
    }
    // The value's characters with any fixed-field padding applied.
    let pad_byte = fs.padding.map_or(b' ', |p| p.byte);
    let pad_left = fs.padding.is_some_and(|p| p.side == Side::Left);
    let (lead, trail) = if pad_left {
        (prep.pad as usize, 0)
    } else {
        (0, prep.pad as usize)
    };
    if plain_copy {
        let (pre, rest) = data.split_at_mut(lead.min(data.len()));
        pre.fill(pad_byte);
        let n = value.len().min(rest.len());
        let (mid, post) = rest.split_at_mut(n);
        copy_into(mid, value);
        post.iter_mut().take(trail).for_each(|b| *b = pad_byte);
        return;
    }
    let chars = core::iter::repeat_n(pad_byte, lead)
        .chain(value.iter().copied())
        .chain(core::iter::repeat_n(pad_byte, trail));
    match (fs.encoding, form) {
        (Encoding::Ebcdic, _) => fill(data, chars.map(|c| LATIN1_TO_EBCDIC[usize::from(c)])),
        (Encoding::Bcd, _) if fs.class == Class::XN => pack_signed(fs, value, data),
        (Encoding::Bcd, _) => {
            let count = value.len() + prep.pad as usize;
            bcd::pack(chars, count, fs.bcd_pad, data);
        }
        (Encoding::Binary, _) => pack_hex(value, data),
        (Encoding::Hex, Form::Raw) => fill(
            data,
            value.iter().flat_map(|&b| {
                [
                    HEX_UPPER[usize::from(b >> 4)],
                    HEX_UPPER[usize::from(b & 0xF)],
                ]
            }),
        ),
        _ => fill(data, chars),
    }
}

/// Writes a checked `x+n` value (sign, then digits) as a sign byte in the field's sign encoding
/// followed by the packed digits.
fn pack_signed(fs: &FieldSpec, value: &[u8], data: &mut [u8]) {
    if let (Some((&sign, digits)), Some((first, packed))) =
        (value.split_first(), data.split_first_mut())
    {
        *first = match fs.sign_encoding {
            Encoding::Ebcdic => LATIN1_TO_EBCDIC[usize::from(sign)],
            _ => sign,
        };
        bcd::pack_exact(digits, fs.bcd_pad, packed);
    }
}

/// Whether the value's bytes are the wire data's bytes (before any padding).
#[inline]
fn is_plain_copy(fs: &FieldSpec, form: Form) -> bool {
    matches!(
        (fs.encoding, form),
        (_, Form::Wire { .. })
            | (Encoding::Ascii | Encoding::Hex, Form::Text)
            | (Encoding::Binary, Form::Raw)
    ) || (fs.encoding == Encoding::Ascii && form == Form::Raw)
}

/// Writes the length prefix of a value prepared for `fs` into `head` (its `prefix_len` bytes;
/// nothing for a fixed field).
#[inline]
pub(crate) fn write_prefix(fs: &FieldSpec, prep: &Prepared, head: &mut [u8]) {
    if !head.is_empty() {
        prefix::encode(prep.prefix_value as usize, fs.prefix, head);
    }
}

/// Whether [`write`] would only copy the value after the prefix (no padding, no conversion).
pub(crate) fn is_direct(fs: &FieldSpec, form: Form, prep: &Prepared) -> bool {
    is_plain_copy(fs, form) && prep.pad == 0
}

/// Copies as much of `src` as fits. Values of 1 to 64 bytes (nearly every ISO 8583 field and
/// length prefix) are copied as two overlapping fixed-size blocks (three single bytes below
/// four), which is cheaper than a call to `memcpy`.
#[inline(always)]
pub(crate) fn copy_into(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) else {
        return;
    };
    if (8..=16).contains(&n) {
        copy_ends::<8>(d, s);
    } else if (4..8).contains(&n) {
        copy_ends::<4>(d, s);
    } else if (17..=32).contains(&n) {
        copy_ends::<16>(d, s);
    } else if (1..4).contains(&n) {
        // First, middle and last byte: all of one to three bytes.
        for i in [0, n / 2, n - 1] {
            if let (Some(to), Some(&from)) = (d.get_mut(i), s.get(i)) {
                *to = from;
            }
        }
    } else if (33..=64).contains(&n) {
        copy_ends::<32>(d, s);
    } else {
        d.copy_from_slice(s);
    }
}

/// Copies the first and the last `W` bytes of `s` (same length as `d`, at least `W`, at most
/// `2 * W`), which together cover it.
#[inline(always)]
fn copy_ends<const W: usize>(d: &mut [u8], s: &[u8]) {
    if let (Some(dh), Some(sh)) = (d.first_chunk_mut::<W>(), s.first_chunk::<W>()) {
        *dh = *sh;
    }
    if let (Some(dt), Some(st)) = (d.last_chunk_mut::<W>(), s.last_chunk::<W>()) {
        *dt = *st;
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
    /// How a [`CharsKind::Signed`] value reads.
    signed: SignedForm,
}

#[derive(Clone, Copy, Debug)]
enum CharsKind {
    Plain,
    Ebcdic,
    Nibbles,
    /// A sign byte, then packed digits; positions count characters (see [`SignedForm`]).
    Signed,
}

/// How a sign byte followed by packed digits reads: the sign is EBCDIC when `ebcdic`; `skip`
/// when a left pad nibble comes before the digits.
#[derive(Clone, Copy, Debug, Default)]
struct SignedForm {
    ebcdic: bool,
    skip: bool,
}

/// Character `i` of a sign byte followed by packed digits (see [`CharsKind::Signed`]).
#[inline(never)]
fn signed_char(data: &[u8], form: SignedForm, i: usize) -> Option<u8> {
    if i == 0 {
        let sign = *data.first()?;
        return Some(if form.ebcdic {
            EBCDIC_TO_LATIN1[usize::from(sign)]
        } else {
            sign
        });
    }
    // Nibble `j` of the whole data: the digits start at byte 1.
    let j = i + 1 + usize::from(form.skip);
    let b = data.get(j / 2)?;
    let nib = if j.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0F
    };
    Some(HEX_UPPER[usize::from(nib)])
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
            CharsKind::Signed => signed_char(self.data, self.signed, i),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.pos);
        (n, Some(n))
    }

    #[inline]
    fn fold<B, F: FnMut(B, u8) -> B>(self, init: B, mut f: F) -> B {
        let plain = self.data.get(self.pos..self.end).unwrap_or_default();
        match self.kind {
            CharsKind::Plain => plain.iter().fold(init, |acc, &c| f(acc, c)),
            CharsKind::Ebcdic => plain
                .iter()
                .fold(init, |acc, &c| f(acc, EBCDIC_TO_LATIN1[usize::from(c)])),
            CharsKind::Nibbles => (self.pos..self.end).fold(init, |acc, i| {
                let b = self.data.get(i / 2).copied().unwrap_or(0);
                let nib = if i % 2 == 0 { b >> 4 } else { b & 0x0F };
                f(acc, HEX_UPPER[usize::from(nib)])
            }),
            CharsKind::Signed => (self.pos..self.end).fold(init, |acc, i| {
                f(acc, signed_char(self.data, self.signed, i).unwrap_or(b'0'))
            }),
        }
    }
}

impl ValueChars<'_> {
    /// Writes the remaining characters into the start of `out` in one pass (a copy for plain
    /// text, a table lookup per byte for EBCDIC, two digits per byte for packed BCD and raw
    /// binary) and returns how many; `None`, writing nothing, if `out` is too short.
    #[inline(always)]
    pub fn write_into(self, out: &mut [u8]) -> Option<usize> {
        match self.kind {
            CharsKind::Plain => {
                let src = self.data.get(self.pos..self.end)?;
                copy_into(out.get_mut(..src.len())?, src);
                Some(src.len())
            }
            CharsKind::Ebcdic => {
                let src = self.data.get(self.pos..self.end)?;
                let out = out.get_mut(..src.len())?;
                for (slot, &c) in out.iter_mut().zip(src) {
                    *slot = EBCDIC_TO_LATIN1[usize::from(c)];
                }
                Some(src.len())
            }
            CharsKind::Nibbles => {
                let n = self.end.saturating_sub(self.pos);
                let out = out.get_mut(..n)?;
                // Whole bytes from the one holding nibble `pos`; a first low nibble alone.
                let bytes = self.data.get(self.pos / 2..)?;
                if self.pos % 2 == 1
                    && let (Some((first, rest)), Some((&b, more))) =
                        (out.split_first_mut(), bytes.split_first())
                {
                    *first = HEX_UPPER[usize::from(b & 0x0F)];
                    hex_pairs_into(rest, more);
                } else {
                    hex_pairs_into(out, bytes);
                }
                Some(n)
            }
            CharsKind::Signed => self.write_signed_into(out),
        }
    }

    /// [`write_into`](Self::write_into) for a sign before packed digits, out of line so the
    /// other kinds' code stays as it was.
    #[cold]
    #[inline(never)]
    fn write_signed_into(self, out: &mut [u8]) -> Option<usize> {
        let n = self.end.saturating_sub(self.pos);
        let out = out.get_mut(..n)?;
        for (slot, c) in out.iter_mut().zip(self) {
            *slot = c;
        }
        Some(n)
    }
}

/// Both hex digits of every byte value, high nibble first.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_UPPER[i >> 4], HEX_UPPER[i & 0x0F]];
        i += 1;
    }
    t
};

/// Fills `out` with the hex digits of `bytes`, two per byte (the last byte's high nibble only
/// when `out` is odd in length).
#[inline]
fn hex_pairs_into(out: &mut [u8], bytes: &[u8]) {
    let (pairs, tail) = out.as_chunks_mut::<2>();
    for (pair, &b) in pairs.iter_mut().zip(bytes) {
        *pair = HEX_PAIRS[usize::from(b)];
    }
    if let ([last], Some(&b)) = (tail, bytes.get(pairs.len())) {
        *last = HEX_UPPER[usize::from(b >> 4)];
    }
}

/// The value characters of a decoded field (`units` as recorded at decode).
#[inline]
pub(crate) fn value_chars<'a>(fs: &FieldSpec, data: &'a [u8], units: usize) -> ValueChars<'a> {
    if matches!(fs.encoding, Encoding::Ascii | Encoding::Hex) {
        // The common case first, as a branch rather than through the table below.
        return ValueChars {
            data,
            kind: CharsKind::Plain,
            pos: 0,
            end: data.len(),
            signed: SignedForm::default(),
        };
    }
    let (kind, pos, end) = match fs.encoding {
        Encoding::Bcd if fs.class == Class::XN => {
            return ValueChars {
                data,
                kind: CharsKind::Signed,
                pos: 0,
                end: units,
                signed: SignedForm {
                    ebcdic: fs.sign_encoding == Encoding::Ebcdic,
                    skip: units.is_multiple_of(2) && fs.bcd_pad.side == Side::Left,
                },
            };
        }
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
        signed: SignedForm::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn via_write_into(chars: ValueChars<'_>) -> Option<Vec<u8>> {
        let mut out = [0u8; 64];
        let n = chars.write_into(&mut out)?;
        Some(out[..n].to_vec())
    }

    #[test]
    fn write_into_after_any_number_of_next_matches_the_rest_of_the_iteration() {
        let data = [0x12, 0xA3, 0x4F, 0xD5, 0x60];
        for kind in [CharsKind::Nibbles, CharsKind::Plain, CharsKind::Ebcdic] {
            let units = if matches!(kind, CharsKind::Nibbles) {
                10
            } else {
                5
            };
            for start in 0..=1 {
                for end in start..=units {
                    for taken in 0..=(end - start) {
                        let mut chars = ValueChars {
                            data: &data,
                            kind,
                            pos: start,
                            end,
                            signed: SignedForm::default(),
                        };
                        for _ in 0..taken {
                            chars.next();
                        }
                        let rest: Vec<u8> = chars.clone().collect();
                        assert_eq!(
                            via_write_into(chars).as_deref(),
                            Some(&rest[..]),
                            "{kind:?} {start}..{end} after {taken}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn write_into_matches_the_iterator_for_every_kind() {
        let cases: [(ValueChars<'_>, &[u8]); 6] = [
            // Plain text.
            (
                ValueChars {
                    data: b"TERM0001",
                    kind: CharsKind::Plain,
                    pos: 0,
                    end: 8,
                    signed: SignedForm::default(),
                },
                b"TERM0001",
            ),
            // EBCDIC digits and letters.
            (
                ValueChars {
                    data: &[0xF0, 0xF4, 0xC1, 0x40],
                    kind: CharsKind::Ebcdic,
                    pos: 0,
                    end: 4,
                    signed: SignedForm::default(),
                },
                b"04A ",
            ),
            // Packed BCD, odd length, pad nibble on the left (skipped).
            (
                ValueChars {
                    data: &[0x01, 0x23],
                    kind: CharsKind::Nibbles,
                    pos: 1,
                    end: 4,
                    signed: SignedForm::default(),
                },
                b"123",
            ),
            // Packed BCD, odd length, pad nibble on the right (dropped).
            (
                ValueChars {
                    data: &[0x12, 0x3F],
                    kind: CharsKind::Nibbles,
                    pos: 0,
                    end: 3,
                    signed: SignedForm::default(),
                },
                b"123",
            ),
            // Track 2 in BCD with a D separator.
            (
                ValueChars {
                    data: &[0x47, 0x61, 0xD2, 0x91],
                    kind: CharsKind::Nibbles,
                    pos: 0,
                    end: 8,
                    signed: SignedForm::default(),
                },
                b"4761D291",
            ),
            // Raw binary as hex digits.
            (
                ValueChars {
                    data: &[0xA1, 0xB2, 0x0F],
                    kind: CharsKind::Nibbles,
                    pos: 0,
                    end: 6,
                    signed: SignedForm::default(),
                },
                b"A1B20F",
            ),
        ];
        for (chars, want) in cases {
            let iterated: Vec<u8> = chars.clone().collect();
            assert_eq!(iterated, want);
            assert_eq!(via_write_into(chars).as_deref(), Some(want));
        }
    }

    #[test]
    fn a_sign_before_packed_digits_reads_the_same_every_way() {
        // Each case: the data, how it reads, its characters and its text.
        let cases: [(&[u8], SignedForm, usize, &[u8]); 3] = [
            (&[b'D', 0x12, 0x34], SignedForm::default(), 5, b"D1234"),
            (
                &[b'C', 0x01, 0x23],
                SignedForm {
                    ebcdic: false,
                    skip: true,
                },
                4,
                b"C123",
            ),
            (
                &[0x60, 0x12, 0x30],
                SignedForm {
                    ebcdic: true,
                    skip: false,
                },
                4,
                b"-123",
            ),
        ];
        for (data, signed, units, want) in cases {
            let chars = ValueChars {
                data,
                kind: CharsKind::Signed,
                pos: 0,
                end: units,
                signed,
            };
            let mut by_next = Vec::new();
            // A `for` loop reads through `next`; `collect` below through `fold`.
            for c in chars.clone() {
                by_next.push(c);
            }
            assert_eq!(by_next, want);
            assert_eq!(chars.clone().collect::<Vec<u8>>(), want);
            assert_eq!(via_write_into(chars.clone()).as_deref(), Some(want));
            // After the sign has been read, the rest.
            let mut rest = chars;
            rest.next();
            assert_eq!(via_write_into(rest).as_deref(), Some(&want[1..]));
        }
    }

    #[test]
    fn copy_into_copies_every_length_and_stops_at_the_shorter_side() {
        let src: Vec<u8> = (1..=80).collect();
        for n in 0..=80 {
            let mut dst = [0u8; 80];
            copy_into(&mut dst[..n], &src);
            assert_eq!(&dst[..n], &src[..n], "length {n}");
            assert!(
                dst[n..].iter().all(|&b| b == 0),
                "length {n} wrote past the end"
            );
            let mut wide = [0u8; 80];
            copy_into(&mut wide, &src[..n]);
            assert_eq!(&wide[..n], &src[..n], "source length {n}");
            assert!(wide[n..].iter().all(|&b| b == 0), "source length {n}");
        }
    }

    #[test]
    fn write_into_refuses_a_short_buffer_and_writes_nothing() {
        let chars = ValueChars {
            data: &[0x12, 0x34],
            kind: CharsKind::Nibbles,
            pos: 0,
            end: 4,
            signed: SignedForm::default(),
        };
        let mut out = [b'x'; 3];
        assert_eq!(chars.write_into(&mut out), None);
        assert_eq!(&out, b"xxx");
    }
}
