//! The journal key: what seals card numbers and authenticates the journal file.
//!
//! The application supplies the key through the [`JournalKey`] trait, so a
//! terminal can keep it in its secure element and only ask it to seal, open
//! and MAC: the key bytes never need to reach the journal. [`SoftwareKey`]
//! is an implementation in software (key bytes in memory, zeroized on drop)
//! for tests, demos and terminals without a secure element.
//!
//! Keys have a version. The journal records which version sealed each card
//! number and which version authenticated the file, so an application that
//! rotates its key can keep the old version able to open and verify what it
//! wrote.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Why the key refused an operation. Carries no key or card data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key does not hold this version.
    #[error("journal key version {version} is not available")]
    UnknownVersion {
        /// The version asked for.
        version: u32,
    },
    /// Opening failed: the sealed value was altered, or another key sealed it.
    #[error("sealed value does not authenticate under journal key version {version}")]
    NotAuthentic {
        /// The version used.
        version: u32,
    },
    /// The key store failed (secure element error, no randomness, ...).
    #[error("journal key store failed: {reason}")]
    Store {
        /// What failed.
        reason: String,
    },
}

/// A versioned key that seals card numbers (AEAD) and authenticates the
/// journal file (HMAC-SHA-256).
///
/// Implement it over a secure element or HSM to keep the key out of the
/// application's memory; use [`SoftwareKey`] otherwise.
///
/// Contract: `open(v, aad, seal(aad, m)?)` returns `m` when `v` is the
/// version that sealed; any change to the sealed bytes or the `aad` makes
/// `open` fail. `mac(v, data)` is a keyed 32-byte MAC (HMAC-SHA-256 in
/// [`SoftwareKey`]); different keys give different MACs.
pub trait JournalKey: Send + Sync {
    /// The version used for new seals and MACs.
    fn version(&self) -> u32;

    /// Encrypts and authenticates `plaintext`, bound to `aad`, under the
    /// current version. The result holds whatever `open` needs (nonce,
    /// ciphertext, tag).
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError>;

    /// Reverses [`seal`](Self::seal) under `version`.
    fn open(&self, version: u32, aad: &[u8], sealed: &[u8])
    -> Result<Zeroizing<Vec<u8>>, KeyError>;

    /// A 32-byte MAC of `data` under `version`.
    fn mac(&self, version: u32, data: &[u8]) -> Result<[u8; 32], KeyError>;
}

/// Nonce length of AES-256-GCM.
const NONCE_LEN: usize = 12;

/// A [`JournalKey`] held in memory: one version, derived from 32 key bytes.
///
/// Two keys are derived from the bytes with HMAC-SHA-256 under fixed labels
/// (one for sealing, one for the file MAC), so the same bytes never serve
/// both. Sealing is AES-256-GCM with a random 96-bit nonce per seal (the
/// journal seals one card number per transaction, far below the 2^32 seals
/// a random-nonce GCM key allows). The key bytes are zeroized on drop and
/// never shown by `Debug`.
///
/// ```
/// use iso8583_wire::flows::journal::{JournalKey, SoftwareKey};
/// let key = SoftwareKey::from_bytes(1, &[7u8; 32]);
/// let sealed = key.seal(b"STAN 000001", b"4761739001010119")?;
/// assert_eq!(key.open(1, b"STAN 000001", &sealed)?.as_slice(), b"4761739001010119");
/// assert!(key.open(1, b"STAN 000002", &sealed).is_err());
/// assert_eq!(format!("{key:?}"), "SoftwareKey { version: 1, .. }");
/// # Ok::<(), iso8583_wire::flows::journal::KeyError>(())
/// ```
pub struct SoftwareKey {
    version: u32,
    seal_key: Zeroizing<[u8; 32]>,
    mac_key: Zeroizing<[u8; 32]>,
}

impl SoftwareKey {
    /// A key of `version` derived from `bytes` (keep them secret; 32 random
    /// bytes, e.g. from the terminal's key injection).
    pub fn from_bytes(version: u32, bytes: &[u8; 32]) -> SoftwareKey {
        SoftwareKey {
            version,
            seal_key: Zeroizing::new(hmac_sha256(bytes, b"iso8583-wire journal: PAN sealing")),
            mac_key: Zeroizing::new(hmac_sha256(bytes, b"iso8583-wire journal: file MAC")),
        }
    }

    fn check(&self, version: u32) -> Result<(), KeyError> {
        if version == self.version {
            Ok(())
        } else {
            Err(KeyError::UnknownVersion { version })
        }
    }
}

impl core::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut m = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    m.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

impl JournalKey for SoftwareKey {
    fn version(&self) -> u32 {
        self.version
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        use aes_gcm::aead::{Aead, Payload};
        let cipher =
            <aes_gcm::Aes256Gcm as aes_gcm::KeyInit>::new_from_slice(self.seal_key.as_slice())
                .map_err(|_| KeyError::Store {
                    reason: "bad AES-256 key length".into(),
                })?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Store {
            reason: format!("no randomness for the nonce: {e}"),
        })?;
        let body = cipher
            .encrypt(
                aes_gcm::Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| KeyError::Store {
                reason: "AES-GCM encryption failed".into(),
            })?;
        let mut out = Vec::with_capacity(NONCE_LEN + body.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn open(
        &self,
        version: u32,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        use aes_gcm::aead::{Aead, Payload};
        self.check(version)?;
        let not_authentic = KeyError::NotAuthentic { version };
        if sealed.len() < NONCE_LEN {
            return Err(not_authentic);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let cipher =
            <aes_gcm::Aes256Gcm as aes_gcm::KeyInit>::new_from_slice(self.seal_key.as_slice())
                .map_err(|_| not_authentic.clone())?;
        cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(nonce),
                Payload { msg: body, aad },
            )
            .map(Zeroizing::new)
            .map_err(|_| not_authentic)
    }

    fn mac(&self, version: u32, data: &[u8]) -> Result<[u8; 32], KeyError> {
        self.check(version)?;
        Ok(hmac_sha256(self.mac_key.as_slice(), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trips_and_detects_tampering() -> Result<(), KeyError> {
        let key = SoftwareKey::from_bytes(3, &[1u8; 32]);
        let sealed = key.seal(b"aad", b"6222021234567890123")?;
        assert_eq!(
            key.open(3, b"aad", &sealed)?.as_slice(),
            b"6222021234567890123"
        );
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(key.seal(b"aad", b"6222021234567890123")?, sealed);
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            if let Some(b) = bad.get_mut(i) {
                *b ^= 0x01;
            }
            assert_eq!(
                key.open(3, b"aad", &bad),
                Err(KeyError::NotAuthentic { version: 3 })
            );
        }
        assert_eq!(
            key.open(2, b"aad", &sealed),
            Err(KeyError::UnknownVersion { version: 2 })
        );
        let other = SoftwareKey::from_bytes(3, &[2u8; 32]);
        assert!(other.open(3, b"aad", &sealed).is_err());
        Ok(())
    }

    #[test]
    fn mac_depends_on_key_and_data() -> Result<(), KeyError> {
        let a = SoftwareKey::from_bytes(1, &[1u8; 32]);
        let b = SoftwareKey::from_bytes(1, &[2u8; 32]);
        assert_eq!(a.mac(1, b"x")?, a.mac(1, b"x")?);
        assert_ne!(a.mac(1, b"x")?, a.mac(1, b"y")?);
        assert_ne!(a.mac(1, b"x")?, b.mac(1, b"x")?);
        // The MAC key is not the sealing key, and neither is the input.
        assert_ne!(a.mac(1, b"x")?, hmac_sha256(&[1u8; 32], b"x"));
        Ok(())
    }
}
