//! Reversal records (module docs, "Reversals"): kept from before transmission until
//! the original's outcome is known, then sent until answered or exhausted.

use serde::{Deserialize, Serialize};

use crate::flows::journal::stan::Stan;

/// Why a reversal is sent (DE 39 of a CUP 0400).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ReversalReason {
    /// `98`: no response in time.
    Timeout,
    /// `A0`: response MAC failed.
    MacFailure,
    /// `06`: other, e.g. IC card declined after host approval. Also the
    /// default reason of an armed record.
    Other,
}

impl ReversalReason {
    /// The DE 39 value.
    ///
    /// ```
    /// use iso8583_wire::flows::journal::ReversalReason;
    /// assert_eq!(ReversalReason::Timeout.code(), "98");
    /// assert_eq!(ReversalReason::MacFailure.code(), "A0");
    /// assert_eq!(ReversalReason::Other.code(), "06");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ReversalReason::Timeout => "98",
            ReversalReason::MacFailure => "A0",
            ReversalReason::Other => "06",
        }
    }
}

/// Where a reversal record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ReversalStatus {
    /// The original is in flight; the record is kept in case it fails.
    Armed,
    /// The reversal must be sent before any other online message.
    Due,
    /// Every attempt went unanswered: kept for manual reconciliation.
    Failed,
}

/// A stored reversal-to-be. The request it reverses is its transaction's
/// (same STAN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReversalRecord {
    /// STAN of the original (the reversal reuses it).
    pub stan: Stan,
    /// MTI of the original request.
    pub original_mti: String,
    /// Reason to send in DE 39.
    pub reason: ReversalReason,
    /// Authorization id received, to add as DE 38.
    pub auth_code: Option<String>,
    /// Attempts sent so far.
    pub attempts: u32,
    /// Whether the last attempt still waits for its response.
    pub in_flight: bool,
    /// Status.
    pub status: ReversalStatus,
}

/// The reversal the caller must send next.
///
/// The original request to build it from is
/// [`Journal::original`](crate::flows::journal::Journal::original)`(job.stan)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReversalJob {
    /// STAN of the original, reused as DE 11.
    pub stan: Stan,
    /// MTI of the original request.
    pub original_mti: String,
    /// Reason (DE 39).
    pub reason: ReversalReason,
    /// Authorization id received for the original (DE 38), if any.
    pub auth_code: Option<String>,
    /// 1-based number of the attempt about to be sent.
    pub attempt: u32,
    /// Whether to send it with the repeat MTI (0401 instead of 0400).
    pub repeat: bool,
}

impl ReversalJob {
    /// The MTI to send: `0400`, or `0401` for a repeat.
    pub fn mti(&self) -> &'static str {
        if self.repeat { "0401" } else { "0400" }
    }
}
