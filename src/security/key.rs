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

/// Key bytes in a fixed array of `N`, `len` of them used; zeroized on drop, compared in
/// constant time. [`TdesKey`] and [`AesKey`] wrap one.
#[derive(Clone)]
struct KeyBytes<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> KeyBytes<N> {
    /// Copies `bytes` when their length is one of `allowed`.
    fn new(
        bytes: &[u8],
        allowed: &[usize],
        what: &'static str,
        expected: &'static str,
    ) -> Result<Self, SecurityError> {
        let mut key = KeyBytes {
            bytes: [0; N],
            len: 0,
        };
        match key.bytes.get_mut(..bytes.len()) {
            Some(dest) if allowed.contains(&bytes.len()) => {
                dest.copy_from_slice(bytes);
                key.len = bytes.len() as u8;
                Ok(key)
            }
            _ => Err(SecurityError::KeyLength {
                what,
                expected,
                got: bytes.len(),
            }),
        }
    }

    fn secret(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl<const N: usize> Zeroize for KeyBytes<N> {
    fn zeroize(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl<const N: usize> Drop for KeyBytes<N> {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl<const N: usize> PartialEq for KeyBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.len == other.len && bool::from(self.secret().ct_eq(other.secret()))
    }
}

impl<const N: usize> Eq for KeyBytes<N> {}

/// The parts [`TdesKey`] and [`AesKey`] share: construction from bytes and hex, length,
/// secret bytes, zeroizing and a `Debug` that shows the length and check value only.
macro_rules! key_type {
    ($ty:ident, $what:literal, $allowed:expr, $expected:literal, $hex_digits:literal, $kcv:path) => {
        impl $ty {
            #[doc = concat!("A key from its bytes: ", $expected, " of them.")]
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecurityError> {
                KeyBytes::new(bytes, &$allowed, $what, $expected).map($ty)
            }

            #[doc = concat!("A key from hex text (", $hex_digits, " digits, either case).")]
            pub fn from_hex(text: &str) -> Result<Self, SecurityError> {
                let mut buf = [0u8; 32];
                let result = parse_hex_into($what, text, &mut buf)
                    .and_then(|n| Self::from_bytes(buf.get(..n).unwrap_or_default()));
                buf.zeroize();
                result
            }

            #[doc = concat!("The length in bytes: ", $expected, ".")]
            pub fn len(&self) -> usize {
                usize::from(self.0.len)
            }

            /// Never true for a key in use: only a zeroized key is empty (here for the `len`
            /// convention).
            pub fn is_empty(&self) -> bool {
                self.0.len == 0
            }

            /// The key bytes. For key ceremonies and HSM import only: never log them.
            pub fn secret_bytes(&self) -> &[u8] {
                self.0.secret()
            }
        }

        impl Zeroize for $ty {
            fn zeroize(&mut self) {
                self.0.zeroize();
            }
        }

        impl ZeroizeOnDrop for $ty {}

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let kcv = $kcv(self);
                f.debug_struct(stringify!($ty))
                    .field("len", &self.0.len)
                    .field("kcv", &format_args!("{}", hex::encode_upper(kcv)))
                    .finish()
            }
        }
    };
}

/// A DES or triple-DES key: 8 bytes (single DES), 16 (double length, K1 K2 K1) or 24
/// (triple length). Parity bits are ignored, as DES does.
#[derive(Clone, PartialEq, Eq)]
pub struct TdesKey(KeyBytes<24>);

key_type!(
    TdesKey,
    "TDES key",
    [8, 16, 24],
    "8, 16 or 24",
    "16, 32 or 48",
    super::kcv::tdes_kcv
);

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
    /// The left half of a double-length key (K1), or the key itself if single length.
    pub(crate) fn left(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out.copy_from_slice(&self.0.bytes[..8]);
        out
    }

    /// The second 8 bytes (K2) of a double or triple-length key; K1 for a single key.
    pub(crate) fn right(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        if self.0.len >= 16 {
            out.copy_from_slice(&self.0.bytes[8..16]);
        } else {
            out.copy_from_slice(&self.0.bytes[..8]);
        }
        out
    }

    /// The key schedule for this key's length.
    pub(crate) fn cipher(&self) -> TdesCipher {
        let bytes = self.secret_bytes();
        // Lengths are checked at construction, so the `new_from_slice` calls cannot fail;
        // the fallbacks keep this path free of panics all the same.
        match self.0.len {
            8 => TdesCipher::Single(Des::new(GenericArray::from_slice(bytes))),
            16 => TdesCipher::Double(TdesEde2::new(GenericArray::from_slice(bytes))),
            _ => TdesCipher::Triple(TdesEde3::new(GenericArray::from_slice(
                self.0.bytes.get(..24).unwrap_or(&[0; 24]),
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
        for (b, m) in out.0.bytes.iter_mut().zip(mask).take(self.len()) {
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
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey(KeyBytes<32>);

key_type!(
    AesKey,
    "AES key",
    [16, 24, 32],
    "16, 24 or 32",
    "32, 48 or 64",
    super::kcv::aes_kcv
);

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
    /// The key schedule for this key's length.
    pub(crate) fn cipher(&self) -> AesCipher {
        let bytes = &self.0.bytes;
        match self.0.len {
            16 => AesCipher::A128(aes::Aes128::new(GenericArray::from_slice(&bytes[..16]))),
            24 => AesCipher::A192(aes::Aes192::new(GenericArray::from_slice(&bytes[..24]))),
            _ => AesCipher::A256(aes::Aes256::new(GenericArray::from_slice(&bytes[..32]))),
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
        assert_eq!(k.0.bytes, [0; 24]);
        assert!(k.is_empty());
    }
}
