//! Key check values: how two parties confirm they hold the same key without showing it.
//!
//! - TDES (the legacy method, ANSI X9.24-1 7.7.2): encrypt a block of eight zero bytes under
//!   the key; the check value is the first 3 bytes.
//! - AES (the CMAC method, ANSI X9.24-1:2017 A.3, which X9.24-3 uses for its AES keys):
//!   the AES-CMAC of a block of sixteen zero bytes under the key; the first 5 bytes.

use super::key::{AesKey, TdesKey};
use super::mac::aes_cmac;

/// The 3-byte check value of a DES/TDES key: the first 3 bytes of E(K, 00..00).
pub fn tdes_kcv(key: &TdesKey) -> [u8; 3] {
    let mut block = [0u8; 8];
    key.encrypt_block(&mut block);
    [block[0], block[1], block[2]]
}

/// The 5-byte CMAC check value of an AES key: the first 5 bytes of CMAC(K, 00..00 (16)).
pub fn aes_kcv(key: &AesKey) -> [u8; 5] {
    let mac = aes_cmac(key, &[0u8; 16]);
    [mac[0], mac[1], mac[2], mac[3], mac[4]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tdes_check_values() {
        // E(0123456789ABCDEF, 0) = D5D44FF720683D0D (single DES of the zero block).
        let single = TdesKey::from_hex("0123456789ABCDEF").unwrap();
        assert_eq!(tdes_kcv(&single), [0xD5, 0xD4, 0x4F]);
        // A double-length key whose halves are equal is single DES: same check value.
        let same = TdesKey::from_hex("0123456789ABCDEF0123456789ABCDEF").unwrap();
        assert_eq!(tdes_kcv(&same), [0xD5, 0xD4, 0x4F]);
        let double = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        assert_eq!(tdes_kcv(&double), [0x08, 0xD7, 0xB4]);
    }

    #[test]
    fn aes_check_value_is_cmac_of_zero_block() {
        let key = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
        let full = aes_cmac(&key, &[0u8; 16]);
        assert_eq!(aes_kcv(&key), full[..5]);
        // Not the legacy "encrypt zeros" method.
        let mut block = [0u8; 16];
        key.encrypt_block(&mut block);
        assert_ne!(aes_kcv(&key), block[..5]);
    }
}
