//! One data element's definition: class × length × prefix × encoding × padding.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

/// ISO 8583 character classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Class {
    /// `n`: decimal digits.
    N,
    /// `a`: letters.
    A,
    /// `an`: letters and digits.
    An,
    /// `ans`: printable ASCII (letters, digits, space and specials).
    Ans,
    /// `as`: letters, space and specials.
    As,
    /// `ns`: digits, space and specials.
    Ns,
    /// `anp`: letters, digits and space.
    Anp,
    /// `b`: binary data.
    B,
    /// `z`: track 2/3 data (digits and the `=`/`D` separator).
    Z,
    /// `x+n`: a `C` (credit) or `D` (debit) sign followed by digits (a field's `signs`
    /// setting may give other sign characters, see [`Signs`](super::Signs)).
    XN,
}

impl Class {
    /// The class as written in specs (`n`, `ans`, `x+n`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Class::N => "n",
            Class::A => "a",
            Class::An => "an",
            Class::Ans => "ans",
            Class::As => "as",
            Class::Ns => "ns",
            Class::Anp => "anp",
            Class::B => "b",
            Class::Z => "z",
            Class::XN => "x+n",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "n" => Class::N,
            "a" => Class::A,
            "an" => Class::An,
            "ans" => Class::Ans,
            "as" => Class::As,
            "ns" => Class::Ns,
            "anp" => Class::Anp,
            "b" => Class::B,
            "z" => Class::Z,
            "x+n" | "xn" => Class::XN,
            _ => return None,
        })
    }

    /// Whether the ASCII byte `c` belongs to the class (for `x+n`, the digit part).
    #[inline]
    pub fn allows(self, c: u8) -> bool {
        crate::codec::charset::class_allows(self, c)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a field's data (or a length prefix) is written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// ASCII characters, one byte each.
    Ascii,
    /// EBCDIC code page 037, one byte each.
    Ebcdic,
    /// Packed BCD, two digits (nibbles) per byte.
    Bcd,
    /// Raw bytes (data) or a big-endian binary integer (length prefix).
    Binary,
    /// Raw bytes written as ASCII hex text, two characters per byte.
    Hex,
}

impl Encoding {
    pub(crate) fn parse(s: &str) -> Option<Encoding> {
        Some(match s {
            "ascii" => Encoding::Ascii,
            "ebcdic" => Encoding::Ebcdic,
            "bcd" => Encoding::Bcd,
            "binary" => Encoding::Binary,
            "hex" => Encoding::Hex,
            _ => return None,
        })
    }
}

/// Fixed or variable length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Length {
    /// Always this many units.
    Fixed(u32),
    /// A prefix of `digits` decimal digits (LL = 2, LLL = 3, ...) gives the length, at most `max`.
    Variable {
        /// Number of prefix digits, 1..=6.
        digits: u8,
        /// Maximum length in units.
        max: u32,
    },
}

impl Length {
    /// The maximum (or fixed) length in units.
    pub const fn max(self) -> u32 {
        match self {
            Length::Fixed(n) => n,
            Length::Variable { max, .. } => max,
        }
    }
}

/// What a length counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LengthUnit {
    /// Bytes on the wire (characters for text encodings).
    Bytes,
    /// Digits (nibbles) of a packed-BCD value.
    Digits,
}

/// Side of a value that padding goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Side {
    /// Before the value (right-justified value).
    Left,
    /// After the value (left-justified value).
    Right,
}

/// Pad nibble of an odd-length packed-BCD value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BcdPad {
    /// Where the pad nibble goes.
    pub side: Side,
    /// Its value, 0x0..=0xF.
    pub nibble: u8,
}

/// Padding applied by the encoder when a fixed field's value is short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Padding {
    /// Where the pad characters go.
    pub side: Side,
    /// The pad character (ASCII).
    pub byte: u8,
}

/// How a sensitive field is masked in Debug, Display and CLI output.
///
/// A spec field without a `mask` setting gets a library default (see
/// [`default_field_mask`](super::default_field_mask)); `mask = "none"` opts out explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mask {
    /// Not sensitive.
    None,
    /// Card number: first 6 and last 4 digits shown.
    Pan,
    /// Track data: the PAN part masked like a PAN, everything after the separator hidden.
    Track,
    /// Everything hidden (PIN block, CVV, cryptograms, keys).
    Full,
}

/// One data element's definition.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub(crate) number: u16,
    pub(crate) name: String,
    pub(crate) class: Class,
    pub(crate) length: Length,
    pub(crate) prefix: Encoding,
    pub(crate) unit: LengthUnit,
    pub(crate) encoding: Encoding,
    pub(crate) bcd_pad: BcdPad,
    pub(crate) padding: Option<Padding>,
    pub(crate) mask: Mask,
    /// Bytes the prefix takes (0 for fixed fields).
    pub(crate) prefix_len: usize,
    /// Packed BCD whose length counts digits (derived, for the decoder's hot path).
    pub(crate) packed_digits: bool,
    /// How the value divides into subfields, if it does.
    pub(crate) subfields: Option<Box<super::subfields::Subfields>>,
    /// Whether decoding accepts a pad nibble of 0 or F besides `bcd_pad`'s.
    pub(crate) bcd_pad_either: bool,
    /// Sign characters of an `x+n` field (`C`/`D` unless the spec's `signs` says otherwise).
    pub(crate) signs: super::Signs,
    /// Encoding of an `x+n` field's sign byte: the field's encoding, or for a packed `x+n`
    /// field the spec's `sign_encoding` (ASCII unless it says EBCDIC).
    pub(crate) sign_encoding: Encoding,
}

impl FieldSpec {
    /// Data element number.
    pub fn number(&self) -> u16 {
        self.number
    }
    /// Human-readable name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// ISO character class.
    pub fn class(&self) -> Class {
        self.class
    }
    /// Fixed or variable length.
    pub fn length(&self) -> Length {
        self.length
    }
    /// Encoding of the length prefix (meaningless for fixed fields).
    pub fn prefix_encoding(&self) -> Encoding {
        self.prefix
    }
    /// What lengths count.
    pub fn unit(&self) -> LengthUnit {
        self.unit
    }
    /// Encoding of the data.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    /// Pad nibble for odd-length packed values.
    pub fn bcd_pad(&self) -> BcdPad {
        self.bcd_pad
    }
    /// Whether decoding accepts either pad nibble, 0 or F, besides [`bcd_pad`](Self::bcd_pad)'s
    /// (the spec's `bcd_pad_either = true`); encoding always writes `bcd_pad`'s.
    pub fn accepts_either_pad(&self) -> bool {
        self.bcd_pad_either
    }
    /// The sign characters an `x+n` field accepts ahead of its digits: `C` and `D` unless the
    /// spec's `signs` setting gives others (meaningless for other classes).
    pub fn signs(&self) -> super::Signs {
        self.signs
    }
    /// Encoding of an `x+n` field's sign byte: the field's own encoding for ASCII and EBCDIC
    /// fields; for a sign before packed digits (class `x+n`, encoding `bcd`, as jPOS
    /// `IFB_AMOUNT`) the spec's `sign_encoding`, ASCII unless it says EBCDIC.
    pub fn sign_encoding(&self) -> Encoding {
        self.sign_encoding
    }
    /// Whether the field is a sign character followed by packed digits (class `x+n` with
    /// encoding `bcd`): its length counts the sign and each digit.
    pub fn is_signed_bcd(&self) -> bool {
        self.class == Class::XN && self.encoding == Encoding::Bcd
    }
    /// Encoder padding for short fixed values, if any.
    pub fn padding(&self) -> Option<Padding> {
        self.padding
    }
    /// How the field is masked: its `mask` setting, else the library default for its number,
    /// class and layout (see [`default_field_mask`](super::default_field_mask)), resolved when
    /// the spec was loaded.
    pub fn mask(&self) -> Mask {
        self.mask
    }
    /// Whether the field carries sensitive data.
    pub fn is_sensitive(&self) -> bool {
        self.mask != Mask::None
    }
    /// The subfield layout of a composite field.
    pub fn subfields(&self) -> Option<&super::subfields::Subfields> {
        self.subfields.as_deref()
    }

    /// Whether the value is shown as hex of raw bytes (class `b`).
    pub fn is_binary(&self) -> bool {
        self.class == Class::B
    }
}
