//! Key types: TDES (single, double, triple length) and AES (128, 192, 256).
//!
//! Key bytes live in fixed arrays that are zeroized when the key is dropped. `Debug` shows the
//! length and the key check value, never the key; there is no `Display`. The bytes come out
//! only through [`TdesKey::secret_bytes`] / [`AesKey::secret_bytes`], whose names say what
//! they hand over.

use core::fmt;

use cipher::generic_array::GenericArray;
use cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use des::{Des, TdesEde2, TdesEde3};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::SecurityError;

/// Parses hex text into `out`, returning the number of bytes written.
pub(crate) fn parse_hex_into(
    what: &'static str,
    text: &str,
    out: &mut [u8],
) -> Result<usize, SecurityError> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if let Some(at) = bytes.iter().position(|c| !c.is_ascii_hexdigit()) {
        return Err(SecurityError::BadHex { what, at });
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(SecurityError::BadHex {
            what,
            at: bytes.len(),
        });
    }
    let n = bytes.len() / 2;
    let dest = out.get_mut(..n).ok_or(SecurityError::KeyLength {
        what,
        expected: "at most 32",
        got: n,
    })?;
    hex::decode_to_slice(bytes, dest).map_err(|_| SecurityError::BadHex { what, at: 0 })?;
    Ok(n)
}

/// A DES or triple-DES key: 8 bytes (single DES), 16 (double length, K1 K2 K1) or 24
/// (triple length). Parity bits are ignored, as DES does.
#[derive(Clone)]
pub struct TdesKey {
    bytes: [u8; 24],
    len: u8,
}

impl Zeroize for TdesKey {
    fn zeroize(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl Drop for TdesKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for TdesKey {}

impl fmt::Debug for TdesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kcv = super::kcv::tdes_kcv(self);
        f.debug_struct("TdesKey")
            .field("len", &self.len)
            .field("kcv", &format_args!("{}", hex::encode_upper(kcv)))
            .finish()
    }
}

impl PartialEq for TdesKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.len == other.len && bool::from(self.secret_bytes().ct_eq(other.secret_bytes()))
    }
}

impl Eq for TdesKey {}

/// The key schedule of a [`TdesKey`], by its length.
pub(crate) enum TdesCipher {
    Single(Des),
    Double(TdesEde2),
    Triple(TdesEde3),
}

impl TdesCipher {
    pub(crate) fn encrypt(&self, block: &mut [u8; 8]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            TdesCipher::Single(c) => c.encrypt_block(b),
            TdesCipher::Double(c) => c.encrypt_block(b),
            TdesCipher::Triple(c) => c.encrypt_block(b),
        }
    }

    pub(crate) fn decrypt(&self, block: &mut [u8; 8]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            TdesCipher::Single(c) => c.decrypt_block(b),
            TdesCipher::Double(c) => c.decrypt_block(b),
            TdesCipher::Triple(c) => c.decrypt_block(b),
        }
    }
}

impl TdesKey {
    /// A key from its bytes: 8, 16 or 24 of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecurityError> {
        if !matches!(bytes.len(), 8 | 16 | 24) {
            return Err(SecurityError::KeyLength {
                what: "TDES key",
                expected: "8, 16 or 24",
                got: bytes.len(),
            });
        }
        let mut key = TdesKey {
            bytes: [0; 24],
            len: bytes.len() as u8,
        };
        key.bytes[..bytes.len()].copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from hex text (16, 32 or 48 digits, either case).
    pub fn from_hex(text: &str) -> Result<Self, SecurityError> {
        let mut buf = [0u8; 32];
        let result = parse_hex_into("TDES key", text, &mut buf)
            .and_then(|n| Self::from_bytes(buf.get(..n).unwrap_or_default()));
        buf.zeroize();
        result
    }

    /// The length in bytes: 8, 16 or 24.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Never true: a key has 8, 16 or 24 bytes (here for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key bytes. For key ceremonies and HSM import only: never log them.
    pub fn secret_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len()).unwrap_or_default()
    }

    /// The left half of a double-length key (K1), or the key itself if single length.
    pub(crate) fn left(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out.copy_from_slice(&self.bytes[..8]);
        out
    }

    /// The second 8 bytes (K2) of a double or triple-length key; K1 for a single key.
    pub(crate) fn right(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        if self.len >= 16 {
            out.copy_from_slice(&self.bytes[8..16]);
        } else {
            out.copy_from_slice(&self.bytes[..8]);
        }
        out
    }

    /// The key schedule for this key's length.
    pub(crate) fn cipher(&self) -> TdesCipher {
        let bytes = self.secret_bytes();
        // Lengths are checked at construction, so the `new_from_slice` calls cannot fail;
        // the fallbacks keep this path free of panics all the same.
        match self.len {
            8 => TdesCipher::Single(Des::new(GenericArray::from_slice(bytes))),
            16 => TdesCipher::Double(TdesEde2::new(GenericArray::from_slice(bytes))),
            _ => TdesCipher::Triple(TdesEde3::new(GenericArray::from_slice(
                self.bytes.get(..24).unwrap_or(&[0; 24]),
            ))),
        }
    }

    /// Encrypts one 8-byte block (ECB) under this key.
    pub fn encrypt_block(&self, block: &mut [u8; 8]) {
        self.cipher().encrypt(block);
    }

    /// Decrypts one 8-byte block (ECB) under this key.
    pub fn decrypt_block(&self, block: &mut [u8; 8]) {
        self.cipher().decrypt(block);
    }

    /// The key XORed with `mask` (a variant), same length.
    pub(crate) fn xor(&self, mask: &[u8]) -> TdesKey {
        let mut out = self.clone();
        for (b, m) in out.bytes.iter_mut().zip(mask).take(self.len()) {
            *b ^= m;
        }
        out
    }
}

/// Single DES on one block with an 8-byte key.
pub(crate) fn des_encrypt(key: &[u8; 8], block: &mut [u8; 8]) {
    Des::new(GenericArray::from_slice(key)).encrypt_block(GenericArray::from_mut_slice(block));
}

/// Single DES decryption of one block with an 8-byte key.
pub(crate) fn des_decrypt(key: &[u8; 8], block: &mut [u8; 8]) {
    Des::new(GenericArray::from_slice(key)).decrypt_block(GenericArray::from_mut_slice(block));
}

/// An AES key: 16, 24 or 32 bytes.
#[derive(Clone)]
pub struct AesKey {
    bytes: [u8; 32],
    len: u8,
}

impl Zeroize for AesKey {
    fn zeroize(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl Drop for AesKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for AesKey {}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kcv = super::kcv::aes_kcv(self);
        f.debug_struct("AesKey")
            .field("len", &self.len)
            .field("kcv", &format_args!("{}", hex::encode_upper(kcv)))
            .finish()
    }
}

impl PartialEq for AesKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.len == other.len && bool::from(self.secret_bytes().ct_eq(other.secret_bytes()))
    }
}

impl Eq for AesKey {}

/// The key schedule of an [`AesKey`], by its length.
pub(crate) enum AesCipher {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl AesCipher {
    pub(crate) fn encrypt(&self, block: &mut [u8; 16]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            AesCipher::A128(c) => c.encrypt_block(b),
            AesCipher::A192(c) => c.encrypt_block(b),
            AesCipher::A256(c) => c.encrypt_block(b),
        }
    }

    pub(crate) fn decrypt(&self, block: &mut [u8; 16]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            AesCipher::A128(c) => c.decrypt_block(b),
            AesCipher::A192(c) => c.decrypt_block(b),
            AesCipher::A256(c) => c.decrypt_block(b),
        }
    }
}

impl AesKey {
    /// A key from its bytes: 16, 24 or 32 of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecurityError> {
        if !matches!(bytes.len(), 16 | 24 | 32) {
            return Err(SecurityError::KeyLength {
                what: "AES key",
                expected: "16, 24 or 32",
                got: bytes.len(),
            });
        }
        let mut key = AesKey {
            bytes: [0; 32],
            len: bytes.len() as u8,
        };
        key.bytes[..bytes.len()].copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from hex text (32, 48 or 64 digits, either case).
    pub fn from_hex(text: &str) -> Result<Self, SecurityError> {
        let mut buf = [0u8; 32];
        let result = parse_hex_into("AES key", text, &mut buf)
            .and_then(|n| Self::from_bytes(buf.get(..n).unwrap_or_default()));
        buf.zeroize();
        result
    }

    /// The length in bytes: 16, 24 or 32.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Never true: a key has 16, 24 or 32 bytes (here for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key bytes. For key ceremonies and HSM import only: never log them.
    pub fn secret_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len()).unwrap_or_default()
    }

    /// The key schedule for this key's length.
    pub(crate) fn cipher(&self) -> AesCipher {
        match self.len {
            16 => AesCipher::A128(aes::Aes128::new(GenericArray::from_slice(
                &self.bytes[..16],
            ))),
            24 => AesCipher::A192(aes::Aes192::new(GenericArray::from_slice(
                &self.bytes[..24],
            ))),
            _ => AesCipher::A256(aes::Aes256::new(GenericArray::from_slice(
                &self.bytes[..32],
            ))),
        }
    }

    /// Encrypts one 16-byte block (ECB) under this key.
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        self.cipher().encrypt(block);
    }

    /// Decrypts one 16-byte block (ECB) under this key.
    pub fn decrypt_block(&self, block: &mut [u8; 16]) {
        self.cipher().decrypt(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn keys_never_show_in_debug() {
        let t = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let a = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
        for text in [
            format!("{t:?}"),
            format!("{a:?}"),
            format!("{t:#?}"),
            format!("{a:#?}"),
        ] {
            let upper = text.to_uppercase();
            assert!(!upper.contains("0123456789ABCDEF"), "{text}");
            assert!(!upper.contains("FEDCBA98"), "{text}");
            assert!(!upper.contains("2B7E1516"), "{text}");
            assert!(text.contains("kcv"), "{text}");
        }
        assert_eq!(format!("{t:?}"), "TdesKey { len: 16, kcv: 08D7B4 }");
    }

    #[test]
    fn rejects_wrong_lengths_and_bad_hex() {
        assert_eq!(
            TdesKey::from_bytes(&[0; 12]).unwrap_err(),
            SecurityError::KeyLength {
                what: "TDES key",
                expected: "8, 16 or 24",
                got: 12
            }
        );
        assert_eq!(
            AesKey::from_hex("00112233445566778899AABBCCDDEEFG").unwrap_err(),
            SecurityError::BadHex {
                what: "AES key",
                at: 31
            }
        );
        assert_eq!(
            TdesKey::from_hex("012").unwrap_err(),
            SecurityError::BadHex {
                what: "TDES key",
                at: 3
            }
        );
        // Errors never carry the digits.
        let err = TdesKey::from_hex("0123456789ABCDEF0123")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("0123456789"), "{err}");
    }

    #[test]
    fn zeroize_clears_the_bytes() {
        let mut k = TdesKey::from_hex("0123456789ABCDEF").unwrap();
        k.zeroize();
        assert_eq!(k.bytes, [0; 24]);
        assert!(k.is_empty());
    }
}
