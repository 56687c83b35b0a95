//! The bytes a message's MAC covers, by the spec's `[mac]` section (see
//! [`MacSpec`] for the scopes).
//!
//! This side knows no keys and no algorithms: it finds the bytes to MAC and places a MAC
//! computed elsewhere (the `security` module with the `crypto` feature, or an HSM):
//!
//! - [`MessageView::mac_input`] gives the bytes to MAC of a received message (borrowed from it
//!   for the `from-mti` and `from-header` scopes), [`MessageView::mac_value`] the MAC it
//!   carries;
//! - [`MessageBuilder::prepare_mac`] puts a MAC field of zeros at its packed width in the
//!   message (so the bitmap and every offset are final) and returns the bytes to MAC;
//!   [`MessageBuilder::set_mac`] writes the MAC, cut to the field's width.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//! let spec = Spec::builtin("cup-pos")?;
//! let mut b = MessageBuilder::new(&spec);
//! b.header(&[0x60, 0, 1, 0, 0, 0x60, 0x31, 0, 0x31, 0, 0])?
//!     .mti("0200")?.set(3, "000000")?.set(11, "000001")?;
//! let data = b.prepare_mac()?;           // hand these bytes to the HSM
//! b.set_mac(b"0123ABCD")?;               // and put its MAC in DE 64
//! let wire = b.encode_to_vec()?;
//! let view = MessageView::decode(&spec, &wire)?;
//! assert_eq!(view.mac_input()?.as_ref(), data.as_slice());
//! assert_eq!(&wire[11..wire.len() - 8], data.as_slice()); // MTI up to DE 64, header left out
//! let mut buf = [0u8; 16];
//! assert_eq!(view.mac_value(&mut buf), Some(&b"0123ABCD"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::borrow::Cow;

use crate::error::{DecodeError, EncodeError};
use crate::spec::{MacScope, MacSpec, Spec};

use super::builder::{FieldValue, MessageBuilder};
use super::view::MessageView;

/// Why the bytes a MAC covers could not be found. Carries field numbers, never field data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MacScopeError {
    /// The spec has no `[mac]` section.
    #[error("the spec has no [mac] section")]
    NoMacSetting,
    /// The message does not carry the MAC field.
    #[error("field {field} (the MAC) is absent")]
    MacFieldAbsent {
        /// The MAC field.
        field: u16,
    },
    /// A field follows the MAC field, so the MAC could not cover it.
    #[error("field {after} follows the MAC field {field}; the MAC must be the last field")]
    FieldAfterMac {
        /// The MAC field.
        field: u16,
        /// The first field after it.
        after: u16,
    },
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The message just encoded did not decode (a spec the builder and decoder read apart).
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

fn setting(spec: &Spec) -> Result<&MacSpec, MacScopeError> {
    spec.mac().ok_or(MacScopeError::NoMacSetting)
}

impl<'a> MessageView<'a> {
    /// The bytes the message's MAC covers, by the spec's `[mac]` scope: a slice of the
    /// message for `from-mti` and `from-header`, the gathered field values for `fields`.
    pub fn mac_input(&self) -> Result<Cow<'a, [u8]>, MacScopeError> {
        let mac = setting(self.spec())?;
        let field = mac.field();
        match mac.scope() {
            MacScope::FromMti | MacScope::FromHeader => {
                let at = self
                    .field(field)
                    .ok_or(MacScopeError::MacFieldAbsent { field })?
                    .offset();
                if let Some(after) = self.fields().map(|f| f.number()).find(|&n| n > field) {
                    return Err(MacScopeError::FieldAfterMac { field, after });
                }
                let start = if *mac.scope() == MacScope::FromMti {
                    self.header().len()
                } else {
                    0
                };
                // The MAC field is fixed-length (checked at spec load): its data starts its
                // wire bytes.
                Ok(Cow::Borrowed(
                    self.as_bytes().get(start..at).unwrap_or_default(),
                ))
            }
            MacScope::Fields {
                mti,
                fields,
                separator,
                filter,
            } => {
                let mut parts: Vec<&[u8]> = Vec::with_capacity(fields.len() + 1);
                if *mti {
                    let start = self.header().len();
                    let len = self.spec().mti_encoding().wire_len();
                    parts.push(self.as_bytes().get(start..start + len).unwrap_or_default());
                }
                parts.extend(
                    fields
                        .iter()
                        .filter_map(|&n| self.field(n))
                        .map(|f| f.raw()),
                );
                Ok(Cow::Owned(gather(&parts, *separator, *filter)))
            }
        }
    }

    /// The MAC the message carries, as bytes (hex text decoded), written into `buf`; `None`
    /// when the spec has no `[mac]`, the field is absent or `buf` is too small.
    pub fn mac_value<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let mac = self.spec().mac()?;
        self.field(mac.field())?.bytes_into(buf)
    }
}

/// Joins `parts` with `separator` and applies the character filter when asked.
fn gather(parts: &[&[u8]], separator: Option<u8>, filter: bool) -> Vec<u8> {
    let total: usize = parts.iter().map(|p| p.len() + 1).sum();
    let mut out = Vec::with_capacity(total);
    for (i, p) in parts.iter().enumerate() {
        if i > 0
            && let Some(s) = separator
        {
            out.push(s);
        }
        out.extend_from_slice(p);
    }
    if filter { cup_filter(&out) } else { out }
}

/// UnionPay's switching-network character rule: keep `A-Z a-z 0-9 space , .`, upper-case
/// letters, one space for a run of spaces, none at either end.
fn cup_filter(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &c in data {
        let c = c.to_ascii_uppercase();
        let keep = c.is_ascii_alphanumeric() || matches!(c, b' ' | b',' | b'.');
        if !keep || (c == b' ' && matches!(out.last(), None | Some(b' '))) {
            continue;
        }
        out.push(c);
    }
    if out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

impl<'a> MessageBuilder<'a> {
    /// Puts the MAC field in the message, as zeros at its packed width, and returns the bytes
    /// the MAC covers: the MAC field's bitmap bit is set and every offset is final, so the
    /// bytes do not change when the MAC is written with [`MessageBuilder::set_mac`].
    pub fn prepare_mac(&mut self) -> Result<Vec<u8>, MacScopeError> {
        let mac = setting(self.spec())?;
        let (field, width) = (mac.field(), mac.width());
        if !matches!(mac.scope(), MacScope::Fields { .. })
            && let Some(after) = self.numbers().find(|&n| n > field)
        {
            return Err(MacScopeError::FieldAfterMac { field, after });
        }
        self.set(field, FieldValue::binary_owned(vec![0u8; width]))?;
        let wire = self.encode_to_vec()?;
        let view = MessageView::decode(self.spec(), &wire)?;
        Ok(view.mac_input()?.into_owned())
    }

    /// Writes `mac` into the MAC field, cut to the field's width (its leftmost bytes), with
    /// the field's bitmap bit. Call [`MessageBuilder::prepare_mac`] first to get the bytes
    /// to MAC.
    pub fn set_mac(&mut self, mac: &[u8]) -> Result<&mut Self, MacScopeError> {
        let setting = setting(self.spec())?;
        let field = setting.field();
        let value = mac.get(..setting.width()).unwrap_or(mac).to_vec();
        self.set(field, FieldValue::binary_owned(value))?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_keeps_letters_digits_space_comma_period() {
        assert_eq!(cup_filter(b"  ab,c.  d\t-e  "), b"AB,C. DE".to_vec());
        assert_eq!(cup_filter(b""), Vec::<u8>::new());
        assert_eq!(
            gather(&[&b"0200"[..], b"", b"x y"], Some(b' '), true),
            b"0200 X Y".to_vec()
        );
        assert_eq!(gather(&[&b"01"[..], b"23"], None, false), b"0123".to_vec());
    }
}
