//! The security layer's one error type.

use thiserror::Error;

/// What went wrong in a MAC, PIN block, DUKPT or key operation.
///
/// No variant carries key material, PIN digits or PAN digits: only lengths, positions and
/// the name of the thing that was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// A key of the wrong length for its type or for the algorithm asked of it.
    #[error("{what}: a key of {expected} bytes is needed, got {got}")]
    KeyLength {
        /// The key type or algorithm.
        what: &'static str,
        /// The lengths allowed, as text ("8, 16 or 24").
        expected: &'static str,
        /// The length given.
        got: usize,
    },
    /// Hex text with a character that is not a hex digit, or an odd number of digits.
    #[error("{what}: not hex at character {at}")]
    BadHex {
        /// What the text was meant to be.
        what: &'static str,
        /// Zero-based character index (the length, for an odd count).
        at: usize,
    },
    /// A PIN outside 4..=12 digits.
    #[error("PIN must be 4 to 12 digits, got {len}")]
    PinLength {
        /// Its length.
        len: usize,
    },
    /// A PIN character that is not a decimal digit.
    #[error("PIN character {at} is not a decimal digit")]
    PinDigit {
        /// Zero-based character index.
        at: usize,
    },
    /// A PAN that is empty, too long or not all digits.
    #[error("PAN: {reason}")]
    BadPan {
        /// What is wrong.
        reason: &'static str,
    },
    /// A PIN block format that needs the PAN was given none.
    #[error("PIN block format {format} needs the PAN")]
    PanRequired {
        /// The ISO 9564-1 format number.
        format: u8,
    },
    /// A PIN block of the wrong size, or one that decodes to something no encoder writes.
    #[error("PIN block format {format}: {reason} at nibble {nibble}")]
    MalformedPinBlock {
        /// The ISO 9564-1 format number.
        format: u8,
        /// What is wrong.
        reason: &'static str,
        /// Zero-based nibble position in the clear block (0 for a wrong size).
        nibble: usize,
    },
    /// A key serial number of the wrong length.
    #[error("KSN must be {expected} bytes, got {got}")]
    KsnLength {
        /// The length the scheme uses (10 for TDES DUKPT, 12 for AES DUKPT).
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A DUKPT transaction counter no terminal can have used.
    #[error("DUKPT counter {counter:#x}: {reason}")]
    BadCounter {
        /// The counter.
        counter: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The terminal has used its last valid counter and must be given a new initial key.
    #[error("DUKPT counter exhausted after {counter:#x}: the device needs a new initial key")]
    CounterExhausted {
        /// The last counter used.
        counter: u32,
    },
    /// The MAC computed does not match the one received.
    #[error("MAC does not verify")]
    MacMismatch,
    /// The bytes a message's MAC covers could not be found (no `[mac]` in the spec, the MAC
    /// field absent, a field after it, or the message does not encode).
    #[error("message MAC: {0}")]
    Scope(#[from] crate::message::MacScopeError),
    /// The MAC offered computes another algorithm than the spec's `[mac]` names.
    #[error("the spec's [mac] names {spec}, the MAC given computes {given}")]
    AlgorithmMismatch {
        /// The spec's algorithm.
        spec: &'static str,
        /// The algorithm of the MAC given.
        given: &'static str,
    },
    /// The system random source failed (PIN block fill).
    #[error("random source failed")]
    Random,
}
