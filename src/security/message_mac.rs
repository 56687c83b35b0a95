//! Signing and verifying whole messages by the spec's `[mac]` section.
//!
//! [`SignMessage`] adds `sign` / `sign_with` to [`MessageBuilder`]: the MAC field (DE 64 or
//! 128) is put in the message at its packed width first, so its bitmap bit and every offset
//! are final, then the bytes the spec's scope names are MACed and the MAC is written, cut to
//! the field's width. [`VerifyMessage`] adds `verify_mac` / `verify_mac_with` to
//! [`MessageView`] and [`Message`], comparing in constant time. The bytes themselves are
//! [`MessageView::mac_input`] and [`MessageBuilder::prepare_mac`], for callers whose MAC
//! lives in an HSM.
//!
//! ```
//! use iso8583_wire::security::{SignMessage, TdesKey, VerifyMessage};
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//!
//! let spec = Spec::builtin("cup-pos")?; // [mac]: cup-ecb over the MTI up to DE 64
//! let mak = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! let mut b = MessageBuilder::new(&spec);
//! b.header(&[0x60, 0, 1, 0, 0, 0x60, 0x31, 0, 0x31, 0, 0])?
//!     .mti("0200")?.set(3, "000000")?.set(4, "000000002500")?.set(11, "000042")?;
//! b.sign(&mak)?;
//! let wire = b.encode_to_vec()?;
//! MessageView::decode(&spec, &wire)?.verify_mac(&mak)?;
//!
//! let mut tampered = wire.clone();
//! tampered[29] ^= 0x01; // the last two digits of the amount: 2500 becomes 2501
//! assert!(MessageView::decode(&spec, &tampered)?.verify_mac(&mak).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use subtle::ConstantTimeEq;

use super::SecurityError;
use super::key::{AesKey, TdesKey};
use super::mac::{Mac, MacKey, SoftwareMac};
use crate::message::{MacScopeError, Message, MessageBuilder, MessageView};
use crate::spec::{MacSpec, Spec};

impl From<&TdesKey> for MacKey {
    fn from(k: &TdesKey) -> Self {
        MacKey::Tdes(k.clone())
    }
}

impl From<&AesKey> for MacKey {
    fn from(k: &AesKey) -> Self {
        MacKey::Aes(k.clone())
    }
}

impl From<&MacKey> for MacKey {
    fn from(k: &MacKey) -> Self {
        k.clone()
    }
}

fn setting(spec: &Spec) -> Result<&MacSpec, SecurityError> {
    spec.mac()
        .ok_or(SecurityError::Scope(MacScopeError::NoMacSetting))
}

/// A [`SoftwareMac`] for the spec's algorithm with `key`.
fn software(spec: &Spec, key: MacKey) -> Result<SoftwareMac, SecurityError> {
    SoftwareMac::with_key(setting(spec)?.algorithm(), key)
}

/// Refuses a MAC whose algorithm is not the spec's.
fn same_algorithm<'s>(spec: &'s Spec, mac: &dyn Mac) -> Result<&'s MacSpec, SecurityError> {
    let setting = setting(spec)?;
    if mac.algorithm() != setting.algorithm() {
        return Err(SecurityError::AlgorithmMismatch {
            spec: setting.algorithm().name(),
            given: mac.algorithm().name(),
        });
    }
    Ok(setting)
}

/// Signing a message being built (see the module docs).
pub trait SignMessage {
    /// Computes the MAC with `key` (a `&TdesKey`, `&AesKey` or `&MacKey`) and the spec's
    /// algorithm, and sets the MAC field.
    fn sign(&mut self, key: impl Into<MacKey>) -> Result<&mut Self, SecurityError>;

    /// Computes the MAC with `mac` (software or an HSM) and sets the MAC field; `mac` must
    /// compute the spec's algorithm.
    fn sign_with(&mut self, mac: &dyn Mac) -> Result<&mut Self, SecurityError>;
}

impl SignMessage for MessageBuilder<'_> {
    fn sign(&mut self, key: impl Into<MacKey>) -> Result<&mut Self, SecurityError> {
        let mac = software(self.spec(), key.into())?;
        self.sign_with(&mac)
    }

    fn sign_with(&mut self, mac: &dyn Mac) -> Result<&mut Self, SecurityError> {
        same_algorithm(self.spec(), mac)?;
        let data = self.prepare_mac()?;
        let tag = mac.mac(&data)?;
        self.set_mac(&tag)?;
        Ok(self)
    }
}

/// Verifying a received message (see the module docs).
pub trait VerifyMessage {
    /// Checks the message's MAC with `key` and the spec's algorithm.
    fn verify_mac(&self, key: impl Into<MacKey>) -> Result<(), SecurityError>;

    /// Checks the message's MAC with `mac` (software or an HSM), which must compute the
    /// spec's algorithm.
    fn verify_mac_with(&self, mac: &dyn Mac) -> Result<(), SecurityError>;
}

impl VerifyMessage for MessageView<'_> {
    fn verify_mac(&self, key: impl Into<MacKey>) -> Result<(), SecurityError> {
        let mac = software(self.spec(), key.into())?;
        self.verify_mac_with(&mac)
    }

    fn verify_mac_with(&self, mac: &dyn Mac) -> Result<(), SecurityError> {
        let setting = same_algorithm(self.spec(), mac)?;
        let data = self.mac_input()?;
        let mut buf = [0u8; 16];
        let carried = self.mac_value(&mut buf).ok_or(SecurityError::Scope(
            MacScopeError::MacFieldAbsent {
                field: setting.field(),
            },
        ))?;
        let ours = mac.mac(&data)?;
        let ours = ours.get(..setting.width()).unwrap_or(&ours);
        if bool::from(ours.ct_eq(carried)) {
            Ok(())
        } else {
            Err(SecurityError::MacMismatch)
        }
    }
}

impl VerifyMessage for Message {
    fn verify_mac(&self, key: impl Into<MacKey>) -> Result<(), SecurityError> {
        self.view().verify_mac(key)
    }

    fn verify_mac_with(&self, mac: &dyn Mac) -> Result<(), SecurityError> {
        self.view().verify_mac_with(mac)
    }
}
