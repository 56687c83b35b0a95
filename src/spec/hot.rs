//! The decoder's compact copy of a spec: one 16-byte [`FieldHot`] per field number.
//!
//! [`FieldSpec`] carries names, masks, padding and subfield layouts that decoding never reads;
//! the decode loop walks this table instead, so one field costs one small load.
//!
//! An entry is 20 bytes: two `u32`s, nine one-byte settings and the three-byte sign set of an
//! `x+n` field, which sits in what would otherwise be alignment padding (a test holds it there).

use super::Signs;
use super::field::{BcdPad, Class, Encoding, FieldSpec, Length, Side};
use crate::codec::charset::Check;

/// What decoding one field needs to know, and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldHot {
    /// Fixed length, or the maximum of a variable field, in the spec's length units.
    pub(crate) len: u32,
    /// Wire bytes of a fixed field's data (0 for variable fields).
    pub(crate) fixed_bytes: u32,
    /// Bytes of the length prefix; 0 for a fixed field.
    pub(crate) prefix_len: u8,
    /// Whether the spec defines the field at all.
    pub(crate) defined: bool,
    /// Packed BCD whose length counts digits.
    pub(crate) packed_digits: bool,
    /// Encoding of the length prefix.
    pub(crate) prefix: Encoding,
    /// Encoding of the data.
    pub(crate) encoding: Encoding,
    /// Character class of the data.
    pub(crate) class: Class,
    /// Pad nibble of odd-length packed BCD.
    pub(crate) bcd_pad: BcdPad,
    /// How the data is checked (encoding and class together).
    pub(crate) check: Check,
    /// Sign bytes of an `x+n` field as they are on the wire (EBCDIC when the sign is);
    /// read only by the out-of-line check.
    pub(crate) signs: Signs,
}

impl FieldHot {
    /// The entry of a number the spec does not define.
    pub(crate) const UNDEFINED: FieldHot = FieldHot {
        len: 0,
        fixed_bytes: 0,
        prefix_len: 0,
        defined: false,
        packed_digits: false,
        prefix: Encoding::Ascii,
        encoding: Encoding::Ascii,
        class: Class::B,
        bcd_pad: BcdPad {
            side: Side::Left,
            nibble: 0,
        },
        check: Check::Nothing,
        signs: Signs::CD,
    };

    /// The entry for `fs`.
    pub(crate) fn of(fs: &FieldSpec) -> FieldHot {
        let len = match fs.length {
            Length::Fixed(n) => n,
            Length::Variable { max, .. } => max,
        };
        let fixed_bytes = match fs.length {
            Length::Fixed(n) if fs.packed_digits => n.div_ceil(2),
            Length::Fixed(n) if fs.is_signed_bcd() => {
                super::signed_bcd::wire_bytes(n as usize) as u32
            }
            Length::Fixed(n) => n,
            Length::Variable { .. } => 0,
        };
        FieldHot {
            len,
            fixed_bytes,
            // Prefixes are at most six digits wide (checked at load).
            prefix_len: u8::try_from(fs.prefix_len).unwrap_or(u8::MAX),
            defined: true,
            packed_digits: fs.packed_digits,
            prefix: fs.prefix,
            encoding: fs.encoding,
            class: fs.class,
            bcd_pad: fs.bcd_pad,
            check: if fs.class == Class::XN && (fs.is_signed_bcd() || !fs.signs.is_default()) {
                // Checked out of line (`ascii_slow`), so no other field pays for the set or
                // the sign byte before packed digits.
                Check::AsciiTable
            } else if fs.bcd_pad_either && fs.encoding == Encoding::Bcd {
                Check::BcdEitherPad
            } else {
                Check::of(fs.encoding, fs.class)
            },
            signs: if fs.sign_encoding == Encoding::Ebcdic {
                fs.signs.to_ebcdic()
            } else {
                fs.signs
            },
        }
    }

    /// Whether the field has a length prefix.
    #[inline(always)]
    pub(crate) fn is_variable(&self) -> bool {
        self.prefix_len != 0
    }
}

/// Builds the table for `fields` (indexed by field number, as in the spec).
pub(crate) fn table(fields: &[Option<FieldSpec>]) -> [FieldHot; super::SLOTS] {
    let mut hot = [FieldHot::UNDEFINED; super::SLOTS];
    for (slot, fs) in hot.iter_mut().zip(fields) {
        if let Some(fs) = fs {
            *slot = FieldHot::of(fs);
        }
    }
    hot
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Spec;

    #[test]
    fn an_entry_stays_twenty_bytes() {
        assert_eq!(core::mem::size_of::<FieldHot>(), 20);
    }

    #[test]
    fn table_mirrors_the_field_specs() {
        let spec = Spec::builtin("iso87-bcd").unwrap();
        let hot = &spec.0.hot;
        assert!(!hot[0].defined && !hot[1].defined);
        let pan = &hot[2];
        assert!(pan.defined && pan.is_variable());
        assert_eq!((pan.len, pan.prefix_len), (19, 1));
        assert_eq!(pan.encoding, Encoding::Bcd);
        let amount = &hot[4];
        assert!(!amount.is_variable());
        assert_eq!(amount.len, 12);
        for (n, entry) in hot.iter().enumerate() {
            let defined = spec.field(n as u16).is_some();
            assert_eq!(entry.defined, defined, "field {n}");
        }
    }
}
