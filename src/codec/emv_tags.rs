//! A static table of common EMV tags (EMV Book 3 annex A, plus scheme tags
//! common in DE 55): names for pretty printing and a sensitivity class for
//! masking.
//!
//! Masking is by allow-list: only the tags marked [`TagSensitivity::None`] in the table
//! are shown in clear (see [`all`] and the README's "What is masked"); unknown and
//! proprietary tags are [`TagSensitivity::Secret`]. A constructed template is masked as a
//! whole; its children are walked and each is masked by the same rule.
//!
//! Lookup is a binary search over a sorted static array; nothing allocates.
//!
//! ```
//! use iso8583_wire::codec::emv_tags::{tag_info, TagSensitivity};
//! use iso8583_wire::codec::tlv::Tag;
//!
//! let pan = tag_info(Tag::new(0x5A).unwrap()).unwrap();
//! assert_eq!(pan.name, "Application Primary Account Number (PAN)");
//! assert_eq!(pan.sensitivity, TagSensitivity::Pan);
//! assert!(pan.sensitivity.is_sensitive());
//! assert!(tag_info(Tag::new(0xDF8101).unwrap()).is_none());
//! ```
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::tlv::Tag;

/// How a tag's value must be treated in logs and displays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagSensitivity {
    /// May be shown as is.
    None,
    /// A primary account number: show at most the first six and last four digits.
    Pan,
    /// Track data or track discretionary data (holds the PAN and more): mask
    /// entirely, or keep only the PAN part masked as [`TagSensitivity::Pan`].
    Track,
    /// Cardholder name, cryptograms and similar: never show.
    Secret,
}

impl TagSensitivity {
    /// `true` for every class except [`None`](TagSensitivity::None).
    pub const fn is_sensitive(self) -> bool {
        !matches!(self, TagSensitivity::None)
    }
}

/// What the table knows about a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub tag: Tag,
    /// The EMV name.
    pub name: &'static str,
    /// How its value must be treated in logs.
    pub sensitivity: TagSensitivity,
}

const fn e(raw: u32, name: &'static str, sensitivity: TagSensitivity) -> TagInfo {
    TagInfo {
        tag: Tag::from_raw_unchecked(raw),
        name,
        sensitivity,
    }
}

use TagSensitivity::{None as Plain, Pan, Secret, Track};

/// The table, sorted by [`Tag::as_u32`] (so one-byte tags first).
///
/// The tags marked `Plain` ([`TagSensitivity::None`]) are the allow-list: the only ones shown in clear. They describe the
/// transaction, the terminal and the card application (amounts, currency and country codes,
/// dates, transaction type, TVR, TSI, AIP, CVM list and results, terminal capabilities and
/// type, unpredictable number, ATC, cryptogram information data, AIDs, version numbers, issuer
/// action codes, data object lists) and none of them is cardholder data beyond what PCI DSS
/// allows to show, or authentication data. Everything else is masked: the PAN, track data,
/// cardholder name, cryptograms and the responses that carry them (`80`, `9F26`, `91`, `9F4B`),
/// issuer application data (`9F10`, issuer-defined), PIN data (`99`), issuer scripts, keys,
/// templates, and every tag not in this table (proprietary `DFxx`, `9F7x`, ...).
static TAGS: &[TagInfo] = &[
    e(0x4F, "Application Identifier (AID) - card", Plain),
    e(0x50, "Application Label", Plain),
    e(0x56, "Track 1 Data", Track),
    e(0x57, "Track 2 Equivalent Data", Track),
    e(0x5A, "Application Primary Account Number (PAN)", Pan),
    e(0x61, "Application Template", Secret),
    e(0x6F, "File Control Information (FCI) Template", Secret),
    e(0x70, "READ RECORD Response Message Template", Secret),
    e(0x71, "Issuer Script Template 1", Secret),
    e(0x72, "Issuer Script Template 2", Secret),
    e(0x77, "Response Message Template Format 2", Secret),
    e(0x80, "Response Message Template Format 1", Secret),
    e(0x82, "Application Interchange Profile", Plain),
    e(0x84, "Dedicated File (DF) Name", Plain),
    e(0x86, "Issuer Script Command", Secret),
    e(0x87, "Application Priority Indicator", Plain),
    e(0x89, "Authorisation Code", Plain),
    e(0x8A, "Authorisation Response Code", Plain),
    e(
        0x8C,
        "Card Risk Management Data Object List 1 (CDOL1)",
        Plain,
    ),
    e(
        0x8D,
        "Card Risk Management Data Object List 2 (CDOL2)",
        Plain,
    ),
    e(0x8E, "Cardholder Verification Method (CVM) List", Plain),
    e(0x8F, "Certification Authority Public Key Index", Plain),
    e(0x90, "Issuer Public Key Certificate", Secret),
    e(0x91, "Issuer Authentication Data", Secret),
    e(0x95, "Terminal Verification Results", Plain),
    e(0x99, "Transaction PIN Data", Secret),
    e(0x9A, "Transaction Date", Plain),
    e(0x9B, "Transaction Status Information", Plain),
    e(0x9C, "Transaction Type", Plain),
    e(
        0xA5,
        "File Control Information (FCI) Proprietary Template",
        Secret,
    ),
    e(0x5F20, "Cardholder Name", Secret),
    e(0x5F24, "Application Expiration Date", Plain),
    e(0x5F25, "Application Effective Date", Plain),
    e(0x5F28, "Issuer Country Code", Plain),
    e(0x5F2A, "Transaction Currency Code", Plain),
    e(0x5F2D, "Language Preference", Plain),
    e(0x5F30, "Service Code", Plain),
    e(0x5F34, "Application PAN Sequence Number", Plain),
    e(0x5F36, "Transaction Currency Exponent", Plain),
    e(0x9F01, "Acquirer Identifier", Plain),
    e(0x9F02, "Amount, Authorised (Numeric)", Plain),
    e(0x9F03, "Amount, Other (Numeric)", Plain),
    e(0x9F06, "Application Identifier (AID) - terminal", Plain),
    e(0x9F07, "Application Usage Control", Plain),
    e(0x9F08, "Application Version Number - card", Plain),
    e(0x9F09, "Application Version Number - terminal", Plain),
    e(0x9F0D, "Issuer Action Code - Default", Plain),
    e(0x9F0E, "Issuer Action Code - Denial", Plain),
    e(0x9F0F, "Issuer Action Code - Online", Plain),
    e(0x9F10, "Issuer Application Data", Secret),
    e(0x9F11, "Issuer Code Table Index", Plain),
    e(0x9F12, "Application Preferred Name", Plain),
    e(0x9F15, "Merchant Category Code", Plain),
    e(0x9F16, "Merchant Identifier", Plain),
    e(0x9F1A, "Terminal Country Code", Plain),
    e(0x9F1C, "Terminal Identification", Plain),
    e(0x9F1E, "Interface Device (IFD) Serial Number", Plain),
    e(0x9F1F, "Track 1 Discretionary Data", Track),
    e(0x9F20, "Track 2 Discretionary Data", Track),
    e(0x9F21, "Transaction Time", Plain),
    e(0x9F26, "Application Cryptogram", Secret),
    e(0x9F27, "Cryptogram Information Data", Plain),
    e(0x9F33, "Terminal Capabilities", Plain),
    e(
        0x9F34,
        "Cardholder Verification Method (CVM) Results",
        Plain,
    ),
    e(0x9F35, "Terminal Type", Plain),
    e(0x9F36, "Application Transaction Counter (ATC)", Plain),
    e(0x9F37, "Unpredictable Number", Plain),
    e(0x9F39, "Point-of-Service (POS) Entry Mode", Plain),
    e(0x9F40, "Additional Terminal Capabilities", Plain),
    e(0x9F41, "Transaction Sequence Counter", Plain),
    e(0x9F42, "Application Currency Code", Plain),
    e(0x9F44, "Application Currency Exponent", Plain),
    e(0x9F4B, "Signed Dynamic Application Data", Secret),
    e(0x9F4C, "ICC Dynamic Number", Secret),
    e(0x9F4E, "Merchant Name and Location", Plain),
    e(0x9F53, "Transaction Category Code", Plain),
    e(0x9F5B, "Issuer Script Results", Plain),
    e(
        0x9F63,
        "Card Product Identification Information / PUNATC (Track 1)",
        Secret,
    ),
    e(0x9F66, "Terminal Transaction Qualifiers (TTQ)", Plain),
    e(0x9F6B, "Track 2 Data", Track),
    e(0x9F6C, "Card Transaction Qualifiers (CTQ)", Plain),
    e(0x9F6E, "Form Factor Indicator / Third Party Data", Plain),
    e(
        0x9F7C,
        "Customer Exclusive Data / Merchant Custom Data",
        Secret,
    ),
    e(0xBF0C, "FCI Issuer Discretionary Data", Secret),
];

/// The table entry for `tag`, if the tag is known.
///
/// ```
/// use iso8583_wire::codec::emv_tags::{tag_info, TagSensitivity};
///
/// let ac = tag_info("9F26".parse().unwrap()).unwrap();
/// assert_eq!((ac.name, ac.sensitivity), ("Application Cryptogram", TagSensitivity::Secret));
/// ```
pub fn tag_info(tag: Tag) -> Option<&'static TagInfo> {
    TAGS.binary_search_by_key(&tag.as_u32(), |i| i.tag.as_u32())
        .ok()
        .and_then(|i| TAGS.get(i))
}

/// The sensitivity of `tag`; [`TagSensitivity::Secret`] for tags the table does not know
/// (proprietary and unknown tags are masked: the table is an allow-list).
///
/// ```
/// use iso8583_wire::codec::emv_tags::{sensitivity, TagSensitivity};
/// assert_eq!(sensitivity("9F02".parse().unwrap()), TagSensitivity::None);
/// assert_eq!(sensitivity("DF01".parse().unwrap()), TagSensitivity::Secret);
/// ```
pub fn sensitivity(tag: Tag) -> TagSensitivity {
    tag_info(tag).map_or(TagSensitivity::Secret, |i| i.sensitivity)
}

/// Whether `tag`'s value may be shown in clear: it is on the allow-list.
pub fn shown_in_clear(tag: Tag) -> bool {
    sensitivity(tag) == TagSensitivity::None
}

/// Every known tag, sorted by [`Tag::as_u32`].
pub fn all() -> &'static [TagInfo] {
    TAGS
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn t(raw: u32) -> Tag {
        Tag::new(raw).unwrap()
    }

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for w in TAGS.windows(2) {
            assert!(
                w[0].tag.as_u32() < w[1].tag.as_u32(),
                "{} before {}",
                w[0].tag,
                w[1].tag
            );
        }
        for info in TAGS {
            assert_eq!(Tag::new(info.tag.as_u32()), Some(info.tag), "{}", info.tag);
            assert!(!info.name.is_empty());
            assert_eq!(tag_info(info.tag), Some(info));
        }
    }

    #[test]
    fn required_tags_are_present() {
        let required = [
            0x4F, 0x50, 0x56, 0x57, 0x5A, 0x82, 0x84, 0x8A, 0x8E, 0x95, 0x9A, 0x9B, 0x9C, 0x5F20,
            0x5F24, 0x5F25, 0x5F28, 0x5F2A, 0x5F2D, 0x5F30, 0x5F34, 0x9F02, 0x9F03, 0x9F06, 0x9F07,
            0x9F09, 0x9F0D, 0x9F0E, 0x9F0F, 0x9F10, 0x9F11, 0x9F12, 0x9F1A, 0x9F1E, 0x9F1F, 0x9F20,
            0x9F21, 0x9F26, 0x9F27, 0x9F33, 0x9F34, 0x9F35, 0x9F36, 0x9F37, 0x9F41, 0x9F53, 0x9F5B,
            0x9F63, 0x9F6B, 0x9F6E, 0x9F7C,
        ];
        for raw in required {
            assert!(tag_info(t(raw)).is_some(), "{raw:X} missing");
        }
    }

    #[test]
    fn sensitivity_classes() {
        assert_eq!(sensitivity(t(0x5A)), TagSensitivity::Pan);
        for raw in [0x56, 0x57, 0x9F1F, 0x9F20, 0x9F6B] {
            assert_eq!(sensitivity(t(raw)), TagSensitivity::Track, "{raw:X}");
        }
        assert_eq!(sensitivity(t(0x5F20)), TagSensitivity::Secret);
        assert_eq!(sensitivity(t(0x9F26)), TagSensitivity::Secret);
        assert_eq!(sensitivity(t(0x9F27)), TagSensitivity::None);
        assert_eq!(sensitivity(t(0xDF8101)), TagSensitivity::Secret);
        assert_eq!(sensitivity(t(0xDF01)), TagSensitivity::Secret);
        for raw in [0x80, 0x99, 0x9F10, 0x70, 0x77, 0x9F4B] {
            assert_eq!(sensitivity(t(raw)), TagSensitivity::Secret, "{raw:X}");
        }
        let clear: Vec<String> = TAGS
            .iter()
            .filter(|i| !i.sensitivity.is_sensitive())
            .map(|i| i.tag.to_string())
            .collect();
        assert_eq!(
            clear.join(" "),
            "4F 50 82 84 87 89 8A 8C 8D 8E 8F 95 9A 9B 9C 5F24 5F25 5F28 5F2A 5F2D 5F30 5F34 \
             5F36 9F01 9F02 9F03 9F06 9F07 9F08 9F09 9F0D 9F0E 9F0F 9F11 9F12 9F15 9F16 9F1A \
             9F1C 9F1E 9F21 9F27 9F33 9F34 9F35 9F36 9F37 9F39 9F40 9F41 9F42 9F44 9F4E 9F53 \
             9F5B 9F66 9F6C 9F6E"
        );
        // No constructed tag is on the allow-list: templates are masked as a whole.
        assert!(
            TAGS.iter()
                .all(|i| !i.tag.is_constructed() || i.sensitivity.is_sensitive())
        );
    }

    #[test]
    fn names_and_misses() {
        assert_eq!(tag_info(t(0x57)).unwrap().name, "Track 2 Equivalent Data");
        assert_eq!(
            tag_info(t(0x9F0E)).unwrap().name,
            "Issuer Action Code - Denial"
        );
        assert_eq!(tag_info(t(0xBF0C)).unwrap().tag, t(0xBF0C));
        assert!(tag_info(t(0x9F05)).is_none());
        assert!(tag_info(t(0x01)).is_none());
        assert!(tag_info(t(0xDF8101)).is_none());
        assert_eq!(all().len(), TAGS.len());
    }
}
