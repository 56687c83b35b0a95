//! Bitmaps: which data elements are present.
//!
//! Bit 1 of the primary bitmap announces the secondary bitmap (fields 65..=128); in specs with a
//! tertiary bitmap, bit 65 announces it (fields 129..=192) and its bytes sit where field 65
//! would. Each 64-bit map is written as 8 raw bytes, 16 ASCII hex digits or 16 EBCDIC hex digits.

#[allow(unused_imports)]
use crate::prelude::*;

use bitvec::prelude::*;

use crate::spec::BitmapEncoding;

use super::charset::{EBCDIC_TO_LATIN1, HEX_UPPER, LATIN1_TO_EBCDIC, hex_value};

/// Presence bits for fields 1..=192, most significant bit first as on the wire.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Bitmap {
    bits: BitArr!(for 192, in u8, Msb0),
}

impl core::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Bitmap {
    /// An empty bitmap.
    pub const fn new() -> Self {
        Self {
            bits: BitArray::ZERO,
        }
    }

    /// The bitmap whose three maps are `words` (most significant bit first: bit 1 of map 0 is
    /// the top bit of `words[0]`).
    #[inline]
    pub(crate) fn from_words(words: [u64; 3]) -> Self {
        let mut bm = Self::new();
        for (dst, w) in bm.bits.as_raw_mut_slice().chunks_exact_mut(8).zip(words) {
            dst.copy_from_slice(&w.to_be_bytes());
        }
        bm
    }

    /// Whether bit `n` (1..=192) is set.
    #[inline]
    pub fn is_set(&self, n: u16) -> bool {
        n >= 1 && self.bits.get(usize::from(n) - 1).is_some_and(|b| *b)
    }

    /// Sets bit `n` (1..=192); out-of-range numbers are ignored.
    #[inline]
    pub fn set(&mut self, n: u16) {
        if let Some(mut bit) = usize::from(n)
            .checked_sub(1)
            .and_then(|i| self.bits.get_mut(i))
        {
            *bit = true;
        }
    }

    /// Clears bit `n`.
    #[inline]
    pub fn clear(&mut self, n: u16) {
        if let Some(mut bit) = usize::from(n)
            .checked_sub(1)
            .and_then(|i| self.bits.get_mut(i))
        {
            *bit = false;
        }
    }

    /// Set bit numbers in increasing order (bitmap bits 1 and 65 included).
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..3u16).flat_map(move |w| {
            let mut bits = u64::from_be_bytes(self.word(usize::from(w)));
            core::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let lz = bits.leading_zeros() as u16;
                bits &= !(1u64 << (63 - lz));
                Some(w * 64 + lz + 1)
            })
        })
    }

    /// Number of set bits.
    pub fn count(&self) -> usize {
        self.bits.count_ones()
    }

    /// The 8 raw bytes of map `index` (0 primary, 1 secondary, 2 tertiary).
    #[inline]
    pub fn word(&self, index: usize) -> [u8; 8] {
        let mut out = [0u8; 8];
        if let Some(src) = self.bits.as_raw_slice().get(index * 8..index * 8 + 8) {
            out.copy_from_slice(src);
        }
        out
    }

    /// Whether any bit of map `index` is set (bit indices within 1..=64 of that map).
    pub fn any_in(&self, index: usize) -> bool {
        self.word(index).iter().any(|&b| b != 0)
    }

    /// Reads map `index` from `input`; returns the bytes consumed or `Err(position)` of a bad hex digit.
    #[inline]
    pub(crate) fn read_word(
        &mut self,
        index: usize,
        input: &[u8],
        enc: BitmapEncoding,
    ) -> Result<(), usize> {
        let Some(dst) = self
            .bits
            .as_raw_mut_slice()
            .get_mut(index * 8..index * 8 + 8)
        else {
            return Err(0);
        };
        match enc {
            BitmapEncoding::Binary => {
                let src = input.get(..8).ok_or(input.len())?;
                dst.copy_from_slice(src);
            }
            BitmapEncoding::Hex | BitmapEncoding::EbcdicHex => {
                let src = input.get(..16).ok_or(input.len())?;
                for (i, (slot, pair)) in dst.iter_mut().zip(src.chunks_exact(2)).enumerate() {
                    let digit = |k: usize| {
                        let c = pair.get(k).copied().unwrap_or(0);
                        let c = match enc {
                            BitmapEncoding::EbcdicHex => EBCDIC_TO_LATIN1[usize::from(c)],
                            _ => c,
                        };
                        // Uppercase only: the encoder writes uppercase, so anything else
                        // would not re-encode to the same bytes.
                        hex_value(c)
                            .filter(|_| !c.is_ascii_lowercase())
                            .ok_or(2 * i + k)
                    };
                    *slot = (digit(0)? << 4) | digit(1)?;
                }
            }
        }
        Ok(())
    }

    /// Writes map `index` into `out` (exactly `enc.wire_len()` bytes).
    #[inline]
    pub(crate) fn write_word(&self, index: usize, enc: BitmapEncoding, out: &mut [u8]) {
        write_raw_word(self.word(index), enc, out);
    }
}

/// Writes one 64-bit map (`word`, most significant bit = lowest field) into `out`.
#[inline]
pub(crate) fn write_raw_word(word: [u8; 8], enc: BitmapEncoding, out: &mut [u8]) {
    {
        match enc {
            BitmapEncoding::Binary => {
                for (slot, b) in out.iter_mut().zip(word) {
                    *slot = b;
                }
            }
            BitmapEncoding::Hex | BitmapEncoding::EbcdicHex => {
                let ebcdic = enc == BitmapEncoding::EbcdicHex;
                for (pair, b) in out.chunks_exact_mut(2).zip(word) {
                    for (slot, nib) in pair.iter_mut().zip([b >> 4, b & 0xF]) {
                        let c = HEX_UPPER[usize::from(nib)];
                        *slot = if ebcdic {
                            LATIN1_TO_EBCDIC[usize::from(c)]
                        } else {
                            c
                        };
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_map_to_field_numbers_msb_first() {
        let mut bm = Bitmap::new();
        for n in [1, 2, 3, 64, 65, 128, 129, 192] {
            bm.set(n);
        }
        assert_eq!(bm.word(0), [0xE0, 0, 0, 0, 0, 0, 0, 0x01]);
        assert_eq!(bm.word(1), [0x80, 0, 0, 0, 0, 0, 0, 0x01]);
        assert_eq!(
            bm.iter().collect::<Vec<_>>(),
            [1, 2, 3, 64, 65, 128, 129, 192]
        );
        bm.set(0);
        bm.set(193);
        assert_eq!(bm.count(), 8);
    }

    #[test]
    fn every_byte_value_round_trips_in_each_encoding() {
        for enc in [
            BitmapEncoding::Binary,
            BitmapEncoding::Hex,
            BitmapEncoding::EbcdicHex,
        ] {
            for b in 0..=255u8 {
                let mut bm = Bitmap::new();
                let mut src = Bitmap::new();
                src.bits.as_raw_mut_slice()[3] = b;
                let mut wire = [0u8; 16];
                src.write_word(0, enc, &mut wire[..enc.wire_len()]);
                bm.read_word(0, &wire[..enc.wire_len()], enc).unwrap();
                assert_eq!(bm, src);
            }
        }
    }

    #[test]
    fn hex_bitmaps_report_the_bad_digit() {
        let mut bm = Bitmap::new();
        // Found by fuzzing: lowercase hex decoded but re-encoded in uppercase.
        assert_eq!(
            bm.read_word(0, b"F2380000088080c0", BitmapEncoding::Hex),
            Err(14)
        );
        assert_eq!(
            bm.read_word(0, b"F23800000G808000", BitmapEncoding::Hex),
            Err(9)
        );
        assert_eq!(bm.read_word(0, b"F238", BitmapEncoding::Hex), Err(4));
    }
}
