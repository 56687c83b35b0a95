//! The shape of a sign character followed by packed digits (jPOS `IFB_AMOUNT`).
//!
//! Class `x+n` with `encoding = "bcd"`: one sign byte, then the digits packed two to a byte.
//! The sign byte is an ASCII character, or an EBCDIC one with `sign_encoding = "ebcdic"`; it
//! is one of the field's sign set (`signs`, `C` and `D` unless the spec says otherwise). The
//! length is fixed and counts characters as jPOS does: the sign and each digit, so
//! `length = 9` is a sign and 8 digits in 1 + 4 = 5 bytes, and `length = 10` a sign and 9
//! digits in 1 + 5 bytes, the odd digit count padded with the field's `bcd_pad` nibble.
//! The value reads (and is set) as its characters, e.g. `D00001234`.
//!
//! ```toml
//! 28 = { name = "Fee", class = "x+n", encoding = "bcd", length = 9 }   # "D" 00 00 12 34
//! ```
//!
//! jPOS writes the field without a length prefix, so the shape is fixed length only; it
//! takes no `padding` (a value gives every digit), no `bcd_pad_either` and no subfields.

use super::field::{Length, LengthUnit};
use super::load::RawField;

/// Wire bytes of a value of `chars` characters (the sign and the digits).
#[inline]
pub(crate) const fn wire_bytes(chars: usize) -> usize {
    1 + chars.saturating_sub(1).div_ceil(2)
}

/// The load checks of the shape beyond those of every field: the setting that is wrong and why.
pub(super) fn check(
    rf: &RawField,
    length: Length,
    unit: LengthUnit,
) -> Result<(), (&'static str, &'static str)> {
    match length {
        Length::Fixed(n) if n >= 2 => {}
        Length::Fixed(_) => return Err(("length", "a sign and at least one digit")),
        Length::Variable { .. } => {
            return Err((
                "prefix",
                "a sign before packed digits has a fixed length (as jPOS IFB_AMOUNT)",
            ));
        }
    }
    if unit == LengthUnit::Bytes {
        return Err((
            "unit",
            "the length of a sign before packed digits counts the sign and each digit",
        ));
    }
    if rf.padding.as_deref().is_some_and(|p| p != "none") {
        return Err((
            "padding",
            "a sign before packed digits is given every digit",
        ));
    }
    if rf.bcd_pad_either {
        return Err((
            "bcd_pad_either",
            "not available for a sign before packed digits",
        ));
    }
    if rf.subfields.is_some() {
        return Err(("subfields", "a sign before packed digits has no subfields"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes_count_the_sign_byte_and_the_packed_digits() {
        // jPOS IFB_AMOUNT packs a length-N value into 1 + N / 2 bytes.
        for n in 2..40 {
            assert_eq!(wire_bytes(n), 1 + n / 2, "length {n}");
        }
        assert_eq!(wire_bytes(9), 5);
        assert_eq!(wire_bytes(10), 6);
    }
}
