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

/// Present data elements whose data start is recorded at decode, in number order. Elements
/// after these (a message with more fields than this), and any starting past 65,535 bytes, are
/// found by walking on from the last recorded one with the lengths already checked. A POS
/// purchase has about 20 fields. Two bytes a start and 32 of them keep a decoded
/// [`super::MessageView`] near 128 bytes, which the compiler moves and zeroes with a handful
/// of register moves instead of a `memcpy`.
pub(crate) const RECORDED: usize = 32;

/// Positions of everything present in one decoded message.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) mti: Mti,
    pub(crate) bitmap: Bitmap,
    /// Where the data (after its length prefix) of each of the first `recorded` present data
    /// elements starts, in number order (bitmap positions are not data elements). Lengths
    /// are not kept: [`Layout::field`] reads them back from the spec or the prefix.
    starts: [u16; RECORDED],
    /// How many leading entries of `starts` hold a start.
    recorded: u8,
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
        self.ranked_field(spec, buf, n, self.rank(spec, n))
    }

    /// Field `n`, present, the `rank`-th present data element (from 0, in number order).
    #[inline(always)]
    pub(crate) fn ranked_field<'a>(
        &self,
        spec: &'a Spec,
        buf: &'a [u8],
        n: u16,
        rank: usize,
    ) -> Option<Field<'a>> {
        let start = match self.recorded_start(rank) {
            Some(start) => start,
            None => self.start_after_recorded(spec, buf, n)?,
        };
        field_at(spec, buf, n, start)
    }

    /// Where the `rank`-th present data element's data starts, if the layout records it.
    #[inline(always)]
    pub(crate) fn recorded_start(&self, rank: usize) -> Option<usize> {
        self.recorded_starts()
            .get(rank)
            .map(|&start| usize::from(start))
    }

    /// The recorded starts, by rank.
    #[inline(always)]
    pub(crate) fn recorded_starts(&self) -> &[u16] {
        self.starts
            .get(..usize::from(self.recorded))
            .unwrap_or_default()
    }

    /// Field `n`, present, found by walking on from the present data element `prev` whose
    /// data ends at `prev_end` (the iterator's way past the recorded elements).
    #[cold]
    #[inline(never)]
    pub(crate) fn field_after<'a>(
        &self,
        spec: &'a Spec,
        buf: &'a [u8],
        prev: u16,
        prev_end: usize,
        n: u16,
    ) -> Option<Field<'a>> {
        let start = self.walk(spec, buf, prev, prev_end, n)?;
        field_at(spec, buf, n, start)
    }

    /// How many present data elements come before `n`.
    #[inline(always)]
    pub(crate) fn rank(&self, spec: &Spec, n: u16) -> usize {
        let words = self.data_words(spec);
        let i = usize::from(n.saturating_sub(1));
        // Bits of the fields before `n` in its own word (most significant bit first).
        let before = !(u64::MAX >> (i % 64));
        let ones = match i / 64 {
            0 => (words[0] & before).count_ones(),
            1 => words[0].count_ones() + (words[1] & before).count_ones(),
            _ => words[0].count_ones() + words[1].count_ones() + (words[2] & before).count_ones(),
        };
        ones as usize
    }

    /// The presence words with the bitmap positions (1, and 65 with a tertiary bitmap) cleared.
    #[inline(always)]
    pub(crate) fn data_words(&self, spec: &Spec) -> [u64; 3] {
        let mut words = [0u64; 3];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_be_bytes(self.bitmap.word(i));
        }
        words[0] &= !(1u64 << 63);
        if spec.has_tertiary_bitmap() {
            words[1] &= !(1u64 << 63);
        }
        words
    }

    /// Where present field `n` starts when it comes after the recorded elements: walked to
    /// from the last recorded one, or from the end of the primary bitmap when none is.
    #[cold]
    #[inline(never)]
    fn start_after_recorded(&self, spec: &Spec, buf: &[u8], n: u16) -> Option<usize> {
        let Some(last_rank) = usize::from(self.recorded).checked_sub(1) else {
            return self.walk(spec, buf, 0, after_primary_bitmap(spec), n);
        };
        let last = nth_bit(self.data_words(spec), last_rank)?;
        let start = usize::from(*self.starts.get(last_rank)?);
        let (_, nbytes) = field::extent(spec.0.hot.get(usize::from(last))?, buf, start)?;
        self.walk(spec, buf, last, start.checked_add(nbytes)?, n)
    }

    /// Where the data of present field `n` starts, walking on from `pos`, the end of the
    /// data of the present data element `prev` (see [`Layout::starts_after`]).
    fn walk(&self, spec: &Spec, buf: &[u8], prev: u16, pos: usize, n: u16) -> Option<usize> {
        self.starts_after(spec, buf, prev, pos)
            .take_while(|&(m, _)| m <= n)
            .find(|&(m, _)| m == n)
            .map(|(_, start)| start)
    }

    /// The present data elements after `prev` with where their data starts, in number order,
    /// walking on from `pos`: the end of `prev`'s data, or with `prev` 0 the end of the
    /// primary bitmap. Each set bit adds its prefix and its data, a secondary or tertiary
    /// bitmap its 8 or 16 bytes. Stops early only if `buf` is not the decoded buffer.
    fn starts_after<'s>(
        &'s self,
        spec: &'s Spec,
        buf: &'s [u8],
        prev: u16,
        pos: usize,
    ) -> impl Iterator<Item = (u16, usize)> + 's {
        let blen = spec.0.bitmap.wire_len();
        let mut pos = Some(pos);
        self.bitmap
            .iter()
            .filter(move |&m| m > prev)
            .map_while(move |m| {
                let at = pos?;
                if spec.is_bitmap_field(m) {
                    pos = at.checked_add(blen);
                    return Some(None);
                }
                let fs = spec.0.hot.get(usize::from(m))?;
                let start = at.checked_add(usize::from(fs.prefix_len))?;
                pos = field::extent(fs, buf, start).and_then(|(_, n)| start.checked_add(n));
                Some(Some((m, start)))
            })
            .flatten()
    }

    /// A layout put together by another decoder (the lenient one): `starts` are the data
    /// starts of the present data elements in number order.
    pub(crate) fn assemble(mti: Mti, bitmap: Bitmap, starts: &[usize], len: usize) -> Layout {
        let mut layout = Layout::empty();
        layout.mti = mti;
        layout.bitmap = bitmap;
        layout.len = len;
        for (slot, &start) in layout.starts.iter_mut().zip(starts) {
            let Ok(start) = u16::try_from(start) else {
                break;
            };
            *slot = start;
            layout.recorded += 1;
        }
        layout
    }

    /// Nothing decoded yet.
    #[inline(always)]
    pub(crate) fn empty() -> Layout {
        Layout {
            mti: Mti::FINANCIAL_REQUEST,
            bitmap: Bitmap::new(),
            starts: [0; RECORDED],
            recorded: 0,
            len: 0,
        }
    }
}

/// Number of the `rank`-th set bit (from 0) of `words`, most significant bit of word 0 first.
fn nth_bit(words: [u64; 3], rank: usize) -> Option<u16> {
    let mut left = rank;
    for (w, mut bits) in (0u16..).zip(words) {
        while bits != 0 {
            let lz = bits.leading_zeros() as u16;
            if left == 0 {
                return Some(w * 64 + lz + 1);
            }
            left -= 1;
            bits &= !(1u64 << (63 - lz));
        }
    }
    None
}

/// Field `n` whose data starts at `start` in `buf`.
#[inline(always)]
pub(crate) fn field_at<'a>(
    spec: &'a Spec,
    buf: &'a [u8],
    n: u16,
    start: usize,
) -> Option<Field<'a>> {
    let (units, nbytes) = field::extent(spec.0.hot.get(usize::from(n))?, buf, start)?;
    Some(Field {
        spec: spec.field(n)?,
        data: buf.get(start..)?.get(..nbytes)?,
        units,
        offset: start,
    })
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
        return Err(trailing(layout, buf));
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
fn trailing(layout: &Layout, buf: &[u8]) -> DecodeError {
    trailing_at(layout.len, buf.len())
}

/// Bytes left after a message that ends at `end` in a buffer of `len` bytes: located at the
/// end of the message (no field is to blame; the last one decoded whole).
#[cold]
#[inline(never)]
pub(crate) fn trailing_at(end: usize, len: usize) -> DecodeError {
    DecodeError::new(
        Location::End,
        end,
        DecodeErrorKind::TrailingBytes {
            count: len.saturating_sub(end),
        },
    )
}

/// Decodes one message from the start of `buf` into a layout the caller holds; bytes after it
/// are left alone. Only the slots of present fields are written;
/// the bitmap says which those are.
#[inline(always)]
pub(crate) fn decode_into(layout: &mut Layout, spec: &Spec, buf: &[u8]) -> Result<(), DecodeError> {
    let inner = &*spec.0;
    let starts = &mut layout.starts;
    let mut rank = 0usize;
    // Header.
    let hlen = inner.header_len;
    if buf.len() < hlen {
        return Err(truncated(Location::Header, 0, hlen, buf));
    }
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
            if let Some(slot) = starts.get_mut(rank) {
                // Cut to two bytes; in a message over 65,535 bytes, `large_recorded` below
                // counts only the starts that fit.
                *slot = span.start as u16;
            }
            rank += 1;
            pos = next;
        }
    }
    layout.mti = mti;
    layout.bitmap = bitmap;
    layout.recorded = if pos <= usize::from(u16::MAX) {
        // RECORDED fits a u8.
        rank.min(RECORDED) as u8
    } else {
        large_recorded(layout, spec, buf)
    };
    layout.len = pos;
    Ok(())
}

/// How many leading starts of a decoded message over 65,535 bytes are recorded: those of the
/// first [`RECORDED`] data elements that start before byte 65,536 (walked again from the
/// primary bitmap: a message this large is rare).
#[cold]
#[inline(never)]
fn large_recorded(layout: &Layout, spec: &Spec, buf: &[u8]) -> u8 {
    let fit = layout
        .starts_after(spec, buf, 0, after_primary_bitmap(spec))
        .take(RECORDED)
        .take_while(|&(_, start)| start <= usize::from(u16::MAX))
        .count();
    // At most RECORDED, which fits a u8.
    fit as u8
}

/// Where the data after the primary bitmap starts (the secondary bitmap, or the first field).
fn after_primary_bitmap(spec: &Spec) -> usize {
    let inner = &*spec.0;
    inner.header_len + inner.mti.wire_len() + inner.bitmap.wire_len()
}

#[inline]
pub(crate) fn read_bitmap(
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
