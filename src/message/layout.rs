//! Decoding a whole message into a [`Layout`]: where the header, MTI, bitmaps and each present
//! field lie. Every byte is looked at once; nothing is copied or allocated.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::bitmap::Bitmap;
use crate::codec::charset::EBCDIC_TO_LATIN1;
use crate::codec::field;
use crate::error::{DecodeError, DecodeErrorKind, Location};
use crate::spec::{MtiEncoding, Spec};

use super::field::Field;
use super::mti::Mti;

/// Field slots: index 0 holds the header, 1 the secondary bitmap, 65 the tertiary bitmap
/// (in specs that have one), the rest the data elements by number.
pub(crate) use crate::spec::SLOTS;

/// Positions of everything present in one decoded message.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) mti: Mti,
    pub(crate) bitmap: Bitmap,
    /// Where each present slot's data starts (after its length prefix). Lengths are not kept:
    /// [`Layout::field`] reads them back from the spec or the prefix, which keeps the table
    /// at 4 bytes a slot (it is zeroed and moved with every decoded message).
    pub(crate) starts: [u32; SLOTS],
    /// Bytes the message took (header included).
    pub(crate) len: usize,
}

fn truncated(loc: Location, offset: usize, needed: usize, buf: &[u8]) -> DecodeError {
    DecodeError::new(
        loc,
        offset,
        DecodeErrorKind::Truncated {
            needed,
            available: buf.len().saturating_sub(offset),
        },
    )
}

impl Layout {
    /// Field `n` of `buf` (decoded into this layout with `spec`), without checking that it is
    /// present: the caller has looked at the bitmap.
    #[inline(always)]
    pub(crate) fn field<'a>(&self, spec: &'a Spec, buf: &'a [u8], n: u16) -> Option<Field<'a>> {
        let i = usize::from(n);
        let start = *self.starts.get(i)? as usize;
        let (units, nbytes) = field::extent(spec.0.hot.get(i)?, buf, start)?;
        Some(Field {
            spec: spec.field(n)?,
            data: buf.get(start..start.checked_add(nbytes)?)?,
            units,
            offset: start,
        })
    }

    /// Nothing decoded yet.
    #[inline(always)]
    pub(crate) fn empty() -> Layout {
        Layout {
            mti: Mti::FINANCIAL_REQUEST,
            bitmap: Bitmap::new(),
            starts: [0; SLOTS],
            len: 0,
        }
    }
}

/// Decodes one message that must fill `buf` exactly.
pub(crate) fn decode_exact(spec: &Spec, buf: &[u8]) -> Result<Layout, DecodeError> {
    let mut layout = Layout::empty();
    decode_exact_into(&mut layout, spec, buf)?;
    Ok(layout)
}

/// [`decode_exact`] into a layout the caller holds (no copy of the span table).
#[inline(always)]
pub(crate) fn decode_exact_into(
    layout: &mut Layout,
    spec: &Spec,
    buf: &[u8],
) -> Result<(), DecodeError> {
    decode_into(layout, spec, buf)?;
    if layout.len < buf.len() {
        return Err(trailing(layout, spec, buf));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn not_in_spec(n: u16, pos: usize) -> DecodeError {
    DecodeError::new(Location::Field(n), pos, DecodeErrorKind::FieldNotInSpec)
}

#[cold]
#[inline(never)]
fn trailing(layout: &Layout, spec: &Spec, buf: &[u8]) -> DecodeError {
    {
        let last = layout
            .bitmap
            .iter()
            .filter(|&n| !spec.is_bitmap_field(n))
            .last();
        DecodeError::new(
            last.map_or(Location::Bitmap, Location::Field),
            layout.len,
            DecodeErrorKind::TrailingBytes {
                count: buf.len() - layout.len,
            },
        )
    }
}

/// Decodes one message from the start of `buf` into a layout the caller holds; bytes after it
/// are left alone. Only the slots of present fields are written;
/// the bitmap says which those are.
#[inline(always)]
pub(crate) fn decode_into(layout: &mut Layout, spec: &Spec, buf: &[u8]) -> Result<(), DecodeError> {
    let inner = &*spec.0;
    let starts = &mut layout.starts;
    // Header.
    let hlen = inner.header_len;
    if buf.len() < hlen {
        return Err(truncated(Location::Header, 0, hlen, buf));
    }
    starts[0] = 0;
    let mut pos = hlen;

    // MTI.
    let mlen = inner.mti.wire_len();
    let raw = buf
        .get(pos..pos + mlen)
        .ok_or_else(|| truncated(Location::Mti, pos, mlen, buf))?;
    let mut d = [0u8; 4];
    match inner.mti {
        MtiEncoding::Ascii => d.copy_from_slice(raw.get(..4).unwrap_or(&[0; 4])),
        MtiEncoding::Ebcdic => {
            for (slot, &c) in d.iter_mut().zip(raw) {
                *slot = EBCDIC_TO_LATIN1[usize::from(c)];
            }
        }
        MtiEncoding::Bcd => {
            for (pair, &c) in d.chunks_exact_mut(2).zip(raw) {
                if let [hi, lo] = pair {
                    *hi = if c >> 4 < 10 { b'0' + (c >> 4) } else { b'?' };
                    *lo = if c & 0xF < 10 { b'0' + (c & 0xF) } else { b'?' };
                }
            }
        }
    }
    let mti = Mti::from_digits(d)
        .map_err(|_| DecodeError::new(Location::Mti, pos, DecodeErrorKind::BadMti))?;
    pos += mlen;

    // Primary and secondary bitmaps.
    let benc = inner.bitmap;
    let blen = benc.wire_len();
    let mut bitmap = Bitmap::new();
    read_bitmap(&mut bitmap, 0, buf, pos, benc, false)?;
    pos += blen;
    if bitmap.is_set(1) {
        read_bitmap(&mut bitmap, 1, buf, pos, benc, true)?;
        starts[1] = pos as u32;
        pos += blen;
    }

    // Data elements in number order, word by word so the tertiary bitmap (read at field 65)
    // extends the walk.
    for word_index in 0..3usize {
        let mut bits = u64::from_be_bytes(bitmap.word(word_index));
        if word_index == 0 {
            bits &= !(1u64 << 63);
        } else if word_index == 1 && inner.tertiary && bits >> 63 != 0 {
            // Field 65 is the tertiary bitmap: read it here, ahead of fields 66..
            bits &= !(1u64 << 63);
            read_bitmap(&mut bitmap, 2, buf, pos, benc, false)
                .map_err(|e| DecodeError::new(Location::Field(65), e.offset, e.kind))?;
            starts[65] = pos as u32;
            pos += blen;
        }
        while bits != 0 {
            let lz = bits.leading_zeros();
            bits &= !(1u64 << (63 - lz));
            let n = (word_index as u16) * 64 + lz as u16 + 1;
            let fs = match inner.hot.get(usize::from(n)) {
                Some(fs) if fs.defined => fs,
                _ => return Err(not_in_spec(n, pos)),
            };
            let (span, next) = field::decode_fast(fs, buf, pos)
                .map_err(|f| DecodeError::new(Location::Field(n), f.offset, f.kind))?;
            if let Some(slot) = starts.get_mut(usize::from(n)) {
                *slot = span.start;
            }
            pos = next;
        }
    }
    layout.mti = mti;
    layout.bitmap = bitmap;
    layout.len = pos;
    Ok(())
}

#[inline]
fn read_bitmap(
    bitmap: &mut Bitmap,
    index: usize,
    buf: &[u8],
    pos: usize,
    enc: crate::spec::BitmapEncoding,
    secondary: bool,
) -> Result<(), DecodeError> {
    let rest = buf.get(pos..).unwrap_or_default();
    bitmap.read_word(index, rest, enc).map_err(|at| {
        if rest.len() < enc.wire_len() {
            let kind = if secondary {
                DecodeErrorKind::MissingSecondaryBitmap
            } else {
                DecodeErrorKind::Truncated {
                    needed: enc.wire_len(),
                    available: rest.len(),
                }
            };
            DecodeError::new(Location::Bitmap, pos, kind)
        } else {
            DecodeError::new(Location::Bitmap, pos + at, DecodeErrorKind::BadHexDigit)
        }
    })
}
