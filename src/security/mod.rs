//! Security on the wire: MACs on DE 64/128, PIN blocks, DUKPT and key check values
//! (feature `crypto`).
//!
//! Everything here sits on RustCrypto's block ciphers (`des`, `aes`) and `cmac`; no cipher
//! is written by hand.
//!
//! - [`key`]: [`TdesKey`] and [`AesKey`], zeroized on drop, shown in `Debug` only by length
//!   and check value.
//! - [`kcv`]: key check values (TDES: first 3 bytes of E(K, 0); AES: first 5 bytes of
//!   CMAC(K, 0)).
//! - [`mac`]: ISO/IEC 9797-1 algorithms 1 and 3 (ANSI X9.9, X9.19), the UnionPay POS "ECB"
//!   MAC, AES-CMAC, and the [`Mac`] trait an HSM can implement.
//! - [`pin`]: ISO 9564-1 PIN blocks, formats 0, 1, 3 and 4, and the [`PinBlockEncryptor`]
//!   trait.
//! - [`dukpt`]: ANSI X9.24-1 TDES DUKPT and X9.24-3 AES DUKPT, host and terminal sides.
//!
//! - [`message_mac`]: signing and verifying whole messages by the spec's `[mac]` section
//!   ([`SignMessage`], [`VerifyMessage`]).
//!
//! ```
//! use iso8583_wire::security::{mac, kcv, TdesKey};
//!
//! let key = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! assert_eq!(kcv::tdes_kcv(&key), [0x08, 0xD7, 0xB4]);
//! let tag = mac::iso9797_alg3(&key, b"Now is the time for all ", mac::Padding::Method1)?;
//! assert_eq!(tag, [0xA1, 0xC7, 0x2E, 0x74, 0xEA, 0x3F, 0xA9, 0xB6]);
//! # Ok::<(), iso8583_wire::security::SecurityError>(())
//! ```

pub mod dukpt;
mod error;
pub mod kcv;
pub mod key;
pub mod mac;
pub mod message_mac;
pub mod pin;

pub use error::SecurityError;
pub use key::{AesKey, TdesKey};
pub use mac::{Mac, MacAlgorithm, MacKey, SoftwareMac};
pub use message_mac::{SignMessage, VerifyMessage};
pub use pin::{Pin, PinBlockEncryptor, PinBlockFormat, SoftwarePinBlock};
