//! Input to [`Journal::begin`](crate::flows::journal::Journal::begin) and its receipt.

use serde::{Deserialize, Serialize};

use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::OriginalRef;

/// A transaction the caller wants to send, in plain values.
///
/// [`Journal::begin`](crate::flows::journal::Journal::begin) reads the same
/// facts back from the encoded request (MTI, DE 3 when given here, DE 4,
/// DE 41, DE 42) and refuses the request when they differ, naming the field.
///
/// ```
/// use iso8583_wire::flows::journal::{NewTxn, Stan, TxnKind};
/// let purchase = NewTxn::new(TxnKind::Purchase, 1_000, "T0000001", "M00000000000001", "0200")
///     .with_pan_hint("1234");
/// let void = NewTxn::new(TxnKind::Void, 1_000, "T0000001", "M00000000000001", "0200")
///     .with_original(Stan::FIRST);
/// assert_eq!(void.original, Some(Stan::FIRST));
/// assert_eq!(purchase.pan_hint.as_deref(), Some("1234"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTxn {
    /// What kind of transaction.
    pub kind: TxnKind,
    /// Amount in minor units (DE 4).
    pub amount: u64,
    /// DE 41 of the request.
    pub terminal: String,
    /// DE 42 of the request.
    pub merchant: String,
    /// MTI of the request (`0200`, `0220`, `0100`, ...).
    pub mti: String,
    /// The original transaction in the open batch.
    pub original: Option<Stan>,
    /// An original from an earlier batch (refund, completion, cancel).
    pub original_ref: Option<OriginalRef>,
    /// At most the last four PAN digits. Never the full PAN. When absent,
    /// `begin` takes the last four digits of the request's PAN.
    pub pan_hint: Option<String>,
    /// DE 3 the request must carry, when the caller wants it checked.
    #[serde(default)]
    pub processing_code: Option<String>,
}

impl NewTxn {
    /// A transaction without original or PAN hint.
    pub fn new(
        kind: TxnKind,
        amount: u64,
        terminal: impl Into<String>,
        merchant: impl Into<String>,
        mti: impl Into<String>,
    ) -> NewTxn {
        NewTxn {
            kind,
            amount,
            terminal: terminal.into(),
            merchant: merchant.into(),
            mti: mti.into(),
            original: None,
            original_ref: None,
            pan_hint: None,
            processing_code: None,
        }
    }

    /// References an original in the open batch.
    pub fn with_original(mut self, stan: Stan) -> NewTxn {
        self.original = Some(stan);
        self
    }

    /// References an original from an earlier batch.
    pub fn with_original_ref(mut self, original: OriginalRef) -> NewTxn {
        self.original_ref = Some(original);
        self
    }

    /// Sets the last PAN digits.
    pub fn with_pan_hint(mut self, last4: impl Into<String>) -> NewTxn {
        self.pan_hint = Some(last4.into());
        self
    }

    /// Requires DE 3 of the request to be `code`.
    pub fn with_processing_code(mut self, code: impl Into<String>) -> NewTxn {
        self.processing_code = Some(code.into());
        self
    }
}

/// Data of the original that the request has to copy (DE 37, 38, 61).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OriginalInfo {
    /// Original DE 11 (61.2).
    pub stan: Stan,
    /// Original batch (61.1).
    pub batch: u32,
    /// Original amount.
    pub amount: u64,
    /// Original DE 37.
    pub rrn: Option<String>,
    /// Original DE 38.
    pub auth_code: Option<String>,
}

/// What `begin` hands to the encoder, and back to the caller: the STAN and
/// batch to put in the request, plus the original's data to copy.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ticket {
    /// DE 11 allocated for the request.
    pub stan: Stan,
    /// Current batch (60.2).
    pub batch: u32,
    /// Kind of transaction.
    pub kind: TxnKind,
    /// Data of the original in the open batch, if any.
    pub original: Option<OriginalInfo>,
    /// The encoded request exactly as journaled: transmit these bytes.
    /// Empty in the ticket given to the encoder.
    pub request: Vec<u8>,
}

/// Masked: the request bytes show as their length only.
impl core::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ticket")
            .field("stan", &self.stan)
            .field("batch", &self.batch)
            .field("kind", &self.kind)
            .field("original", &self.original)
            .field(
                "request",
                &crate::flows::journal::Redacted(self.request.len()),
            )
            .finish()
    }
}
