//! Packed BCD: two decimal digits per byte, with a pad nibble for odd digit counts.
//!
//! Track data (class `z`) also packs the field separator `=` as nibble `D`.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::spec::{BcdPad, Class, Side};

/// Why a packed value is rejected; the index is the byte within the packed data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BcdFault {
    /// A nibble that is not a digit (or `D` for track data).
    Nibble(usize),
    /// The pad nibble differs from the spec's.
    Pad(usize),
}

#[inline]
const fn nibble_ok(class: Class, n: u8) -> bool {
    n < 10 || (matches!(class, Class::Z) && n == 0xD)
}

/// Per byte: bit 0 set when both nibbles are digits, bit 1 when each is a digit or `D`.
const PAIR_OK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let (hi, lo) = ((b >> 4) as u8, (b & 0xF) as u8);
        let digits = nibble_ok(Class::N, hi) && nibble_ok(Class::N, lo);
        let track = nibble_ok(Class::Z, hi) && nibble_ok(Class::Z, lo);
        t[b] = digits as u8 | ((track as u8) << 1);
        b += 1;
    }
    t
};

/// Checks `data` packs `digits` digits of `class` with `pad` on odd counts.
///
/// One table lookup a byte over the bytes without a pad nibble, and the pad byte on its own;
/// only when that fails does the byte-by-byte walk run to name the culprit.
#[inline(never)]
pub(crate) fn validate(
    data: &[u8],
    digits: usize,
    class: Class,
    pad: BcdPad,
) -> Result<(), BcdFault> {
    let want = if class == Class::Z { 2 } else { 1 };
    let odd = digits % 2 == 1;
    let (body, pad_ok) = match (odd, pad.side) {
        (false, _) => (data, true),
        (true, Side::Left) => match data.split_first() {
            Some((&b, rest)) => (rest, b >> 4 == pad.nibble && nibble_ok(class, b & 0xF)),
            None => (data, true),
        },
        (true, Side::Right) => match data.split_last() {
            Some((&b, rest)) => (rest, b & 0xF == pad.nibble && nibble_ok(class, b >> 4)),
            None => (data, true),
        },
    };
    let all = body
        .iter()
        .fold(0xFF, |acc, &b| acc & PAIR_OK[usize::from(b)]);
    if pad_ok && all & want != 0 {
        return Ok(());
    }
    validate_slow(data, digits, class, pad)
}

/// [`validate`] byte by byte, naming the first bad byte.
#[cold]
#[inline(never)]
fn validate_slow(data: &[u8], digits: usize, class: Class, pad: BcdPad) -> Result<(), BcdFault> {
    let odd = digits % 2 == 1;
    let last = data.len().saturating_sub(1);
    for (i, &b) in data.iter().enumerate() {
        let (hi, lo) = (b >> 4, b & 0x0F);
        let hi_pad = odd && i == 0 && pad.side == Side::Left;
        let lo_pad = odd && i == last && pad.side == Side::Right;
        if hi_pad {
            if hi != pad.nibble {
                return Err(BcdFault::Pad(i));
            }
        } else if !nibble_ok(class, hi) {
            return Err(BcdFault::Nibble(i));
        }
        if lo_pad {
            if lo != pad.nibble {
                return Err(BcdFault::Pad(i));
            }
        } else if !nibble_ok(class, lo) {
            return Err(BcdFault::Nibble(i));
        }
    }
    Ok(())
}

/// Iterates the digits (ASCII, `D` for a track separator) of a validated packed value.
#[cfg(test)]
pub(crate) fn digits(data: &[u8], digits: usize, pad: BcdPad) -> impl Iterator<Item = u8> + '_ {
    let skip = usize::from(digits % 2 == 1 && pad.side == Side::Left);
    data.iter()
        .flat_map(|&b| [b >> 4, b & 0x0F])
        .skip(skip)
        .take(digits)
        .map(|n| super::charset::HEX_UPPER[usize::from(n & 0x0F)])
}

/// Nibble for an ASCII value character (`=` packs as `D` in track data).
#[inline]
pub(crate) fn nibble_of(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'=' | b'D' | b'd' => 0xD,
        _ => 0,
    }
}

/// Packs `count` ASCII digits from `chars` into `out` (`count.div_ceil(2)` bytes), padding odd counts.
pub(crate) fn pack(chars: impl Iterator<Item = u8>, count: usize, pad: BcdPad, out: &mut [u8]) {
    let odd = count % 2 == 1;
    let lead = odd && pad.side == Side::Left;
    let mut nibbles = lead
        .then_some(pad.nibble)
        .into_iter()
        .chain(chars.take(count).map(nibble_of))
        .chain((odd && !lead).then_some(pad.nibble));
    for slot in out.iter_mut() {
        let hi = nibbles.next().unwrap_or(0);
        let lo = nibbles.next().unwrap_or(0);
        *slot = (hi << 4) | (lo & 0x0F);
    }
}

/// Packs the ASCII digits of `value`, exactly as many as it has (no padding characters), into
/// `out` (`value.len().div_ceil(2)` bytes), with `pad`'s nibble on its side for odd counts.
/// The common case of [`pack`], two digits a byte without an iterator chain.
#[inline]
pub(crate) fn pack_exact(value: &[u8], pad: BcdPad, out: &mut [u8]) {
    let (first, body, last) = match (value.len() % 2 == 1, pad.side) {
        (false, _) => (None, value, None),
        (true, Side::Left) => match value.split_first() {
            Some((&c, rest)) => (Some((pad.nibble << 4) | nibble_of(c)), rest, None),
            None => (None, value, None),
        },
        (true, Side::Right) => match value.split_last() {
            Some((&c, rest)) => (None, rest, Some((nibble_of(c) << 4) | (pad.nibble & 0x0F))),
            None => (None, value, None),
        },
    };
    let mut slots = out.iter_mut();
    if let Some(b) = first
        && let Some(slot) = slots.next()
    {
        *slot = b;
    }
    // The digit pairs drive the zip, so a slot is not taken once they run out.
    for (pair, slot) in body.chunks_exact(2).zip(&mut slots) {
        if let [hi, lo] = pair {
            *slot = (nibble_of(*hi) << 4) | nibble_of(*lo);
        }
    }
    if let Some(b) = last
        && let Some(slot) = slots.next()
    {
        *slot = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEFT0: BcdPad = BcdPad {
        side: Side::Left,
        nibble: 0,
    };
    const RIGHTF: BcdPad = BcdPad {
        side: Side::Right,
        nibble: 0xF,
    };

    #[test]
    fn pack_exact_agrees_with_pack_for_every_length_and_pad() {
        let value = b"4761739001D10119=2912";
        for pad in [
            LEFT0,
            RIGHTF,
            BcdPad {
                side: Side::Left,
                nibble: 0xF,
            },
        ] {
            for n in 0..=value.len() {
                let v = &value[..n];
                let mut slow = [0xEEu8; 12];
                let mut fast = [0xEEu8; 12];
                let bytes = n.div_ceil(2);
                pack(v.iter().copied(), n, pad, &mut slow[..bytes]);
                pack_exact(v, pad, &mut fast[..bytes]);
                assert_eq!(fast, slow, "length {n}, pad {pad:?}");
            }
        }
    }

    #[test]
    fn every_byte_is_valid_bcd_exactly_when_both_nibbles_are_digits() {
        for b in 0..=255u8 {
            let ok = (b >> 4) < 10 && (b & 0xF) < 10;
            assert_eq!(
                validate(&[b], 2, Class::N, LEFT0).is_ok(),
                ok,
                "byte {b:02X}"
            );
            if ok {
                let s: Vec<u8> = digits(&[b], 2, LEFT0).collect();
                let mut back = [0u8];
                pack(s.iter().copied(), 2, LEFT0, &mut back);
                assert_eq!(back[0], b);
            }
        }
    }

    #[test]
    fn odd_digit_counts_pad_on_the_spec_side() {
        let mut out = [0u8; 2];
        pack(b"123".iter().copied(), 3, LEFT0, &mut out);
        assert_eq!(out, [0x01, 0x23]);
        pack(b"12=".iter().copied(), 3, RIGHTF, &mut out);
        assert_eq!(out, [0x12, 0xDF]);
        assert_eq!(digits(&[0x12, 0xDF], 3, RIGHTF).collect::<Vec<_>>(), b"12D");
        assert_eq!(
            validate(&[0x12, 0xD0], 3, Class::Z, RIGHTF),
            Err(BcdFault::Pad(1))
        );
        assert_eq!(
            validate(&[0x11, 0x23], 3, Class::N, LEFT0),
            Err(BcdFault::Pad(0))
        );
        assert_eq!(
            validate(&[0x0A, 0x23], 3, Class::N, LEFT0),
            Err(BcdFault::Nibble(0))
        );
        assert_eq!(validate(&[0x1D, 0x23], 4, Class::Z, LEFT0), Ok(()));
    }

    /// Every length up to 24 bytes, valid values and every single-byte corruption of them:
    /// the table pass agrees with the byte-by-byte walk.
    #[test]
    fn validate_agrees_with_the_byte_walk() {
        let pads = [
            LEFT0,
            RIGHTF,
            BcdPad {
                side: Side::Left,
                nibble: 0xF,
            },
            BcdPad {
                side: Side::Right,
                nibble: 0,
            },
        ];
        let mut checked = 0;
        let mut rejected = 0;
        for n in 0..=24usize {
            for digits in [2 * n, (2 * n).saturating_sub(1)] {
                for class in [Class::N, Class::Z] {
                    for pad in pads {
                        // A valid value: digit pairs cycling, the pad nibble where it goes.
                        let mut data: Vec<u8> =
                            (0..n).map(|i| 0x12 + (i % 7) as u8 * 0x11).collect();
                        if digits % 2 == 1 {
                            match pad.side {
                                Side::Left => data[0] = (pad.nibble << 4) | (data[0] & 0xF),
                                Side::Right => data[n - 1] = (data[n - 1] & 0xF0) | pad.nibble,
                            }
                        }
                        assert_eq!(validate(&data, digits, class, pad), Ok(()));
                        for i in 0..n {
                            for b in 0..=255u8 {
                                let mut case = data.clone();
                                case[i] = b;
                                let got = validate(&case, digits, class, pad);
                                assert_eq!(
                                    got,
                                    validate_slow(&case, digits, class, pad),
                                    "{case:02X?} digits {digits} {class:?} {pad:?}"
                                );
                                checked += 1;
                                rejected += usize::from(got.is_err());
                            }
                        }
                    }
                }
            }
        }
        assert!(
            checked > 100_000 && rejected > 50_000,
            "{checked} {rejected}"
        );
    }
}
