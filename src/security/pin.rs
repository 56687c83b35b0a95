//! PIN blocks (ISO 9564-1): formats 0, 1 and 3 (8 bytes, enciphered with TDES by the
//! caller or a [`PinBlockEncryptor`]) and format 4 (16 bytes, AES, enciphered here).
//!
//! | Format | Clear block | PAN field |
//! |---|---|---|
//! | 0 | `0` · length · PIN · `F` fill | `0000` · the 12 rightmost PAN digits before the check digit |
//! | 1 | `1` · length · PIN · random hex fill | none |
//! | 3 | `3` · length · PIN · random `A`-`F` fill | as format 0 |
//! | 4 | `4` · length · PIN · `A` fill (8 bytes) · 8 random bytes | `M` (PAN length − 12, 0 if shorter) · the PAN left-justified (right-justified in 12 digits if shorter) · `0` fill (16 bytes) |
//!
//! Format 4 is enciphered in two passes with the PAN field between them:
//! `C = E(K, E(K, PIN field) ⊕ PAN field)`; deciphering reverses it.
//!
//! Decoding refuses a block whose control nibble, length, digits or fill are not what the
//! format's encoder writes, naming the nibble. A [`Pin`] holds its digits zeroized on drop
//! and shows only its length in `Debug`.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::SecurityError;
use super::key::{AesKey, TdesKey};

/// A PIN of 4 to 12 decimal digits. `Debug` shows only its length; the digits come out only
/// through [`Pin::reveal`].
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    digits: [u8; 12],
    len: u8,
}

impl Zeroize for Pin {
    fn zeroize(&mut self) {
        self.digits.zeroize();
        self.len = 0;
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Pin {}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin(len {})", self.len)
    }
}

impl Pin {
    /// A PIN from its digits; refuses anything but 4 to 12 ASCII decimal digits.
    pub fn new(text: &str) -> Result<Self, SecurityError> {
        let bytes = text.as_bytes();
        if let Some(at) = bytes.iter().position(|c| !c.is_ascii_digit()) {
            return Err(SecurityError::PinDigit { at });
        }
        if !(4..=12).contains(&bytes.len()) {
            return Err(SecurityError::PinLength { len: bytes.len() });
        }
        let mut pin = Pin {
            digits: [0; 12],
            len: bytes.len() as u8,
        };
        for (d, c) in pin.digits.iter_mut().zip(bytes) {
            *d = c - b'0';
        }
        Ok(pin)
    }

    /// The number of digits (4 to 12).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Never true (here for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digits as text. For the cardholder's side of a test only: never log it.
    pub fn reveal(&self) -> alloc::string::String {
        self.values().iter().map(|d| char::from(b'0' + d)).collect()
    }

    fn values(&self) -> &[u8] {
        self.digits.get(..self.len()).unwrap_or_default()
    }
}

/// An ISO 9564-1 PIN block format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinBlockFormat {
    /// Format 0 (ANSI X9.8): PIN XOR PAN, `F` fill.
    Iso0,
    /// Format 1: no PAN, random fill.
    Iso1,
    /// Format 3: PIN XOR PAN, random `A`-`F` fill.
    Iso3,
    /// Format 4: AES, 16 bytes, PAN field enciphered in.
    Iso4,
}

impl PinBlockFormat {
    /// The format number: 0, 1, 3 or 4.
    pub fn number(self) -> u8 {
        match self {
            PinBlockFormat::Iso0 => 0,
            PinBlockFormat::Iso1 => 1,
            PinBlockFormat::Iso3 => 3,
            PinBlockFormat::Iso4 => 4,
        }
    }

    /// The format from its number.
    pub fn from_number(n: u8) -> Option<Self> {
        Some(match n {
            0 => PinBlockFormat::Iso0,
            1 => PinBlockFormat::Iso1,
            3 => PinBlockFormat::Iso3,
            4 => PinBlockFormat::Iso4,
            _ => return None,
        })
    }

    /// Whether the format uses the PAN.
    pub fn uses_pan(self) -> bool {
        !matches!(self, PinBlockFormat::Iso1)
    }
}

fn pan_digits(pan: &str) -> Result<&[u8], SecurityError> {
    let b = pan.as_bytes();
    if b.is_empty() {
        return Err(SecurityError::BadPan { reason: "empty" });
    }
    if b.len() > 19 {
        return Err(SecurityError::BadPan {
            reason: "more than 19 digits",
        });
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return Err(SecurityError::BadPan {
            reason: "not all decimal digits",
        });
    }
    Ok(b)
}

/// The 8-byte PAN field of formats 0 and 3: `0000` and the 12 rightmost digits before the
/// check digit (left-padded with zeros when the PAN is shorter).
fn pan_field_8(pan: &str) -> Result<[u8; 8], SecurityError> {
    let d = pan_digits(pan)?;
    let body = d.get(..d.len() - 1).unwrap_or_default();
    let take = body.len().min(12);
    let digits = body.get(body.len() - take..).unwrap_or_default();
    let mut nibbles = [0u8; 16];
    for (n, c) in nibbles[16 - take..].iter_mut().zip(digits) {
        *n = c - b'0';
    }
    Ok(pack::<8>(&nibbles))
}

/// The 16-byte PAN field of format 4.
fn pan_field_16(pan: &str) -> Result<[u8; 16], SecurityError> {
    let d = pan_digits(pan)?;
    let mut nibbles = [0u8; 32];
    if d.len() >= 12 {
        nibbles[0] = (d.len() - 12) as u8;
        for (n, c) in nibbles[1..].iter_mut().zip(d) {
            *n = c - b'0';
        }
    } else {
        for (n, c) in nibbles[1 + 12 - d.len()..].iter_mut().zip(d) {
            *n = c - b'0';
        }
    }
    Ok(pack::<16>(&nibbles))
}

fn pack<const N: usize>(nibbles: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(nibbles.chunks(2)) {
        let hi = pair.first().copied().unwrap_or(0);
        let lo = pair.get(1).copied().unwrap_or(0);
        *o = (hi << 4) | (lo & 0x0F);
    }
    out
}

fn nibble(block: &[u8], i: usize) -> u8 {
    let b = block.get(i / 2).copied().unwrap_or(0);
    if i.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0F
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SecurityError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| SecurityError::Random)?;
    Ok(out)
}

/// The clear 8-byte block of formats 0, 1, 3 before the PAN XOR: control, length, PIN, and
/// the fill nibbles from `fill` (one nibble a byte, only the low four bits used).
fn pin_field_8(control: u8, pin: &Pin, fill: impl Fn(usize) -> u8) -> [u8; 8] {
    let mut nibbles = [0u8; 16];
    nibbles[0] = control;
    nibbles[1] = pin.len;
    for (i, n) in nibbles.iter_mut().enumerate().skip(2) {
        *n = match pin.values().get(i - 2) {
            Some(&d) => d,
            None => fill(i) & 0x0F,
        };
    }
    let out = pack::<8>(&nibbles);
    nibbles.zeroize();
    out
}

fn xor_in<const N: usize>(a: &mut [u8; N], b: &[u8; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Format 0 clear PIN block for `pin` and `pan`.
pub fn encode_iso0(pin: &Pin, pan: &str) -> Result<[u8; 8], SecurityError> {
    let mut block = pin_field_8(0, pin, |_| 0xF);
    xor_in(&mut block, &pan_field_8(pan)?);
    Ok(block)
}

/// Format 1 clear PIN block with fill nibbles from `fill` (the low 4 bits of each byte).
pub fn encode_iso1_with_fill(pin: &Pin, fill: &[u8; 16]) -> [u8; 8] {
    pin_field_8(1, pin, |i| fill.get(i).copied().unwrap_or(0))
}

/// Format 1 clear PIN block with a random fill.
pub fn encode_iso1(pin: &Pin) -> Result<[u8; 8], SecurityError> {
    Ok(encode_iso1_with_fill(pin, &random_bytes::<16>()?))
}

/// Format 3 clear PIN block with fill nibbles from `fill` (each byte mapped to `A`-`F`).
pub fn encode_iso3_with_fill(
    pin: &Pin,
    pan: &str,
    fill: &[u8; 16],
) -> Result<[u8; 8], SecurityError> {
    let mut block = pin_field_8(3, pin, |i| 0xA + fill.get(i).copied().unwrap_or(0) % 6);
    xor_in(&mut block, &pan_field_8(pan)?);
    Ok(block)
}

/// Format 3 clear PIN block with a random `A`-`F` fill.
pub fn encode_iso3(pin: &Pin, pan: &str) -> Result<[u8; 8], SecurityError> {
    encode_iso3_with_fill(pin, pan, &random_bytes::<16>()?)
}

/// Checks the clear 8-byte block's control, length, digits and fill; returns the PIN.
fn decode_pin_field_8(
    format: u8,
    block: &[u8; 8],
    fill_ok: impl Fn(u8) -> bool,
) -> Result<Pin, SecurityError> {
    let bad = |reason, nibble| SecurityError::MalformedPinBlock {
        format,
        reason,
        nibble,
    };
    if nibble(block, 0) != format {
        return Err(bad("control nibble is not the format number", 0));
    }
    let len = usize::from(nibble(block, 1));
    if !(4..=12).contains(&len) {
        return Err(bad("PIN length outside 4..12", 1));
    }
    let mut pin = Pin {
        digits: [0; 12],
        len: len as u8,
    };
    for i in 0..len {
        let d = nibble(block, 2 + i);
        if d > 9 {
            return Err(bad("PIN digit is not decimal", 2 + i));
        }
        pin.digits[i] = d;
    }
    for i in 2 + len..16 {
        if !fill_ok(nibble(block, i)) {
            return Err(bad("fill nibble is not what the format writes", i));
        }
    }
    Ok(pin)
}

fn block8(format: u8, block: &[u8]) -> Result<[u8; 8], SecurityError> {
    block
        .try_into()
        .map_err(|_| SecurityError::MalformedPinBlock {
            format,
            reason: "block is not 8 bytes",
            nibble: 0,
        })
}

/// Decodes a clear format 0 block with the PAN.
pub fn decode_iso0(block: &[u8], pan: &str) -> Result<Pin, SecurityError> {
    let mut b = block8(0, block)?;
    xor_in(&mut b, &pan_field_8(pan)?);
    let pin = decode_pin_field_8(0, &b, |n| n == 0xF);
    b.zeroize();
    pin
}

/// Decodes a clear format 1 block.
pub fn decode_iso1(block: &[u8]) -> Result<Pin, SecurityError> {
    let b = block8(1, block)?;
    decode_pin_field_8(1, &b, |_| true)
}

/// Decodes a clear format 3 block with the PAN.
pub fn decode_iso3(block: &[u8], pan: &str) -> Result<Pin, SecurityError> {
    let mut b = block8(3, block)?;
    xor_in(&mut b, &pan_field_8(pan)?);
    let pin = decode_pin_field_8(3, &b, |n| (0xA..=0xF).contains(&n));
    b.zeroize();
    pin
}

/// The format 4 clear PIN field with the given 8 random bytes.
fn pin_field_16(pin: &Pin, random: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let head = pin_field_8(4, pin, |_| 0xA);
    out[..8].copy_from_slice(&head);
    out[8..].copy_from_slice(random);
    out
}

/// Format 4: enciphers `pin` with the PAN under the AES key, with the given 8 random bytes
/// (for reproducible tests; use [`encipher_iso4`] otherwise).
pub fn encipher_iso4_with_random(
    key: &AesKey,
    pin: &Pin,
    pan: &str,
    random: &[u8; 8],
) -> Result<[u8; 16], SecurityError> {
    let pan_field = pan_field_16(pan)?;
    let cipher = key.cipher();
    let mut block = pin_field_16(pin, random);
    cipher.encrypt(&mut block);
    xor_in(&mut block, &pan_field);
    cipher.encrypt(&mut block);
    Ok(block)
}

/// Format 4: enciphers `pin` with the PAN under the AES key (random pad).
pub fn encipher_iso4(key: &AesKey, pin: &Pin, pan: &str) -> Result<[u8; 16], SecurityError> {
    encipher_iso4_with_random(key, pin, pan, &random_bytes::<8>()?)
}

/// Format 4: deciphers a block with the PAN and checks the PIN field.
pub fn decipher_iso4(key: &AesKey, block: &[u8], pan: &str) -> Result<Pin, SecurityError> {
    let mut b: [u8; 16] = block
        .try_into()
        .map_err(|_| SecurityError::MalformedPinBlock {
            format: 4,
            reason: "block is not 16 bytes",
            nibble: 0,
        })?;
    let pan_field = pan_field_16(pan)?;
    let cipher = key.cipher();
    cipher.decrypt(&mut b);
    xor_in(&mut b, &pan_field);
    cipher.decrypt(&mut b);
    let mut head = [0u8; 8];
    head.copy_from_slice(&b[..8]);
    let pin = decode_pin_field_8(4, &head, |n| n == 0xA);
    head.zeroize();
    b.zeroize();
    pin
}

/// Something that turns a PIN into an enciphered PIN block: the software implementation
/// here, or an HSM (which never hands out the PIN key).
pub trait PinBlockEncryptor {
    /// The format this encryptor writes.
    fn format(&self) -> PinBlockFormat;

    /// The enciphered PIN block for `pin` (and `pan` where the format uses it): 8 bytes
    /// for formats 0, 1 and 3 (TDES), 16 for format 4 (AES).
    fn encrypt_pin(
        &self,
        pin: &Pin,
        pan: Option<&str>,
    ) -> Result<alloc::vec::Vec<u8>, SecurityError>;

    /// Deciphers and checks a PIN block.
    fn decrypt_pin(&self, block: &[u8], pan: Option<&str>) -> Result<Pin, SecurityError>;
}

/// The key a [`SoftwarePinBlock`] holds: TDES for formats 0, 1, 3, AES for format 4.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinKey {
    /// A TDES key (formats 0, 1, 3; the clear block is TDES-ECB enciphered).
    Tdes(TdesKey),
    /// An AES key (format 4).
    Aes(AesKey),
}

/// PIN block encipherment in process with a key held in memory.
#[derive(Debug, Clone)]
pub struct SoftwarePinBlock {
    format: PinBlockFormat,
    key: PinKey,
}

impl SoftwarePinBlock {
    /// An encryptor for `format` with its key (AES for format 4, TDES otherwise).
    pub fn new(format: PinBlockFormat, key: PinKey) -> Result<Self, SecurityError> {
        match (&key, format) {
            (PinKey::Aes(_), PinBlockFormat::Iso4) => {}
            (PinKey::Tdes(_), f) if f != PinBlockFormat::Iso4 => {}
            (PinKey::Aes(k), _) => {
                return Err(SecurityError::KeyLength {
                    what: "PIN block formats 0, 1, 3",
                    expected: "8, 16 or 24 (TDES)",
                    got: k.len(),
                });
            }
            (PinKey::Tdes(k), _) => {
                return Err(SecurityError::KeyLength {
                    what: "PIN block format 4",
                    expected: "16, 24 or 32 (AES)",
                    got: k.len(),
                });
            }
        }
        Ok(SoftwarePinBlock { format, key })
    }
}

fn need_pan(format: PinBlockFormat, pan: Option<&str>) -> Result<&str, SecurityError> {
    pan.ok_or(SecurityError::PanRequired {
        format: format.number(),
    })
}

impl PinBlockEncryptor for SoftwarePinBlock {
    fn format(&self) -> PinBlockFormat {
        self.format
    }

    fn encrypt_pin(
        &self,
        pin: &Pin,
        pan: Option<&str>,
    ) -> Result<alloc::vec::Vec<u8>, SecurityError> {
        match (&self.key, self.format) {
            (PinKey::Aes(k), PinBlockFormat::Iso4) => {
                Ok(encipher_iso4(k, pin, need_pan(self.format, pan)?)?.to_vec())
            }
            (PinKey::Tdes(k), f) => {
                let mut clear = match f {
                    PinBlockFormat::Iso0 => encode_iso0(pin, need_pan(f, pan)?)?,
                    PinBlockFormat::Iso3 => encode_iso3(pin, need_pan(f, pan)?)?,
                    _ => encode_iso1(pin)?,
                };
                k.encrypt_block(&mut clear);
                Ok(clear.to_vec())
            }
            (PinKey::Aes(k), _) => Err(SecurityError::KeyLength {
                what: "PIN block formats 0, 1, 3",
                expected: "8, 16 or 24 (TDES)",
                got: k.len(),
            }),
        }
    }

    fn decrypt_pin(&self, block: &[u8], pan: Option<&str>) -> Result<Pin, SecurityError> {
        match (&self.key, self.format) {
            (PinKey::Aes(k), PinBlockFormat::Iso4) => {
                decipher_iso4(k, block, need_pan(self.format, pan)?)
            }
            (PinKey::Tdes(k), f) => {
                let mut b = block8(f.number(), block)?;
                k.decrypt_block(&mut b);
                let pin = match f {
                    PinBlockFormat::Iso0 => decode_iso0(&b, need_pan(f, pan)?),
                    PinBlockFormat::Iso3 => decode_iso3(&b, need_pan(f, pan)?),
                    _ => decode_iso1(&b),
                };
                b.zeroize();
                pin
            }
            (PinKey::Aes(k), _) => Err(SecurityError::KeyLength {
                what: "PIN block formats 0, 1, 3",
                expected: "8, 16 or 24 (TDES)",
                got: k.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn format_0_known_blocks() {
        // PIN 1234, PAN 4012345678909: field 041234FFFFFFFFFF ^ 0000401234567890.
        let pin = Pin::new("1234").unwrap();
        let block = encode_iso0(&pin, "4012345678909").unwrap();
        assert_eq!(block.to_vec(), h("041274EDCBA9876F"));
        assert_eq!(
            decode_iso0(&block, "4012345678909").unwrap().reveal(),
            "1234"
        );
        // The X9.24-1 A.4 sample: this block under the counter-1 DUKPT PIN key is 1B9C1845EB993A7A.
        let pek = TdesKey::from_hex("042666B49184CF5C68DE9628D0397B36").unwrap();
        let mut enc = block;
        pek.encrypt_block(&mut enc);
        assert_eq!(enc.to_vec(), h("1B9C1845EB993A7A"));
    }

    #[test]
    fn format_4_x9_24_3_sample() {
        // The X9.24-3 supplement's format 4 example: PIN 1234, PAN 4111111111111111,
        // random 2F69ADDE2E9E7ACE, counter-1 PIN key -> A912150391AB65A67E52883D81CE2D15.
        let key = AesKey::from_hex("AF8CB133A78F8DC2D1359F18527593FB").unwrap();
        let pin = Pin::new("1234").unwrap();
        let random: [u8; 8] = h("2F69ADDE2E9E7ACE").try_into().unwrap();
        assert_eq!(
            pin_field_16(&pin, &random).to_vec(),
            h("441234AAAAAAAAAA2F69ADDE2E9E7ACE")
        );
        assert_eq!(
            pan_field_16("4111111111111111").unwrap().to_vec(),
            h("44111111111111111000000000000000")
        );
        let block = encipher_iso4_with_random(&key, &pin, "4111111111111111", &random).unwrap();
        assert_eq!(block.to_vec(), h("A912150391AB65A67E52883D81CE2D15"));
        assert_eq!(
            decipher_iso4(&key, &block, "4111111111111111")
                .unwrap()
                .reveal(),
            "1234"
        );
        // The second transaction's key and block.
        let key2 = AesKey::from_hex("D30BDC73EC9714B000BEC66BDB7B6D09").unwrap();
        let block2 = encipher_iso4_with_random(&key2, &pin, "4111111111111111", &random).unwrap();
        assert_eq!(block2.to_vec(), h("52A00503BD34BA1383F6A7EE9FE2547F"));
        // A wrong PAN deciphers to garbage, refused.
        assert!(matches!(
            decipher_iso4(&key, &block, "4111111111111112"),
            Err(SecurityError::MalformedPinBlock { format: 4, .. })
        ));
        // Short PANs are right-justified in 12 digits after M = 0.
        assert_eq!(
            pan_field_16("12345").unwrap().to_vec(),
            h("00000000123450000000000000000000")
        );
    }

    #[test]
    fn formats_1_and_3_round_trip_with_their_fill() {
        let fill = [0x07u8; 16];
        for digits in ["1234", "123456789012", "00000"] {
            let pin = Pin::new(digits).unwrap();
            let b1 = encode_iso1_with_fill(&pin, &fill);
            assert_eq!(nibble(&b1, 0), 1);
            assert_eq!(decode_iso1(&b1).unwrap().reveal(), digits);
            let b3 = encode_iso3_with_fill(&pin, "5432101234567891", &fill).unwrap();
            assert_eq!(
                decode_iso3(&b3, "5432101234567891").unwrap().reveal(),
                digits
            );
        }
        // Format 3 fill is A-F: 7 % 6 = 1 -> B.
        let b3 = encode_iso3_with_fill(&Pin::new("1234").unwrap(), "0000000000000", &fill).unwrap();
        assert_eq!(b3.to_vec(), h("341234BBBBBBBBBB"));
    }

    #[test]
    fn refuses_bad_pins_and_blocks() {
        assert_eq!(
            Pin::new("123").unwrap_err(),
            SecurityError::PinLength { len: 3 }
        );
        assert_eq!(
            Pin::new("1234567890123").unwrap_err(),
            SecurityError::PinLength { len: 13 }
        );
        assert_eq!(
            Pin::new("12a4").unwrap_err(),
            SecurityError::PinDigit { at: 2 }
        );
        let pan = "4012345678909";
        let good = encode_iso0(&Pin::new("1234").unwrap(), pan).unwrap();
        // Format 0 block decoded as format 3: the control nibble is refused.
        assert_eq!(
            decode_iso3(&good, pan).unwrap_err(),
            SecurityError::MalformedPinBlock {
                format: 3,
                reason: "control nibble is not the format number",
                nibble: 0
            }
        );
        // Every single-nibble change of a format 0 block is refused or decodes to another PIN.
        for i in 0..16 {
            let mut b = good;
            b[i / 2] ^= if i % 2 == 0 { 0x10 } else { 0x01 };
            match decode_iso0(&b, pan) {
                Err(SecurityError::MalformedPinBlock { format: 0, .. }) => {}
                Ok(pin) => assert!((2..6).contains(&i) && pin.reveal() != "1234", "nibble {i}"),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(
            decode_iso0(&good[..7], pan).unwrap_err(),
            SecurityError::MalformedPinBlock {
                format: 0,
                reason: "block is not 8 bytes",
                nibble: 0
            }
        );
        assert_eq!(
            encode_iso0(&Pin::new("1234").unwrap(), "40123x").unwrap_err(),
            SecurityError::BadPan {
                reason: "not all decimal digits"
            }
        );
        // Length nibble 3 and 13 are refused.
        assert_eq!(
            decode_iso1(&h("131234FFFFFFFFFF")).unwrap_err().to_string(),
            "PIN block format 1: PIN length outside 4..12 at nibble 1"
        );
        assert!(decode_iso1(&h("1D1234FFFFFFFFFF")).is_err());
    }

    #[test]
    fn pin_never_in_debug_or_errors() {
        let pin = Pin::new("987654").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(len 6)");
        let key = PinKey::Tdes(TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap());
        let enc = SoftwarePinBlock::new(PinBlockFormat::Iso0, key).unwrap();
        let block = enc.encrypt_pin(&pin, Some("4012345678909")).unwrap();
        assert_eq!(enc.decrypt_pin(&block, Some("4012345678909")).unwrap(), pin);
        assert_eq!(
            enc.encrypt_pin(&pin, None).unwrap_err(),
            SecurityError::PanRequired { format: 0 }
        );
        let err = enc
            .decrypt_pin(&block, Some("4012345678919"))
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("987654") && !err.contains("4012345678"),
            "{err}"
        );
        assert!(
            !format!("{enc:?}")
                .to_uppercase()
                .contains("0123456789ABCDEF")
        );
    }
}
