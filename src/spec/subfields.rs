//! Composite fields: how a field's value divides into subfields.
//!
//! Four kinds, each described in the spec file under the field (see the README):
//!
//! - **positional**: parts in order over the field's value characters (digits of a packed
//!   field, hex digits of a binary one); fixed, variable (a decimal prefix in the value) or
//!   "rest of the value"; trailing parts may be optional. DE 43, DE 60, DE 61, DE 90.
//! - **bitmapped**: a subfield bitmap (binary or hex) and the present subfields, each defined
//!   like a field with its own encoding. DE 127, DE 48 private bitmaps. A part numbered 0
//!   with a fixed length is a header ahead of the bitmap: always present, read as
//!   subfield 0 (see [`Subfields::bitmap_header`]).
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
        /// Index 0, if defined, is a fixed-length header ahead of the bitmap.
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

    /// The fixed-length header ahead of a bitmapped layout's bitmap, if the spec gives one
    /// (its part `number = 0`): always present, read and set as subfield 0.
    ///
    /// ```
    /// use iso8583_wire::message::SubValue;
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::from_toml_str(
    ///     "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
    ///      [fields.48]\nname = 'Private'\nclass = 'ans'\nprefix = 'LLL'\nmax = 999\n\
    ///      subfields = 'bitmapped'\nparts = [\n\
    ///        { number = 0, name = 'Version', class = 'n', length = 2 },\n\
    ///        { number = 2, name = 'Terminal', class = 'ans', length = 8 },\n]\n",
    ///     "x.toml",
    /// )?;
    /// let layout = spec.field(48).unwrap().subfields().unwrap();
    /// assert_eq!(layout.bitmap_header().unwrap().name(), "Version");
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?.set_subfields(48, &[
    ///     ("0".into(), SubValue::from("01")),
    ///     ("2".into(), SubValue::from("TERM0001")),
    /// ])?;
    /// let wire = b.encode_to_vec()?;
    /// // LLL 026, the header, the hex subfield bitmap (bit 2), subfield 2.
    /// assert_eq!(&wire[20..], b"026014000000000000000TERM0001");
    /// let view = MessageView::decode(&spec, &wire)?;
    /// let subs: Vec<String> =
    ///     view.subfields(48).unwrap()?.map(|s| s.map(|s| s.clear_string())).collect::<Result<_, _>>()?;
    /// assert_eq!(subs, ["01", "TERM0001"]);
    /// assert_eq!(view.subfield("48.0")?.unwrap().clear_string(), "01");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bitmap_header(&self) -> Option<&FieldSpec> {
        match self {
            Subfields::Bitmapped { fields, .. } => fields.first().and_then(Option::as_ref),
            _ => None,
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
