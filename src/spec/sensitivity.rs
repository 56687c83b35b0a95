//! Where a field's [`Mask`] comes from when the spec file does not say.
//!
//! Masking is decided once, when a spec is loaded, so that a spec written without any `mask`
//! setting still never shows card data in clear. In order:
//!
//! 1. The field's own `mask` setting (`"pan"`, `"track"`, `"full"`, or `"none"`: an explicit,
//!    visible opt-out).
//! 2. For a data element (top level), the ISO 8583 default for its number
//!    ([`DEFAULT_FIELD_MASKS`]): the elements that the 1987 and 1993 tables define as the
//!    primary account number, track data, PIN data, security/key data or ICC data.
//! 3. By class and layout: a `z` (track) field masks as track data, a field whose subfields
//!    are EMV BER-TLV (`subfields = "tlv"`) masks fully (its tags are then shown by the EMV
//!    allow-list, see [`crate::codec::emv_tags`]).
//! 4. For a subfield (positional part, bitmapped subfield): a part named as a primary account
//!    number masks as a PAN, a `z` part as track data; otherwise it inherits its parent's mask
//!    (a part of track data inherits [`Mask::Full`]: only the PAN part of a track keeps its
//!    first six and last four digits).
//! 5. A composite field with a masked subfield masks its flat form fully.
//! 6. Otherwise the field is shown as is.
//!
//! Fields 14 (expiration date), 40 (service code) and the MACs (64, 128) are not masked by
//! default: none of them is sensitive authentication data, and PCI DSS allows showing them.
//! Private fields (48, 60-63, 120-127) carry whatever a network puts there; a spec that
//! carries card data in them must say `mask = ...` (their subfields then inherit it).

#[allow(unused_imports)]
use crate::prelude::*;

use super::field::{Class, Mask};

/// The ISO 8583 data elements masked when their definition has no `mask` setting.
///
/// | DE | 1987 / 1993 meaning | Mask |
/// |----|---------------------|------|
/// | 2  | Primary account number | PAN |
/// | 34 | Primary account number, extended | PAN |
/// | 35 | Track 2 data | track |
/// | 36 | Track 3 data | track |
/// | 45 | Track 1 data | track |
/// | 52 | PIN data | full |
/// | 53 | Security related control information | full |
/// | 55 | ICC system related data (EMV) | full |
/// | 96 | Message security code (1987) / key management data (1993) | full |
pub const DEFAULT_FIELD_MASKS: &[(u16, Mask)] = &[
    (2, Mask::Pan),
    (34, Mask::Pan),
    (35, Mask::Track),
    (36, Mask::Track),
    (45, Mask::Track),
    (52, Mask::Full),
    (53, Mask::Full),
    (55, Mask::Full),
    (96, Mask::Full),
];

/// The mask a data element gets when its definition has no `mask` setting.
///
/// ```
/// use iso8583_wire::spec::{Class, Mask, default_field_mask};
/// assert_eq!(default_field_mask(2, Class::N, false), Mask::Pan);
/// assert_eq!(default_field_mask(52, Class::B, false), Mask::Full);
/// assert_eq!(default_field_mask(101, Class::Z, false), Mask::Track);
/// assert_eq!(default_field_mask(111, Class::B, true), Mask::Full); // EMV data anywhere
/// assert_eq!(default_field_mask(4, Class::N, false), Mask::None);
/// ```
pub fn default_field_mask(number: u16, class: Class, tlv: bool) -> Mask {
    if let Some(&(_, m)) = DEFAULT_FIELD_MASKS.iter().find(|(n, _)| *n == number) {
        return m;
    }
    by_class(class, tlv).unwrap_or(Mask::None)
}

/// The mask a subfield (positional part or bitmapped subfield) gets when its definition has
/// no `mask` setting, given its parent's resolved mask.
///
/// ```
/// use iso8583_wire::spec::{Class, Mask, default_subfield_mask};
/// assert_eq!(default_subfield_mask(Mask::Track, "Primary account number", Class::N), Mask::Pan);
/// assert_eq!(default_subfield_mask(Mask::Track, "Discretionary data", Class::N), Mask::Full);
/// assert_eq!(default_subfield_mask(Mask::None, "PAN", Class::N), Mask::Pan);
/// assert_eq!(default_subfield_mask(Mask::None, "Batch number", Class::N), Mask::None);
/// assert_eq!(default_subfield_mask(Mask::Full, "Batch number", Class::N), Mask::Full);
/// ```
pub fn default_subfield_mask(parent: Mask, name: &str, class: Class) -> Mask {
    if names_a_pan(name) {
        return Mask::Pan;
    }
    if let Some(m) = by_class(class, false) {
        return m;
    }
    match parent {
        Mask::Track => Mask::Full,
        other => other,
    }
}

/// Whether a layout has a positional part or bitmapped subfield that is masked (its parent's
/// flat form is then masked fully unless the parent says `mask = "none"`).
pub(super) fn has_masked_parts(layout: &super::Subfields) -> bool {
    match layout {
        super::Subfields::Positional(parts) => parts.iter().any(|p| p.mask() != Mask::None),
        super::Subfields::Bitmapped { fields, .. } => {
            fields.iter().flatten().any(|f| f.mask() != Mask::None)
        }
        _ => false,
    }
}

fn by_class(class: Class, tlv: bool) -> Option<Mask> {
    if class == Class::Z {
        Some(Mask::Track)
    } else if tlv {
        Some(Mask::Full)
    } else {
        None
    }
}

/// Whether a part's name says it holds a primary account number: the word `PAN`, or
/// "account number" / "card number" (any case).
fn names_a_pan(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "pan")
        || lower.contains("account number")
        || lower.contains("card number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pan_names() {
        for yes in [
            "PAN",
            "pan",
            "Primary Account Number",
            "PAN (masked)",
            "card number",
        ] {
            assert!(names_a_pan(yes), "{yes}");
        }
        for no in ["Company", "Panel", "Expiry", "Span", "Account type"] {
            assert!(!names_a_pan(no), "{no}");
        }
    }

    #[test]
    fn defaults_cover_the_iso_list() {
        let masked: Vec<u16> = (1..=192)
            .filter(|&n| default_field_mask(n, Class::Ans, false) != Mask::None)
            .collect();
        assert_eq!(masked, [2, 34, 35, 36, 45, 52, 53, 55, 96]);
    }
}
