//! MAC algorithms used on ISO 8583 links.
//!
//! | Algorithm | Standard | Key | Output on the wire |
//! |---|---|---|---|
//! | [`iso9797_alg1`] | ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, zero IV); ANSI X9.9 with a single DES key, or TDES | DES or TDES | 8 bytes |
//! | [`iso9797_alg3`] | ISO/IEC 9797-1 MAC algorithm 3, ANSI X9.19 "retail MAC": CBC with single DES under K, last block decrypted under K' and encrypted again under K | double length (K, K') | 8 bytes |
//! | [`cup_ecb`] | UnionPay POS "ECB" MAC (see below) | DES or double-length TDES | 8 ASCII hex characters |
//! | [`aes_cmac`] | NIST SP 800-38B CMAC (RFC 4493 for AES-128) | AES | 16 bytes |
//!
//! Padding (ISO/IEC 9797-1): method 1 appends zero bytes up to a multiple of 8 (none if the
//! data already is one; empty data becomes one zero block); method 2 appends 0x80 and then
//! zero bytes, always.
//!
//! The UnionPay POS MAC: the data is zero-padded to a multiple of 8 and its 8-byte blocks
//! XORed together; the result is written as 16 uppercase hex characters; the first 8 are
//! encrypted under the MAK (single DES, or TDES for a double-length MAK), the result XORed
//! with the last 8 characters and encrypted again; that block is written as 16 uppercase
//! hex characters and the first 8 are the MAC.
//!
//! [`Mac`] is the seam between callers and the key: [`SoftwareMac`] computes in process, and
//! an HSM client can implement the same trait.

use cmac::Mac as _;
use subtle::ConstantTimeEq;

use super::SecurityError;
use super::key::{AesKey, TdesKey, des_decrypt, des_encrypt};
use crate::prelude::*;

/// ISO/IEC 9797-1 padding method (the spec's [`MacPadding`](crate::spec::MacPadding)).
pub use crate::spec::MacPadding as Padding;

/// Feeds `data`, padded by `padding`, to `f` one 8-byte block at a time.
fn for_each_block(data: &[u8], padding: Padding, mut f: impl FnMut(&[u8; 8])) {
    let (blocks, tail) = data.as_chunks::<8>();
    for b in blocks {
        f(b);
    }
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    match padding {
        Padding::Method1 => {
            if !tail.is_empty() || data.is_empty() {
                f(&last);
            }
        }
        Padding::Method2 => {
            last[tail.len()] = 0x80;
            f(&last);
        }
    }
}

fn xor8(a: &mut [u8; 8], b: &[u8; 8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC with a zero IV under the key (single DES for an
/// 8-byte key, as ANSI X9.9 and FIPS 113; TDES for 16 or 24 bytes). Returns the last block.
pub fn iso9797_alg1(key: &TdesKey, data: &[u8], padding: Padding) -> [u8; 8] {
    let cipher = key.cipher();
    let mut state = [0u8; 8];
    for_each_block(data, padding, |b| {
        xor8(&mut state, b);
        cipher.encrypt(&mut state);
    });
    state
}

/// ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC): CBC with single DES under K (the
/// key's left half), then the last block decrypted under K' (the right half) and encrypted
/// under K. Needs a double-length key.
pub fn iso9797_alg3(
    key: &TdesKey,
    data: &[u8],
    padding: Padding,
) -> Result<[u8; 8], SecurityError> {
    if key.len() != 16 {
        return Err(SecurityError::KeyLength {
            what: "ISO 9797-1 algorithm 3",
            expected: "16",
            got: key.len(),
        });
    }
    let k = des::Des::new_from_slice(&key.left()).map_err(|_| SecurityError::KeyLength {
        what: "ISO 9797-1 algorithm 3",
        expected: "16",
        got: key.len(),
    })?;
    let mut state = [0u8; 8];
    for_each_block(data, padding, |b| {
        use cipher::BlockEncrypt;
        xor8(&mut state, b);
        k.encrypt_block(cipher::generic_array::GenericArray::from_mut_slice(
            &mut state,
        ));
    });
    let mut right = key.right();
    let mut left = key.left();
    des_decrypt(&right, &mut state);
    des_encrypt(&left, &mut state);
    zeroize::Zeroize::zeroize(&mut right);
    zeroize::Zeroize::zeroize(&mut left);
    Ok(state)
}

use cipher::KeyInit;

/// Writes `block` as 16 uppercase hex characters.
fn expand(block: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    // 16 output bytes for 8 input bytes: the length always fits.
    let _ = hex::encode_to_slice(block, &mut out);
    out.make_ascii_uppercase();
    out
}

/// The UnionPay POS "ECB" MAC: 8 ASCII hex characters (see the module docs). The MAK is
/// single DES (8 bytes) or double-length TDES (16 bytes).
pub fn cup_ecb(key: &TdesKey, data: &[u8]) -> Result<[u8; 8], SecurityError> {
    if !matches!(key.len(), 8 | 16) {
        return Err(SecurityError::KeyLength {
            what: "UnionPay ECB MAC",
            expected: "8 or 16",
            got: key.len(),
        });
    }
    let cipher = key.cipher();
    let mut acc = [0u8; 8];
    let (blocks, tail) = data.as_chunks::<8>();
    for b in blocks {
        xor8(&mut acc, b);
    }
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    xor8(&mut acc, &last);
    let hex16 = expand(&acc);
    let (first, second) = hex16.split_at(8);
    let mut block = [0u8; 8];
    block.copy_from_slice(first);
    cipher.encrypt(&mut block);
    for (x, y) in block.iter_mut().zip(second) {
        *x ^= y;
    }
    cipher.encrypt(&mut block);
    let out16 = expand(&block);
    let mut mac = [0u8; 8];
    mac.copy_from_slice(&out16[..8]);
    Ok(mac)
}

/// AES-CMAC (NIST SP 800-38B) under an AES-128, -192 or -256 key: the full 16-byte tag.
pub fn aes_cmac(key: &AesKey, data: &[u8]) -> [u8; 16] {
    macro_rules! run {
        ($c:ty) => {{
            let mut out = [0u8; 16];
            if let Ok(mut m) = <cmac::Cmac<$c> as KeyInit>::new_from_slice(key.secret_bytes()) {
                m.update(data);
                out.copy_from_slice(&m.finalize().into_bytes());
            }
            out
        }};
    }
    match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    }
}

pub use crate::spec::MacAlgorithm;

/// Something that computes MACs: the software implementation here, or an HSM.
pub trait Mac {
    /// The algorithm this MAC computes (decides the MAC's length on the wire).
    fn algorithm(&self) -> MacAlgorithm;

    /// The MAC of `data`, as it goes on the wire.
    fn mac(&self, data: &[u8]) -> Result<Vec<u8>, SecurityError>;

    /// Checks `mac` against the MAC of `data`, in constant time.
    fn verify(&self, data: &[u8], mac: &[u8]) -> Result<(), SecurityError> {
        let ours = self.mac(data)?;
        if bool::from(ours.as_slice().ct_eq(mac)) {
            Ok(())
        } else {
            Err(SecurityError::MacMismatch)
        }
    }
}

/// The key a [`SoftwareMac`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MacKey {
    /// A DES or TDES key (ISO 9797-1 algorithms 1 and 3, UnionPay ECB).
    Tdes(TdesKey),
    /// An AES key (AES-CMAC).
    Aes(AesKey),
}

/// A MAC computed in process with a key held in memory (zeroized on drop).
#[derive(Debug, Clone)]
pub struct SoftwareMac {
    algorithm: MacAlgorithm,
    key: MacKey,
}

impl SoftwareMac {
    /// A MAC for `algorithm` with the key given as bytes (its length must suit the
    /// algorithm: 8/16/24 for algorithm 1, 16 for algorithm 3, 8/16 for UnionPay ECB,
    /// 16/24/32 for AES-CMAC).
    pub fn new(algorithm: MacAlgorithm, key: &[u8]) -> Result<Self, SecurityError> {
        let key = match algorithm {
            MacAlgorithm::AesCmac => MacKey::Aes(AesKey::from_bytes(key)?),
            _ => MacKey::Tdes(TdesKey::from_bytes(key)?),
        };
        Self::with_key(algorithm, key)
    }

    /// A MAC for `algorithm` with the key given as hex text.
    pub fn from_hex(algorithm: MacAlgorithm, key: &str) -> Result<Self, SecurityError> {
        let key = match algorithm {
            MacAlgorithm::AesCmac => MacKey::Aes(AesKey::from_hex(key)?),
            _ => MacKey::Tdes(TdesKey::from_hex(key)?),
        };
        Self::with_key(algorithm, key)
    }

    /// A MAC for `algorithm` with a key already typed.
    pub fn with_key(algorithm: MacAlgorithm, key: MacKey) -> Result<Self, SecurityError> {
        let ok = match (&key, algorithm) {
            (MacKey::Aes(_), MacAlgorithm::AesCmac) => true,
            (MacKey::Tdes(_), MacAlgorithm::Iso9797Alg1(_)) => true,
            (MacKey::Tdes(k), MacAlgorithm::Iso9797Alg3(_)) => k.len() == 16,
            (MacKey::Tdes(k), MacAlgorithm::CupEcb) => matches!(k.len(), 8 | 16),
            _ => false,
        };
        if !ok {
            let got = match &key {
                MacKey::Aes(k) => k.len(),
                MacKey::Tdes(k) => k.len(),
            };
            let expected = match algorithm {
                MacAlgorithm::Iso9797Alg1(_) => "8, 16 or 24 (DES/TDES)",
                MacAlgorithm::Iso9797Alg3(_) => "16 (TDES)",
                MacAlgorithm::CupEcb => "8 or 16 (DES/TDES)",
                MacAlgorithm::AesCmac => "16, 24 or 32 (AES)",
            };
            return Err(SecurityError::KeyLength {
                what: algorithm.name(),
                expected,
                got,
            });
        }
        Ok(SoftwareMac { algorithm, key })
    }
}

impl Mac for SoftwareMac {
    fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }

    fn mac(&self, data: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match (&self.key, self.algorithm) {
            (MacKey::Tdes(k), MacAlgorithm::Iso9797Alg1(p)) => {
                Ok(iso9797_alg1(k, data, p).to_vec())
            }
            (MacKey::Tdes(k), MacAlgorithm::Iso9797Alg3(p)) => {
                Ok(iso9797_alg3(k, data, p)?.to_vec())
            }
            (MacKey::Tdes(k), MacAlgorithm::CupEcb) => Ok(cup_ecb(k, data)?.to_vec()),
            (MacKey::Aes(k), MacAlgorithm::AesCmac) => Ok(aes_cmac(k, data).to_vec()),
            (MacKey::Tdes(k), _) => Err(SecurityError::KeyLength {
                what: self.algorithm.name(),
                expected: "an AES key",
                got: k.len(),
            }),
            (MacKey::Aes(k), _) => Err(SecurityError::KeyLength {
                what: self.algorithm.name(),
                expected: "a DES/TDES key",
                got: k.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn tdes(s: &str) -> TdesKey {
        TdesKey::from_hex(s).unwrap()
    }

    #[test]
    fn fips_113_cbc_mac() {
        // FIPS 113 (DAA): key 0123456789ABCDEF, "7654321 Now is the time for " zero-padded.
        let mac = iso9797_alg1(
            &tdes("0123456789ABCDEF"),
            b"7654321 Now is the time for ",
            Padding::Method1,
        );
        assert_eq!(mac.to_vec(), h("F1D30F6849312CA4"));
        // A double-length key with equal halves is the same single-DES CBC-MAC.
        let mac2 = iso9797_alg1(
            &tdes("0123456789ABCDEF0123456789ABCDEF"),
            b"7654321 Now is the time for ",
            Padding::Method1,
        );
        assert_eq!(mac2, mac);
    }

    #[test]
    fn iso9797_annex_b_retail_mac() {
        let key = tdes("0123456789ABCDEFFEDCBA9876543210");
        assert_eq!(
            iso9797_alg3(&key, b"Now is the time for all ", Padding::Method1)
                .unwrap()
                .to_vec(),
            h("A1C72E74EA3FA9B6")
        );
        assert_eq!(
            iso9797_alg3(&key, b"Now is the time for all ", Padding::Method2)
                .unwrap()
                .to_vec(),
            h("E9086230CA3BE796")
        );
        assert_eq!(
            iso9797_alg3(&key, b"Now is the time for it", Padding::Method1)
                .unwrap()
                .to_vec(),
            h("2E2B1428CC78254F")
        );
        assert_eq!(
            iso9797_alg3(&tdes("0123456789ABCDEF"), b"x", Padding::Method1).unwrap_err(),
            SecurityError::KeyLength {
                what: "ISO 9797-1 algorithm 3",
                expected: "16",
                got: 8
            }
        );
    }

    #[test]
    fn padding_methods_at_block_boundaries() {
        // Method 1 adds nothing to a whole block; method 2 adds a whole block.
        let key = tdes("0123456789ABCDEF");
        let eight = [0x11u8; 8];
        let mut manual = [0x11u8; 8];
        key.encrypt_block(&mut manual);
        assert_eq!(iso9797_alg1(&key, &eight, Padding::Method1), manual);
        let mut with_pad = manual;
        with_pad[0] ^= 0x80;
        key.encrypt_block(&mut with_pad);
        assert_eq!(iso9797_alg1(&key, &eight, Padding::Method2), with_pad);
        // Empty data: method 1 MACs one zero block.
        let mut zero = [0u8; 8];
        key.encrypt_block(&mut zero);
        assert_eq!(iso9797_alg1(&key, &[], Padding::Method1), zero);
    }

    #[test]
    fn rfc_4493_aes_cmac() {
        let key = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
        let msg = h(
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51\
             30C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710",
        );
        for (len, tag) in [
            (0, "BB1D6929E95937287FA37D129B756746"),
            (16, "070A16B46B4D4144F79BDD9DD04A287C"),
            (40, "DFA66747DE9AE63030CA32611497C827"),
            (64, "51F0BEBF7E3B9D92FC49741779363CFE"),
        ] {
            assert_eq!(aes_cmac(&key, &msg[..len]).to_vec(), h(tag), "length {len}");
        }
        // SP 800-38B AES-256 example 2.
        let k256 =
            AesKey::from_hex("603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4")
                .unwrap();
        assert_eq!(
            aes_cmac(&k256, &msg[..16]).to_vec(),
            h("28A7023F452E8F82BD4BF28D8C37C35C")
        );
    }

    #[test]
    fn unionpay_ecb_worked_example() {
        // The worked example published with an independent implementation
        // (data 1234567890ABCDEF ABCDEF1234567890, MAK 2222222222222222):
        // XOR B9F9B96AA4FDB57F, first half "B9F9B96A" encrypted 9FDE90A34CF73B2E,
        // XOR with "A4FDB57F" DEEAD6E70EC20C68, encrypted E267B6E21913D339, MAC "E267B6E2".
        let mac = cup_ecb(
            &tdes("2222222222222222"),
            &h("1234567890ABCDEFABCDEF1234567890"),
        )
        .unwrap();
        assert_eq!(&mac, b"E267B6E2");
        let mut first = *b"B9F9B96A";
        tdes("2222222222222222").encrypt_block(&mut first);
        assert_eq!(first.to_vec(), h("9FDE90A34CF73B2E"));
        // Double-length MAK with equal halves is the single-DES MAK.
        let double = cup_ecb(
            &tdes("22222222222222222222222222222222"),
            &h("1234567890ABCDEFABCDEF1234567890"),
        )
        .unwrap();
        assert_eq!(double, mac);
        // A double-length MAK with distinct halves gives a different MAC, still hex text.
        let other = cup_ecb(&tdes("0123456789ABCDEFFEDCBA9876543210"), b"0200").unwrap();
        assert!(
            other
                .iter()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
    }

    #[test]
    fn unionpay_ecb_xor_stage_matches_the_published_walkthrough() {
        // The published walk-through of the UnionPay POS MAC starts by XORing
        // 0200302004C020C0 ^ 9811000000000000 = 9A11302004C020C0, then ^ 0000510018340210 =
        // 9A1161201CF422D0, then ^ 0006324392260009 = 9A1753638ED222D9. Zero padding of a
        // short tail means a MAC over those 32 bytes equals the MAC over 9A1753638ED222D9.
        let key = tdes("C24A8FB57AA20123");
        let data = h(
            "0200302004C020C098110000000000000000510018340210 0006324392260009"
                .replace(' ', "")
                .as_str(),
        );
        let folded = h("9A1753638ED222D9");
        assert_eq!(
            cup_ecb(&key, &data).unwrap(),
            cup_ecb(&key, &folded).unwrap()
        );
        // And a tail shorter than a block is zero-padded: "AB" equals AB00000000000000.
        assert_eq!(
            cup_ecb(&key, &[0xAB]).unwrap(),
            cup_ecb(&key, &h("AB00000000000000")).unwrap()
        );
    }

    #[test]
    fn software_mac_checks_keys_and_verifies() {
        let m = SoftwareMac::from_hex(
            MacAlgorithm::Iso9797Alg3(Padding::Method1),
            "0123456789ABCDEFFEDCBA9876543210",
        )
        .unwrap();
        let mac = m.mac(b"Now is the time for all ").unwrap();
        assert_eq!(mac, h("A1C72E74EA3FA9B6"));
        m.verify(b"Now is the time for all ", &mac).unwrap();
        assert_eq!(
            m.verify(b"Now is the time for all!", &mac),
            Err(SecurityError::MacMismatch)
        );
        assert_eq!(
            m.verify(b"Now is the time for all ", &mac[..4]),
            Err(SecurityError::MacMismatch)
        );
        let err = SoftwareMac::from_hex(
            MacAlgorithm::Iso9797Alg3(Padding::Method1),
            "0123456789ABCDEF",
        )
        .unwrap_err();
        assert_eq!(
            err,
            SecurityError::KeyLength {
                what: "iso9797-1-alg3",
                expected: "16 (TDES)",
                got: 8
            }
        );
        let dbg = format!("{m:?}");
        assert!(
            !dbg.contains("0123") && !dbg.to_uppercase().contains("FEDCBA"),
            "{dbg}"
        );
        assert_eq!(
            MacAlgorithm::from_name("cup-ecb", 1),
            Some(MacAlgorithm::CupEcb)
        );
        assert_eq!(MacAlgorithm::from_name("iso9797-1-alg1", 3), None);
    }
}
