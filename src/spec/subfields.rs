//! Composite fields: how a field's value divides into subfields.
//!
//! Four kinds, each described in the spec file under the field (see the README):
//!
//! - **positional**: parts in order over the field's value characters (digits of a packed
//!   field, hex digits of a binary one); fixed, variable (a decimal prefix in the value) or
//!   "rest of the value"; trailing parts may be optional. DE 43, DE 60, DE 61, DE 90.
//! - **bitmapped**: a subfield bitmap (binary or hex) and the present subfields, each defined
//!   like a field with its own encoding. DE 127, DE 48 private bitmaps.
//! - **tagged**: ASCII tag + decimal length + value, widths from the spec.
//! - **tlv**: EMV BER-TLV (DE 55).

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::tagged::TaggedFormat;

use super::BitmapEncoding;
use super::field::{Class, FieldSpec, Mask};

/// The layout of a composite field.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Subfields {
    /// Parts in order.
    Positional(Vec<Part>),
    /// A subfield bitmap followed by the present subfields.
    Bitmapped {
        /// Encoding of the 8-byte subfield bitmap.
        bitmap: BitmapEncoding,
        /// Subfield definitions, indexed by number (1..=64; 1 is never a data subfield).
        fields: Vec<Option<FieldSpec>>,
    },
    /// ASCII tag-length-value elements.
    Tagged(TaggedFormat),
    /// EMV BER-TLV.
    Tlv,
}

impl Subfields {
    /// The kind's name as written in spec files.
    pub fn kind(&self) -> &'static str {
        match self {
            Subfields::Positional(_) => "positional",
            Subfields::Bitmapped { .. } => "bitmapped",
            Subfields::Tagged(_) => "tagged",
            Subfields::Tlv => "tlv",
        }
    }
}

/// Length of one positional part, in value characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartLength {
    /// Exactly this many characters.
    Fixed(u32),
    /// A decimal prefix of `digits` characters, then at most `max` characters.
    Variable {
        /// Prefix digits.
        digits: u8,
        /// Maximum length.
        max: u32,
    },
    /// Whatever is left of the value.
    Rest,
}

/// One positional part.
#[derive(Clone, Debug)]
pub struct Part {
    pub(crate) number: u16,
    pub(crate) name: String,
    pub(crate) class: Class,
    pub(crate) length: PartLength,
    pub(crate) optional: bool,
    pub(crate) mask: Mask,
    /// Sign characters of an `x+n` part (`C`/`D` unless its `signs` setting says otherwise).
    pub(crate) signs: super::Signs,
}

impl Part {
    /// Position, from 1.
    pub fn number(&self) -> u16 {
        self.number
    }
    /// Human-readable name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Character class.
    pub fn class(&self) -> Class {
        self.class
    }
    /// The sign characters an `x+n` part accepts (`C` and `D` unless the spec's `signs`
    /// setting gives others).
    pub fn signs(&self) -> super::Signs {
        self.signs
    }
    /// Length rule.
    pub fn length(&self) -> PartLength {
        self.length
    }
    /// Whether the part (and every part after it) may be absent at the end of the value.
    pub fn is_optional(&self) -> bool {
        self.optional
    }
    /// Masking: the part's `mask` setting, else the default for a subfield of its parent
    /// (see [`default_subfield_mask`](super::default_subfield_mask)).
    pub fn mask(&self) -> Mask {
        self.mask
    }
}
