//! Dialect descriptions: how a network lays out its MTI, bitmaps and data elements.
//!
//! A [`Spec`] is data, loaded from TOML (see `specs/*.toml` and the README's
//! "Spec files" section) and validated once at load. The bundled specs are
//! embedded in the crate and found by name with [`Spec::builtin`].
//!
//! A `Spec` is a cheap handle (an `Arc`): clone it freely, hand it to threads.
//!
//! Settings for dialects that bend the standard: `bcd_pad_either = true` on a packed field
//! accepts a pad nibble of 0 or F on decode ([`FieldSpec::accepts_either_pad`]); `signs = "+-"`
//! on an `x+n` field or part gives its own sign characters instead of `C`/`D` ([`Signs`]).
//!
//! Two shapes for such dialects:
//!
//! - **A sign character before packed digits** (jPOS `IFB_AMOUNT`): class `x+n` with
//!   `encoding = "bcd"` is one sign byte (ASCII, or EBCDIC with `sign_encoding = "ebcdic"`),
//!   then the digits packed. The length is fixed and counts the sign and each digit:
//!   `length = 9` is 1 + 4 bytes, `length = 10` is 1 + 5 (the odd digit count padded with
//!   `bcd_pad`). It reads as `D00001234` ([`FieldSpec::is_signed_bcd`],
//!   [`FieldSpec::sign_encoding`]).
//! - **A header ahead of a subfield bitmap**: in a bitmapped layout, a part with `number = 0`
//!   and a fixed length comes before the bitmap, always present, read and set as subfield 0
//!   and masked like the other subfields ([`Subfields::bitmap_header`]).
//!
//! ```
//! use iso8583_wire::{MessageView, Spec};
//! let spec = Spec::from_toml_str(
//!     "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
//!      28 = { name = 'Fee', class = 'x+n', encoding = 'bcd', length = 9 }\n",
//!     "x.toml",
//! )?;
//! let mut msg = b"02000000001000000000".to_vec();
//! msg.extend([b'D', 0x00, 0x00, 0x12, 0x34]);
//! let view = MessageView::decode(&spec, &msg)?;
//! assert_eq!(view.field(28).unwrap().clear_string(), "D00001234");
//! assert_eq!(view.field(28).unwrap().to_amount(), Some(-1234));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

mod builtin;
mod debug;
pub(crate) mod emit;
mod field;
pub(crate) mod hot;
#[cfg(feature = "std")]
pub mod import;
mod load;
mod mac;
mod sensitivity;
pub(crate) mod signed_bcd;
mod signs;
mod subfields;
mod subfields_load;

use alloc::sync::Arc;

pub use builtin::BUILTIN_NAMES;
#[cfg(feature = "std")]
pub(crate) use builtin::source as builtin_source;
pub use field::{BcdPad, Class, Encoding, FieldSpec, Length, LengthUnit, Mask, Padding, Side};
pub use mac::{MacAlgorithm, MacPadding, MacScope, MacSpec};
pub use sensitivity::{DEFAULT_FIELD_MASKS, default_field_mask, default_subfield_mask};
pub use signs::Signs;
pub use subfields::{Part, PartLength, Subfields};

use crate::error::SpecError;

/// How the message type indicator is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MtiEncoding {
    /// Four ASCII digits.
    Ascii,
    /// Two bytes of packed BCD.
    Bcd,
    /// Four EBCDIC (code page 037) digits.
    Ebcdic,
}

impl MtiEncoding {
    /// Bytes the MTI takes on the wire.
    pub const fn wire_len(self) -> usize {
        match self {
            MtiEncoding::Bcd => 2,
            MtiEncoding::Ascii | MtiEncoding::Ebcdic => 4,
        }
    }
}

/// How each 64-bit bitmap is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitmapEncoding {
    /// Eight raw bytes.
    Binary,
    /// Sixteen ASCII hex digits.
    Hex,
    /// Sixteen EBCDIC hex digits.
    EbcdicHex,
}

impl BitmapEncoding {
    /// Bytes one 64-bit bitmap takes on the wire.
    pub const fn wire_len(self) -> usize {
        match self {
            BitmapEncoding::Binary => 8,
            BitmapEncoding::Hex | BitmapEncoding::EbcdicHex => 16,
        }
    }
}

/// The highest data element number a spec may define (fields 129..=192 need the tertiary bitmap).
pub const MAX_FIELD: u16 = 192;

/// Entries in per-field-number tables (0 and the bitmap positions included).
pub(crate) const SLOTS: usize = MAX_FIELD as usize + 1;

#[derive(Debug)]
pub(crate) struct SpecInner {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) mti: MtiEncoding,
    pub(crate) bitmap: BitmapEncoding,
    pub(crate) tertiary: bool,
    pub(crate) header_len: usize,
    /// The `[mac]` section, when the spec has one.
    pub(crate) mac: Option<MacSpec>,
    /// Indexed by field number; entry 0 and bitmap fields are `None`.
    pub(crate) fields: Vec<Option<FieldSpec>>,
    /// The decoder's compact copy of `fields`.
    pub(crate) hot: [hot::FieldHot; SLOTS],
}

/// A validated dialect description. Cheap to clone.
///
/// ```
/// use iso8583_wire::Spec;
/// let spec = Spec::builtin("iso87-ascii-bin").unwrap();
/// assert_eq!(spec.field(2).unwrap().name(), "Primary Account Number (PAN)");
/// assert!(spec.field(2).unwrap().is_sensitive());
/// ```
///
/// `Debug` is a short summary (name, settings, number of fields); see [`Spec::fields`] for the
/// definitions.
#[derive(Clone)]
pub struct Spec(pub(crate) Arc<SpecInner>);

impl Spec {
    /// A bundled spec by name (see [`BUILTIN_NAMES`]); parsed once, then shared.
    pub fn builtin(name: &str) -> Result<Spec, SpecError> {
        builtin::get(name)
    }

    /// Loads a spec from TOML text; `source_name` is used in error messages.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Spec, SpecError> {
        load::from_toml_str(text, source_name)
    }

    /// Loads a spec from a TOML file.
    #[cfg(feature = "std")]
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Spec, SpecError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError::new(&shown, None, "file", e.to_string()))?;
        load::from_toml_str(&text, &shown)
    }

    /// A bundled spec if `name_or_path` names one, else the TOML file at that path.
    #[cfg(feature = "std")]
    ///
    /// When `name_or_path` is neither, the error says so and lists the bundled names:
    ///
    /// ```
    /// let err = iso8583_wire::Spec::load("nope").unwrap_err().to_string();
    /// assert!(err.contains("not a bundled spec"), "{err}");
    /// assert!(err.contains("iso87-ascii-bin"), "{err}");
    /// ```
    pub fn load(name_or_path: &str) -> Result<Spec, SpecError> {
        if BUILTIN_NAMES.contains(&name_or_path) {
            return Spec::builtin(name_or_path);
        }
        let path = std::path::Path::new(name_or_path);
        if !path.exists() {
            return Err(SpecError::new(
                name_or_path,
                None,
                "file",
                format!(
                    "not a bundled spec ({}) and no such file",
                    BUILTIN_NAMES.join(", ")
                ),
            ));
        }
        Spec::from_path(path)
    }

    /// The spec's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// A one-line description.
    pub fn description(&self) -> &str {
        &self.0.description
    }

    /// MTI encoding.
    pub fn mti_encoding(&self) -> MtiEncoding {
        self.0.mti
    }

    /// Bitmap encoding.
    pub fn bitmap_encoding(&self) -> BitmapEncoding {
        self.0.bitmap
    }

    /// Whether bit 65 flags a tertiary bitmap (fields 129..=192) instead of a data field.
    pub fn has_tertiary_bitmap(&self) -> bool {
        self.0.tertiary
    }

    /// Length of the fixed header ahead of the MTI (0 when there is none).
    pub fn header_len(&self) -> usize {
        self.0.header_len
    }

    /// The `[mac]` section: which field carries the MAC, the algorithm and the bytes it
    /// covers (see [`MacSpec`]); `None` when the spec has none.
    pub fn mac(&self) -> Option<&MacSpec> {
        self.0.mac.as_ref()
    }

    /// The definition of data element `n`, if the spec has one.
    #[inline]
    pub fn field(&self, n: u16) -> Option<&FieldSpec> {
        self.0.fields.get(usize::from(n)).and_then(Option::as_ref)
    }

    /// All defined data elements in number order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldSpec> {
        self.0.fields.iter().flatten()
    }

    /// Whether `n` is a bitmap position rather than a data element (1, and 65 with a tertiary bitmap).
    #[inline]
    pub fn is_bitmap_field(&self, n: u16) -> bool {
        n == 1 || (n == 65 && self.0.tertiary)
    }
}
