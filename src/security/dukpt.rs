//! DUKPT: derived unique key per transaction.
//!
//! **TDES (ANSI X9.24-1:2009).** A 10-byte key serial number (KSN) ends in a 21-bit
//! transaction counter. The initial PIN encryption key (IPEK) is the BDK's TDES encryption
//! of the KSN's left 8 bytes with the counter cleared (left half), and the same under the
//! BDK XOR `C0C0C0C000000000C0C0C0C000000000` (right half). The current key for a counter
//! is reached from the IPEK by the non-reversible key generation process, once for each
//! one-bit of the counter from the most significant down. Working keys are variants of the
//! current key: PIN `..FF` in bytes 7 and 15, MAC request bytes 6 and 14, MAC response
//! bytes 4 and 12, data request bytes 5 and 13, data response bytes 3 and 11; the data
//! keys then pass through a one-way step (each half TDES-encrypted under the variant key).
//! A terminal never uses a counter with more than 10 one-bits.
//!
//! **AES (ANSI X9.24-3-2017).** A 12-byte KSN is an 8-byte initial key ID and a 32-bit
//! counter. Every derivation encrypts 16-byte derivation data under a key: version `01`,
//! block counter, key usage (2 bytes), algorithm (2: `0002` AES-128, `0003` AES-192,
//! `0004` AES-256), length in bits (2), and 8 bytes of context (the initial key ID for the
//! initial key; the ID's right 4 bytes and the counter otherwise), one block per 128 bits
//! of output. The initial key is derived from the BDK (usage `8001`); the transaction's
//! derivation key from the initial key by one derivation (usage `8000`) per one-bit of the
//! counter; working keys from it (PIN `1000`, MAC generation `2000`, verification `2001`,
//! both `2002`, data encrypt `3000`, decrypt `3001`, both `3002`, key encryption `0002`).
//! A terminal never uses a counter with more than 16 one-bits.

use super::SecurityError;
use super::key::{AesKey, TdesKey, des_encrypt};

/// The TDES DUKPT counter's width: 21 bits.
const TDES_COUNTER_MASK: u32 = 0x1F_FFFF;

/// A TDES DUKPT key serial number: 10 bytes, the last 21 bits the transaction counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; 10]);

impl Ksn {
    /// A KSN from its 10 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecurityError> {
        let b: [u8; 10] = bytes.try_into().map_err(|_| SecurityError::KsnLength {
            expected: 10,
            got: bytes.len(),
        })?;
        Ok(Ksn(b))
    }

    /// A KSN from 20 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, SecurityError> {
        let mut buf = [0u8; 32];
        let n = super::key::parse_hex_into("KSN", text, &mut buf)?;
        Self::from_bytes(buf.get(..n).unwrap_or_default())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// The transaction counter (21 bits).
    pub fn counter(&self) -> u32 {
        let tail = u32::from_be_bytes([0, self.0[7], self.0[8], self.0[9]]);
        tail & TDES_COUNTER_MASK
    }

    /// The same KSN with another counter (its low 21 bits).
    pub fn with_counter(&self, counter: u32) -> Ksn {
        let mut b = self.0;
        let tail = u32::from_be_bytes([0, b[7], b[8], b[9]]);
        let new = (tail & !TDES_COUNTER_MASK) | (counter & TDES_COUNTER_MASK);
        let [_, x, y, z] = new.to_be_bytes();
        b[7] = x;
        b[8] = y;
        b[9] = z;
        Ksn(b)
    }

    /// The next KSN a terminal may use after this one: the counter advanced past values
    /// with more than 10 one-bits. Refuses when the 21-bit counter is used up.
    pub fn next(&self) -> Result<Ksn, SecurityError> {
        let c = self.counter();
        let next = next_counter(c, 10).filter(|&n| n <= TDES_COUNTER_MASK);
        next.map(|n| self.with_counter(n))
            .ok_or(SecurityError::CounterExhausted { counter: c })
    }
}

/// The next counter after `c` with at most `max_ones` one-bits: add one while below the
/// limit, else add the lowest set bit (which clears a run of ones).
fn next_counter(c: u32, max_ones: u32) -> Option<u32> {
    let step = if c.count_ones() < max_ones {
        1
    } else {
        c & c.wrapping_neg()
    };
    c.checked_add(step)
}

const C0_MASK: [u8; 16] = [
    0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0,
];

fn require_double(key: &TdesKey, what: &'static str) -> Result<(), SecurityError> {
    if key.len() == 16 {
        Ok(())
    } else {
        Err(SecurityError::KeyLength {
            what,
            expected: "16",
            got: key.len(),
        })
    }
}

/// The IPEK from the base derivation key and any KSN of the device (its counter ignored).
pub fn tdes_ipek(bdk: &TdesKey, ksn: &Ksn) -> Result<TdesKey, SecurityError> {
    require_double(bdk, "TDES DUKPT BDK")?;
    let base = ksn.with_counter(0);
    let mut left = [0u8; 8];
    left.copy_from_slice(&base.0[..8]);
    let mut right = left;
    bdk.encrypt_block(&mut left);
    bdk.xor(&C0_MASK).encrypt_block(&mut right);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&left);
    out[8..].copy_from_slice(&right);
    let key = TdesKey::from_bytes(&out);
    zeroize::Zeroize::zeroize(&mut out);
    key
}

/// The non-reversible key generation process: a new 16-byte key from `key` and the
/// 8-byte KSN register.
fn non_reversible(key: &TdesKey, reg: &[u8; 8]) -> Result<TdesKey, SecurityError> {
    fn half(kl: &[u8; 8], kr: &[u8; 8], reg: &[u8; 8]) -> [u8; 8] {
        let mut b = *reg;
        for (x, y) in b.iter_mut().zip(kr) {
            *x ^= y;
        }
        des_encrypt(kl, &mut b);
        for (x, y) in b.iter_mut().zip(kr) {
            *x ^= y;
        }
        b
    }
    let right = half(&key.left(), &key.right(), reg);
    let masked = key.xor(&C0_MASK);
    let left = half(&masked.left(), &masked.right(), reg);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&left);
    out[8..].copy_from_slice(&right);
    let k = TdesKey::from_bytes(&out);
    zeroize::Zeroize::zeroize(&mut out);
    k
}

fn check_tdes_counter(c: u32) -> Result<(), SecurityError> {
    if c == 0 {
        return Err(SecurityError::BadCounter {
            counter: c,
            reason: "zero is never a transaction counter",
        });
    }
    if c.count_ones() > 10 {
        return Err(SecurityError::BadCounter {
            counter: c,
            reason: "more than 10 one-bits",
        });
    }
    Ok(())
}

/// The current (future) key for the KSN's counter, from the IPEK.
pub fn tdes_current_key(ipek: &TdesKey, ksn: &Ksn) -> Result<TdesKey, SecurityError> {
    require_double(ipek, "TDES DUKPT IPEK")?;
    let counter = ksn.counter();
    check_tdes_counter(counter)?;
    let mut reg = [0u8; 8];
    reg.copy_from_slice(&ksn.with_counter(0).0[2..]);
    let mut key = ipek.clone();
    let mut bit = 1u32 << 20;
    let mut working = 0u32;
    while bit != 0 {
        if counter & bit != 0 {
            working |= bit;
            let [_, x, y, z] = working.to_be_bytes();
            reg[5] = (reg[5] & 0xE0) | (x & 0x1F);
            reg[6] = y;
            reg[7] = z;
            key = non_reversible(&key, &reg)?;
        }
        bit >>= 1;
    }
    Ok(key)
}

/// What a TDES DUKPT working key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TdesKeyUsage {
    /// PIN encryption.
    Pin,
    /// MAC of requests.
    MacRequest,
    /// MAC of responses.
    MacResponse,
    /// Data encryption, requests.
    DataRequest,
    /// Data encryption, responses.
    DataResponse,
}

/// The working key for `usage` from a current key.
pub fn tdes_working_key(current: &TdesKey, usage: TdesKeyUsage) -> Result<TdesKey, SecurityError> {
    require_double(current, "TDES DUKPT current key")?;
    let byte = match usage {
        TdesKeyUsage::Pin => 7,
        TdesKeyUsage::MacRequest => 6,
        TdesKeyUsage::MacResponse => 4,
        TdesKeyUsage::DataRequest => 5,
        TdesKeyUsage::DataResponse => 3,
    };
    let mut mask = [0u8; 16];
    mask[byte] = 0xFF;
    mask[byte + 8] = 0xFF;
    let variant = current.xor(&mask);
    if matches!(
        usage,
        TdesKeyUsage::DataRequest | TdesKeyUsage::DataResponse
    ) {
        let mut l = variant.left();
        let mut r = variant.right();
        variant.encrypt_block(&mut l);
        variant.encrypt_block(&mut r);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&l);
        out[8..].copy_from_slice(&r);
        let k = TdesKey::from_bytes(&out);
        zeroize::Zeroize::zeroize(&mut out);
        k
    } else {
        Ok(variant)
    }
}

/// A 12-byte AES DUKPT key serial number: 8-byte initial key ID, 32-bit counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AesKsn([u8; 12]);

impl AesKsn {
    /// A KSN from its 12 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecurityError> {
        let b: [u8; 12] = bytes.try_into().map_err(|_| SecurityError::KsnLength {
            expected: 12,
            got: bytes.len(),
        })?;
        Ok(AesKsn(b))
    }

    /// A KSN from 24 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, SecurityError> {
        let mut buf = [0u8; 32];
        let n = super::key::parse_hex_into("AES KSN", text, &mut buf)?;
        Self::from_bytes(buf.get(..n).unwrap_or_default())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The initial key ID (the first 8 bytes).
    pub fn initial_key_id(&self) -> [u8; 8] {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[..8]);
        id
    }

    /// The transaction counter.
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([self.0[8], self.0[9], self.0[10], self.0[11]])
    }

    /// The same initial key ID with another counter.
    pub fn with_counter(&self, counter: u32) -> AesKsn {
        let mut b = self.0;
        b[8..].copy_from_slice(&counter.to_be_bytes());
        AesKsn(b)
    }

    /// The next KSN a terminal may use: the counter advanced past values with more than 16
    /// one-bits. Refuses when the counter is used up (`FFFFFFFF` is reserved).
    pub fn next(&self) -> Result<AesKsn, SecurityError> {
        let c = self.counter();
        next_counter(c, 16)
            .filter(|&n| n != u32::MAX)
            .map(|n| self.with_counter(n))
            .ok_or(SecurityError::CounterExhausted { counter: c })
    }
}

/// The size of an AES DUKPT key (initial, derivation or working).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AesKeyType {
    /// AES-128.
    Aes128,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
}

impl AesKeyType {
    fn indicator(self) -> (u16, u16) {
        match self {
            AesKeyType::Aes128 => (0x0002, 128),
            AesKeyType::Aes192 => (0x0003, 192),
            AesKeyType::Aes256 => (0x0004, 256),
        }
    }

    fn of(key: &AesKey) -> AesKeyType {
        match key.len() {
            16 => AesKeyType::Aes128,
            24 => AesKeyType::Aes192,
            _ => AesKeyType::Aes256,
        }
    }
}

/// What an AES DUKPT working key is for (the key usage indicator of X9.24-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AesKeyUsage {
    /// Key encryption key (`0002`).
    KeyEncryption,
    /// PIN encryption (`1000`).
    PinEncryption,
    /// MAC generation (`2000`).
    MacGeneration,
    /// MAC verification (`2001`).
    MacVerification,
    /// MAC both ways (`2002`).
    MacBoth,
    /// Data encryption, encrypt (`3000`).
    DataEncrypt,
    /// Data encryption, decrypt (`3001`).
    DataDecrypt,
    /// Data encryption, both (`3002`).
    DataBoth,
}

impl AesKeyUsage {
    fn indicator(self) -> u16 {
        match self {
            AesKeyUsage::KeyEncryption => 0x0002,
            AesKeyUsage::PinEncryption => 0x1000,
            AesKeyUsage::MacGeneration => 0x2000,
            AesKeyUsage::MacVerification => 0x2001,
            AesKeyUsage::MacBoth => 0x2002,
            AesKeyUsage::DataEncrypt => 0x3000,
            AesKeyUsage::DataDecrypt => 0x3001,
            AesKeyUsage::DataBoth => 0x3002,
        }
    }
}

/// One X9.24-3 derivation: `out` of `ty` from `key` with usage and 8 bytes of context.
fn aes_derive(
    key: &AesKey,
    usage: u16,
    ty: AesKeyType,
    context: &[u8; 8],
) -> Result<AesKey, SecurityError> {
    let (alg, bits) = ty.indicator();
    let cipher = key.cipher();
    let mut out = [0u8; 32];
    let blocks = usize::from(bits).div_ceil(128);
    for (i, chunk) in out.chunks_mut(16).take(blocks).enumerate() {
        let mut data = [0u8; 16];
        data[0] = 0x01;
        data[1] = (i + 1) as u8;
        data[2..4].copy_from_slice(&usage.to_be_bytes());
        data[4..6].copy_from_slice(&alg.to_be_bytes());
        data[6..8].copy_from_slice(&bits.to_be_bytes());
        data[8..].copy_from_slice(context);
        cipher.encrypt(&mut data);
        chunk.copy_from_slice(&data);
    }
    let key = AesKey::from_bytes(out.get(..usize::from(bits / 8)).unwrap_or_default());
    zeroize::Zeroize::zeroize(&mut out);
    key
}

/// The initial key for a device from the AES BDK and its 8-byte initial key ID; the
/// initial key has the BDK's size.
pub fn aes_initial_key(bdk: &AesKey, initial_key_id: &[u8; 8]) -> Result<AesKey, SecurityError> {
    aes_derive(bdk, 0x8001, AesKeyType::of(bdk), initial_key_id)
}

fn check_aes_counter(c: u32) -> Result<(), SecurityError> {
    if c == 0 {
        return Err(SecurityError::BadCounter {
            counter: c,
            reason: "zero is never a transaction counter",
        });
    }
    if c.count_ones() > 16 {
        return Err(SecurityError::BadCounter {
            counter: c,
            reason: "more than 16 one-bits",
        });
    }
    Ok(())
}

/// The transaction's derivation key for the KSN's counter, from the initial key.
pub fn aes_derivation_key(initial_key: &AesKey, ksn: &AesKsn) -> Result<AesKey, SecurityError> {
    let counter = ksn.counter();
    check_aes_counter(counter)?;
    let ty = AesKeyType::of(initial_key);
    let mut context = [0u8; 8];
    context[..4].copy_from_slice(&ksn.0[4..8]);
    let mut key = initial_key.clone();
    let mut working = 0u32;
    let mut bit = 1u32 << 31;
    while bit != 0 {
        if counter & bit != 0 {
            working |= bit;
            context[4..].copy_from_slice(&working.to_be_bytes());
            key = aes_derive(&key, 0x8000, ty, &context)?;
        }
        bit >>= 1;
    }
    Ok(key)
}

/// A working key of `ty` for `usage` from the transaction's derivation key.
pub fn aes_working_key(
    derivation_key: &AesKey,
    ksn: &AesKsn,
    usage: AesKeyUsage,
    ty: AesKeyType,
) -> Result<AesKey, SecurityError> {
    let mut context = [0u8; 8];
    context[..4].copy_from_slice(&ksn.0[4..8]);
    context[4..].copy_from_slice(&ksn.counter().to_be_bytes());
    aes_derive(derivation_key, usage.indicator(), ty, &context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn hex_of(k: &TdesKey) -> String {
        hex::encode_upper(k.secret_bytes())
    }

    fn hex_aes(k: &AesKey) -> String {
        hex::encode_upper(k.secret_bytes())
    }

    const BDK: &str = "0123456789ABCDEFFEDCBA9876543210";

    #[test]
    fn x9_24_1_a4_ipek_and_keys() {
        let bdk = TdesKey::from_hex(BDK).unwrap();
        let ksn = Ksn::from_hex("FFFF9876543210E00000").unwrap();
        let ipek = tdes_ipek(&bdk, &ksn).unwrap();
        assert_eq!(hex_of(&ipek), "6AC292FAA1315B4D858AB3A3D7D5933A");
        // The table's KSNs with their PIN encryption keys (current key with the PIN variant).
        for (ksn, current, pin) in [
            (
                "FFFF9876543210E00001",
                "042666B49184CFA368DE9628D0397BC9",
                "042666B49184CF5C68DE9628D0397B36",
            ),
            (
                "FFFF9876543210E00002",
                "C46551CEF9FD24B0AA9AD834130D3BC7",
                "C46551CEF9FD244FAA9AD834130D3B38",
            ),
            (
                "FFFF9876543210E00003",
                "0DF3D9422ACA56E547676D07AD6BADFA",
                "0DF3D9422ACA561A47676D07AD6BAD05",
            ),
            (
                "FFFF9876543210E00004",
                "279C0F6AEED0BE652B2C733E1383AE91",
                "279C0F6AEED0BE9A2B2C733E1383AE6E",
            ),
            (
                "FFFF9876543210E00005",
                "5F8DC6D2C845C125508DDC048093B83F",
                "5F8DC6D2C845C1DA508DDC048093B8C0",
            ),
            (
                "FFFF9876543210EFF800",
                "F9CDFEBF4F5B1D9EB3EC12454527E176",
                "F9CDFEBF4F5B1D61B3EC12454527E189",
            ),
        ] {
            let ksn = Ksn::from_hex(ksn).unwrap();
            let cur = tdes_current_key(&ipek, &ksn).unwrap();
            assert_eq!(hex_of(&cur), current, "{ksn:?}");
            assert_eq!(
                hex_of(&tdes_working_key(&cur, TdesKeyUsage::Pin).unwrap()),
                pin
            );
        }
        let cur = tdes_current_key(&ipek, &Ksn::from_hex("FFFF9876543210E00001").unwrap()).unwrap();
        assert_eq!(
            hex_of(&tdes_working_key(&cur, TdesKeyUsage::MacRequest).unwrap()),
            "042666B4918430A368DE9628D03984C9"
        );
        assert_eq!(
            hex_of(&tdes_working_key(&cur, TdesKeyUsage::MacResponse).unwrap()),
            "042666B46E84CFA368DE96282F397BC9"
        );
        assert_eq!(
            hex_of(&tdes_working_key(&cur, TdesKeyUsage::DataRequest).unwrap()),
            "448D3F076D8304036A55A3D7E0055A78"
        );
        let resp = tdes_working_key(&cur, TdesKeyUsage::DataResponse).unwrap();
        assert_ne!(
            resp,
            tdes_working_key(&cur, TdesKeyUsage::DataRequest).unwrap()
        );
    }

    #[test]
    fn tdes_counter_rules() {
        let ipek = TdesKey::from_hex("6AC292FAA1315B4D858AB3A3D7D5933A").unwrap();
        assert_eq!(
            tdes_current_key(&ipek, &Ksn::from_hex("FFFF9876543210E00000").unwrap()).unwrap_err(),
            SecurityError::BadCounter {
                counter: 0,
                reason: "zero is never a transaction counter"
            }
        );
        assert!(matches!(
            tdes_current_key(&ipek, &Ksn::from_hex("FFFF9876543210E007FF").unwrap()),
            Err(SecurityError::BadCounter { counter: 0x7FF, .. })
        ));
        // next() skips counters with more than 10 one-bits: 0x3FF (10 bits) -> 0x400.
        let k = Ksn::from_hex("FFFF9876543210E003FF").unwrap();
        assert_eq!(k.next().unwrap().counter(), 0x400);
        assert_eq!(
            Ksn::from_hex("FFFF9876543210E00001")
                .unwrap()
                .next()
                .unwrap()
                .counter(),
            2
        );
        // The last valid counter is 1FF800; after it the device is exhausted.
        let last = Ksn::from_hex("FFFF9876543210FFF800").unwrap();
        assert_eq!(last.counter(), 0x1FF800);
        assert_eq!(
            last.next().unwrap_err(),
            SecurityError::CounterExhausted { counter: 0x1FF800 }
        );
        // The upper KSN bits are kept.
        assert_eq!(last.with_counter(1).as_bytes()[7], 0xE0);
    }

    #[test]
    fn next_counter_visits_exactly_the_valid_counters() {
        // Walk the whole 21-bit space and compare with a brute-force filter.
        let mut c = 0u32;
        let mut visited = 0u32;
        while let Some(n) = next_counter(c, 10).filter(|&n| n <= TDES_COUNTER_MASK) {
            assert!(n.count_ones() <= 10);
            for skipped in c + 1..n {
                assert!(skipped.count_ones() > 10, "{skipped:#x} skipped");
            }
            c = n;
            visited += 1;
        }
        let expected = (1..=TDES_COUNTER_MASK)
            .filter(|c| c.count_ones() <= 10)
            .count() as u32;
        assert_eq!(visited, expected);
    }

    #[test]
    fn x9_24_3_b1_aes128() {
        let bdk = AesKey::from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1").unwrap();
        let id = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
        let ik = aes_initial_key(&bdk, &id).unwrap();
        assert_eq!(hex_aes(&ik), "1273671EA26AC29AFA4D1084127652A1");
        let ksn1 = AesKsn::from_hex("123456789012345600000001").unwrap();
        let d1 = aes_derivation_key(&ik, &ksn1).unwrap();
        assert_eq!(hex_aes(&d1), "4F21B565BAD9835E112B6465635EAE44");
        let w = |u, t| hex_aes(&aes_working_key(&d1, &ksn1, u, t).unwrap());
        assert_eq!(
            w(AesKeyUsage::PinEncryption, AesKeyType::Aes128),
            "AF8CB133A78F8DC2D1359F18527593FB"
        );
        assert_eq!(
            w(AesKeyUsage::MacGeneration, AesKeyType::Aes128),
            "A2DC23DE6FDE0824A2BC321E08E4B8B7"
        );
        assert_eq!(
            w(AesKeyUsage::DataEncrypt, AesKeyType::Aes128),
            "A35C412EFD41FDB98B69797C02DCD08F"
        );
        assert_eq!(
            w(AesKeyUsage::KeyEncryption, AesKeyType::Aes128),
            "36A724B7BEFA5A25F5E7B5782A4554A2"
        );
        let ksn2 = ksn1.with_counter(2);
        let d2 = aes_derivation_key(&ik, &ksn2).unwrap();
        assert_eq!(hex_aes(&d2), "2F34D68DE10F68D38091A73B9E7C437C");
        assert_eq!(
            hex_aes(
                &aes_working_key(&d2, &ksn2, AesKeyUsage::PinEncryption, AesKeyType::Aes128)
                    .unwrap()
            ),
            "D30BDC73EC9714B000BEC66BDB7B6D09"
        );
        let ksn8 = ksn1.with_counter(8);
        let d8 = aes_derivation_key(&ik, &ksn8).unwrap();
        assert_eq!(hex_aes(&d8), "718EE6CF0B27E53D5F7AF99C4D8146A2");
        assert_eq!(
            hex_aes(
                &aes_working_key(&d8, &ksn8, AesKeyUsage::PinEncryption, AesKeyType::Aes128)
                    .unwrap()
            ),
            "4D9DF3FBEE3448FC3E676D04320A90F5"
        );
    }

    #[test]
    fn x9_24_3_b1_aes256() {
        let bdk =
            AesKey::from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1")
                .unwrap();
        let id = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
        let ik = aes_initial_key(&bdk, &id).unwrap();
        assert_eq!(
            hex_aes(&ik),
            "CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F"
        );
        let ksn1 = AesKsn::from_hex("123456789012345600000001").unwrap();
        let d1 = aes_derivation_key(&ik, &ksn1).unwrap();
        assert_eq!(
            hex_aes(&d1),
            "54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3"
        );
        let w = |u| hex_aes(&aes_working_key(&d1, &ksn1, u, AesKeyType::Aes256).unwrap());
        assert_eq!(
            w(AesKeyUsage::PinEncryption),
            "8C1AB7BEE973829E30242E0BBBDD4946D540C98FC1B5BDCF94790001A23FD502"
        );
        assert_eq!(
            w(AesKeyUsage::MacGeneration),
            "61DABDF4B340CF461EE860B1D1AB55357142BD2D6977306859CF49AEFE8F1549"
        );
        assert_eq!(
            w(AesKeyUsage::DataEncrypt),
            "71EB36C9A6B7F801D1D1700C29741FC5A5C4E9B45D742DA7AF6992B8AA29AF58"
        );
    }

    #[test]
    fn aes_counter_rules() {
        let ksn = AesKsn::from_hex("12345678901234560000FFFF").unwrap();
        assert_eq!(ksn.next().unwrap().counter(), 0x0001_0000);
        let sixteen = ksn.with_counter(0xFFFF_0000);
        assert_eq!(
            sixteen.next().unwrap_err(),
            SecurityError::CounterExhausted {
                counter: 0xFFFF_0000
            }
        );
        let ik = AesKey::from_hex("1273671EA26AC29AFA4D1084127652A1").unwrap();
        assert!(matches!(
            aes_derivation_key(&ik, &ksn.with_counter(0x0001_FFFF)),
            Err(SecurityError::BadCounter {
                counter: 0x1FFFF,
                ..
            })
        ));
        assert_eq!(
            AesKsn::from_hex("1234").unwrap_err(),
            SecurityError::KsnLength {
                expected: 12,
                got: 2
            }
        );
    }
}
