//! The `[mac]` section of a spec: which field carries the MAC, which algorithm computes it and
//! which bytes it covers.
//!
//! ```toml
//! [mac]
//! field = 64                  # 64 or 128 (a fixed-length binary field of the spec)
//! algorithm = "cup-ecb"       # iso9797-1-alg1 | iso9797-1-alg3 | cup-ecb | aes-cmac
//! padding = 1                 # ISO/IEC 9797-1 padding method for alg1/alg3 (1 or 2; default 1)
//! scope = "from-mti"          # from-mti | from-header | fields
//! ```
//!
//! The scopes:
//!
//! - `from-mti` (the default): the message's bytes from the first byte of the MTI up to, not
//!   including, the first byte of the MAC field: MTI, bitmaps and every field before the MAC,
//!   each as on the wire (length prefixes included). The header is left out. This is the
//!   UnionPay POS terminal rule ("the part of the message from the message type to field 63
//!   forms the MAC element block", taken byte for byte whatever the fields' character
//!   formats) and the usual ISO 8583 one.
//! - `from-header`: the same, starting at the first byte of the header.
//! - `fields`: the listed fields only, in the order given, each contributing its value bytes as
//!   on the wire (length prefix excluded); absent fields are skipped. `mti = true` puts the MTI's
//!   wire bytes first. `separator` (one character) goes between contributions, and
//!   `filter = true` then applies the character rule of UnionPay's switching-network MAC:
//!   keep `A-Z a-z 0-9 space , .`, fold lower case to upper, turn runs of spaces into one and
//!   drop spaces at either end.
//!
//! The MAC field must be a fixed-length binary field (class `b`), the last field of the message
//! in the scopes that run up to it; a MAC longer than the field (AES-CMAC's 16 bytes in an
//! 8-byte DE 64) is cut to its leftmost bytes, the usual truncation.

#[allow(unused_imports)]
use crate::prelude::*;

use serde::Deserialize;

use super::field::{Class, Encoding, FieldSpec, Length};
use super::load::Ctx;
use crate::error::SpecError;

/// ISO/IEC 9797-1 padding method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacPadding {
    /// Method 1: zero bytes up to a multiple of the block size (none when already one).
    Method1,
    /// Method 2: 0x80 then zero bytes up to a multiple of the block size (always added).
    Method2,
}

/// A MAC algorithm with its parameters, as a spec's `[mac]` section or the CLI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// ISO/IEC 9797-1 algorithm 1 (CBC-MAC; X9.9 with a single DES key).
    Iso9797Alg1(MacPadding),
    /// ISO/IEC 9797-1 algorithm 3 (X9.19 retail MAC).
    Iso9797Alg3(MacPadding),
    /// The UnionPay POS "ECB" MAC.
    CupEcb,
    /// AES-CMAC.
    AesCmac,
}

impl MacAlgorithm {
    /// The algorithm's name in spec files and on the command line (`iso9797-1-alg1`,
    /// `iso9797-1-alg3`, `cup-ecb`, `aes-cmac`).
    pub fn name(self) -> &'static str {
        match self {
            MacAlgorithm::Iso9797Alg1(_) => "iso9797-1-alg1",
            MacAlgorithm::Iso9797Alg3(_) => "iso9797-1-alg3",
            MacAlgorithm::CupEcb => "cup-ecb",
            MacAlgorithm::AesCmac => "aes-cmac",
        }
    }

    /// The algorithm from its name and, for the ISO ones, the padding method (1 or 2).
    ///
    /// ```
    /// use iso8583_wire::spec::{MacAlgorithm, MacPadding};
    /// assert_eq!(MacAlgorithm::from_name("iso9797-1-alg3", 2), Some(MacAlgorithm::Iso9797Alg3(MacPadding::Method2)));
    /// assert_eq!(MacAlgorithm::from_name("cup-ecb", 1), Some(MacAlgorithm::CupEcb));
    /// assert_eq!(MacAlgorithm::from_name("hmac", 1), None);
    /// ```
    pub fn from_name(name: &str, padding: u8) -> Option<Self> {
        let pad = match padding {
            1 => MacPadding::Method1,
            2 => MacPadding::Method2,
            _ => return None,
        };
        Some(match name {
            "iso9797-1-alg1" => MacAlgorithm::Iso9797Alg1(pad),
            "iso9797-1-alg3" => MacAlgorithm::Iso9797Alg3(pad),
            "cup-ecb" => MacAlgorithm::CupEcb,
            "aes-cmac" => MacAlgorithm::AesCmac,
            _ => return None,
        })
    }

    /// How many bytes the algorithm gives: 8, or 16 for AES-CMAC.
    pub fn mac_len(self) -> usize {
        match self {
            MacAlgorithm::AesCmac => 16,
            _ => 8,
        }
    }
}

/// Which bytes of a message the MAC covers (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MacScope {
    /// From the first byte of the MTI up to the MAC field.
    FromMti,
    /// From the first byte of the header up to the MAC field.
    FromHeader,
    /// The listed fields' values, in order.
    Fields {
        /// Whether the MTI's wire bytes come first.
        mti: bool,
        /// The fields, in the order they are MACed.
        fields: Vec<u16>,
        /// A byte put between contributions.
        separator: Option<u8>,
        /// Whether UnionPay's switching-network character rule applies.
        filter: bool,
    },
}

/// A spec's `[mac]` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacSpec {
    pub(crate) field: u16,
    pub(crate) algorithm: MacAlgorithm,
    pub(crate) scope: MacScope,
    pub(crate) width: usize,
}

impl MacSpec {
    /// The field that carries the MAC (64 or 128).
    pub fn field(&self) -> u16 {
        self.field
    }

    /// The algorithm.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }

    /// Which bytes the MAC covers.
    pub fn scope(&self) -> &MacScope {
        &self.scope
    }

    /// The MAC's size in the field, in bytes (the algorithm's output is cut to this).
    pub fn width(&self) -> usize {
        self.width
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMac {
    field: u16,
    algorithm: String,
    #[serde(default)]
    padding: Option<u8>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    fields: Option<Vec<u16>>,
    #[serde(default)]
    mti: Option<bool>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    filter: Option<bool>,
}

/// Checks a `[mac]` section against the spec's fields.
pub(super) fn validate(
    ctx: &Ctx<'_>,
    raw: &RawMac,
    fields: &[Option<FieldSpec>],
) -> Result<MacSpec, SpecError> {
    let err = |setting: &str, msg: String| ctx.err(None, setting, msg);
    if !matches!(raw.field, 64 | 128) {
        return Err(err("mac.field", format!("{} is not 64 or 128", raw.field)));
    }
    let fs = fields
        .get(usize::from(raw.field))
        .and_then(Option::as_ref)
        .ok_or_else(|| {
            err(
                "mac.field",
                format!("field {} is not in the spec", raw.field),
            )
        })?;
    let width = mac_width(fs).ok_or_else(|| {
        err(
            "mac.field",
            format!(
                "field {} must be a fixed-length binary field (class b)",
                raw.field
            ),
        )
    })?;
    let padding = raw.padding.unwrap_or(1);
    let algorithm = MacAlgorithm::from_name(&raw.algorithm, padding).ok_or_else(|| {
        if matches!(padding, 1 | 2) {
            err(
                "mac.algorithm",
                format!(
                    "{:?} is not iso9797-1-alg1, iso9797-1-alg3, cup-ecb or aes-cmac",
                    raw.algorithm
                ),
            )
        } else {
            err("mac.padding", format!("{padding} is not 1 or 2"))
        }
    })?;
    if width == 0 || width > algorithm.mac_len() {
        return Err(err(
            "mac.field",
            format!(
                "field {} holds {width} bytes; {} gives {}",
                raw.field,
                algorithm.name(),
                algorithm.mac_len()
            ),
        ));
    }
    let list_settings = raw.fields.is_some()
        || raw.mti.is_some()
        || raw.separator.is_some()
        || raw.filter.is_some();
    let scope = match raw.scope.as_deref().unwrap_or("from-mti") {
        "from-mti" | "from-header" if list_settings => {
            return Err(err(
                "mac.scope",
                "fields, mti, separator and filter go with scope = \"fields\"".into(),
            ));
        }
        "from-mti" => MacScope::FromMti,
        "from-header" => MacScope::FromHeader,
        "fields" => {
            let list = raw.fields.clone().unwrap_or_default();
            if list.is_empty() && raw.mti != Some(true) {
                return Err(err("mac.fields", "scope \"fields\" needs fields".into()));
            }
            for &n in &list {
                if n == raw.field || fields.get(usize::from(n)).is_none_or(Option::is_none) {
                    return Err(err(
                        "mac.fields",
                        format!("{n} is not a field of the spec other than the MAC"),
                    ));
                }
            }
            let separator = match raw.separator.as_deref() {
                None => None,
                Some(s) if s.len() == 1 => s.as_bytes().first().copied(),
                Some(s) => {
                    return Err(err(
                        "mac.separator",
                        format!("{s:?} is not one ASCII character"),
                    ));
                }
            };
            MacScope::Fields {
                mti: raw.mti.unwrap_or(false),
                fields: list,
                separator,
                filter: raw.filter.unwrap_or(false),
            }
        }
        other => {
            return Err(err(
                "mac.scope",
                format!("{other:?} is not from-mti, from-header or fields"),
            ));
        }
    };
    Ok(MacSpec {
        field: raw.field,
        algorithm,
        scope,
        width,
    })
}

/// Bytes of MAC a fixed binary field holds, or `None` if the field cannot carry one.
fn mac_width(fs: &FieldSpec) -> Option<usize> {
    let Length::Fixed(n) = fs.length() else {
        return None;
    };
    if fs.class() != Class::B {
        return None;
    }
    let n = n as usize;
    match fs.encoding() {
        Encoding::Binary => Some(n),
        Encoding::Hex if n.is_multiple_of(2) => Some(n / 2),
        _ => None,
    }
}
