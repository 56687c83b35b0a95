//! Length prefixes (LL, LLL, ... up to six digits) in ASCII, EBCDIC, BCD or big-endian binary.

#[allow(unused_imports)]
use crate::prelude::*;

use nom::bytes::complete::take;

use crate::spec::Encoding;

use super::charset::HEX_UPPER;

/// Why a prefix could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PrefixFault {
    /// Fewer bytes than the prefix width.
    Truncated,
    /// A byte that is not a digit of the prefix encoding.
    NotDecimal,
}

/// Reads a `width`-byte prefix holding a decimal length from the start of `input` (used where
/// the input may be shorter than the prefix, as in tagged private data).
pub(crate) fn decode(input: &[u8], width: usize, enc: Encoding) -> Result<usize, PrefixFault> {
    let (_, raw) =
        take::<_, _, nom::error::Error<&[u8]>>(width)(input).map_err(|_| PrefixFault::Truncated)?;
    decode_exact(raw, enc).ok_or(PrefixFault::NotDecimal)
}

/// The length held by `raw`, a whole prefix already cut to its width (the decoder's hot path:
/// no bounds to check again). `None` when a byte is not a digit of the encoding.
#[inline(always)]
pub(crate) fn decode_exact(raw: &[u8], enc: Encoding) -> Option<usize> {
    let mut len = 0usize;
    match enc {
        Encoding::Binary => {
            for &b in raw {
                len = (len << 8) | usize::from(b);
            }
        }
        Encoding::Bcd => {
            for &b in raw {
                let (hi, lo) = (b >> 4, b & 0x0F);
                if hi > 9 || lo > 9 {
                    return None;
                }
                len = len * 100 + usize::from(hi) * 10 + usize::from(lo);
            }
        }
        Encoding::Ebcdic => {
            for &b in raw {
                if !(0xF0..=0xF9).contains(&b) {
                    return None;
                }
                len = len * 10 + usize::from(b - 0xF0);
            }
        }
        Encoding::Ascii | Encoding::Hex => {
            for &b in raw {
                if !b.is_ascii_digit() {
                    return None;
                }
                // Saturating: tagged data allows nine digits, past a 16-bit usize.
                len = len.saturating_mul(10).saturating_add(usize::from(b - b'0'));
            }
        }
    }
    Some(len)
}

/// Writes `len` as a `width`-byte prefix into `out` (exactly `width` bytes).
///
/// The caller has checked that `len` fits (it is at most the field's max, which validation
/// keeps within the prefix's digits).
#[inline]
pub(crate) fn encode(len: usize, enc: Encoding, out: &mut [u8]) {
    let mut v = len;
    match enc {
        Encoding::Binary => {
            for slot in out.iter_mut().rev() {
                *slot = (v & 0xFF) as u8;
                v >>= 8;
            }
        }
        Encoding::Bcd => {
            for slot in out.iter_mut().rev() {
                let lo = (v % 10) as u8;
                let hi = ((v / 10) % 10) as u8;
                *slot = (hi << 4) | lo;
                v /= 100;
            }
        }
        Encoding::Ebcdic => {
            for slot in out.iter_mut().rev() {
                *slot = 0xF0 + (v % 10) as u8;
                v /= 10;
            }
        }
        Encoding::Ascii | Encoding::Hex => {
            for slot in out.iter_mut().rev() {
                *slot = HEX_UPPER[v % 10];
                v /= 10;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_round_trips_in_every_prefix_encoding() {
        for (enc, width, max) in [
            (Encoding::Ascii, 1, 9),
            (Encoding::Ascii, 2, 99),
            (Encoding::Ascii, 3, 999),
            (Encoding::Ebcdic, 3, 999),
            (Encoding::Bcd, 1, 99),
            (Encoding::Bcd, 2, 9999),
            (Encoding::Binary, 1, 255),
            (Encoding::Binary, 2, 9999),
        ] {
            let mut buf = [0u8; 3];
            for len in 0..=max {
                let out = &mut buf[..width];
                encode(len, enc, out);
                assert_eq!(decode(out, width, enc), Ok(len), "{enc:?} {len}");
            }
        }
    }

    #[test]
    fn prefixes_reject_non_digits_and_short_input() {
        assert_eq!(
            decode(b"1", 2, Encoding::Ascii),
            Err(PrefixFault::Truncated)
        );
        assert_eq!(
            decode(b"1A", 2, Encoding::Ascii),
            Err(PrefixFault::NotDecimal)
        );
        assert_eq!(
            decode(&[0x1A], 1, Encoding::Bcd),
            Err(PrefixFault::NotDecimal)
        );
        assert_eq!(
            decode(&[0xF1, 0xC1], 2, Encoding::Ebcdic),
            Err(PrefixFault::NotDecimal)
        );
        assert_eq!(decode(&[0x01, 0x02], 2, Encoding::Bcd), Ok(102));
        assert_eq!(decode(&[0x01, 0x02], 2, Encoding::Binary), Ok(258));
    }
}
