//! Error types, one per layer, each carrying its position.
//!
//! None of these types ever holds message bytes or field values: an error may
//! be logged next to a PAN, so it names *where* and *what*, never the data.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use crate::spec::Class;

/// Which part of a message a decode error or an encode error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// The fixed-length header ahead of the MTI.
    Header,
    /// The message type indicator.
    Mti,
    /// The primary or secondary bitmap.
    Bitmap,
    /// A data element, by number (2..=192; 65 when it carries the tertiary bitmap).
    Field(u16),
    /// Past the end of the message: bytes left over after its last field (the error's offset
    /// is where they start). Names no field: the last field decoded whole.
    End,
    /// A subfield of a bitmapped composite field.
    Subfield {
        /// The field.
        field: u16,
        /// The subfield number.
        sub: u16,
    },
}

impl Location {
    /// The field number, when the location is a data element.
    pub fn field(self) -> Option<u16> {
        match self {
            Location::Field(n) | Location::Subfield { field: n, .. } => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Header => f.write_str("header"),
            Location::Mti => f.write_str("MTI"),
            Location::Bitmap => f.write_str("bitmap"),
            Location::End => f.write_str("end of message"),
            Location::Field(n) => write!(f, "field {n}"),
            Location::Subfield { field, sub } => write!(f, "field {field}.{sub}"),
        }
    }
}

/// What went wrong while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the item was complete.
    Truncated {
        /// Bytes the item needs from the error offset on.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length prefix holds something other than decimal digits.
    BadLengthPrefix,
    /// A length prefix announces more than the field's maximum.
    LengthOverMax {
        /// The announced length (in the field's unit).
        len: usize,
        /// The spec's maximum.
        max: usize,
    },
    /// A packed-BCD nibble is not a decimal digit (or not allowed for the class).
    BadBcdNibble,
    /// The pad nibble of an odd-length packed value is not the spec's pad.
    BadPadNibble,
    /// A character outside the field's ISO class.
    BadCharacter {
        /// The class the field requires.
        class: Class,
    },
    /// A hex-text bitmap or field holds a non-hex character.
    BadHexDigit,
    /// The MTI is not four decimal digits.
    BadMti,
    /// Bit 1 is set but the input ends before the secondary bitmap.
    MissingSecondaryBitmap,
    /// A bitmap bit is set for a field the spec does not define.
    FieldNotInSpec,
    /// The message (or a composite field's content) decoded completely but bytes are left
    /// over. At message level the location is [`Location::End`] and the offset is the first
    /// unexpected byte.
    TrailingBytes {
        /// How many bytes are left.
        count: usize,
    },
    /// A composite field's content is malformed.
    BadSubfield,
    /// EMV TLV data is malformed.
    BadTlv {
        /// The tag being read, once known.
        tag: Option<crate::codec::tlv::Tag>,
        /// What was wrong.
        kind: crate::codec::tlv::TlvErrorKind,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} bytes, {available} left")
            }
            DecodeErrorKind::BadLengthPrefix => f.write_str("length prefix is not decimal"),
            DecodeErrorKind::LengthOverMax { len, max } => {
                write!(f, "length {len} exceeds max {max}")
            }
            DecodeErrorKind::BadBcdNibble => f.write_str("bad BCD nibble"),
            DecodeErrorKind::BadPadNibble => f.write_str("pad nibble differs from the spec"),
            DecodeErrorKind::BadCharacter { class } => {
                write!(f, "character not allowed in class {class}")
            }
            DecodeErrorKind::BadHexDigit => f.write_str("bad hex digit"),
            DecodeErrorKind::BadMti => f.write_str("MTI is not four digits"),
            DecodeErrorKind::MissingSecondaryBitmap => {
                f.write_str("bit 1 set but the secondary bitmap is missing")
            }
            DecodeErrorKind::FieldNotInSpec => f.write_str("present in bitmap but not in spec"),
            DecodeErrorKind::TrailingBytes { count } => {
                let s = if *count == 1 { "" } else { "s" };
                write!(f, "{count} unexpected byte{s} left over")
            }
            DecodeErrorKind::BadSubfield => f.write_str("malformed subfield data"),
            DecodeErrorKind::BadTlv { tag: Some(t), kind } => write!(f, "tag {t}: {kind}"),
            DecodeErrorKind::BadTlv { tag: None, kind } => write!(f, "TLV: {kind}"),
        }
    }
}

/// A decode failure: where it happened, at which byte, and what was wrong.
///
/// ```
/// use iso8583_wire::{DecodeError, DecodeErrorKind, Location};
/// let e = DecodeError::new(Location::Field(35), 57, DecodeErrorKind::LengthOverMax { len: 41, max: 37 });
/// assert_eq!(e.to_string(), "field 35: length 41 exceeds max 37 (at byte 57)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind} (at byte {offset})")]
pub struct DecodeError {
    /// The part of the message at fault.
    pub location: Location,
    /// Byte offset from the start of the decoded buffer.
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// Builds an error.
    pub const fn new(location: Location, offset: usize, kind: DecodeErrorKind) -> Self {
        Self {
            location,
            offset,
            kind,
        }
    }

    /// The field number, or `None` when the header, MTI or bitmap is at fault, or bytes
    /// follow the end of the message ([`Location::End`]).
    pub fn field(&self) -> Option<u16> {
        self.location.field()
    }
}

/// What went wrong while encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The spec does not define this field.
    FieldNotInSpec,
    /// Field 1 (and 65 in specs where it flags the tertiary bitmap) is computed by the encoder.
    ComputedField,
    /// A variable field is longer than its maximum.
    TooLong {
        /// The value's length (in the field's unit).
        len: usize,
        /// The spec's maximum.
        max: usize,
    },
    /// A fixed field has the wrong length and the spec gives no padding.
    WrongLength {
        /// The value's length.
        len: usize,
        /// The fixed length.
        expected: usize,
    },
    /// A character outside the field's class.
    BadCharacter {
        /// The class the field requires.
        class: Class,
    },
    /// A binary field given as text is not an even number of hex digits.
    BadHex,
    /// No MTI was set, or it is not four digits.
    BadMti,
    /// The header is not the spec's header length.
    BadHeader {
        /// Header length given.
        len: usize,
        /// Header length the spec wants.
        expected: usize,
    },
    /// The output slice is too small.
    BufferTooSmall {
        /// Bytes the message needs.
        needed: usize,
        /// Bytes the slice has.
        available: usize,
    },
    /// A composite value does not fit its subfield layout.
    BadSubfield,
    /// A number was set ([`MessageBuilder::set_u64`](crate::MessageBuilder::set_u64),
    /// [`set_amount`](crate::MessageBuilder::set_amount)) into a field that does not hold one.
    NotNumeric {
        /// The field's class.
        class: Class,
    },
    /// A negative amount was set into a field without a sign (class `n`).
    NegativeAmount,
}

impl fmt::Display for EncodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeErrorKind::FieldNotInSpec => f.write_str("not defined in the spec"),
            EncodeErrorKind::ComputedField => {
                f.write_str("is a bitmap computed by the encoder; do not set it")
            }
            EncodeErrorKind::TooLong { len, max } => write!(f, "length {len} exceeds max {max}"),
            EncodeErrorKind::WrongLength { len, expected } => {
                write!(f, "length {len} but the field is fixed at {expected}")
            }
            EncodeErrorKind::BadCharacter { class } => {
                write!(f, "character not allowed in class {class}")
            }
            EncodeErrorKind::BadHex => f.write_str("binary value is not an even run of hex digits"),
            EncodeErrorKind::BadMti => f.write_str("MTI missing or not four digits"),
            EncodeErrorKind::BadHeader { len, expected } => {
                write!(f, "header of {len} bytes, spec wants {expected}")
            }
            EncodeErrorKind::BufferTooSmall { needed, available } => {
                write!(f, "output needs {needed} bytes, slice has {available}")
            }
            EncodeErrorKind::BadSubfield => f.write_str("value does not fit the subfield layout"),
            EncodeErrorKind::NotNumeric { class } => {
                write!(
                    f,
                    "a number needs class n or x+n, the field is class {class}"
                )
            }
            EncodeErrorKind::NegativeAmount => {
                f.write_str("negative amount, but the field has no sign (class n)")
            }
        }
    }
}

/// An encode failure, naming the field.
///
/// ```
/// use iso8583_wire::{EncodeError, EncodeErrorKind, Location};
/// let e = EncodeError::new(Location::Field(2), EncodeErrorKind::TooLong { len: 20, max: 19 });
/// assert_eq!(e.to_string(), "field 2: length 20 exceeds max 19");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct EncodeError {
    /// The part of the message at fault.
    pub location: Location,
    /// What was wrong.
    pub kind: EncodeErrorKind,
}

impl EncodeError {
    /// Builds an error.
    pub const fn new(location: Location, kind: EncodeErrorKind) -> Self {
        Self { location, kind }
    }

    pub(crate) const fn field(n: u16, kind: EncodeErrorKind) -> Self {
        Self::new(Location::Field(n), kind)
    }
}

/// A spec that cannot be loaded: the source, the field (if any), the setting and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {}{setting}: {message}", field.map(|n| format!("field {n}: ")).unwrap_or_default())]
pub struct SpecError {
    /// The file path or the name given to the spec text.
    pub source_name: String,
    /// The field concerned, if the problem is in one field.
    pub field: Option<u16>,
    /// The setting concerned (`length`, `encoding`, ...).
    pub setting: String,
    /// What is wrong with it.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(
        source_name: &str,
        field: Option<u16>,
        setting: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            source_name: source_name.to_owned(),
            field,
            setting: setting.to_owned(),
            message: message.into(),
        }
    }
}
