//! Character sets: ISO class membership, EBCDIC code page 037, hex digits.
//!
//! Class checks are one table lookup per byte: `CLASS_BITS[byte] & mask != 0`.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::spec::Class;

const DIGIT: u8 = 1;
const ALPHA: u8 = 2;
const SPECIAL: u8 = 4;
const SPACE: u8 = 8;
const TRACK: u8 = 16;

/// Class bits of each ASCII byte (digit, alpha, special, space, track).
pub(crate) static CLASS_BITS: [u8; 256] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x04, 0x04, 0x04, 0x14, 0x04, 0x04,
    0x04, 0x02, 0x02, 0x02, 0x12, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x04, 0x04, 0x04, 0x04,
    0x04, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x04, 0x04, 0x04, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// EBCDIC code page 037 to ISO 8859-1 (a bijection).
pub(crate) static EBCDIC_TO_LATIN1: [u8; 256] = [
    0x00, 0x01, 0x02, 0x03, 0x9C, 0x09, 0x86, 0x7F, 0x97, 0x8D, 0x8E, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x9D, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8F, 0x1C, 0x1D, 0x1E, 0x1F,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0A, 0x17, 0x1B, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9A, 0x9B, 0x14, 0x15, 0x9E, 0x1A,
    0x20, 0xA0, 0xE2, 0xE4, 0xE0, 0xE1, 0xE3, 0xE5, 0xE7, 0xF1, 0xA2, 0x2E, 0x3C, 0x28, 0x2B, 0x7C,
    0x26, 0xE9, 0xEA, 0xEB, 0xE8, 0xED, 0xEE, 0xEF, 0xEC, 0xDF, 0x21, 0x24, 0x2A, 0x29, 0x3B, 0xAC,
    0x2D, 0x2F, 0xC2, 0xC4, 0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xD1, 0xA6, 0x2C, 0x25, 0x5F, 0x3E, 0x3F,
    0xF8, 0xC9, 0xCA, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0x60, 0x3A, 0x23, 0x40, 0x27, 0x3D, 0x22,
    0xD8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xAB, 0xBB, 0xF0, 0xFD, 0xFE, 0xB1,
    0xB0, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0xAA, 0xBA, 0xE6, 0xB8, 0xC6, 0xA4,
    0xB5, 0x7E, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xA1, 0xBF, 0xD0, 0xDD, 0xDE, 0xAE,
    0x5E, 0xA3, 0xA5, 0xB7, 0xA9, 0xA7, 0xB6, 0xBC, 0xBD, 0xBE, 0x5B, 0x5D, 0xAF, 0xA8, 0xB4, 0xD7,
    0x7B, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xAD, 0xF4, 0xF6, 0xF2, 0xF3, 0xF5,
    0x7D, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0xB9, 0xFB, 0xFC, 0xF9, 0xFA, 0xFF,
    0x5C, 0xF7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xB2, 0xD4, 0xD6, 0xD2, 0xD3, 0xD5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xB3, 0xDB, 0xDC, 0xD9, 0xDA, 0x9F,
];

/// ISO 8859-1 to EBCDIC code page 037.
pub(crate) static LATIN1_TO_EBCDIC: [u8; 256] = [
    0x00, 0x01, 0x02, 0x03, 0x37, 0x2D, 0x2E, 0x2F, 0x16, 0x05, 0x25, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x3C, 0x3D, 0x32, 0x26, 0x18, 0x19, 0x3F, 0x27, 0x1C, 0x1D, 0x1E, 0x1F,
    0x40, 0x5A, 0x7F, 0x7B, 0x5B, 0x6C, 0x50, 0x7D, 0x4D, 0x5D, 0x5C, 0x4E, 0x6B, 0x60, 0x4B, 0x61,
    0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0x7A, 0x5E, 0x4C, 0x7E, 0x6E, 0x6F,
    0x7C, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6,
    0xD7, 0xD8, 0xD9, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xBA, 0xE0, 0xBB, 0xB0, 0x6D,
    0x79, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xC0, 0x4F, 0xD0, 0xA1, 0x07,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x15, 0x06, 0x17, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x09, 0x0A, 0x1B,
    0x30, 0x31, 0x1A, 0x33, 0x34, 0x35, 0x36, 0x08, 0x38, 0x39, 0x3A, 0x3B, 0x04, 0x14, 0x3E, 0xFF,
    0x41, 0xAA, 0x4A, 0xB1, 0x9F, 0xB2, 0x6A, 0xB5, 0xBD, 0xB4, 0x9A, 0x8A, 0x5F, 0xCA, 0xAF, 0xBC,
    0x90, 0x8F, 0xEA, 0xFA, 0xBE, 0xA0, 0xB6, 0xB3, 0x9D, 0xDA, 0x9B, 0x8B, 0xB7, 0xB8, 0xB9, 0xAB,
    0x64, 0x65, 0x62, 0x66, 0x63, 0x67, 0x9E, 0x68, 0x74, 0x71, 0x72, 0x73, 0x78, 0x75, 0x76, 0x77,
    0xAC, 0x69, 0xED, 0xEE, 0xEB, 0xEF, 0xEC, 0xBF, 0x80, 0xFD, 0xFE, 0xFB, 0xFC, 0xAD, 0xAE, 0x59,
    0x44, 0x45, 0x42, 0x46, 0x43, 0x47, 0x9C, 0x48, 0x54, 0x51, 0x52, 0x53, 0x58, 0x55, 0x56, 0x57,
    0x8C, 0x49, 0xCD, 0xCE, 0xCB, 0xCF, 0xCC, 0xE1, 0x70, 0xDD, 0xDE, 0xDB, 0xDC, 0x8D, 0x8E, 0xDF,
];

/// The class bits a class accepts (for `x+n`, the digits after the sign).
#[inline]
pub(crate) const fn class_mask(class: Class) -> u8 {
    match class {
        Class::N | Class::XN => DIGIT,
        Class::A => ALPHA,
        Class::An => ALPHA | DIGIT,
        Class::Ans => ALPHA | DIGIT | SPECIAL | SPACE,
        Class::As => ALPHA | SPECIAL | SPACE,
        Class::Ns => DIGIT | SPECIAL | SPACE,
        Class::Anp => ALPHA | DIGIT | SPACE,
        Class::Z => TRACK,
        Class::B => 0xFF,
    }
}

/// Whether ASCII byte `c` is allowed in `class`.
#[inline]
pub(crate) fn class_allows(class: Class, c: u8) -> bool {
    CLASS_BITS[usize::from(c)] & class_mask(class) != 0
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// SWAR range test: the high bit of each byte of the result is set when that byte of `x` lies
/// in `lo..=hi`. Exact for bytes below 0x80 (callers reject high bytes separately).
#[inline(always)]
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x.wrapping_add((0x80 - lo as u64) * ONES);
    let gt_hi = x.wrapping_add((0x80 - hi as u64 - 1) * ONES);
    ge_lo & !gt_hi & HIGHS
}

#[inline(always)]
fn ascii7(x: u64) -> bool {
    x & HIGHS == 0
}

#[inline(always)]
fn letters(x: u64) -> u64 {
    in_range(x | (0x20 * ONES), b'a', b'z')
}

/// How the decoder checks one field's data: the field's encoding and class folded into one
/// choice, made when the spec is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Raw binary: anything goes.
    Nothing,
    /// ASCII class `n`.
    Digits,
    /// ASCII class `ans`.
    Printable,
    /// ASCII class `an`.
    AlphaNum,
    /// ASCII class `a`.
    Alpha,
    /// ASCII class `z` (digits, `=`, `D`).
    Track,
    /// Any other ASCII class, by table; also the shapes checked only out of line (an `x+n`
    /// field with its own sign set, in ASCII or EBCDIC).
    AsciiTable,
    /// EBCDIC class `n` (bytes `F0`..=`F9`).
    EbcdicDigits,
    /// Other EBCDIC text, by table.
    Ebcdic,
    /// Hex text of binary data.
    Hex,
    /// Packed BCD.
    Bcd,
    /// Packed BCD whose pad nibble may be 0 or F besides the spec's (`bcd_pad_either`).
    BcdEitherPad,
}

impl Check {
    /// The check for data of `class` written in `encoding`.
    pub(crate) fn of(encoding: crate::spec::Encoding, class: Class) -> Check {
        use crate::spec::Encoding;
        match (encoding, class) {
            (Encoding::Binary, _) | (Encoding::Ascii, Class::B) => Check::Nothing,
            (Encoding::Ascii, Class::N) => Check::Digits,
            (Encoding::Ascii, Class::Ans) => Check::Printable,
            (Encoding::Ascii, Class::An) => Check::AlphaNum,
            (Encoding::Ascii, Class::A) => Check::Alpha,
            (Encoding::Ascii, Class::Z) => Check::Track,
            (Encoding::Ascii, _) => Check::AsciiTable,
            (Encoding::Ebcdic, Class::N) => Check::EbcdicDigits,
            (Encoding::Ebcdic, _) => Check::Ebcdic,
            (Encoding::Hex, _) => Check::Hex,
            (Encoding::Bcd, _) => Check::Bcd,
        }
    }
}

/// Runs the word test `ok` over the `n` bytes of `buf` at `start` (in bounds: the caller has
/// checked; `None` otherwise). A field of up to eight bytes is one word read from `buf` (or
/// copied out, at the very end of `buf`) with the lanes past the field replaced by `fill`, a
/// byte the class accepts. Longer fields go sixteen bytes at a time through the byte test
/// `byte_ok`, written so that the compiler turns each block into a handful of vector
/// instructions; the last block ends at the field's end (overlapping the one before, or
/// reaching back into the bytes before a field of fewer than sixteen, which are masked off).
/// A field of nine to fifteen bytes too near the start of `buf` for that (a value checked on
/// its own) is two overlapping words.
#[inline(always)]
fn span_ok(
    buf: &[u8],
    start: usize,
    n: usize,
    fill: u64,
    ok: impl Fn(u64) -> bool,
    byte_ok: impl Fn(u8) -> bool + Copy,
) -> Option<bool> {
    if n <= 8 {
        let w = match buf.get(start..).and_then(<[u8]>::first_chunk::<8>) {
            Some(w) => u64::from_le_bytes(*w),
            None => {
                // Too near the end of `buf` (a value checked on its own): copy it out.
                let mut w = fill.to_le_bytes();
                crate::codec::field::copy_into(&mut w, buf.get(start..start.checked_add(n)?)?);
                u64::from_le_bytes(w)
            }
        };
        let keep = *KEEP_LOW.get(n)?;
        return Some(ok((w & keep) | (fill & !keep)));
    }
    let end = start.checked_add(n)?;
    if n < 16 && end < 16 {
        // Too near the start of `buf` for a block ending at `end`: two words that overlap.
        let first = buf.get(start..)?.first_chunk::<8>()?;
        let last = buf.get(..end)?.last_chunk::<8>()?;
        return Some(ok(u64::from_le_bytes(*first)) & ok(u64::from_le_bytes(*last)));
    }
    if n < 16 {
        // The last n lanes of the block ending at `end`.
        let block = block(buf, end.checked_sub(16)?)?;
        let mask = LANE_MASKS.get(n..)?.first_chunk::<16>()?;
        return Some(!block_bad(block, Some(mask), byte_ok));
    }
    let last = block(buf, end.checked_sub(16)?)?;
    let mut bad = block_bad(last, None, byte_ok);
    let mut at = start;
    while at + 16 < end {
        bad |= block_bad(block(buf, at)?, None, byte_ok);
        at += 16;
    }
    Some(!bad)
}

/// `KEEP_LOW[n]` keeps the low `n` bytes of a little-endian word.
const KEEP_LOW: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut n = 1;
    while n <= 8 {
        t[n] = u64::MAX >> (8 * (8 - n));
        n += 1;
    }
    t
};

/// Sixteen zero bytes, then sixteen `0xFF`: `LANE_MASKS[n..n + 16]` selects the last `n`
/// lanes of a block.
const LANE_MASKS: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut i = 16;
    while i < 32 {
        t[i] = 0xFF;
        i += 1;
    }
    t
};

/// The sixteen bytes of `buf` at `at`.
#[inline(always)]
fn block(buf: &[u8], at: usize) -> Option<&[u8; 16]> {
    buf.get(at..)?.first_chunk::<16>()
}

/// Whether any byte of `block` (in the lanes `mask` selects, if given) fails `ok`. Branch-free
/// over the lanes, so it vectorizes.
#[inline(always)]
fn block_bad(block: &[u8; 16], mask: Option<&[u8; 16]>, ok: impl Fn(u8) -> bool) -> bool {
    let mut bad = 0u8;
    match mask {
        Some(mask) => {
            for (&c, &m) in block.iter().zip(mask) {
                bad |= if ok(c) { 0 } else { m };
            }
        }
        None => {
            for &c in block {
                bad |= if ok(c) { 0 } else { 0xFF };
            }
        }
    }
    bad != 0
}

/// Word tests of the ASCII classes the decoder checks eight bytes at a time: `span_*` says
/// whether the `n` bytes of `buf` at `start` (in bounds) belong to the class; `None` when the
/// field is too near the end of `buf` for a whole word (check it with
/// [`first_bad_ascii_slow`]).
#[inline(always)]
pub(crate) fn span_digits(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0x30 * ONES,
        |x| ascii7(x) && in_range(x, b'0', b'9') == HIGHS,
        |c| c.is_ascii_digit(),
    )
}

/// Class `ans` (see [`span_digits`]).
#[inline(always)]
pub(crate) fn span_printable(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0x41 * ONES,
        |x| ascii7(x) && in_range(x, 0x20, 0x7E) == HIGHS,
        |c| (0x20..=0x7E).contains(&c),
    )
}

/// Class `an` (see [`span_digits`]).
#[inline(always)]
pub(crate) fn span_alphanum(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0x41 * ONES,
        |x| ascii7(x) && (in_range(x, b'0', b'9') | letters(x)) == HIGHS,
        |c| c.is_ascii_alphanumeric(),
    )
}

/// Class `a` (see [`span_digits`]).
#[inline(always)]
pub(crate) fn span_alpha(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0x41 * ONES,
        |x| ascii7(x) && letters(x) == HIGHS,
        |c| c.is_ascii_alphabetic(),
    )
}

/// Class `z`: digits, `=` and `D` (see [`span_digits`]).
#[inline(always)]
pub(crate) fn span_track(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0x30 * ONES,
        |x| {
            ascii7(x)
                && (in_range(x, b'0', b'9') | in_range(x, b'=', b'=') | in_range(x, b'D', b'D'))
                    == HIGHS
        },
        |c| c.is_ascii_digit() || c == b'=' || c == b'D',
    )
}

/// EBCDIC class `n`: bytes `F0`..=`F9` (see [`span_digits`]; the word test flips the top bit
/// so the range falls where the ASCII range test is exact).
#[inline(always)]
pub(crate) fn span_ebcdic_digits(buf: &[u8], start: usize, n: usize) -> Option<bool> {
    span_ok(
        buf,
        start,
        n,
        0xF0 * ONES,
        |x| {
            let y = x ^ HIGHS;
            ascii7(y) && in_range(y, 0x70, 0x79) == HIGHS
        },
        |c| (0xF0..=0xF9).contains(&c),
    )
}

/// Whether every byte of `window[..n]` belongs to `class`. `window` may extend past the field
/// (into the rest of the message): short fields are then tested with one masked word.
#[inline(always)]
pub(crate) fn ascii_ok(class: Class, window: &[u8], n: usize) -> bool {
    let fast = match class {
        Class::B => return true,
        Class::N => span_digits(window, 0, n),
        Class::Ans => span_printable(window, 0, n),
        Class::An => span_alphanum(window, 0, n),
        Class::A => span_alpha(window, 0, n),
        Class::Z => span_track(window, 0, n),
        _ => None,
    };
    match (fast, window.get(..n)) {
        (Some(ok), _) => ok,
        (None, Some(data)) => first_bad_ascii_slow(class, data).is_none(),
        (None, None) => false,
    }
}

/// Index of the first byte of ASCII `data` outside `class`, if any.
///
/// For `x+n` the first byte must be `C` or `D` and the rest digits.
#[inline]
pub(crate) fn first_bad_ascii(class: Class, data: &[u8]) -> Option<usize> {
    if ascii_ok(class, data, data.len()) {
        return None;
    }
    first_bad_ascii_slow(class, data)
}

/// Finds the offending byte by table, one byte at a time.
#[inline(never)]
pub(crate) fn first_bad_ascii_slow(class: Class, data: &[u8]) -> Option<usize> {
    if class == Class::B {
        return None;
    }
    let (skip, rest) = match class {
        Class::XN => match data.split_first() {
            Some((b'C' | b'D', rest)) => (1, rest),
            Some(_) => return Some(0),
            None => return None,
        },
        _ => (0, data),
    };
    let mask = class_mask(class);
    rest.iter()
        .position(|&c| CLASS_BITS[usize::from(c)] & mask == 0)
        .map(|i| i + skip)
}

/// Index of the first byte of `data` (ASCII, or EBCDIC when `ebcdic`) that breaks an `x+n`
/// value whose sign is one of `signs` (given as the bytes they are in `data`): the sign, or
/// a digit after it.
pub(crate) fn first_bad_signed(
    signs: crate::spec::Signs,
    data: &[u8],
    ebcdic: bool,
) -> Option<usize> {
    let text = |c: u8| {
        if ebcdic {
            EBCDIC_TO_LATIN1[usize::from(c)]
        } else {
            c
        }
    };
    let (&sign, digits) = data.split_first()?;
    if !signs.contains(sign) {
        return Some(0);
    }
    digits
        .iter()
        .position(|&c| !text(c).is_ascii_digit())
        .map(|i| i + 1)
}

/// `EBCDIC_CLASS_BITS[byte]`: the class bits of the character EBCDIC `byte` stands for
/// (`CLASS_BITS` after the code page 037 translation, folded into one table).
static EBCDIC_CLASS_BITS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = CLASS_BITS[EBCDIC_TO_LATIN1[c] as usize];
        c += 1;
    }
    t
};

/// Index of the first EBCDIC byte of `data` whose character is outside `class`.
#[inline]
pub(crate) fn first_bad_ebcdic(class: Class, data: &[u8]) -> Option<usize> {
    if class == Class::B {
        return None;
    }
    let (skip, rest) = match class {
        Class::XN => match data.split_first() {
            Some((&s, rest)) if matches!(EBCDIC_TO_LATIN1[usize::from(s)], b'C' | b'D') => {
                (1, rest)
            }
            Some(_) => return Some(0),
            None => return None,
        },
        _ => (0, data),
    };
    let mask = class_mask(class);
    rest.iter()
        .position(|&c| EBCDIC_CLASS_BITS[usize::from(c)] & mask == 0)
        .map(|i| i + skip)
}

/// Value of an ASCII hex digit (either case).
#[inline]
pub(crate) const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The value of hex digit `c` (either case) by arithmetic rather than a table, so that a loop
/// of it vectorizes: the low four bits, plus 9 for a letter (bit 6 set). Any other byte gives
/// some value below 0x19; callers check the text first.
#[inline(always)]
const fn hex_digit_unchecked(c: u8) -> u8 {
    (c & 0x0F) + 9 * ((c >> 6) & 1)
}

/// Packs pairs of hex digits from `hex` into `out`, one byte a pair, until either runs out.
/// The text must be hex digits (either case; callers check it first): for any other byte the
/// output is unspecified, though never a panic. Thirty-two digits at a time in a loop the
/// compiler vectorizes.
#[inline]
pub(crate) fn pack_hex(hex: &[u8], out: &mut [u8]) {
    let pair = |hi: u8, lo: u8| (hex_digit_unchecked(hi) << 4) | (hex_digit_unchecked(lo) & 0x0F);
    let (blocks, _) = hex.as_chunks::<32>();
    let (out_blocks, _) = out.as_chunks_mut::<16>();
    let whole = blocks.len().min(out_blocks.len());
    for (o, h) in out_blocks.iter_mut().zip(blocks) {
        for (slot, p) in o.iter_mut().zip(h.as_chunks::<2>().0) {
            *slot = pair(p[0], p[1]);
        }
    }
    let done = whole * 16;
    let rest = out.get_mut(done..).unwrap_or_default();
    let hex_rest = hex.get(2 * done..).unwrap_or_default();
    for (slot, p) in rest.iter_mut().zip(hex_rest.as_chunks::<2>().0) {
        *slot = pair(p[0], p[1]);
    }
}

/// Uppercase hex digits.
pub(crate) const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ebcdic_tables_are_inverse_for_every_byte() {
        for b in 0..=255u8 {
            let l = EBCDIC_TO_LATIN1[usize::from(b)];
            assert_eq!(LATIN1_TO_EBCDIC[usize::from(l)], b);
        }
        assert_eq!(LATIN1_TO_EBCDIC[usize::from(b'0')], 0xF0);
        assert_eq!(LATIN1_TO_EBCDIC[usize::from(b'A')], 0xC1);
        assert_eq!(LATIN1_TO_EBCDIC[usize::from(b' ')], 0x40);
    }

    #[test]
    fn classes_accept_exactly_their_characters() {
        for c in 0..=255u8 {
            let ch = c as char;
            assert_eq!(class_allows(Class::N, c), ch.is_ascii_digit());
            assert_eq!(class_allows(Class::A, c), ch.is_ascii_alphabetic());
            assert_eq!(class_allows(Class::An, c), ch.is_ascii_alphanumeric());
            assert_eq!(class_allows(Class::Ans, c), (0x20..=0x7E).contains(&c));
            assert_eq!(
                class_allows(Class::Anp, c),
                ch.is_ascii_alphanumeric() || c == b' '
            );
            assert_eq!(
                class_allows(Class::Z, c),
                ch.is_ascii_digit() || c == b'=' || c == b'D'
            );
        }
    }

    #[test]
    fn swar_checks_agree_with_the_table_for_every_byte_at_every_position() {
        for len in [1usize, 7, 8, 9, 16, 17] {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut data = vec![b'5'; len];
                    data[pos] = b;
                    assert_eq!(
                        ascii_ok(Class::N, &data, len),
                        b.is_ascii_digit(),
                        "digit {b:02X} at {pos}/{len}"
                    );
                    let mut text = vec![b'a'; len];
                    text[pos] = b;
                    assert_eq!(
                        ascii_ok(Class::Ans, &text, len),
                        (0x20..=0x7E).contains(&b),
                        "ans {b:02X} at {pos}/{len}"
                    );
                    for class in [
                        Class::An,
                        Class::A,
                        Class::Anp,
                        Class::Z,
                        Class::N,
                        Class::Ans,
                    ] {
                        let mut v = vec![b'A'; len];
                        if matches!(class, Class::N | Class::Z) {
                            v = vec![b'7'; len];
                        }
                        v[pos] = b;
                        let want = v.iter().all(|&c| class_allows(class, c));
                        assert_eq!(
                            ascii_ok(class, &v, len),
                            want,
                            "{class} {b:02X} at {pos}/{len}"
                        );
                        // Bytes after the field (in the window) never matter.
                        let mut w = v.clone();
                        w.extend_from_slice(&[0xFF, 0x00, b'!', 0x80, 1, 2, 3, 4]);
                        assert_eq!(
                            ascii_ok(class, &w, len),
                            want,
                            "{class} window {b:02X} at {pos}/{len}"
                        );
                    }
                    let want = if b.is_ascii_digit() { None } else { Some(pos) };
                    assert_eq!(first_bad_ascii(Class::N, &data), want);
                }
            }
        }
    }

    #[test]
    fn block_checks_ignore_the_bytes_around_the_field_at_any_offset() {
        // Fields read sixteen bytes at a time reach back before their start (short ones) or
        // overlap themselves (long ones): bytes outside the field must never count, and every
        // bad byte inside it must.
        type SpanTest = fn(&[u8], usize, usize) -> Option<bool>;
        let tests: [(Class, SpanTest, u8); 5] = [
            (Class::N, span_digits, b'7'),
            (Class::Ans, span_printable, b'a'),
            (Class::An, span_alphanum, b'A'),
            (Class::A, span_alpha, b'A'),
            (Class::Z, span_track, b'7'),
        ];
        let around = [0xFF, 0x00, b'!', 0x80, b'=', b' ', 0x7F, b'z'];
        for (class, span, good) in tests {
            for len in [8usize, 9, 12, 15, 16, 17, 31, 32, 33, 37, 40] {
                for offset in [0usize, 1, 7, 16, 21] {
                    let mut buf: Vec<u8> = around.iter().cycle().take(offset).copied().collect();
                    buf.extend(std::iter::repeat_n(good, len));
                    buf.extend_from_slice(&around);
                    assert_eq!(
                        span(&buf, offset, len),
                        Some(true),
                        "{class} {offset}+{len}"
                    );
                    for pos in 0..len {
                        for bad in [0x00u8, b'!', b'~', 0x80, 0xFF, b'D', b'='] {
                            let mut b = buf.clone();
                            b[offset + pos] = bad;
                            let want = class_allows(class, bad);
                            assert_eq!(
                                span(&b, offset, len),
                                Some(want),
                                "{class} {bad:02X} at {pos} of {offset}+{len}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ebcdic_digit_spans_accept_exactly_f0_to_f9() {
        let around = [0xF5, 0x00, 0xFF, 0x40, 0xC1, 0x7F, 0x80, 0xFA];
        for len in [1usize, 5, 8, 9, 15, 16, 17, 33] {
            for offset in [0usize, 3, 20] {
                let mut buf: Vec<u8> = around.iter().cycle().take(offset).copied().collect();
                buf.extend(std::iter::repeat_n(0xF7, len));
                buf.extend_from_slice(&around);
                assert_eq!(span_ebcdic_digits(&buf, offset, len), Some(true));
                for pos in 0..len {
                    for b in 0..=255u8 {
                        let mut v = buf.clone();
                        v[offset + pos] = b;
                        assert_eq!(
                            span_ebcdic_digits(&v, offset, len),
                            Some((0xF0..=0xF9).contains(&b)),
                            "{b:02X} at {pos} of {offset}+{len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn x_plus_n_needs_a_sign_then_digits() {
        assert_eq!(first_bad_ascii(Class::XN, b"C00000123"), None);
        assert_eq!(first_bad_ascii(Class::XN, b"D1"), None);
        assert_eq!(first_bad_ascii(Class::XN, b"000000123"), Some(0));
        assert_eq!(first_bad_ascii(Class::XN, b"C0000X123"), Some(5));
    }

    #[test]
    fn pack_hex_reads_both_cases_at_every_length() {
        let mut out = [0xEEu8; 5];
        pack_hex(b"9f26aB000", &mut out);
        // Four whole pairs; the odd last digit and the fifth slot are left alone.
        assert_eq!(out, [0x9F, 0x26, 0xAB, 0x00, 0xEE]);
        for hi in (b'0'..=b'9').chain(b'A'..=b'F').chain(b'a'..=b'f') {
            for lo in (b'0'..=b'9').chain(b'A'..=b'F').chain(b'a'..=b'f') {
                let mut one = [0u8];
                pack_hex(&[hi, lo], &mut one);
                let want = (hex_value(hi).unwrap() << 4) | hex_value(lo).unwrap();
                assert_eq!(one[0], want, "{}{}", hi as char, lo as char);
            }
        }
        // Lengths around the 32-digit blocks, with output shorter, equal and longer.
        let text: Vec<u8> = (0..200).map(|i| HEX_UPPER[(i * 7 + 3) % 16]).collect();
        for n in 0..text.len() {
            for room in [n / 2 - n / 4, n / 2, n / 2 + 3] {
                let mut out = vec![0xEEu8; room];
                pack_hex(&text[..n], &mut out);
                for (i, &b) in out.iter().enumerate() {
                    let want = if i < n / 2 {
                        (hex_value(text[2 * i]).unwrap() << 4) | hex_value(text[2 * i + 1]).unwrap()
                    } else {
                        0xEE
                    };
                    assert_eq!(b, want, "{n} digits, {room} bytes, at {i}");
                }
            }
        }
        // Other bytes give some value and no panic.
        let mut junk = [0u8; 40];
        pack_hex(&[0xFFu8; 80], &mut junk);
    }

    #[test]
    fn ebcdic_class_checks_translate_then_classify() {
        // Every byte in every class: accepted exactly when its code page 037 character is.
        let classes = [
            Class::N,
            Class::A,
            Class::An,
            Class::Ans,
            Class::As,
            Class::Ns,
            Class::Anp,
            Class::Z,
        ];
        let mut accepted = 0;
        for class in classes {
            for c in 0..=255u8 {
                let latin = EBCDIC_TO_LATIN1[usize::from(c)];
                let want = CLASS_BITS[usize::from(latin)] & class_mask(class) != 0;
                let got = first_bad_ebcdic(class, &[c, c]);
                assert_eq!(got, (!want).then_some(0), "{class:?} {c:02X}");
                accepted += usize::from(want);
            }
        }
        assert!(accepted > 300, "{accepted}");
        // x+n: the sign must be C or D, the rest digits.
        let e = |s: &str| {
            s.bytes()
                .map(|b| LATIN1_TO_EBCDIC[usize::from(b)])
                .collect::<Vec<_>>()
        };
        assert_eq!(first_bad_ebcdic(Class::XN, &e("C123")), None);
        assert_eq!(first_bad_ebcdic(Class::XN, &e("X123")), Some(0));
        assert_eq!(first_bad_ebcdic(Class::XN, &e("D12A")), Some(3));
        assert_eq!(first_bad_ebcdic(Class::B, &[0xFF, 0x00]), None);
    }
}
